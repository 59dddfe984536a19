/* rulecache.c - where the rule cache lives, reading it, and writing it
 * atomically (rulecache.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cdb.h>
#include <glib/gstdio.h>
#include "rulecache.h"

#define CACHE_NAME ".unscatter-rules.cache"

struct us_rulecache {
	int fd;
	struct cdb cdb;
};

struct us_rulecache_writer {
	int fd;
	char *tmp;		/* the temporary file */
	char *path;		/* where it goes */
	struct cdb_make make;
	guint64 pos;		/* where the next record starts (CDB: after 2048 bytes, in order) */
	bool failed;
};

/* The cache in DIR itself. */
static char *path_in_dir(const char *dir)
{
	return g_build_filename(dir, CACHE_NAME, NULL);
}

/* The per-user cache of DIR (whose absolute name is ABS), or NULL when
 * there is no home for it. The name hashes ABS; its record "d" holds
 * ABS, so that a collision reads as stale, never as the wrong rules. */
static char *path_in_home(const char *abs)
{
	const char *base = g_getenv("XDG_CACHE_HOME");
	char *home_cache = NULL, *name, *path;

	if (base == NULL || *base != '/') {
		const char *home = g_getenv("HOME");
		if (home == NULL || *home != '/')
			return NULL;
		base = home_cache = g_build_filename(home, ".cache", NULL);
	}
	name = g_strdup_printf("rules-%08x%08x.cdb", g_str_hash(abs), g_str_hash(abs + strlen(abs) / 2));
	path = g_build_filename(base, "unscatter", name, NULL);
	g_free(name);
	g_free(home_cache);
	return path;
}

/* The cache at PATH if its header is HEADER (and, if ABS is not NULL,
 * its record "d" is ABS), else NULL. */
static struct us_rulecache *open_path(const char *path, const char *header, size_t len,
				      const char *abs)
{
	struct us_rulecache *c;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	c = g_new0(struct us_rulecache, 1);
	c->fd = fd;
	if (cdb_init(&c->cdb, fd) == 0) {
		size_t have;
		const void *h = us_rulecache_get(c, "h", 1, &have);
		bool fresh = h != NULL && have == len && memcmp(h, header, len) == 0;
		if (fresh && abs != NULL) {
			const void *d = us_rulecache_get(c, "d", 1, &have);
			fresh = d != NULL && have == strlen(abs) && memcmp(d, abs, have) == 0;
		}
		if (fresh)
			return c;
		cdb_free(&c->cdb);
	}
	close(fd);
	g_free(c);
	return NULL;
}

struct us_rulecache *us_rulecache_open(const char *dir, const char *header, size_t len)
{
	char *path = path_in_dir(dir);
	struct us_rulecache *c = open_path(path, header, len, NULL);

	g_free(path);
	if (c == NULL) {
		char *abs = g_canonicalize_filename(dir, NULL);
		if ((path = path_in_home(abs)) != NULL)
			c = open_path(path, header, len, abs);
		g_free(path);
		g_free(abs);
	}
	return c;
}

void us_rulecache_close(struct us_rulecache *c)
{
	if (c == NULL)
		return;
	cdb_free(&c->cdb);
	close(c->fd);
	g_free(c);
}

const void *us_rulecache_get(struct us_rulecache *c, const void *key, size_t klen, size_t *len)
{
	if (klen > G_MAXUINT || cdb_find(&c->cdb, key, (unsigned)klen) <= 0)
		return NULL;
	*len = cdb_datalen(&c->cdb);
	return cdb_getdata(&c->cdb);
}

const void *us_rulecache_get_aligned(struct us_rulecache *c, const void *key, size_t klen,
				     size_t *len)
{
	const guint8 *data = us_rulecache_get(c, key, klen, len);

	if (data == NULL || *len < 1 || data[0] > 3 || *len < 1u + data[0])
		return NULL;
	*len -= 1u + data[0];
	return data + 1 + data[0];
}

/* A writer for a new cache at PATH, or NULL. */
static struct us_rulecache_writer *create_at(const char *path)
{
	struct us_rulecache_writer *w = g_new0(struct us_rulecache_writer, 1);

