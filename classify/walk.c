/* walk.c - scan PATHs to messages (see walk.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mbox.h"
#include "walk.h"

static void report(struct us_walk *w, const char *path, const char *reason)
{
	fprintf(stderr, "unscatter scan: %s: %s\n", path, reason);
	w->errors++;
}

struct us_walk *us_walk_new(bool recursive, bool no_mbox)
{
	struct us_walk *w = g_new0(struct us_walk, 1);

	w->recursive = recursive;
	w->no_mbox = no_mbox;
	w->items = g_array_new(FALSE, TRUE, sizeof(struct us_item));
	w->folders = g_ptr_array_new();
	w->strings = g_string_chunk_new(64 * 1024);
	w->maps = g_ptr_array_new_with_free_func((GDestroyNotify)g_mapped_file_unref);
	w->folder_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return w;
}

void us_walk_free(struct us_walk *w)
{
	if (w == NULL)
		return;
	for (guint i = 0; i < w->folders->len; i++) {
		struct us_folder *f = g_ptr_array_index(w->folders, i);
		g_free(f->dir);
		g_free(f->root);
		g_free(f);
	}
	g_ptr_array_unref(w->folders);
	g_array_unref(w->items);
	g_string_chunk_free(w->strings);
	g_ptr_array_unref(w->maps);
	g_hash_table_unref(w->folder_index);
	g_free(w);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in DIR but "." and "..", sorted, or NULL (reported) if it
 * cannot be read. SKIP_HIDDEN drops names beginning with ".". */
static GPtrArray *list_dir(struct us_walk *w, const char *dir, bool skip_hidden)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	GPtrArray *names;

	if (d == NULL) {
		report(w, dir, g_strerror(errno));
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || (skip_hidden && name[0] == '.'))
			continue;
		g_ptr_array_add(names, g_strdup(name));
	}
	if (errno != 0)
		report(w, dir, g_strerror(errno));
	closedir(d);
	g_ptr_array_sort(names, compare_names);
	return names;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_maildir(const char *dir)
{
	char *cur = g_build_filename(dir, "cur", NULL);
	char *new = g_build_filename(dir, "new", NULL);
	bool yes = is_dir(cur) || is_dir(new);

	g_free(cur);
	g_free(new);
	return yes;
}

static void add_item(struct us_walk *w, const char *path, int folder)
{
	struct us_item item = { 0 };

	item.path = g_string_chunk_insert(w->strings, path);
	item.folder = folder;
	g_array_append_val(w->items, item);
}

/* The index of the Maildir folder DIR in w->folders, added if new. */
static int folder_of(struct us_walk *w, const char *dir)
{
	gpointer found;

	if (g_hash_table_lookup_extended(w->folder_index, dir, NULL, &found))
		return GPOINTER_TO_INT(found);

	struct us_folder *f = g_new(struct us_folder, 1);
	char *marker = g_build_filename(dir, "maildirfolder", NULL);
	int index = (int)w->folders->len;

	f->dir = g_strdup(dir);
	f->root = g_file_test(marker, G_FILE_TEST_EXISTS) ? g_path_get_dirname(dir) : g_strdup(dir);
	g_free(marker);
	g_ptr_array_add(w->folders, f);
	g_hash_table_insert(w->folder_index, g_strdup(dir), GINT_TO_POINTER(index));
	return index;
}

/* The folder of a message file PATH named on its own: its Maildir folder
 * if it lies in the cur/ or new/ of one, else -1. */
static int folder_of_file(struct us_walk *w, const char *path)
{
	char *sub = g_path_get_dirname(path);
	char *subname = g_path_get_basename(sub);
	char *dir = g_path_get_dirname(sub);
	int index = -1;

	if ((strcmp(subname, "cur") == 0 || strcmp(subname, "new") == 0)) {
		gpointer found;
		if (g_hash_table_lookup_extended(w->folder_index, dir, NULL, &found))
			index = GPOINTER_TO_INT(found);
		else if (is_maildir(dir))
			index = folder_of(w, dir);
	}
	g_free(dir);
	g_free(subname);
	g_free(sub);
	return index;
}

/* Every message in DIR/cur and DIR/new. */
static void add_maildir_folder(struct us_walk *w, const char *dir)
{
	static const char *const subdirs[] = { "cur", "new" };
	int index = folder_of(w, dir);

	for (size_t s = 0; s < G_N_ELEMENTS(subdirs); s++) {
		char *sub = g_build_filename(dir, subdirs[s], NULL);
		if (is_dir(sub)) {
			GPtrArray *names = list_dir(w, sub, true);
			for (guint i = 0; names && i < names->len; i++) {
				char *path = g_build_filename(sub, (char *)g_ptr_array_index(names, i), NULL);
				add_item(w, path, index);
				g_free(path);
			}
			if (names)
				g_ptr_array_unref(names);
		}
		g_free(sub);
	}
}

