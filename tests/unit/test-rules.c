/* test-rules.c - rule file parsing, loading, linting and evaluation. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cdb.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "reasons.h"
#include "rules.h"
#include "rules-internal.h"
#include "tap.h"

/* The error of parsing TEXT as "t.rules" into a fresh ruleset, or "ok". */
static char *parse_error(const char *text)
{
	struct us_ruleset *rs = us_ruleset_new();
	GError *error = NULL;
	char *result;

	if (us_ruleset_parse(rs, "t.rules", text, strlen(text), &error)) {
		result = g_strdup("ok");
	} else {
		result = g_strdup(error->message);
		g_error_free(error);
		if (us_ruleset_count(rs) != 0) {
			g_free(result);
			result = g_strdup("rules added despite the error");
		}
	}
	us_ruleset_free(rs);
	return result;
}

#define is_error(text, want, what) do { \
	char *got_ = parse_error(text); \
	is_str(got_, want, what); \
	g_free(got_); \
} while (0)

#define GOOD_HEAD "rule r\n kind dsn\n describe d\n"

static void parse_errors(void)
{
	is_error(GOOD_HEAD " body =~ /undeliverable/i\n", "ok", "a minimal rule");
	is_error("# comment\n\n  \t\nrule r\r\n\tkind dsn\r\n\tdescribe d # not a comment\r\n"
		 "\tscore -40\r\n\theader Subject =~ /a b \\/ c/im\r\n", "ok",
		 "comments, blank lines, CRLF, tabs, negative score");
	is_error("rule r\n kind dsn\n describe d\n body =~ /x/\nrule s\n kind virus\n describe e\n"
		 " parts =~ /message\\/rfc822/\n sender =~ /^$/\n", "ok", "two rules");
	is_error("", "ok", "an empty file");
	is_error("frobnicate x\n", "t.rules:1: unknown keyword 'frobnicate'", "unknown keyword");
	is_error(GOOD_HEAD " Body =~ /x/\n", "t.rules:4: unknown keyword 'Body'", "keywords are lower case");
	is_error(" body =~ /x/\n", "t.rules:1: body before any rule line", "condition before any rule");
	is_error("kind dsn\n", "t.rules:1: kind before any rule line", "kind before any rule");
	is_error("rule r\n describe d\n body =~ /abc/\n", "t.rules:1: rule r has no kind line", "missing kind");
	is_error("rule r\n kind dsn\n body =~ /abc/\nrule s\n", "t.rules:1: rule r has no describe line",
		 "missing describe, reported at the rule line");
	is_error(GOOD_HEAD "\n# end\n", "t.rules:1: rule r has no conditions", "rule without conditions");
	is_error(GOOD_HEAD " header Auto-Submitted !~ /^no$/\n", "t.rules:1: rule r has no =~ condition",
		 "negations alone");
	is_error(GOOD_HEAD " body =~ /x/\nrule r\n", "t.rules:5: duplicate rule name 'r' (first at t.rules:1)",
		 "duplicate name in one file");
	is_error("rule\n", "t.rules:1: rule needs a name", "rule without a name");
	is_error("rule a b\n", "t.rules:1: unexpected text after the rule name: 'b'", "two names");
	is_error("rule a,b\n", "t.rules:1: bad rule name 'a,b' (letters, digits, '-', '_' and '.' only)",
		 "bad rule name");
	is_error("rule r\n kind bounce\n", "t.rules:2: bad kind 'bounce' (dsn, autoreply, challenge, virus or feedback)",
		 "bad kind");
	is_error("rule r\n kind none\n", "t.rules:2: bad kind 'none' (dsn, autoreply, challenge, virus or feedback)",
		 "kind none is not a rule kind");
	is_error("rule r\n kind dsn\n kind dsn\n", "t.rules:3: kind given twice", "kind twice");
	is_error("rule r\n describe\n", "t.rules:2: describe needs a text", "empty describe");
	is_error("rule r\n describe a\n describe b\n", "t.rules:3: describe given twice", "describe twice");
	is_error("rule r\n score high\n", "t.rules:2: bad score 'high' (an integer from -1000000 to 1000000)",
		 "bad score");
	is_error("rule r\n score 50x\n", "t.rules:2: bad score '50x' (an integer from -1000000 to 1000000)",
		 "score with trailing junk");
	is_error("rule r\n score 99999999999\n",
		 "t.rules:2: bad score '99999999999' (an integer from -1000000 to 1000000)", "score too large");
	is_error("rule r\n score 1\n score 2\n", "t.rules:3: score given twice", "score twice");
	is_error("rule r\n body =~ undeliverable\n", "t.rules:2: regex not delimited by /.../", "no slashes");
	is_error("rule r\n body =~ /undeliverable\n", "t.rules:2: regex not delimited by /.../", "no closing slash");
	is_error("rule r\n body =~ /abc\\/\n", "t.rules:2: regex not delimited by /.../", "escaped closing slash");
	is_error("rule r\n body =~ /abc/x\n", "t.rules:2: unknown flag 'x' (i and m are known)", "unknown flag");
	is_error("rule r\n body =~ /abc/i more\n", "t.rules:2: unexpected text after the regex: 'more'",
		 "text after the flags");
	is_error("rule r\n body =~ /a/b/\n", "t.rules:2: unknown flag 'b' (i and m are known)",
		 "an unescaped slash ends the regex");
	is_error("rule r\n body =~ //\n", "t.rules:2: empty regex", "empty regex");
	is_error("rule r\n body ~= /abc/\n", "t.rules:2: expected =~ or !~, not '~='", "bad operator");
	is_error("rule r\n body\n", "t.rules:2: expected =~ or !~, not ''", "missing operator");
	is_error("rule r\n header =~ /abc/\n", "t.rules:2: header needs a name", "header without a name");
	is_error("rule r\n header\n", "t.rules:2: header needs a name", "header with nothing");
	is_error("rule r\n header Subject: =~ /abc/\n", "t.rules:2: bad header name 'Subject:'",
		 "colon in a header name");
	is_error("rule r\n body =~ /(abc/\n", "t.rules:2: bad regex: unbalanced ( (missing ))", "unbalanced (");
	is_error("rule r\n body =~ /abc)/\n", "t.rules:2: bad regex: unbalanced ) (missing ()", "unbalanced )");
	is_error("rule r\n body =~ /[abc/\n", "t.rules:2: bad regex: unbalanced [ (missing ])", "unbalanced [");
	is_error("rule r\n body =~ /abc\\\\\\/\n", "t.rules:2: regex not delimited by /.../",
		 "escaped backslash then escaped slash");
	is_error(GOOD_HEAD " body =~ /abc\\\\/\n", "ok",
		 "an escaped backslash does not escape the closing slash");
	is_error("rule r\n describe caf\xe9\n", "t.rules:2: not valid UTF-8", "invalid UTF-8");
}

/* A NUL inside the text (not cut off by a C string). */
static void parse_nul(void)
{
	static const char text[] = "rule r\n describe a\0b\n";
	struct us_ruleset *rs = us_ruleset_new();
	GError *error = NULL;

	ok(!us_ruleset_parse(rs, "t.rules", text, sizeof text - 1, &error), "NUL byte refused");
	is_str(error ? error->message : NULL, "t.rules:2: NUL byte in line", "NUL byte message");
	g_clear_error(&error);
	us_ruleset_free(rs);
}

