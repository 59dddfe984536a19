/* test-lists.c - CDB lists: atomic write, lookup, bookkeeping keys; text lists; Message-ID tokens. */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lists.h"
#include "tap.h"

static void collect(const char *entry, size_t len, void *data)
{
	g_ptr_array_add(data, g_strndup(entry, len));
}

int main(void)
{
	char *dir = g_dir_make_tmp("test-lists-XXXXXX", NULL);
	char *path = g_build_filename(dir, "ids.cdb", NULL);
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GError *error = NULL;
	struct us_list *list;

	ok(us_list_open(path, &error) == NULL && error && strstr(error->message, path), "missing CDB: error names it");
	g_clear_error(&error);
	ok(us_list_read_all(path, t, &error) && g_hash_table_size(t) == 0, "missing CDB reads as empty");

	g_hash_table_insert(t, g_strdup("abc@example.com"), g_strdup(""));
	g_hash_table_insert(t, g_strdup("def@example.com"), g_strdup(""));
	g_hash_table_insert(t, g_strdup("\001m:1234.abc"), g_strdup(""));
	ok(us_list_write(path, t, &error), "write a CDB");
	list = us_list_open(path, &error);
	ok(list != NULL, "open it");
	is_int(us_list_count(list), 2, "bookkeeping keys are not counted");
	ok(us_list_contains(list, "abc@example.com", 15), "lookup hit");
	ok(!us_list_contains(list, "abc@example.co", 14), "prefix is no hit");
	ok(!us_list_contains(list, "\001m:1234.abc", 11), "bookkeeping keys never match");
	ok(!us_list_contains(list, "", 0), "empty key never matches");
	ok(!us_list_contains(NULL, "abc@example.com", 15), "no list: no hit");

	/* Replace atomically while the old one is open: the old mapping stays valid. */
	struct stat before, after;
	stat(path, &before);
	g_hash_table_remove_all(t);
	g_hash_table_insert(t, g_strdup("xyz@example.com"), g_strdup(""));
	ok(us_list_write(path, t, &error), "rewrite");
	stat(path, &after);
	ok(before.st_ino != after.st_ino, "rewritten by rename (new inode)");
	ok(us_list_contains(list, "abc@example.com", 15), "an open list keeps reading the old file");
	us_list_free(list);
	GDir *d = g_dir_open(dir, 0, NULL);
	int files = 0;
	while (g_dir_read_name(d))
		files++;
	g_dir_close(d);
	is_int(files, 1, "no temporary file left behind");
	g_hash_table_remove_all(t);
	ok(us_list_read_all(path, t, &error) && g_hash_table_contains(t, "xyz@example.com") &&
	   g_hash_table_size(t) == 1, "read_all gives the new contents");

	char *junk = g_build_filename(dir, "junk.cdb", NULL);
	g_file_set_contents(junk, "not a cdb", -1, NULL);
	ok(us_list_open(junk, &error) == NULL && strstr(error->message, "not a CDB"), "a text file is not a CDB");
	g_clear_error(&error);
	{
		/* tinycdb itself takes any file of 2048 bytes or more. */
		GString *text = g_string_new(NULL);
		while (text->len < 4096)
			g_string_append(text, "# our senders, the text this list is made from\nalice@example.com\n");
		g_file_set_contents(junk, text->str, (gssize)text->len, NULL);
		g_string_free(text, TRUE);
		ok(us_list_open(junk, &error) == NULL && error && strstr(error->message, "not a CDB file (bad header)"),
		   "a text list of 4 KB given as the CDB is not a CDB");
		g_clear_error(&error);
	}
	char *nodir = g_build_filename(dir, "no", "such.cdb", NULL);
	ok(!us_list_write(nodir, t, &error) && error, "write into a missing folder fails");
	g_clear_error(&error);

	/* Text lists. */
	GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
	const char text[] = "# comment\n  alice@example.com  \r\n\nbob\n\tcarol@x.y\tz\nbad\001line\nlast";
	is_int(us_list_parse_text(text, sizeof text - 1, collect, got), 3,
	       "three entries: control characters inside (tab, \\001) skip a line");
	is_str(g_ptr_array_index(got, 0), "alice@example.com", "trimmed, CR removed");
	is_str(g_ptr_array_index(got, 1), "bob", "bare word");
	is_str(g_ptr_array_index(got, 2), "last", "unterminated last line");
	g_ptr_array_set_size(got, 0);

	/* Message-ID tokens. */
	const char *refs = "<a@b> (comment) <c@d>\n <  e@f  > <broken";
	is_int(us_list_msgids(refs, strlen(refs), got), 3, "three ids in References");
	is_str(g_ptr_array_index(got, 2), "e@f", "spaces inside brackets trimmed");
	g_ptr_array_set_size(got, 0);
	is_int(us_list_msgids("1abc.2@mail.example.com", 23, got), 1, "bare id with @ (Exim log style)");
	g_ptr_array_set_size(got, 0);
	is_int(us_list_msgids("no id here", 10, got), 0, "words are not ids");
	is_int(us_list_msgids("<>", 2, got), 0, "empty brackets");
	is_int(us_list_msgids("<a<b@c>", 7, got), 1, "nested '<': inner id");

	/* Address keys. */
	char *k = us_list_address_key(" <Alice@Example.COM> ");
	is_str(k, "alice@example.com", "lower case, brackets gone");
	g_free(k);
	k = us_list_address_key("prvs=1123548aad=Alice@example.com");
	is_str(k, "alice@example.com", "BATV tag removed");
	g_free(k);
	ok(us_list_address_key("alice") == NULL, "no domain");
	ok(us_list_address_key("a b@c") == NULL, "space inside");

	g_ptr_array_unref(got);
	g_hash_table_unref(t);
	unlink(junk);
	unlink(path);
	rmdir(dir);
	g_free(nodir);
	g_free(junk);
	g_free(path);
	g_free(dir);
	return tap_done();
}
