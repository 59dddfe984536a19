/* refile.c - per-class Maildir++ folders and split copies (see refile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "refile.h"

#define REFILE_ERROR g_quark_from_static_string("unscatter-refile")

const char *us_refile_default_folder(enum us_class klass)
{
	static const char *const folders[US_CLASS_COUNT] = {
		[US_CLASS_BACKSCATTER] = ".Backscatter",
		[US_CLASS_ORDINARY] = NULL,
		[US_CLASS_BOUNCE] = ".Bounces",
		[US_CLASS_AUTOREPLY] = ".AutoReplies",
		[US_CLASS_CHALLENGE] = ".Challenges",
		[US_CLASS_VIRUS] = ".VirusNotices",
		[US_CLASS_FEEDBACK] = ".Feedback",
	};
	return klass < US_CLASS_COUNT ? folders[klass] : NULL;
}

bool us_refile_folder_valid(const char *name)
{
	return name[0] == '.' && name[1] != '\0' && strcmp(name, "..") != 0 && !strchr(name, '/');
}

struct us_refile {
	char *folders[US_CLASS_COUNT];
	bool dry_run;
	GHashTable *ready;	/* folder paths known to exist with cur/ new/ tmp/ */
};

struct us_refile *us_refile_new(const char *const folders[US_CLASS_COUNT], bool dry_run)
{
	struct us_refile *r = g_new0(struct us_refile, 1);

	for (int c = 0; c < US_CLASS_COUNT; c++)
		r->folders[c] = folders[c] && folders[c][0] ? g_strdup(folders[c]) : NULL;
	r->dry_run = dry_run;
	r->ready = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return r;
}

void us_refile_free(struct us_refile *r)
{
	if (r == NULL)
		return;
	for (int c = 0; c < US_CLASS_COUNT; c++)
		g_free(r->folders[c]);
	g_hash_table_unref(r->ready);
	g_free(r);
}

static bool make_dir(const char *path, GError **error)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return true;
	g_set_error(error, REFILE_ERROR, errno, "%s: %s", path, g_strerror(errno));
	return false;
}

/* A Maildir at DIR: cur/, new/, tmp/; with MARKER also the Maildir++
 * "maildirfolder" file. */
static bool make_maildir(GHashTable *ready, const char *dir, bool marker, GError **error)
{
	static const char *const subdirs[] = { "cur", "new", "tmp" };
	bool ok;

	if (g_hash_table_contains(ready, dir))
		return true;
	ok = make_dir(dir, error);
	for (size_t i = 0; ok && i < G_N_ELEMENTS(subdirs); i++) {
		char *sub = g_build_filename(dir, subdirs[i], NULL);
		ok = make_dir(sub, error);
		g_free(sub);
	}
	if (ok && marker) {
		char *path = g_build_filename(dir, "maildirfolder", NULL);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			g_set_error(error, REFILE_ERROR, errno, "%s: %s", path, g_strerror(errno));
			ok = false;
		} else {
			close(fd);
		}
		g_free(path);
	}
	if (ok)
		g_hash_table_add(ready, g_strdup(dir));
	return ok;
}

/* rename(2) that never replaces an existing file. */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	/* No RENAME_NOREPLACE here: check first (a race only with another
	 * program creating the very same unique Maildir name). */
	struct stat st;
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

bool us_refile_move(struct us_refile *r, const struct us_folder *folder, const char *path,
		    enum us_class klass, char **dest, GError **error)
{
	const char *name = klass < US_CLASS_COUNT ? r->folders[klass] : NULL;
	char *target, *sub, *subname, *base, *to;
	bool ok = true;

	*dest = NULL;
	if (name == NULL)
		return true;
	target = g_build_filename(folder->root, name, NULL);
	if (strcmp(target, folder->dir) == 0) {
		g_free(target);
		return true;	/* already in its folder */
	}
	sub = g_path_get_dirname(path);
	subname = g_path_get_basename(sub);
	base = g_path_get_basename(path);
	to = g_build_filename(target, subname, base, NULL);
	if (!r->dry_run) {
		ok = make_maildir(r->ready, target, true, error);
		if (ok && rename_noreplace(path, to) != 0) {
			g_set_error(error, REFILE_ERROR, errno, "cannot move to %s: %s", to,
				    g_strerror(errno));
			ok = false;
		}
	}
	if (ok)
		*dest = to;
	else
		g_free(to);
	g_free(base);
	g_free(subname);
	g_free(sub);
	g_free(target);
	return ok;
}

/* ---- split copies ---- */

struct us_split {
	char *dir;
	enum us_split_format format;
	bool dry_run;
	int fds[US_CLASS_COUNT];	/* mbox outputs, -1 until opened */
	GHashTable *ready;
	guint serial;
};

struct us_split *us_split_new(const char *dir, enum us_split_format format, bool dry_run)
{
	struct us_split *s = g_new0(struct us_split, 1);

	s->dir = g_strdup(dir);
	s->format = format;
	s->dry_run = dry_run;
	for (int c = 0; c < US_CLASS_COUNT; c++)
		s->fds[c] = -1;
	s->ready = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return s;
}