static void duplicates_across_parses(void)
{
	struct us_ruleset *rs = us_ruleset_new();
	GError *error = NULL;
	const char *a = GOOD_HEAD " body =~ /abc/\n";
	const char *b = "rule other\n kind virus\n describe o\n body =~ /virus found/\n"
			"rule r\n kind dsn\n describe d\n body =~ /abc/\n";

	ok(us_ruleset_parse(rs, "a.rules", a, strlen(a), &error), "first file");
	ok(!us_ruleset_parse(rs, "b.rules", b, strlen(b), &error), "second file repeats a name");
	is_str(error ? error->message : NULL, "b.rules:5: duplicate rule name 'r' (first at a.rules:1)",
	       "duplicate across files");
	g_clear_error(&error);
	is_int(us_ruleset_count(rs), 1, "nothing of the failed file was added");
	is_str(us_ruleset_describe(rs, "r"), "d", "describe");
	is_str(us_ruleset_describe(rs, "other"), NULL, "the failed file's rule is unknown");
	us_ruleset_free(rs);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	g_file_set_contents(path, text, -1, NULL);
	g_free(path);
}

static void remove_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
		g_free(path);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

static void load_dir(void)
{
	char *dir = g_dir_make_tmp("test-rules-XXXXXX", NULL);
	struct us_ruleset *rs;
	GError *error = NULL;

	write_file(dir, "b.rules", "rule b1\n kind dsn\n describe from b\n body =~ /bbb/\n");
	write_file(dir, "a.rules", "rule a1\n kind dsn\n describe from a\n body =~ /aaa/\n");
	write_file(dir, "c.rules.orig", "this is not a rule file\n");
	write_file(dir, "README", "nor is this\n");
	rs = us_ruleset_new();
	ok(us_ruleset_load_dir(rs, dir, &error), "directory loads");
	is_int(us_ruleset_count(rs), 2, "only *.rules files");

	/* Name order: a.rules's rule fires first. */
	struct us_message *msg = us_message_new();
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	g_string_assign(msg->body, "bbb aaa");
	ok(us_ruleset_evaluate(rs, msg, hits, NULL, &error), "evaluate");
	is_int(hits->len, 2, "both fire");
	if (hits->len == 2) {
		is_str(g_array_index(hits, struct us_hit, 0).name, "a1", "a.rules first");
		is_str(g_array_index(hits, struct us_hit, 1).name, "b1", "b.rules second");
	}
	g_array_unref(hits);
	us_message_free(msg);
	us_ruleset_free(rs);

	/* An error names the file's path. */
	write_file(dir, "z.rules", "rule z\n kind dsn\n");
	rs = us_ruleset_new();
	ok(!us_ruleset_load_dir(rs, dir, &error), "a bad file fails the load");
	char *want = g_strdup_printf("%s/z.rules:1: rule z has no describe line", dir);
	is_str(error ? error->message : NULL, want, "error names DIR/FILE:LINE");
	g_free(want);
	g_clear_error(&error);
	us_ruleset_free(rs);

	/* Duplicates across files of one directory. */
	write_file(dir, "z.rules", "rule a1\n kind dsn\n describe again\n body =~ /zzz/\n");
	rs = us_ruleset_new();
	ok(!us_ruleset_load_dir(rs, dir, &error), "a name repeated in another file");
	want = g_strdup_printf("%s/z.rules:1: duplicate rule name 'a1' (first at %s/a.rules:1)", dir, dir);
	is_str(error ? error->message : NULL, want, "duplicate across files of a directory");
	g_free(want);
	g_clear_error(&error);
	us_ruleset_free(rs);

	remove_dir(dir);
	rs = us_ruleset_new();
	ok(!us_ruleset_load_dir(rs, dir, &error), "a missing directory fails");
	ok(error && g_str_has_prefix(error->message, dir) && error->message[strlen(dir)] == ':',
	   "error starts with DIR:");
	g_clear_error(&error);
	us_ruleset_free(rs);
	g_free(dir);
}

static struct us_ruleset *rules_from(const char *text)
{
	struct us_ruleset *rs = us_ruleset_new();
	GError *error = NULL;

	if (!us_ruleset_parse(rs, "e.rules", text, strlen(text), &error)) {
		printf("# parse failed: %s\n", error->message);
		g_error_free(error);
	}
	return rs;
}

/* Names of the rules that fire, space-separated, or "ERROR: message". */
static char *fire(struct us_ruleset *rs, const struct us_message *msg)
{
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	GError *error = NULL;
	GString *out = g_string_new(NULL);

	if (!us_ruleset_evaluate(rs, msg, hits, NULL, &error)) {
		g_string_printf(out, "ERROR: %s", error->message);
		g_error_free(error);
	} else {
		for (guint i = 0; i < hits->len; i++)
			g_string_append_printf(out, "%s%s", i ? " " : "",
					       g_array_index(hits, struct us_hit, i).name);
	}
	g_array_unref(hits);
	return g_string_free(out, FALSE);
}

#define is_fired(rs, msg, want, what) do { \
	char *got_ = fire((rs), (msg)); \
	is_str(got_, want, what); \
	g_free(got_); \
} while (0)

static void add_header(struct us_message *msg, const char *name, const char *value)
{
	g_ptr_array_add(msg->headers, us_header_new(name, value));
}

static const char evaluation_rules[] =
	"rule subj\n kind dsn\n describe subject\n score 60\n"
	"    header subject =~ /^undeliver(ed|able) mail/i\n"
	"rule from-daemon\n kind dsn\n describe from\n score 50\n"
	"    header From =~ /mailer-daemon@/i\n"
	"rule ooo\n kind autoreply\n describe out of office\n"
	"    header Subject =~ /^(out of office|abwesend)/i\n"
	"    header Auto-Submitted !~ /^no$/\n"
	"rule null-sender\n kind dsn\n describe null sender\n score 10\n"
	"    sender =~ /^$/\n"
	"rule not-null\n kind challenge\n describe sender not like foo\n score 1\n"
	"    parts =~ /text\\/plain/\n"
	"    sender !~ /^foo@/\n"
	"rule report\n kind dsn\n describe a report part\n"
	"    parts =~ /(^| )message\\/delivery-status( |$)/\n"
	"rule line-start\n kind virus\n describe virus line\n"
	"    body =~ /^virus found: /m\n"
	"rule case-sensitive\n kind virus\n describe exact case\n score 5\n"
	"    body =~ /EICAR-Test/\n"
	"rule utf8\n kind autoreply\n describe non-ASCII, case-insensitive\n score 7\n"
	"    body =~ /bin im urlaub.*ärger/i\n";