	w->path = g_strdup(path);
	w->tmp = g_strconcat(path, ".XXXXXX", NULL);
	w->fd = g_mkstemp_full(w->tmp, O_RDWR | O_CLOEXEC, 0644);
	w->pos = 2048;
	if (w->fd < 0 || cdb_make_start(&w->make, w->fd) != 0) {
		if (w->fd >= 0) {
			close(w->fd);
			g_unlink(w->tmp);
		}
		g_free(w->tmp);
		g_free(w->path);
		g_free(w);
		return NULL;
	}
	return w;
}

/* Whether a new cache can be put at PATH: nothing there but a file. */
static bool replaceable(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? S_ISREG(st.st_mode) : errno == ENOENT;
}

struct us_rulecache_writer *us_rulecache_create(const char *dir)
{
	char *path = path_in_dir(dir);
	struct us_rulecache_writer *w = replaceable(path) ? create_at(path) : NULL;

	g_free(path);
	if (w == NULL) {
		char *abs = g_canonicalize_filename(dir, NULL);
		if ((path = path_in_home(abs)) != NULL) {
			char *folder = g_path_get_dirname(path);
			if (g_mkdir_with_parents(folder, 0700) == 0 && (w = create_at(path)) != NULL)
				us_rulecache_add(w, "d", 1, abs, strlen(abs));
			g_free(folder);
			g_free(path);
		}
		g_free(abs);
	}
	return w;
}

void us_rulecache_add(struct us_rulecache_writer *w, const void *key, size_t klen,
		      const void *data, size_t len)
{
	if (w->failed || klen > G_MAXUINT || len > G_MAXUINT ||
	    cdb_make_add(&w->make, key, (unsigned)klen, data, (unsigned)len) != 0)
		w->failed = true;
	/* A record is two 32-bit lengths, the key and the data. */
	w->pos += 8 + klen + len;
}

/* Aligned records: one byte N (0-3), N zero bytes, then the data,
 * which thus starts 4-aligned in the file, and so in the mapping. */
void us_rulecache_add_aligned(struct us_rulecache_writer *w, const void *key, size_t klen,
			      const void *data, size_t len)
{
	guint8 *buf = g_malloc(len + 4);
	guint pad = (guint)((4 - (w->pos + 8 + klen + 1) % 4) % 4);

	buf[0] = (guint8)pad;
	memset(buf + 1, 0, pad);
	memcpy(buf + 1 + pad, data, len);
	us_rulecache_add(w, key, klen, buf, len + 1 + pad);
	g_free(buf);
}

static void writer_free(struct us_rulecache_writer *w)
{
	g_free(w->tmp);
	g_free(w->path);
	g_free(w);
}

void us_rulecache_abandon(struct us_rulecache_writer *w)
{
	if (w == NULL)
		return;
	/* Finishing is tinycdb's only way to free what it holds. */
	cdb_make_finish(&w->make);
	close(w->fd);
	g_unlink(w->tmp);
	writer_free(w);
}

bool us_rulecache_commit(struct us_rulecache_writer *w, const char *header, size_t len)
{
	bool ok;

	us_rulecache_add(w, "h", 1, header, len);
	ok = cdb_make_finish(&w->make) == 0 && !w->failed;
	ok = close(w->fd) == 0 && ok;
	ok = ok && rename(w->tmp, w->path) == 0;
	if (!ok)
		g_unlink(w->tmp);
	writer_free(w);
	return ok;
}

void us_rulecache_put32(GByteArray *b, guint32 v)
{
	g_byte_array_append(b, (const guint8 *)&v, sizeof v);
}

void us_rulecache_put_string(GByteArray *b, const char *str)
{
	g_byte_array_append(b, (const guint8 *)str, (guint)strlen(str) + 1);
}

bool us_rulecache_read(struct us_rulecache *c, const void *key, size_t klen,
		       struct us_rulecache_reader *rd)
{
	size_t len = 0;

	rd->p = us_rulecache_get(c, key, klen, &len);
	rd->end = rd->p + len;
	rd->bad = rd->p == NULL;
	return !rd->bad;
}