bool us_split_free(struct us_split *s, GError **error)
{
	bool ok = true;

	if (s == NULL)
		return true;
	for (int c = 0; c < US_CLASS_COUNT; c++) {
		if (s->fds[c] >= 0 && close(s->fds[c]) != 0 && ok) {
			g_set_error(error, REFILE_ERROR, errno, "%s/%s: %s", s->dir,
				    us_class_name((enum us_class)c), g_strerror(errno));
			ok = false;
		}
	}
	g_hash_table_unref(s->ready);
	g_free(s->dir);
	g_free(s);
	return ok;
}

static bool write_all(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (gsize)n;
	}
	return true;
}

/* DATA as an mbox entry: a "From " line if it has none, body lines that
 * begin with ">*From " quoted once more, and a blank line at the end. */
static GString *mbox_entry(const char *data, gsize len)
{
	GString *out = g_string_sized_new(len + 128);
	gsize i = 0;

	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		/* Framed by an mbox already: copied as it is. */
		g_string_append_len(out, data, (gssize)len);
	} else {
		time_t now = time(NULL);
		char date[32];
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
		g_string_append_printf(out, "From MAILER-DAEMON %s\n", date);
		while (i < len) {
			const char *eol = memchr(data + i, '\n', len - i);
			gsize end = eol ? (gsize)(eol - data) + 1 : len;
			gsize j = i;
			while (j < end && data[j] == '>')
				j++;
			if (end - j >= 5 && memcmp(data + j, "From ", 5) == 0)
				g_string_append_c(out, '>');
			g_string_append_len(out, data + i, (gssize)(end - i));
			i = end;
		}
	}
	if (out->len == 0 || out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
	if (out->len < 2 || out->str[out->len - 2] != '\n')
		g_string_append_c(out, '\n');
	return out;
}

static bool split_mbox(struct us_split *s, const char *data, gsize len, enum us_class klass,
		       char **dest, GError **error)
{
	char *path = g_build_filename(s->dir, us_class_name(klass), NULL);
	bool ok = true;

	if (!s->dry_run) {
		if (s->fds[klass] < 0 && make_dir(s->dir, error)) {
			s->fds[klass] = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
			if (s->fds[klass] < 0)
				g_set_error(error, REFILE_ERROR, errno, "%s: %s", path, g_strerror(errno));
		}
		if (s->fds[klass] < 0) {
			ok = false;
		} else {
			GString *entry = mbox_entry(data, len);
			if (!write_all(s->fds[klass], entry->str, entry->len)) {
				g_set_error(error, REFILE_ERROR, errno, "%s: %s", path, g_strerror(errno));
				ok = false;
			}
			g_string_free(entry, TRUE);
		}
	}
	if (ok)
		*dest = path;
	else
		g_free(path);
	return ok;
}

static bool split_maildir(struct us_split *s, const struct us_item *item, const char *data,
			  gsize len, enum us_class klass, char **dest, GError **error)
{
	char *box = g_build_filename(s->dir, us_class_name(klass), NULL);
	char *name, *tmp, *to;
	bool ok = true;

	/* A message from a Maildir keeps its name (flags); others get a new one. */
	if (item->folder >= 0 && item->mbox_index == 0) {
		name = g_path_get_basename(item->path);
	} else {
		char host[256] = "localhost";
		gethostname(host, sizeof host - 1);
		host[sizeof host - 1] = '\0';
		for (char *p = host; *p; p++)
			if (*p == '/' || *p == ':')
				*p = '_';
		name = g_strdup_printf("%lld.P%dQ%u.%s", (long long)time(NULL), (int)getpid(),
				       ++s->serial, host);
	}
	tmp = g_build_filename(box, "tmp", name, NULL);
	to = g_build_filename(box, item->folder >= 0 && item->mbox_index == 0 ? "cur" : "new",
			      name, NULL);
	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		const char *eol = memchr(data, '\n', len);
		gsize skip = eol ? (gsize)(eol - data) + 1 : len;
		data += skip;
		len -= skip;
	}
	if (!s->dry_run) {
		ok = make_dir(s->dir, error) && make_maildir(s->ready, box, false, error);
		int fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
		if (ok && fd < 0) {
			g_set_error(error, REFILE_ERROR, errno, "%s: %s", tmp, g_strerror(errno));
			ok = false;
		}
		if (fd >= 0) {
			if (!write_all(fd, data, len) || fsync(fd) != 0) {
				g_set_error(error, REFILE_ERROR, errno, "%s: %s", tmp, g_strerror(errno));
				ok = false;
			}
			if (close(fd) != 0 && ok) {
				g_set_error(error, REFILE_ERROR, errno, "%s: %s", tmp, g_strerror(errno));
				ok = false;
			}
			if (ok && rename_noreplace(tmp, to) != 0) {
				g_set_error(error, REFILE_ERROR, errno, "%s: %s", to, g_strerror(errno));
				ok = false;
			}
			if (!ok)
				unlink(tmp);
		}
	}
	if (ok)
		*dest = to;
	else
		g_free(to);
	g_free(tmp);
	g_free(name);
	g_free(box);
	return ok;
}

bool us_split_write(struct us_split *s, const struct us_item *item, const char *data, gsize len,
		    enum us_class klass, char **dest, GError **error)
{
	*dest = NULL;
	if (s->format == US_SPLIT_MAILDIR)
		return split_maildir(s, item, data, len, klass, dest, error);
	return split_mbox(s, data, len, klass, dest, error);
}