static void evaluation(void)
{
	struct us_ruleset *rs = rules_from(evaluation_rules);
	struct us_message *msg;

	is_int(us_ruleset_count(rs), 9, "evaluation rules loaded");

	msg = us_message_new();
	is_fired(rs, msg, "", "an empty message fires nothing (sender unknown)");

	add_header(msg, "SUBJECT", "Undeliverable mail: hello");
	add_header(msg, "From", "Someone <someone@example.com>");
	add_header(msg, "from", "MAILER-DAEMON@mx.example.com");
	is_fired(rs, msg, "subj from-daemon", "header names case-insensitive; any of several headers");
	us_message_free(msg);

	msg = us_message_new();
	add_header(msg, "Subject", "Re: undeliverable mail");
	is_fired(rs, msg, "", "literal present, regex (anchored) does not match");
	us_message_free(msg);

	msg = us_message_new();
	add_header(msg, "Subject", "Abwesend bis Montag");
	is_fired(rs, msg, "ooo", "negated condition holds when the header is absent");
	add_header(msg, "Auto-Submitted", "no");
	is_fired(rs, msg, "", "negated condition fails when a header matches");
	us_message_free(msg);

	msg = us_message_new();
	add_header(msg, "Subject", "Out of Office");
	add_header(msg, "Auto-Submitted", "auto-replied");
	is_fired(rs, msg, "ooo", "negated condition holds when no header matches");
	us_message_free(msg);

	msg = us_message_new();
	g_string_assign(msg->part_types, "text/plain");
	is_fired(rs, msg, "", "!~ on an unknown sender is false");
	msg->envelope_sender = g_strdup("");
	is_fired(rs, msg, "null-sender not-null", "null sender");
	g_free(msg->envelope_sender);
	msg->envelope_sender = g_strdup("foo@example.com");
	is_fired(rs, msg, "", "!~ on a matching sender");
	g_free(msg->envelope_sender);
	msg->envelope_sender = g_strdup("bar@example.com");
	is_fired(rs, msg, "not-null", "!~ on another sender");
	us_message_free(msg);

	msg = us_message_new();
	g_string_assign(msg->part_types, "multipart/report text/plain message/delivery-status message/rfc822");
	is_fired(rs, msg, "report", "parts, with an escaped slash");
	us_message_free(msg);

	msg = us_message_new();
	g_string_assign(msg->body, "Hello.\nVirus found: EICAR-Test in attachment\n");
	is_fired(rs, msg, "case-sensitive", "without m, ^ is only the start of the body");
	us_message_free(msg);
	msg = us_message_new();
	g_string_assign(msg->body, "Hello.\nvirus found: eicar-test\n");
	is_fired(rs, msg, "line-start", "with m, ^ matches after a newline; no i, no match of EICAR");
	us_message_free(msg);

	msg = us_message_new();
	g_string_assign(msg->body, "Ich BIN IM URLAUB, kein ÄRGER bitte");
	is_fired(rs, msg, "utf8", "case-insensitive non-ASCII (UTF-8 locale)");
	us_message_free(msg);

	/* Hits carry kind and score; the names point into the ruleset. */
	msg = us_message_new();
	add_header(msg, "Subject", "Undelivered Mail Returned to Sender");
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	ok(us_ruleset_evaluate(rs, msg, hits, NULL, NULL), "evaluate for hits");
	if (hits->len == 1) {
		const struct us_hit *h = &g_array_index(hits, struct us_hit, 0);
		is_str(h->name, "subj", "hit name");
		is_int(h->kind, US_KIND_DSN, "hit kind");
		is_int(h->score, 60, "hit score");
	} else {
		ok(0, "one hit");
	}
	g_array_unref(hits);
	us_message_free(msg);
	us_ruleset_free(rs);
}

/* Regexes are compiled only when a rule is a candidate, and conditions
 * are tried in order. A bad regex shows when it is compiled. */
static void lazy_compile(void)
{
	static const char text[] =
		"rule good\n kind dsn\n describe good\n body =~ /fine text/\n"
		"rule bad\n kind dsn\n describe bad class\n body =~ /needle[[:nosuch:]]/\n"
		"rule ordered\n kind dsn\n describe first fails\n"
		"    body =~ /^first/\n"
		"    body =~ /second{x}/\n";
	struct us_ruleset *rs = rules_from(text);
	struct us_message *msg = us_message_new();
	GPtrArray *problems;

	g_string_assign(msg->body, "some fine text");
	is_fired(rs, msg, "good", "a bad regex whose literal is absent is never compiled");
	g_string_assign(msg->body, "a needle in some fine text");
	is_fired(rs, msg, "ERROR: e.rules:8: bad regex: Unknown character class name",
		 "compiled once its literal is present");
	g_string_assign(msg->body, "not first, but second");
	is_fired(rs, msg, "", "a failed first condition stops the rule before the bad regex");
	g_string_assign(msg->body, "first and second");
	is_fired(rs, msg, "ERROR: e.rules:13: bad regex: Invalid contents of {}",
		 "reached in order");

	problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_ruleset_lint(rs, problems), 2, "lint finds both bad regexes");
	if (problems->len == 2) {
		is_str(g_ptr_array_index(problems, 0), "e.rules:8: bad regex: Unknown character class name",
		       "first problem");
		is_str(g_ptr_array_index(problems, 1), "e.rules:13: bad regex: Invalid contents of {}",
		       "second problem");
	}
	g_ptr_array_unref(problems);
	us_message_free(msg);
	us_ruleset_free(rs);

	rs = rules_from(evaluation_rules);
	problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_ruleset_lint(rs, problems), 0, "lint of good rules");
	is_int(problems->len, 0, "no problems appended");
	g_ptr_array_unref(problems);
	us_ruleset_free(rs);
}

/* Rules added after an evaluation are scanned for too. */
static void parse_after_evaluate(void)
{
	struct us_ruleset *rs = rules_from("rule one\n kind dsn\n describe one\n body =~ /alpha/\n");
	struct us_message *msg = us_message_new();
	const char *more = "rule two\n kind dsn\n describe two\n body =~ /beta/\n";

	g_string_assign(msg->body, "alpha beta");
	is_fired(rs, msg, "one", "before");
	ok(us_ruleset_parse(rs, "f.rules", more, strlen(more), NULL), "parse more");
	is_fired(rs, msg, "one two", "after");
	us_message_free(msg);
	us_ruleset_free(rs);
}

/* A rule without usable literals is always a candidate. */
static void no_literal(void)
{
	struct us_ruleset *rs = rules_from("rule short\n kind dsn\n describe short\n body =~ /^(ab|cd)$/\n");
	struct us_message *msg = us_message_new();

	g_string_assign(msg->body, "cd");
	is_fired(rs, msg, "short", "regex without literals still runs");
	g_string_assign(msg->body, "ce");
	is_fired(rs, msg, "", "and can fail");
	us_message_free(msg);
	us_ruleset_free(rs);
}

static void explain_lines(void)
{
	struct us_ruleset *rs = rules_from(
		"rule hit\n kind dsn\n describe it hits\n score 70\n body =~ /hello/\n"
		"rule miss\n kind virus\n describe literal but no match\n body =~ /^hello world/\n"
		"rule absent\n kind virus\n describe no literal\n body =~ /goodbye/\n");
	struct us_message *msg = us_message_new();
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	struct us_explain ex = { out };

	g_string_assign(msg->body, "hello there, hello world");
	ok(us_ruleset_evaluate(rs, msg, hits, &ex, NULL), "evaluate with explain");
	fclose(out);
	is_str(buf, "rule hit fired: dsn +70, it hits (e.rules:1)\n"
		    "rule miss: candidate, but the condition at e.rules:9 does not hold\n"
		    "rules: 3 loaded, 2 candidates after the literal scan, 1 fired\n",
	       "explain lines");
	free(buf);
	g_array_unref(hits);
	us_message_free(msg);
	us_ruleset_free(rs);
}

/* Rules in the style of the shipped ones: plain-text (exact) regexes,
 * long alternations that get split, anchors, negations, case-sensitive
 * and non-ASCII ones, several fields. */
