/* walk.h - turn scan PATHs into a list of messages.
 *
 * A PATH is a Maildir (a folder with cur/ or new/: every file in those two
 * is a message; with recursive, also its Maildir++ sub-folders ".NAME"), an
 * mbox file (a regular file beginning with "From ", framed by mbox.c), a
 * single message file, or, with recursive, any other directory, searched
 * for Maildirs and message files (files found that way are single messages,
 * never mboxes). Names beginning with "." are skipped everywhere except as
 * Maildir++ folders, and symbolic links to directories are not followed.
 * A message file named on its own (as PATH or on stdin) that lies in the
 * cur/ or new/ of a Maildir belongs to that folder, as if found there.
 * Entries are taken in byte order of their names, so the list is the same
 * on every run. Nothing is read but directories and the mbox files' bytes
 * (mapped). Problems (a missing PATH, an unreadable folder) are reported on
 * stderr as "unscatter scan: PATH: reason" and counted; they never stop the
 * walk. */
#ifndef UNSCATTER_WALK_H
#define UNSCATTER_WALK_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>

/* A Maildir folder that holds messages of the list. */
struct us_folder {
	char *dir;	/* the folder itself (has cur/ and/or new/) */
	char *root;	/* its Maildir++ root: the parent of a folder that has a
			 * "maildirfolder" file, else the folder itself */
};

/* One message. */
struct us_item {
	const char *path;	/* its file (for an mbox message: the mbox) */
	int folder;		/* index into us_walk.folders, -1 if not in a Maildir */
	guint mbox_index;	/* 1-based number in its mbox; 0: the whole file is the message */
	goffset offset;		/* mbox message: bytes [offset, offset + length) of the file */
	gsize length;
	const char *data;	/* mbox message: its bytes in the mapped file; else NULL */
};

struct us_walk {
	bool recursive;		/* -R */
	bool no_mbox;		/* every file is one message */
	GArray *items;		/* struct us_item */
	GPtrArray *folders;	/* struct us_folder *, owned */
	guint errors;		/* problems reported */
	/* private */
	GStringChunk *strings;
	GPtrArray *maps;	/* GMappedFile * of the mbox files */
	GHashTable *folder_index;	/* folder dir -> index in folders */
};

struct us_walk *us_walk_new(bool recursive, bool no_mbox);
void us_walk_free(struct us_walk *w);

/* Add the messages of PATH. */
void us_walk_path(struct us_walk *w, const char *path);

/* Add the messages of every PATH read from IN, one per line (DELIM '\n')
 * or NUL-terminated (DELIM '\0'); empty names are ignored. */
void us_walk_list(struct us_walk *w, FILE *in, int delim);

#endif
