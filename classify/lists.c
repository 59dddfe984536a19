/* lists.c - tinycdb lists: open, look up, read whole, write atomically; text lists. */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batv.h"
#include "lists.h"

#define LISTS_ERROR g_quark_from_static_string("unscatter-lists")

struct us_list {
	char *path;
	int fd;
	struct cdb cdb;
};

/* Count the entries that are not bookkeeping. */
static unsigned count_entries(struct cdb *cdb)
{
	unsigned pos, n = 0;

	cdb_seqinit(&pos, cdb);
	while (cdb_seqnext(&pos, cdb) > 0) {
		const char *k = cdb_getkey(cdb);
		if (cdb_keylen(cdb) == 0 || k == NULL || *k != US_LIST_META)
			n++;
	}
	return n;
}

/* Does every hash table the CDB header points at lie inside the file?
 * tinycdb takes any file of 2048 bytes or more; a text list given where
 * its CDB should be would silently never match. */
static bool cdb_header_valid(struct cdb *cdb)
{
	const unsigned char *hdr = cdb_get(cdb, 2048, 0);

	if (hdr == NULL)
		return false;
	for (unsigned i = 0; i < 256; i++) {
		unsigned pos = cdb_unpack(hdr + 8 * i), slots = cdb_unpack(hdr + 8 * i + 4);
		if (pos < 2048 || slots > G_MAXUINT / 8 || cdb_get(cdb, slots * 8, pos) == NULL)
			return false;
	}
	return true;
}

struct us_list *us_list_open(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct us_list *list;

	if (fd < 0) {
		g_set_error(error, LISTS_ERROR, 1, "%s: %s", path, g_strerror(errno));
		return NULL;
	}
	list = g_new0(struct us_list, 1);
	if (cdb_init(&list->cdb, fd) != 0) {
		/* tinycdb rejects files too short for the 2048-byte table. */
		g_set_error(error, LISTS_ERROR, 2, "%s: not a CDB file (%s)", path,
			    errno ? g_strerror(errno) : "bad format");
		close(fd);
		g_free(list);
		return NULL;
	}
	if (!cdb_header_valid(&list->cdb)) {
		g_set_error(error, LISTS_ERROR, 2, "%s: not a CDB file (bad header)", path);
		cdb_free(&list->cdb);
		close(fd);
		g_free(list);
		return NULL;
	}
	list->fd = fd;
	list->path = g_strdup(path);
	return list;
}

void us_list_free(struct us_list *list)
{
	if (list == NULL)
		return;
	cdb_free(&list->cdb);
	close(list->fd);
	g_free(list->path);
	g_free(list);
}

const char *us_list_path(const struct us_list *list)
{
	return list->path;
}

unsigned us_list_count(const struct us_list *list)
{
	return count_entries((struct cdb *)&list->cdb);
}

bool us_list_contains(const struct us_list *list, const char *key, size_t len)
{
	if (list == NULL || len == 0 || len > 0xffffu || key[0] == US_LIST_META)
		return false;
	/* cdb_find only reads through the struct (it records the position found). */
	return cdb_find((struct cdb *)&list->cdb, key, (unsigned)len) > 0;
}

bool us_list_read_all(const char *path, GHashTable *table, GError **error)
{
	struct us_list *list;
	GError *io = NULL;
	unsigned pos;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return true;
	list = us_list_open(path, &io);
	if (list == NULL) {
		g_propagate_error(error, io);
		return false;
	}
	cdb_seqinit(&pos, &list->cdb);
	while (cdb_seqnext(&pos, &list->cdb) > 0) {
		const char *k = cdb_getkey(&list->cdb);
		const char *v = cdb_getdata(&list->cdb);
		if (k == NULL || v == NULL)
			continue;
		g_hash_table_replace(table, g_strndup(k, cdb_keylen(&list->cdb)),
				     g_strndup(v, cdb_datalen(&list->cdb)));
	}
	us_list_free(list);
	return true;
}