static const char equivalence_rules[] =
	"rule daemon-subject\n kind dsn\n describe d\n"
	"    header Subject =~ /undeliver|non[- ]?deliver|delivery (status|notification|failure)|returned mail|mail system error|failure notice/i\n"
	"    header From =~ /mailer-daemon|postmaster|mail delivery/i\n"
	"rule null-subject\n kind dsn\n describe d\n score 50\n"
	"    header Subject =~ /undeliver|non[- ]?deliver|delivery (status|notification|failure)|returned mail|mail system error|failure notice/i\n"
	"    sender =~ /^$/\n"
	"rule body-phrases\n kind dsn\n describe d\n"
	"    body =~ /^[[:blank:]]*(hi\\. this is the qmail-send program|this is the (mail system|postfix program) at host|i'm sorry to have to (inform|tell) you that (your|the) message|-+ transcript of session follows)/im\n"
	"    header From !~ /postmaster/i\n"
	"rule body-phrases-2\n kind dsn\n describe d\n score 30\n"
	"    body =~ /^[[:blank:]]*(this is the (mail system|postfix program) at host|delivery to the following recipients? failed|your message could not be delivered)/m\n"
	"rule case-sensitive\n kind virus\n describe d\n"
	"    body =~ /EICAR|Virus Found|X5O!P%@AP/\n"
	"rule auto-not-reply\n kind autoreply\n describe d\n"
	"    header Auto-Submitted =~ /auto-replied|auto-generated/i\n"
	"    header Subject !~ /^[[:space:]]*(re|fw|fwd|aw|wg|tr|sv|vs|rv|antw|doorst):/i\n"
	"rule sender-daemon\n kind dsn\n describe d\n score 20\n"
	"    sender =~ /^(mailer-daemon|postmaster)(@|$)/i\n"
	"rule parts-report\n kind dsn\n describe d\n"
	"    parts =~ /(^| )message\\/(delivery-status|global-delivery-status)( |$)/\n"
	"rule multi-header\n kind feedback\n describe d\n"
	"    header X-Test =~ /abc-def|ghi\\.jkl|mno pqr/i\n"
	"rule no-letters\n kind feedback\n describe d\n score 5\n"
	"    header X-Test =~ /5\\.1\\.1|#42#/\n"
	"rule utf8\n kind autoreply\n describe d\n"
	"    header Subject =~ /abwesend|(au\xc3\x9f" "er|ausser) haus|r\xc3\xa9ponse automatique|automatische antwort ist eingeschaltet/i\n"
	"rule empty-body\n kind virus\n describe d\n score 1\n"
	"    body =~ /^$/\n"
	"    parts !~ /image/\n";

/* A random variation of S: ASCII letters in random case. */
static void append_cased(GString *out, GRand *rng, const char *s)
{
	for (; *s; s++)
		g_string_append_c(out, g_ascii_isalpha(*s) && g_rand_boolean(rng) ?
				  (char)(*s ^ 0x20) : *s);
}

static const char *pick(GRand *rng, const char *const *list, guint n)
{
	return list[g_rand_int_range(rng, 0, (gint32)n)];
}

#define PICK(rng, list) pick((rng), (list), G_N_ELEMENTS(list))

static struct us_message *random_message(GRand *rng)
{
	static const char *const subjects[] = {
		"Undeliverable: hello", "Re: undelivered mail", "Returned mail: see transcript",
		"Delivery Status Notification (Failure)", "failure notice", "Abwesend", "ausser Haus",
		"R\xc3\xa9ponse automatique", "R\xc3\x89PONSE AUTOMATIQUE", "hello there", "FW: failure notice",
		"  re: delivery failure", "non-delivery report", "nondelivery", "mail system error - x",
		"Au\xc3\x9f" "er Haus", "AUSSER HAUS bis Montag", "",
	};
	static const char *const froms[] = {
		"MAILER-DAEMON@mx.example.com", "Mail Delivery System <x@y>", "postmaster@example.org",
		"Alice <alice@example.com>", "mailer-daemon", "",
	};
	static const char *const lines[] = {
		"Hi. This is the qmail-send program at mx.example.com.",
		"  This is the mail system at host mx.example.com.",
		"\tI'm sorry to have to inform you that your message could not",
		"> This is the mail system at host quoted.example.com.",
		"this is the Postfix program at host x",
		"----- Transcript of session follows -----",
		"--- transcript of session follows",
		"Delivery to the following recipient failed permanently:",
		"delivery to the following recipients failed",
		"Your message could not be delivered.",
		"EICAR test", "eicar test", "Virus Found in message", "X5O!P%@AP[4\\PZX54(P^)7CC)7}",
		"\xc2\xa0This is the mail system at host nbsp.example.com.",
		"caf\xc3\xa9 au lait", "", "plain text line",
	};
	static const char *const senders[] = {
		"", "MAILER-DAEMON@example.com", "postmaster", "mailer-daemon@", "alice@example.com",
		"Postmaster@x", "xmailer-daemon@y",
	};
	static const char *const parts[] = {
		"text/plain", "multipart/report text/plain message/delivery-status message/rfc822",
		"multipart/report message/global-delivery-status", "image/png", "text/plain image/png", "",
	};
	static const char *const tests[] = { "ABC-def", "ghi.jkl", "ghiXjkl", "mno  pqr", "5.1.1", "5x1.1", "#42#", "" };
	struct us_message *msg = us_message_new();
	GString *value = g_string_new(NULL);

	for (int i = g_rand_int_range(rng, 0, 3); i > 0; i--) {
		g_string_truncate(value, 0);
		append_cased(value, rng, PICK(rng, subjects));
		g_ptr_array_add(msg->headers, us_header_new(g_rand_boolean(rng) ? "Subject" : "SUBJECT", value->str));
	}
	for (int i = g_rand_int_range(rng, 0, 3); i > 0; i--)
		g_ptr_array_add(msg->headers, us_header_new("From", PICK(rng, froms)));
	if (g_rand_int_range(rng, 0, 3) == 0)
		g_ptr_array_add(msg->headers, us_header_new("Auto-Submitted",
							    g_rand_boolean(rng) ? "auto-replied" : "no"));
	for (int i = g_rand_int_range(rng, 0, 3); i > 0; i--) {
		g_string_truncate(value, 0);
		append_cased(value, rng, PICK(rng, tests));
		g_ptr_array_add(msg->headers, us_header_new("x-test", value->str));
	}
	if (g_rand_int_range(rng, 0, 4) != 0)
		msg->envelope_sender = g_strdup(PICK(rng, senders));
	if (g_rand_int_range(rng, 0, 10) == 0)
		g_string_append_c(msg->body, '\0');	/* TRE takes a NUL for the end */
	for (int i = g_rand_int_range(rng, 0, 5); i > 0; i--) {
		append_cased(msg->body, rng, PICK(rng, lines));
		g_string_append_c(msg->body, '\n');
	}
	g_string_assign(msg->part_types, PICK(rng, parts));
	g_string_free(value, TRUE);
	return msg;
}

/* ROUNDS random messages of MAKE through FAST and through a plain regex
 * engine with the same RULES: how many fire differently (the first few
 * shown); *FIRED gets how many fire anything. */
static unsigned differ_from_reference(struct us_ruleset *fast, const char *rules, guint32 seed,
				      int rounds, struct us_message *(*make)(GRand *), unsigned *fired,
				      unsigned *reference_compilations)
{
	struct us_ruleset *reference = rules_from(rules);
	GRand *rng = g_rand_new_with_seed(seed);
	unsigned differ = 0;

	us_ruleset_set_reference(reference, true);
	*fired = 0;
	for (int round = 0; round < rounds; round++) {
		struct us_message *msg = make(rng);
		char *a = fire(fast, msg), *b = fire(reference, msg);
		if (strcmp(a, b) != 0 && differ++ < 5)
			printf("# differ on body '%s':\n#   '%s' vs reference '%s'\n", msg->body->str, a, b);
		*fired += *b != '\0';
		g_free(a);
		g_free(b);
		us_message_free(msg);
	}
	*reference_compilations = us_ruleset_compilations(reference);
	g_rand_free(rng);
	us_ruleset_free(reference);
	return differ;
}

/* The shortcuts (literal scan, exact literals, "^$", split alternations,
 * shared units, caching across evaluations) against a plain regex
 * engine: the same rules fire. */
