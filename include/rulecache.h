/* rulecache.h - the file behind the rules engine's cache: a CDB of
 * pre-analysed rules, never needed for correctness.
 *
 * For a rule directory DIR the cache is DIR/.unscatter-rules.cache,
 * or, when that cannot be used, $XDG_CACHE_HOME/unscatter/ (default
 * ~/.cache/unscatter/) "rules-" + a hash of DIR's absolute name (which
 * its record "d" holds). Its record "h" holds a header that names the
 * program's cache format and every rule file with its size and
 * modification time; a cache whose header differs is stale and is
 * ignored. The cache in DIR does not name DIR, so it stays valid when
 * the folder is moved (make install DESTDIR=..., a package). It is written
 * to a temporary file in the same folder and renamed into place, so a
 * reader sees a whole old or a whole new cache, never a partial one.
 * Whatever goes wrong (missing, stale, truncated, unwritable) means
 * only that the rules are parsed from their files.
 *
 * Ownership: rules.c opens, checks and writes the cache; the records'
 * layout is its own, but for those whose keys start with "R", which
 * reasons.c writes and reads (the reason tables, reasons.h). */
#ifndef UNSCATTER_RULECACHE_H
#define UNSCATTER_RULECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <glib.h>

struct us_rulecache;

/* The first fresh cache of DIR whose header is HEADER (LEN bytes), or
 * NULL (none, stale or unreadable). */
struct us_rulecache *us_rulecache_open(const char *dir, const char *header, size_t len);
void us_rulecache_close(struct us_rulecache *c);

/* Data of record KEY (KLEN bytes): a pointer into the cache (valid
 * until it is closed, not aligned) and its length; NULL when there is
 * no such record or the file is damaged there. */
const void *us_rulecache_get(struct us_rulecache *c, const void *key, size_t klen, size_t *len);

/* The same for a record added by us_rulecache_add_aligned(): its data
 * then starts at a multiple of 4 bytes from the start of the mapping,
 * so it can be read in place as 32-bit numbers. */
const void *us_rulecache_get_aligned(struct us_rulecache *c, const void *key, size_t klen,
				     size_t *len);

/* Writing: a new cache for DIR, or NULL if neither place is writable. */
struct us_rulecache_writer;
struct us_rulecache_writer *us_rulecache_create(const char *dir);
void us_rulecache_add(struct us_rulecache_writer *w, const void *key, size_t klen,
		      const void *data, size_t len);
void us_rulecache_add_aligned(struct us_rulecache_writer *w, const void *key, size_t klen,
			      const void *data, size_t len);
/* Writes record "h" = HEADER, then puts the cache in place; false (and
 * nothing left behind) if that failed. Frees W either way. */
bool us_rulecache_commit(struct us_rulecache_writer *w, const char *header, size_t len);
/* Drops W without putting anything in place. */
void us_rulecache_abandon(struct us_rulecache_writer *w);

/* Records are built and read with these: 32-bit numbers in this
 * machine's order, strings NUL-terminated. */
void us_rulecache_put32(GByteArray *b, guint32 v);
void us_rulecache_put_string(GByteArray *b, const char *str);

/* A cursor over a record that turns BAD rather than read past END. */
struct us_rulecache_reader {
	const guchar *p, *end;
	bool bad;
};

/* Sets RD on record KEY (KLEN bytes) of C; false (RD bad) if there is none. */
bool us_rulecache_read(struct us_rulecache *c, const void *key, size_t klen,
		       struct us_rulecache_reader *rd);

/* The readers are inline: a run reads a few thousand numbers and strings. */
static inline guint32 us_rulecache_get32(struct us_rulecache_reader *rd)
{
	guint32 v = 0;

	if (rd->bad || (size_t)(rd->end - rd->p) < sizeof v) {
		rd->bad = true;
		return 0;
	}
	memcpy(&v, rd->p, sizeof v);
	rd->p += sizeof v;
	return v;
}

/* A NUL-terminated string in place ("" when bad). */
static inline const char *us_rulecache_get_string(struct us_rulecache_reader *rd)
{
	const guchar *nul;

	if (rd->bad || (nul = memchr(rd->p, '\0', (size_t)(rd->end - rd->p))) == NULL) {
		rd->bad = true;
		return "";
	}
	const char *str = (const char *)rd->p;
	rd->p = nul + 1;
	return str;
}

/* N 32-bit numbers in place (unaligned: read them with us_rulecache_at). */
static inline const guchar *us_rulecache_get_array(struct us_rulecache_reader *rd, guint32 n)
{
	const guchar *at = rd->p;

	if (rd->bad || n > (size_t)(rd->end - rd->p) / sizeof(guint32)) {
		rd->bad = true;
		return NULL;
	}
	rd->p += (size_t)n * sizeof(guint32);
	return at;
}

static inline guint32 us_rulecache_at(const guchar *array, guint i)
{
	guint32 v;

	memcpy(&v, array + (size_t)i * sizeof v, sizeof v);
	return v;
}

#endif
