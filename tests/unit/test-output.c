/* test-output.c - passthrough is byte-exact apart from our header fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output.h"
#include "tap.h"

/* Run us_output_passthrough on IN with HEADERS into a temp file; return its content. */
static char *passthrough(const char *in, const GPtrArray *headers)
{
	char path[] = "/tmp/unscatter-test-XXXXXX";
	int fd = mkstemp(path);
	char *out = NULL;
	gsize len;

	if (fd < 0)
		return NULL;
	if (us_output_passthrough(fd, in, strlen(in), headers))
		g_file_get_contents(path, &out, &len, NULL);
	close(fd);
	unlink(path);
	return out;
}

static void check(const char *in, const char *want, const char *what)
{
	GPtrArray *h = g_ptr_array_new();

	g_ptr_array_add(h, "X-Unscatter-Class: ordinary");
	g_ptr_array_add(h, "X-Unscatter-Kind: none");
	char *got = passthrough(in, h);
	is_str(got, want, what);
	g_free(got);
	g_ptr_array_unref(h);
}

int main(void)
{
	check("Subject: hi\nFrom: a@example.com\n\nbody\n",
	      "Subject: hi\nFrom: a@example.com\nX-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n\nbody\n",
	      "LF: added at the end of the header block");
	check("Subject: hi\r\n\r\nbody\r\nmore\r\n",
	      "Subject: hi\r\nX-Unscatter-Class: ordinary\r\nX-Unscatter-Kind: none\r\n\r\nbody\r\nmore\r\n",
	      "CRLF: our fields use CRLF too");
	check("Subject: hi\rTo: b@example.com\r\rbody\r",
	      "Subject: hi\rTo: b@example.com\rX-Unscatter-Class: ordinary\rX-Unscatter-Kind: none\r\rbody\r",
	      "CR-only: our fields use CR");
	check("From someone@example.com Mon Nov 23 10:00:00 2026\nSubject: hi\n\nbody",
	      "From someone@example.com Mon Nov 23 10:00:00 2026\nSubject: hi\nX-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n\nbody",
	      "leading From line kept; body without final newline kept");
	check("Subject: hi\nTo: b@example.com",
	      "Subject: hi\nTo: b@example.com\nX-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n",
	      "header only, no final newline: a line ending is added before ours");
	check("Subject: hi\n",
	      "Subject: hi\nX-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n",
	      "header only, no separator");
	check("\nbody only\n",
	      "X-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n\nbody only\n",
	      "empty header block");
	check("", "X-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n", "empty input");
	check("X-Unscatter-Class: ordinary\nSubject: hi\nx-unscatter-kind: none\n\tcontinued\n"
	      "X-Other: kept\nX-UNSCATTER-Rules: forged\n\nX-Unscatter-Class: in body stays\n",
	      "Subject: hi\nX-Other: kept\nX-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n\n"
	      "X-Unscatter-Class: in body stays\n",
	      "incoming X-Unscatter-* fields removed, continuation lines included, body untouched");
	check("X-Unscatter-Class: ordinary\n\nbody\n",
	      "X-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n\nbody\n",
	      "a header block of only forged fields");
	check("Subject: a\nX-Unscatter-Classic: no\n\n",
	      "Subject: a\nX-Unscatter-Class: ordinary\nX-Unscatter-Kind: none\n\n",
	      "every X-Unscatter- prefixed field is ours");

	/* Field values are made safe. */
	struct us_verdict v;
	us_verdict_init(&v);
	v.kind = US_KIND_DSN;
	v.klass = US_CLASS_BACKSCATTER;
	v.provenance = US_PROV_FORGED;
	g_string_assign(v.provenance_evidence, "evil\r\nX-Unscatter-Class: bounce");
	GString *longdiag = g_string_new("user@example.com diagnostic=");
	for (int i = 0; i < 600; i++)
		g_string_append(longdiag, "ä");	/* 2 bytes each */
	g_ptr_array_add(v.details, g_string_free(longdiag, FALSE));
	struct us_hit hit = { "mime-delivery-status", US_KIND_DSN, 100 };
	g_array_append_val(v.hits, hit);
	GPtrArray *h = us_output_headers(&v);
	is_str(g_ptr_array_index(h, 0), "X-Unscatter-Class: backscatter", "class field");
	is_str(g_ptr_array_index(h, 1), "X-Unscatter-Kind: dsn", "kind field");
	is_str(g_ptr_array_index(h, 2), "X-Unscatter-Provenance: forged; evil  X-Unscatter-Class: bounce",
	       "CR/LF in a value are blanked: no header injection");
	is_str(g_ptr_array_index(h, 3), "X-Unscatter-Rules: mime-delivery-status", "rules field");
	const char *rcpt = g_ptr_array_index(h, 4);
	ok(strlen(rcpt) < 998, "long value stays under the line limit");
	ok(g_utf8_validate(rcpt, -1, NULL), "cut on a UTF-8 boundary");
	ok(g_str_has_suffix(rcpt, "..."), "cut is marked");
	g_ptr_array_unref(h);
	char *terse = us_output_terse(&v);
	is_str(terse, "backscatter dsn forged\n", "terse line");
	g_free(terse);
	us_verdict_clear(&v);

	GPtrArray *none = g_ptr_array_new();
	ok(!us_output_passthrough(-1, "Subject: a\n\n", 13, none), "a write error is reported");
	g_ptr_array_unref(none);
	return tap_done();
}