static void reference_equivalence(void)
{
	struct us_ruleset *fast = rules_from(equivalence_rules);
	unsigned fired, plain;

	is_int(us_ruleset_count(fast), 12, "equivalence rules loaded");
	is_int(differ_from_reference(fast, equivalence_rules, 7, 3000, random_message, &fired, &plain), 0,
	       "the same rules fire as with a plain regex engine");
	ok(fired > 1000, "many messages fire rules");
	printf("# regexes compiled: %u with the shortcuts, %u without\n", us_ruleset_compilations(fast),
	       plain);
	ok(us_ruleset_compilations(fast) < plain, "fewer regexes compiled");
	us_ruleset_free(fast);
}

/* ------------------------------------------------------------------ */
/* Windows: body regexes with bounded matches are matched only on the
 * stretches around their literals. Rules of each kind of extent, with
 * the anchors and assertions that see a stretch's ends, on random
 * multi-line bodies, against a plain regex engine. */

static const char window_rules[] =
	"rule one-line\n kind dsn\n describe d\n"
	"    body =~ /^[[:blank:]]*(this is the mail system|your message could not) at/im\n"
	"rule bounded\n kind dsn\n describe d\n"
	"    body =~ /delivery[^.]{0,12}failed/i\n"
	"rule line-start-run\n kind autoreply\n describe d\n"
	"    body =~ /^[^>]*(i am out of (the )?office|away until)/im\n"
	"rule spaces\n kind autoreply\n describe d\n"
	"    body =~ /\\<out\\>[[:space:]]{1,3}of\\b/i\n"
	"rule line-end\n kind virus\n describe d\n"
	"    body =~ /failed$/m\n"
	"rule text-start\n kind virus\n describe d\n"
	"    body =~ /^failed/\n"
	"rule text-end\n kind virus\n describe d\n"
	"    body =~ /failed$/\n"
	"rule words\n kind feedback\n describe d\n"
	"    body =~ /\\bcat\\b|\\<dog\\>/i\n"
	"rule characters\n kind feedback\n describe d\n"
	"    body =~ /caf. au (lait|th.)/\n"
	"rule unbounded\n kind challenge\n describe d\n"
	"    body =~ /delivery.*failed/\n"
	"rule unbounded-line\n kind challenge\n describe d\n"
	"    body =~ /delivery.*has failed/m\n"
	"rule split-run\n kind challenge\n describe d\n"
	"    body =~ /^[^>]*(this message (was|is) (undeliverable|delayed) because|we (could|can) not (deliver|reach) (the|your) (message|mailbox) to|i am away from (my|the) (desk|office) until (monday|next week))/im\n";

static struct us_message *random_window_message(GRand *rng)
{
	static const char *const pieces[] = {
		"delivery", " has ", "failed", "Failed", ".", "\n", "\n", "\n", "> ", "  ", "\t",
		"this is the mail system", "Your message could not", " at ", "I am out of the office",
		"I am out of office", "away until", "out", " ", "of", "\n\n", "cat", "concat", "dog",
		"dogs", "caf\xc3\xa9", "cafe", " au lait", " au th\xc3\xa9", "x",
		"this message was undeliverable because", "we could not deliver your message to",
		"I am away from my desk until monday", "> we can not reach the mailbox to",
	};
	struct us_message *msg = us_message_new();

	for (int i = g_rand_int_range(rng, 0, 40); i > 0; i--)
		append_cased(msg->body, rng, PICK(rng, pieces));
	if (g_rand_int_range(rng, 0, 20) == 0)
		g_string_append(msg->body, "\xff invalid UTF-8: the whole body then");
	return msg;
}

static void windows_equivalence(void)
{
	struct us_ruleset *fast = rules_from(window_rules);
	unsigned fired, plain;

	is_int(us_ruleset_count(fast), 12, "window rules loaded");
	is_int(differ_from_reference(fast, window_rules, 2026, 4000, random_window_message, &fired, &plain),
	       0, "stretches decide as the whole body does");
	printf("# %u body matches decided on stretches\n", us_ruleset_windowed(fast));
	ok(fired > 2000 && us_ruleset_windowed(fast) > 2000, "many rules fire, many on stretches");

	/* More literal hits than are kept: the whole body decides. */
	struct us_ruleset *engine = rules_from(window_rules);
	struct us_message *msg = us_message_new();
	us_ruleset_set_reference(engine, true);
	for (int i = 0; i < 60000; i++)
		g_string_append(msg->body, "concat delivery. dogs\n");
	g_string_append(msg->body, "> I am out of the office\nthe cat has failed");
	char *a = fire(fast, msg), *b = fire(engine, msg);
	is_str(a, b, "180,000 literal hits: as the plain engine");
	g_free(a);
	g_free(b);
	us_message_free(msg);
	us_ruleset_free(engine);
	us_ruleset_free(fast);
}

/* ------------------------------------------------------------------ */
/* The rule cache (rulecache.h): never needed, never wrong. */

static struct us_ruleset *load(const char *dir)
{
	struct us_ruleset *rs = us_ruleset_new();
	GError *error = NULL;

	if (!us_ruleset_load_dir(rs, dir, &error)) {
		printf("# load failed: %s\n", error->message);
		g_error_free(error);
	}
	return rs;
}

/* The rules of a fresh load from the cache fire like a parse and like a
 * plain regex engine, on the same random messages. */
static void cache_equivalence(void)
{
	char *dir = g_dir_make_tmp("test-cache-XXXXXX", NULL);
	char *cache = g_build_filename(dir, ".unscatter-rules.cache", NULL);
	struct us_ruleset *parsed, *cached, *reference = rules_from(equivalence_rules);
	GRand *rng = g_rand_new_with_seed(11);
	unsigned differ = 0, fired = 0;

	write_file(dir, "e.rules", equivalence_rules);
	parsed = load(dir);
	ok(!us_ruleset_cached(parsed), "first load parses");
	ok(g_file_test(cache, G_FILE_TEST_IS_REGULAR), "and writes the cache beside the rules");
	cached = load(dir);
	ok(us_ruleset_cached(cached), "second load reads the cache");
	is_int(us_ruleset_count(cached), 12, "with every rule");
	is_str(us_ruleset_describe(cached, "daemon-subject"), "d", "describe from the cache");
	ok(us_ruleset_describe(cached, "no-such-rule") == NULL, "no such rule");
	us_ruleset_set_reference(reference, true);
	for (int round = 0; round < 3000; round++) {
		struct us_message *msg = random_message(rng);
		char *a = fire(cached, msg), *b = fire(parsed, msg), *c = fire(reference, msg);
		if ((strcmp(a, b) != 0 || strcmp(a, c) != 0) && differ++ < 5)
			printf("# differ: cached '%s', parsed '%s', reference '%s'\n", a, b, c);
		fired += *a != '\0';
		g_free(a);
		g_free(b);
		g_free(c);
		us_message_free(msg);
	}
	ok(fired > 1000, "many messages fire rules");
	is_int(differ, 0, "cached, parsed and plain regex engine agree");

	/* Linting and parsing more work on a cached set too. */
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_ruleset_lint(cached, problems), 0, "lint of a cached set");
	g_ptr_array_unref(problems);
	const char more[] = "rule more\n kind virus\n describe m\n body =~ /more text/\n";
	ok(us_ruleset_parse(cached, "m.rules", more, strlen(more), NULL), "parse more into a cached set");
	ok(!us_ruleset_parse(cached, "m2.rules", "rule daemon-subject\n", 20, NULL),
	   "and its names are all known");
	struct us_message *msg = us_message_new();
	g_string_assign(msg->body, "some more text");
	is_fired(cached, msg, "more", "the added rule fires");
	us_message_free(msg);

	g_rand_free(rng);
	us_ruleset_free(parsed);
	us_ruleset_free(cached);
	us_ruleset_free(reference);
	remove_dir(dir);
	g_free(cache);
	g_free(dir);
}

