/* refile.h - move Maildir messages into per-class folders; copy messages
 * into per-class mboxes or Maildirs.
 *
 * Refiling renames a message file from FOLDER/cur or FOLDER/new into
 * ROOT/.NAME/cur or ROOT/.NAME/new of its Maildir++ root (same sub-folder,
 * same file name, so flags and the ":2,..." info stay), creating the
 * folder (cur/, new/, tmp/ and the "maildirfolder" marker) when needed.
 * Only rename(2) is used, with RENAME_NOREPLACE where the file system has
 * it: a message is never copied, never rewritten in place, never replaces
 * another file, and is in exactly one place at every moment.
 *
 * Splitting never changes its input: it appends the message to DIR/CLASS
 * (an mbox; a message that has no "From " line gets one, and lines of its
 * body that begin with ">*From " get one more ">", as in mboxrd) or
 * delivers it to the Maildir DIR/CLASS (through tmp/, then new/; the
 * leading "From " line of an mbox message is left out). */
#ifndef UNSCATTER_REFILE_H
#define UNSCATTER_REFILE_H

#include <stdbool.h>
#include <glib.h>
#include "verdict.h"
#include "walk.h"

/* The default Maildir++ folder of each class (".Backscatter", ...;
 * NULL for ordinary mail: it stays where it is). */
const char *us_refile_default_folder(enum us_class klass);

/* True if NAME can be a Maildir++ folder name: ".X" without "/" and not
 * "." or "..". */
bool us_refile_folder_valid(const char *name);

struct us_refile;

/* FOLDERS[class]: folder names (copied; NULL or "" = do not move). With
 * DRY_RUN nothing is changed, only the destination is worked out. */
struct us_refile *us_refile_new(const char *const folders[US_CLASS_COUNT], bool dry_run);
void us_refile_free(struct us_refile *r);

/* Move the message file PATH of FOLDER for class KLASS. Returns true and
 * sets *DEST (new string) to where it went, or NULL when it stays; false
 * with ERROR when it could not be moved (it is then still where it was). */
bool us_refile_move(struct us_refile *r, const struct us_folder *folder, const char *path,
		    enum us_class klass, char **dest, GError **error);

enum us_split_format { US_SPLIT_MBOX, US_SPLIT_MAILDIR };

struct us_split;

/* Copies into DIR (created if missing, unless DRY_RUN). */
struct us_split *us_split_new(const char *dir, enum us_split_format format, bool dry_run);
/* Closes every output; false with ERROR if one failed to close. */
bool us_split_free(struct us_split *s, GError **error);

/* Copy the message ITEM (its bytes: DATA, LEN) to the output of KLASS.
 * *DEST (new string) names the copy. */
bool us_split_write(struct us_split *s, const struct us_item *item, const char *data, gsize len,
		    enum us_class klass, char **dest, GError **error);

#endif
