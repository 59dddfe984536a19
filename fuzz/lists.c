/* fuzz/lists.c - the list files: the input as a text list
 * (us_list_parse_text), written as a CDB (us_list_write) and read back
 * (us_list_open, us_list_count, us_list_contains, us_list_read_all) with
 * every entry found; the input as a CDB file itself, however broken; and
 * as a Message-ID value (us_list_msgids) and an address (us_list_address_key).
 * FUZZ-SEEDS: $TOP/fuzz/seeds/lists
 * FUZZ-OPTIONS: -max_len=8192 */
#include <string.h>
#include <unistd.h>
#include "lists.h"
#include "fuzz.h"

static char *dir;

static void remove_dir(void)
{
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* In memory where there is /dev/shm: every write is fsync'ed. */
	char *tmpl = g_build_filename(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir(),
				      "unscatter-fuzz-XXXXXX", NULL);
	dir = g_mkdtemp(tmpl);
	FUZZ_ASSERT(dir != NULL);
	atexit(remove_dir);
	return 0;
}

static void add_entry(const char *entry, size_t len, void *data)
{
	FUZZ_ASSERT(len > 0 && entry[0] != '#');
	FUZZ_ASSERT(!g_ascii_isspace(entry[0]) && !g_ascii_isspace(entry[len - 1]));
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT((unsigned char)entry[i] >= 0x20 && entry[i] != 0x7f);
	g_hash_table_replace(data, g_strndup(entry, len), g_strdup(""));
}

static void text_list(const uint8_t *data, size_t size)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	char *path = g_build_filename(dir, "list.cdb", NULL);
	GError *error = NULL;

	us_list_parse_text((const char *)data, size, add_entry, t);
	FUZZ_ASSERT(us_list_write(path, t, &error));
	struct us_list *list = us_list_open(path, &error);
	FUZZ_ASSERT(list != NULL);
	FUZZ_ASSERT(us_list_count(list) == g_hash_table_size(t));
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &key, NULL))
		FUZZ_ASSERT(us_list_contains(list, key, strlen(key)));
	us_list_free(list);
	GHashTable *back = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	FUZZ_ASSERT(us_list_read_all(path, back, &error));
	FUZZ_ASSERT(g_hash_table_size(back) == g_hash_table_size(t));
	g_hash_table_unref(back);
	g_hash_table_unref(t);
	unlink(path);
	g_free(path);
}

static void raw_cdb(const uint8_t *data, size_t size)
{
	char *path = g_build_filename(dir, "raw.cdb", NULL);
	GError *error = NULL;

	FUZZ_ASSERT(g_file_set_contents(path, (const char *)data, (gssize)size, NULL));
	struct us_list *list = us_list_open(path, &error);
	if (list == NULL) {
		FUZZ_ASSERT(error && g_str_has_prefix(error->message, path));
		g_error_free(error);
	} else {
		(void)us_list_count(list);
		(void)us_list_contains(list, "user@example.com", 16);
		(void)us_list_contains(list, (const char *)data, size < 64 ? size : 64);
		us_list_free(list);
		GHashTable *all = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		if (!us_list_read_all(path, all, &error))
			g_clear_error(&error);
		g_hash_table_unref(all);
	}
	unlink(path);
	g_free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	text_list(data, size);
	raw_cdb(data, size);

	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	unsigned n = us_list_msgids((const char *)data, size, ids);
	FUZZ_ASSERT(n == ids->len);
	for (guint i = 0; i < ids->len; i++)
		FUZZ_ASSERT(*(char *)g_ptr_array_index(ids, i) != '\0');
	g_ptr_array_unref(ids);

	char *address = fuzz_strndup(data, size);
	char *key = us_list_address_key(address);
	if (key != NULL) {
		FUZZ_ASSERT(strchr(key, '@') != NULL);
		for (const char *p = key; *p; p++)
			FUZZ_ASSERT((unsigned char)*p > ' ' && !g_ascii_isupper(*p));
		g_free(key);
	}
	g_free(address);
	return 0;
}