/* Copies the CDB at PATH, each record's data replaced by DAMAGE(key)
 * when that is not NULL. */
static void rewrite_cache(const char *path, const char *(*damage)(const char *key, unsigned klen))
{
	char *tmp = g_strconcat(path, ".new", NULL);
	int in = open(path, O_RDONLY), out = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct cdb c;
	struct cdb_make m;
	unsigned pos;

	cdb_init(&c, in);
	cdb_make_start(&m, out);
	cdb_seqinit(&pos, &c);
	while (cdb_seqnext(&pos, &c) > 0) {
		const char *key = cdb_getkey(&c);
		const char *bad = damage(key, cdb_keylen(&c));
		if (bad)
			cdb_make_add(&m, key, cdb_keylen(&c), bad, (unsigned)strlen(bad));
		else
			cdb_make_add(&m, key, cdb_keylen(&c), cdb_getdata(&c), cdb_datalen(&c));
	}
	cdb_make_finish(&m);
	cdb_free(&c);
	close(in);
	close(out);
	g_rename(tmp, path);
	g_free(tmp);
}

static const char *damage_units(const char *key, unsigned klen)
{
	return klen == 5 && key[0] == 'u' ? "xy" : NULL;
}

static const char *damage_rules(const char *key, unsigned klen)
{
	return klen == 5 && key[0] == 'r' ? "\x01" : NULL;
}

/* Records whose key starts with DAMAGED_KEY. */
static const char *damaged_key;

static const char *damage_reason_records(const char *key, unsigned klen)
{
	return klen >= 2 && strncmp(key, damaged_key, 2) == 0 ? "LSS1 x" : NULL;
}

static const char *damage_scanners(const char *key, unsigned klen)
{
	(void)klen;
	return key[0] == 's' ? "LSS1 but not a scanner" : NULL;
}

/* "subject" / "body" hits of the cache-test rules for MSG. */
static const char cache_rules[] =
	"rule subject\n kind dsn\n describe s\n header Subject =~ /undeliverable|returned mail/i\n"
	"rule body\n kind virus\n describe b\n body =~ /^virus (found|detected)/m\n"
	"rule always\n kind autoreply\n describe a\n score 1\n body =~ /.*/\n";

static struct us_message *cache_message(void)
{
	struct us_message *msg = us_message_new();

	add_header(msg, "Subject", "Returned mail: see transcript");
	g_string_assign(msg->body, "Hello\nvirus detected: EICAR\n");
	return msg;
}

/* Loads DIR, checks whether that read the cache (CACHED) and that the
 * rules WANT fire for MSG. */
static void load_and_fire(const char *dir, const struct us_message *msg, bool cached,
			  const char *want, const char *what)
{
	struct us_ruleset *rs = load(dir);
	char *label = g_strdup_printf("%s: %s", what, cached ? "from the cache" : "parsed");

	ok(us_ruleset_cached(rs) == cached, label);
	g_free(label);
	is_fired(rs, msg, want, what);
	us_ruleset_free(rs);
}

static void cache_fallbacks(void)
{
	char *dir = g_dir_make_tmp("test-cache-XXXXXX", NULL);
	char *cache = g_build_filename(dir, ".unscatter-rules.cache", NULL);
	char *home = g_dir_make_tmp("test-cache-home-XXXXXX", NULL);
	struct us_message *msg = cache_message();
	struct us_ruleset *rs;
	static const struct {
		const char *name;
		const char *(*damage)(const char *, unsigned);
	} damages[] = {
		{ "unit records", damage_units },
		{ "rule records", damage_rules },
		{ "scanners", damage_scanners },
	};

	write_file(dir, "c.rules", cache_rules);
	load_and_fire(dir, msg, false, "subject body always", "first load");
	load_and_fire(dir, msg, true, "subject body always", "second load, the same");

	/* Stale: a rule file changed (another size and time). */
	write_file(dir, "c.rules", "rule subject2\n kind dsn\n describe s\n header Subject =~ /returned mail/i\n");
	load_and_fire(dir, msg, false, "subject2", "a changed rule file makes the cache stale");
	load_and_fire(dir, msg, true, "subject2", "the cache was rebuilt with the new rules");

	/* Stale: a rule file added, and one removed. */
	write_file(dir, "d.rules", cache_rules);
	load_and_fire(dir, msg, false, "subject2 subject body always", "an added rule file makes it stale");
	char *d = g_build_filename(dir, "d.rules", NULL);
	g_unlink(d);
	g_free(d);
	load_and_fire(dir, msg, false, "subject2", "a removed rule file makes it stale");

	/* Corrupt: not a CDB, empty, truncated. */
	write_file(dir, "c.rules", cache_rules);
	us_ruleset_free(load(dir));
	static const char *const garbage[] = { "garbage", "" };
	for (guint i = 0; i < G_N_ELEMENTS(garbage); i++) {
		g_file_set_contents(cache, garbage[i], -1, NULL);
		rs = load(dir);
		ok(!us_ruleset_cached(rs), i ? "an empty cache is ignored" : "a garbage cache is ignored");
		is_fired(rs, msg, "subject body always", "the rules work");
		us_ruleset_free(rs);
	}
	gchar *whole = NULL;
	gsize len = 0;
	g_file_get_contents(cache, &whole, &len, NULL);
	ok(len > 2100, "a rebuilt cache");
	g_file_set_contents(cache, whole, (gssize)(len - 100), NULL);
	rs = load(dir);
	ok(!us_ruleset_cached(rs), "a truncated cache is ignored");
	is_fired(rs, msg, "subject body always", "the rules work");
	us_ruleset_free(rs);

	/* Damaged records under a good header: found out while evaluating,
	 * then the files are parsed after all. */
	for (guint i = 0; i < G_N_ELEMENTS(damages); i++) {
		g_file_set_contents(cache, whole, (gssize)len, NULL);
		rewrite_cache(cache, damages[i].damage);
		rs = load(dir);
		char *what = g_strdup_printf("damaged %s: the same rules fire", damages[i].name);
		is_fired(rs, msg, "subject body always", what);
		g_free(what);
		us_ruleset_free(rs);
	}
	g_free(whole);

	/* Unwritable in the rule directory (a folder in the cache's way, as
	 * root can write anywhere): the per-user cache instead. */
	g_unlink(cache);
	g_mkdir(cache, 0755);
	g_setenv("XDG_CACHE_HOME", home, TRUE);
	rs = load(dir);
	ok(!us_ruleset_cached(rs), "cache place blocked: parsed");
	is_fired(rs, msg, "subject body always", "the rules work");
	us_ruleset_free(rs);
	char *user = g_build_filename(home, "unscatter", NULL);
	GDir *ud = g_dir_open(user, 0, NULL);
	const char *name = ud ? g_dir_read_name(ud) : NULL;
	ok(name && g_str_has_prefix(name, "rules-"), "a per-user cache was written");
	rs = load(dir);
	ok(us_ruleset_cached(rs), "and is read");
	is_fired(rs, msg, "subject body always", "with the same outcome");
	us_ruleset_free(rs);
	if (name) {
		char *p = g_build_filename(user, name, NULL);
		g_unlink(p);
		g_free(p);
	}
	if (ud)
		g_dir_close(ud);

	/* Nowhere to write: still right, every time. */
	char *file = g_build_filename(home, "a-file", NULL);
	write_file(home, "a-file", "x");
	g_setenv("XDG_CACHE_HOME", file, TRUE);
	g_rmdir(user);
	for (int i = 0; i < 2; i++) {
		rs = load(dir);
		ok(!us_ruleset_cached(rs), i ? "again parsed" : "no writable place: parsed");
		is_fired(rs, msg, "subject body always", "the rules work");
		us_ruleset_free(rs);
	}
	g_unsetenv("XDG_CACHE_HOME");
	g_unlink(file);
	g_free(file);
	g_free(user);
	g_rmdir(cache);

	/* UNSCATTER_NO_CACHE: neither read nor written. */
	g_setenv("UNSCATTER_NO_CACHE", "1", TRUE);
	rs = load(dir);
	ok(!us_ruleset_cached(rs) && !g_file_test(cache, G_FILE_TEST_EXISTS), "UNSCATTER_NO_CACHE");
	us_ruleset_free(rs);
	g_unsetenv("UNSCATTER_NO_CACHE");

	us_message_free(msg);
	remove_dir(dir);
	remove_dir(home);
	g_free(home);
	g_free(cache);
	g_free(dir);
}