static int compare_keys(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool us_list_write(const char *path, GHashTable *table, GError **error)
{
	char *dir = g_path_get_dirname(path);
	char *base = g_path_get_basename(path);
	char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
	struct cdb_make mk;
	int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644);
	bool ok = false;

	g_free(dir);
	g_free(base);
	if (fd < 0) {
		g_set_error(error, LISTS_ERROR, 3, "%s: cannot create a temporary file: %s",
			    path, g_strerror(errno));
		g_free(tmp);
		return false;
	}
	/* Sorted, so that the same entries always give the same file. */
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer k0;
	g_hash_table_iter_init(&it, table);
	while (g_hash_table_iter_next(&it, &k0, NULL))
		g_ptr_array_add(keys, k0);
	g_ptr_array_sort(keys, compare_keys);
	if (cdb_make_start(&mk, fd) != 0)
		goto fail;
	for (guint i = 0; i < keys->len; i++) {
		const char *k = g_ptr_array_index(keys, i);
		const char *v = g_hash_table_lookup(table, k);
		if (!v)
			v = "";
		if (cdb_make_add(&mk, k, (unsigned)strlen(k), v, (unsigned)strlen(v)) != 0)
			goto fail;
	}
	if (cdb_make_finish(&mk) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	ok = true;
fail:
	if (!ok) {
		g_set_error(error, LISTS_ERROR, 4, "%s: writing failed: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
	g_ptr_array_unref(keys);
	g_free(tmp);
	return ok;
}

unsigned us_list_parse_text(const char *text, size_t len, us_list_entry_fn fn, void *data)
{
	const char *p = text, *end = text + len;
	unsigned n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end;
		bool bad = false;

		p = nl ? nl + 1 : end;
		while (s < e && g_ascii_isspace(*s))
			s++;
		while (e > s && g_ascii_isspace(e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		for (const char *q = s; q < e; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				bad = true;
		if (bad)
			continue;
		fn(s, (size_t)(e - s), data);
		n++;
	}
	return n;
}

unsigned us_list_msgids(const char *value, size_t len, GPtrArray *out)
{
	const char *p = value, *end = value + len;
	unsigned n = 0;

	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (lt == NULL)
			break;
		const char *gt = memchr(lt + 1, '>', (size_t)(end - lt - 1));
		if (gt == NULL)
			break;
		/* "<a<b@c>": the id is after the last "<". */
		while (memchr(lt + 1, '<', (size_t)(gt - lt - 1)))
			lt = memchr(lt + 1, '<', (size_t)(gt - lt - 1));
		const char *s = lt + 1, *e = gt;
		while (s < e && g_ascii_isspace(*s))
			s++;
		while (e > s && g_ascii_isspace(e[-1]))
			e--;
		if (e > s && memchr(s, '\0', (size_t)(e - s)) == NULL) {
			g_ptr_array_add(out, g_strndup(s, (size_t)(e - s)));
			n++;
		}
		p = gt + 1;
	}
	if (n == 0) {
		/* Exim logs ids without brackets: accept one bare token with "@". */
		const char *s = value, *e = end;
		while (s < e && g_ascii_isspace(*s))
			s++;
		while (e > s && g_ascii_isspace(e[-1]))
			e--;
		bool token = e > s && memchr(s, '@', (size_t)(e - s)) != NULL;
		for (const char *q = s; token && q < e; q++)
			if ((unsigned char)*q <= ' ' || *q == '<' || *q == '>' || *q == 0x7f)
				token = false;
		if (token) {
			g_ptr_array_add(out, g_strndup(s, (size_t)(e - s)));
			n++;
		}
	}
	return n;
}

char *us_list_address_key(const char *address)
{
	const char *s = address, *e;
	struct us_batv_tag tag;

	while (g_ascii_isspace(*s) || *s == '<')
		s++;
	e = s + strlen(s);
	while (e > s && (g_ascii_isspace(e[-1]) || e[-1] == '>'))
		e--;
	const char *at = g_strrstr_len(s, e - s, "@");
	if (at == NULL || at == s || at + 1 == e)
		return NULL;
	for (const char *q = s; q < e; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f || *q == '<' || *q == '>')
			return NULL;
	if (us_batv_parse(s, (size_t)(at - s), &tag))
		s = tag.loc_core;
	return g_ascii_strdown(s, e - s);
}