/* A Maildir, and with -R its Maildir++ sub-folders. */
static void add_maildir(struct us_walk *w, const char *dir)
{
	add_maildir_folder(w, dir);
	if (!w->recursive)
		return;
	GPtrArray *names = list_dir(w, dir, false);
	for (guint i = 0; names && i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		if (name[0] != '.' || name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))
			continue;
		char *sub = g_build_filename(dir, name, NULL);
		if (is_maildir(sub))
			add_maildir_folder(w, sub);
		g_free(sub);
	}
	if (names)
		g_ptr_array_unref(names);
}

/* An mbox file: one item per message, its bytes mapped. FD is open on it. */
static bool add_mbox(struct us_walk *w, const char *path, int fd, goffset size)
{
	GError *error = NULL;
	GMappedFile *map = g_mapped_file_new_from_fd(fd, FALSE, &error);
	GArray *spans;

	if (map == NULL) {
		report(w, path, error->message);
		g_error_free(error);
		return false;
	}
	spans = g_array_new(FALSE, FALSE, sizeof(struct us_mbox_span));
	const char *base = g_mapped_file_get_contents(map);
	us_mbox_split(fd, base, size, spans);
	const char *stored = g_string_chunk_insert(w->strings, path);
	for (guint i = 0; i < spans->len; i++) {
		const struct us_mbox_span *s = &g_array_index(spans, struct us_mbox_span, i);
		struct us_item item = { 0 };
		item.path = stored;
		item.folder = -1;
		item.mbox_index = i + 1;
		item.offset = s->offset;
		item.length = s->length;
		item.data = base + s->offset;
		g_array_append_val(w->items, item);
	}
	if (spans->len == 0)
		report(w, path, "no message found in this mbox");
	g_array_unref(spans);
	g_ptr_array_add(w->maps, map);
	return true;
}

/* A file named by the user: an mbox if it starts like one, else one message. */
static void add_file(struct us_walk *w, const char *path, const struct stat *st)
{
	char head[5];
	int fd;

	if (w->no_mbox || st->st_size < 5 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* An unreadable file is reported when its turn comes. */
		add_item(w, path, folder_of_file(w, path));
		return;
	}
	if (read(fd, head, sizeof head) == (ssize_t)sizeof head && us_mbox_sniff(head, sizeof head)
	    && lseek(fd, 0, SEEK_SET) == 0)
		add_mbox(w, path, fd, st->st_size);
	else
		add_item(w, path, folder_of_file(w, path));
	close(fd);
}

/* With -R, a directory that is not a Maildir: its Maildirs and files. */
static void add_tree(struct us_walk *w, const char *dir)
{
	GPtrArray *names = list_dir(w, dir, true);

	for (guint i = 0; names && i < names->len; i++) {
		char *path = g_build_filename(dir, (char *)g_ptr_array_index(names, i), NULL);
		struct stat lst, st;

		if (lstat(path, &lst) != 0) {
			report(w, path, g_strerror(errno));
		} else if (S_ISDIR(lst.st_mode)) {
			if (is_maildir(path))
				add_maildir(w, path);
			else
				add_tree(w, path);
		} else if (S_ISREG(lst.st_mode)) {
			add_item(w, path, -1);
		} else if (S_ISLNK(lst.st_mode)) {
			/* Links to directories are not followed (no loops);
			 * a dangling one is reported when its turn comes. */
			if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
				add_item(w, path, -1);
		}
		g_free(path);
	}
	if (names)
		g_ptr_array_unref(names);
}

void us_walk_path(struct us_walk *w, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		report(w, path, g_strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		if (is_maildir(path))
			add_maildir(w, path);
		else if (w->recursive)
			add_tree(w, path);
		else
			report(w, path, "not a Maildir (no cur/ or new/); use -R to search it");
	} else if (S_ISREG(st.st_mode)) {
		add_file(w, path, &st);
	} else {
		report(w, path, "not a file, Maildir or directory");
	}
}

void us_walk_list(struct us_walk *w, FILE *in, int delim)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t len;

	while ((len = getdelim(&line, &size, delim, in)) > 0) {
		if (line[len - 1] == delim)
			line[--len] = '\0';
		if (len > 0)
			us_walk_path(w, line);
	}
	if (ferror(in))
		report(w, "-", g_strerror(errno));
	free(line);
}