/* The reason tables in the rule cache (reasons.h): the same outcomes
 * whether parsed, prepared for the cache or read from it. */
static const char cache_reasons[] =
	"reason userunknown no such user\nreason mailboxfull full\nreason expired late\n"
	"text mailboxfull /mailbox (is )?full|over ?quota/i\n"
	"text userunknown /(no such|unknown) (user|recipient)[^.]*here|user unknown|recipient (address )?rejected: (user unknown|no mailbox)/i\n"
	"status 4.*.* expired\n"
	"recipient /^<([^>]+)>:/\n"
	"end /^(-+ original message|received:|below this line is a copy)/i\n";

static void add_recipient(const char *addr, size_t len, size_t after, void *data)
{
	g_string_append_printf(data, " <%.*s>@%zu", (int)len, addr, after);
}

/* What RT says of a few bounces, one line; file names without folder. */
static char *reason_outcomes(struct us_reasons *rt)
{
	static const struct us_reason_query queries[] = {
		{ "failed", "5.1.1", "550", "550 no such user here, sorry" },
		{ "failed", NULL, NULL, "Recipient address rejected: no mailbox" },
		{ "failed", NULL, NULL, "552 Mailbox is FULL" },
		{ "delayed", "4.4.1", NULL, "connection timed out" },
		{ "failed", NULL, NULL, "unknown user. here" },
		{ "failed", NULL, NULL, "" },
	};
	static const char notice[] = "Hi.\n<a@example.org>: no such user here\n"
				     "<b@example.org>: over quota\n--- Below this line is a copy\nReceived: x\n";
	GString *s = g_string_new(NULL);
	GError *error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(queries); i++) {
		const char *reason, *where;
		if (!us_reasons_decide(rt, &queries[i], &reason, &where, &error))
			break;
		const char *slash = where ? strrchr(where, '/') : NULL;
		g_string_append_printf(s, "%s(%s) ", reason, slash ? slash + 1 : where ? where : "-");
	}
	size_t n = error ? 0 : us_reasons_notice_length(rt, notice, strlen(notice), &error);
	g_string_append_printf(s, "notice=%zu", n);
	if (!error)
		us_reasons_find_recipients(rt, notice, n, add_recipient, s, &error);
	if (error) {
		g_string_append_printf(s, " ERROR %s", error->message);
		g_error_free(error);
	}
	return g_string_free(s, FALSE);
}

/* The outcomes of DIR's reason tables through a fresh load of DIR's
 * rules; *CACHED: whether the rules and the table came from the cache. */
static char *reasons_via_load(const char *dir, bool *rules_cached, bool *table_cached)
{
	struct us_ruleset *rs = load(dir);
	GError *error = NULL;
	struct us_reasons *rt = us_ruleset_reasons(rs, dir, &error);
	char *out;

	*rules_cached = us_ruleset_cached(rs);
	if (rt) {
		out = reason_outcomes(rt);
		/* After the decisions, which may have found records damaged. */
		*table_cached = us_reasons_cached(rt);
	} else {
		*table_cached = false;
		const char *slash = strrchr(error->message, '/');
		out = g_strdup_printf("ERROR %s", slash ? slash + 1 : error->message);
		g_error_free(error);
	}
	us_ruleset_free(rs);
	return out;
}

static void reason_cache(void)
{
	char *dir = g_dir_make_tmp("test-cache-XXXXXX", NULL);
	char *cache = g_build_filename(dir, ".unscatter-rules.cache", NULL);
	struct us_reasons *plain = us_reasons_new();
	bool rules_cached, table_cached;
	char *want, *got;

	ok(us_reasons_parse(plain, "t.reasons", cache_reasons, strlen(cache_reasons), NULL), "test table parses");
	want = reason_outcomes(plain);
	is_str(want, "userunknown(t.reasons:5) userunknown(t.reasons:5) mailboxfull(t.reasons:4) "
	       "expired(t.reasons:6) undefined(-) undefined(-) notice=97 <a@example.org>@20 <b@example.org>@55",
	       "the test table's outcomes");
	us_reasons_free(plain);

	write_file(dir, "c.rules", cache_rules);
	write_file(dir, "t.reasons", cache_reasons);
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	is_str(got, want, "cache written: the table it was written from decides the same");
	ok(!rules_cached && !table_cached, "... parsed");
	g_free(got);
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	is_str(got, want, "read from the cache: the same");
	ok(rules_cached && table_cached, "... rules and table from the cache");
	g_free(got);

	/* In place, a cached table compiles only what a decision needs, and
	 * describes the reasons. */
	struct us_ruleset *rs = load(dir);
	struct us_reasons *rt = us_ruleset_reasons(rs, dir, NULL);
	struct us_reason_query q = { "failed", NULL, NULL, "550 user unknown" };
	const char *reason = NULL, *where = NULL;
	ok(rt && us_reasons_cached(rt), "cached table");
	ok(rt && us_reasons_decide(rt, &q, &reason, &where, NULL), "decides");
	is_str(reason, "userunknown", "plain-text piece of a split entry");
	ok(where && g_str_has_suffix(where, "/t.reasons:5") && g_str_has_prefix(where, dir),
	   "named by its file in the rule folder and line");
	is_int(rt ? us_reasons_compilations(rt) : 99, 0, "... decided by the scan alone");
	is_str(rt ? us_reasons_describe(rt, "mailboxfull") : NULL, "full", "described");
	is_int(rt ? us_reasons_files(rt) : 0, 1, "one file");
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	is_int(rt ? us_reasons_lint(rt, problems) : 99, 0, "lint of a cached table");
	g_ptr_array_unref(problems);
	ok(!us_reasons_parse(rt, "more.reasons", "reason x y\n", 11, NULL), "nothing is parsed into it");
	us_ruleset_free(rs);

	/* Stale: the reason table changed (rules did not). */
	write_file(dir, "t.reasons", "reason mailboxfull full\ntext mailboxfull /no such user/i\n");
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	ok(g_str_has_prefix(got, "mailboxfull(t.reasons:2) "), "an edited reason table makes the cache stale");
	ok(!rules_cached && !table_cached, "... and the rules and table are parsed");
	g_free(got);
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	ok(g_str_has_prefix(got, "mailboxfull(t.reasons:2) ") && rules_cached && table_cached,
	   "the rebuilt cache has the new table");
	g_free(got);

	/* A broken table: no records, and every run that needs it says why. */
	write_file(dir, "t.reasons", "reason mailboxfull full\ntext nosuch /x/\n");
	for (int i = 0; i < 2; i++) {
		got = reasons_via_load(dir, &rules_cached, &table_cached);
		is_str(got, "ERROR t.reasons:2: unknown reason 'nosuch' (declare it with a reason line first)",
		       i ? "a broken table, rules from the cache: FILE:LINE" : "a broken table: FILE:LINE");
		ok(rules_cached == (i == 1), i ? "... the rules cached all the same" : "... the cache written");
		g_free(got);
	}

	/* A table added; one removed. */
	write_file(dir, "t.reasons", cache_reasons);
	write_file(dir, "u.reasons", "reason blocked no\ntext blocked /no such user/i\n");
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	ok(g_str_has_prefix(got, "userunknown(t.reasons:5) ") && !rules_cached, "an added table makes it stale");
	g_free(got);
	char *u = g_build_filename(dir, "u.reasons", NULL);
	g_unlink(u);
	g_free(u);
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	is_str(got, want, "a removed one too");
	ok(!rules_cached, "... parsed");
	g_free(got);

	/* Damaged records under a good header: the files are read instead,
	 * when loading or in the middle of a decision. */
	static const char *const damaged[] = { "Rt", "Rs", "Rl", "Rp", "Rk" };
	gchar *whole = NULL;
	gsize len = 0;
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	g_free(got);
	g_file_get_contents(cache, &whole, &len, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(damaged); i++) {
		damaged_key = damaged[i];
		g_file_set_contents(cache, whole, (gssize)len, NULL);
		rewrite_cache(cache, damage_reason_records);
		got = reasons_via_load(dir, &rules_cached, &table_cached);
		char *what = g_strdup_printf("damaged %s records: the same outcomes", damaged[i]);
		is_str(got, want, what);
		g_free(what);
		g_free(got);
		ok(rules_cached && !table_cached, "... the rules from the cache, the table from its file");
	}
	g_free(whole);

	/* Garbage: everything parsed. */
	g_file_set_contents(cache, "garbage", -1, NULL);
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	is_str(got, want, "a garbage cache: the same outcomes");
	ok(!rules_cached && !table_cached, "... parsed");
	g_free(got);

	/* UNSCATTER_NO_CACHE. */
	g_unlink(cache);
	g_setenv("UNSCATTER_NO_CACHE", "1", TRUE);
	got = reasons_via_load(dir, &rules_cached, &table_cached);
	is_str(got, want, "UNSCATTER_NO_CACHE: the same outcomes");
	ok(!table_cached && !g_file_test(cache, G_FILE_TEST_EXISTS), "... no cache");
	g_free(got);
	g_unsetenv("UNSCATTER_NO_CACHE");

	g_free(want);
	remove_dir(dir);
	g_free(cache);
	g_free(dir);
}

