/* test-scanout.c - scan output lines: TSV and JSON escaping, mbox names, first rule. */
#include <string.h>
#include "scanout.h"
#include "tap.h"

static char *line(bool json, const struct us_item *item, const struct us_scan_result *r,
		  bool with_dest, const char *dest)
{
	GString *out = g_string_new(NULL);

	us_scan_format(out, json, item, r, with_dest, dest);
	return g_string_free(out, FALSE);
}

int main(void)
{
	struct us_scan_result bs = { US_CLASS_BACKSCATTER, US_KIND_DSN, US_PROV_FORGED, "mime-dsn" };
	struct us_scan_result ord = { US_CLASS_ORDINARY, US_KIND_NONE, US_PROV_UNKNOWN, NULL };
	struct us_item file = { .path = "/m/cur/a\tb\\c\nd:2,S", .folder = 0 };
	struct us_item mbox = { .path = "/x/in.mbox", .folder = -1, .mbox_index = 3, .offset = 1234 };
	struct us_item bad = { .path = "/m/cur/\xff\x01\"q", .folder = 0 };
	char *s;

	s = line(false, &file, &bs, false, NULL);
	is_str(s, "/m/cur/a\\tb\\\\c\\nd:2,S\tbackscatter\tdsn\tforged\tmime-dsn\n", "TSV: escaped name, five fields");
	g_free(s);
	s = line(false, &file, &ord, true, NULL);
	is_str(s, "/m/cur/a\\tb\\\\c\\nd:2,S\tordinary\tnone\tunknown\t-\t-\n", "TSV: '-' for no rule and no destination");
	g_free(s);
	s = line(false, &mbox, &bs, true, "/out/backscatter");
	is_str(s, "/x/in.mbox:3\tbackscatter\tdsn\tforged\tmime-dsn\t/out/backscatter\n", "TSV: mbox message FILE:N, destination");
	g_free(s);
	s = line(true, &file, &ord, false, NULL);
	is_str(s, "{\"path\":\"/m/cur/a\\tb\\\\c\\nd:2,S\",\"class\":\"ordinary\",\"kind\":\"none\","
		  "\"provenance\":\"unknown\",\"rule\":null}\n", "JSON: escapes, null rule");
	g_free(s);
	s = line(true, &mbox, &bs, true, NULL);
	is_str(s, "{\"path\":\"/x/in.mbox:3\",\"class\":\"backscatter\",\"kind\":\"dsn\",\"provenance\":\"forged\","
		  "\"rule\":\"mime-dsn\",\"mbox\":\"/x/in.mbox\",\"message\":3,\"offset\":1234,\"dest\":null}\n",
	       "JSON: mbox members, null destination");
	g_free(s);
	s = line(true, &bad, &ord, false, NULL);
	ok(g_utf8_validate(s, -1, NULL) && strstr(s, "\"/m/cur/\xef\xbf\xbd\\u0001\\\"q\"") != NULL,
	   "JSON: invalid UTF-8 becomes U+FFFD, control characters \\u escaped");
	g_free(s);

	struct us_verdict v;
	us_verdict_init(&v);
	v.kind = US_KIND_AUTOREPLY;
	struct us_hit h1 = { "dsn-thing", US_KIND_DSN, 100 };
	struct us_hit h2 = { "negative", US_KIND_AUTOREPLY, -50 };
	struct us_hit h3 = { "ooo-subject", US_KIND_AUTOREPLY, 100 };
	g_array_append_val(v.hits, h1);
	g_array_append_val(v.hits, h2);
	g_array_append_val(v.hits, h3);
	is_str(us_scan_first_rule(&v), "ooo-subject", "first rule: the first positive hit of the winning kind");
	v.kind = US_KIND_NONE;
	ok(us_scan_first_rule(&v) == NULL, "first rule: none for ordinary mail");
	us_verdict_clear(&v);

	struct us_tally t;
	us_tally_init(&t);
	us_tally_add(&t, &bs);
	us_tally_add(&t, &bs);
	us_tally_add(&t, &ord);
	is_int(t.messages, 3, "tally: messages");
	is_int(t.per_class[US_CLASS_BACKSCATTER], 2, "tally: per class");
	is_int(t.per_kind[US_KIND_NONE], 1, "tally: per kind");
	is_int(GPOINTER_TO_UINT(g_hash_table_lookup(t.rules, "mime-dsn")), 2, "tally: per rule");
	us_tally_clear(&t);
	return tap_done();
}