/* What a one-shot run compiles, and what lint compiles. */
static void compile_counts(void)
{
	struct us_ruleset *rs = rules_from(equivalence_rules);
	struct us_message *msg = us_message_new();
	GPtrArray *problems;

	/* Exact regexes and "^$": decided by the scan alone. */
	g_ptr_array_add(msg->headers, us_header_new("Subject", "Failure Notice"));
	g_ptr_array_add(msg->headers, us_header_new("From", "MAILER-DAEMON@example.com"));
	msg->envelope_sender = g_strdup("");
	is_fired(rs, msg, "daemon-subject null-subject empty-body", "exact alternatives and ^$");
	is_int(us_ruleset_compilations(rs), 0, "nothing compiled for them");

	/* A long alternation: only the alternative whose literal occurs. */
	g_string_assign(msg->body, "Hello.\n  this is the mail system at host x.\n");
	is_fired(rs, msg, "daemon-subject null-subject body-phrases body-phrases-2",
		 "a phrase of two split alternations");
	is_int(us_ruleset_compilations(rs), 2, "one alternative compiled per regex (flags differ)");
	is_fired(rs, msg, "daemon-subject null-subject body-phrases body-phrases-2", "again");
	is_int(us_ruleset_compilations(rs), 2, "compiled regexes are kept");

	problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_ruleset_lint(rs, problems), 0, "lint: no problem");
	ok(us_ruleset_compilations(rs) > 20, "lint compiles every regex and alternative");
	g_ptr_array_unref(problems);
	us_message_free(msg);
	us_ruleset_free(rs);

	/* Shared units: the same regex in two rules is compiled once. */
	rs = rules_from("rule a\n kind dsn\n describe a\n body =~ /^foo bar/\n"
			"rule b\n kind virus\n describe b\n body =~ /^foo bar/\n");
	msg = us_message_new();
	g_string_assign(msg->body, "foo bar");
	is_fired(rs, msg, "a b", "one regex, two rules");
	is_int(us_ruleset_compilations(rs), 1, "compiled once");
	us_message_free(msg);
	us_ruleset_free(rs);

	/* A run compiles only the alternatives it needs, so a mistake in
	 * another shows only with lint. */
	rs = rules_from("rule long\n kind dsn\n describe d\n"
			"    body =~ /^(first alternative with some text|second alternative with some text|third[[:nosuch:]])/\n");
	msg = us_message_new();
	g_string_assign(msg->body, "second alternative with some text");
	is_fired(rs, msg, "long", "the bad alternative is not needed");
	g_string_assign(msg->body, "third");
	is_fired(rs, msg, "ERROR: e.rules:4: bad regex: Unknown character class name",
		 "but fails once needed");
	problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_ruleset_lint(rs, problems), 1, "lint finds it");
	if (problems->len == 1)
		is_str(g_ptr_array_index(problems, 0), "e.rules:4: bad regex: Unknown character class name",
		       "reported at the condition");
	g_ptr_array_unref(problems);
	us_message_free(msg);
	us_ruleset_free(rs);
}

/* Body regexes run over the body as characters (converted once per
 * message), or over its bytes when it is not valid UTF-8. */
static void body_characters(void)
{
	struct us_ruleset *rs = rules_from(
		"rule away\n kind autoreply\n describe d\n body =~ /^[^>]*bin .{0,4}au\xc3\x9f" "er haus/im\n"
		"rule dot\n kind autoreply\n describe d\n body =~ /caf.s? ferm/i\n");
	struct us_message *msg = us_message_new();

	g_string_assign(msg->body, "Hallo,\nich bin \xc3\xa4\xc3\xb6\xc3\xbc au\xc3\x9f" "er Haus\n");
	is_fired(rs, msg, "away", "body regex: . counts characters, not bytes; m and i");
	g_string_assign(msg->body, "> ich bin au\xc3\x9f" "er haus\nCAF\xc3\x89 FERM\xc3\x89");
	is_fired(rs, msg, "dot", "body regex: quoted line left out; a non-ASCII character is one .");
	g_string_assign(msg->body, "ich bin \xff au\xc3\x9f" "er haus");
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	ok(us_ruleset_evaluate(rs, msg, hits, NULL, NULL), "body regex: invalid UTF-8 is read as bytes, no failure");
	g_array_unref(hits);
	us_message_free(msg);
	us_ruleset_free(rs);
}

int main(void)
{
	/* As the program does: TRE matches UTF-8 text as characters. */
	setlocale(LC_CTYPE, "C.UTF-8");
	parse_errors();
	parse_nul();
	duplicates_across_parses();
	load_dir();
	evaluation();
	lazy_compile();
	parse_after_evaluate();
	no_literal();
	explain_lines();
	reference_equivalence();
	windows_equivalence();
	cache_equivalence();
	cache_fallbacks();
	reason_cache();
	compile_counts();
	body_characters();
	return tap_done();
}
