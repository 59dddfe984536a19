/* test-reasons.c - the reason table (reasons.c): parse errors with
 * FILE:LINE, decision order, status patterns, laziness, and the shipped
 * table on typical diagnostics. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include "reasons.h"
#include "tap.h"

/* The error of parsing TEXT as "t.reasons" into a fresh table, or "ok". */
static char *parse_error(const char *text)
{
	struct us_reasons *rt = us_reasons_new();
	GError *error = NULL;
	char *result;

	if (us_reasons_parse(rt, "t.reasons", text, strlen(text), &error)) {
		result = g_strdup("ok");
	} else {
		result = g_strdup(error->message);
		g_error_free(error);
		if (us_reasons_count(rt) != 0)
			result = (g_free(result), g_strdup("lines added despite the error"));
	}
	us_reasons_free(rt);
	return result;
}

#define is_error(text, want, what) do { \
	char *got_ = parse_error(text); \
	is_str(got_, want, what); \
	g_free(got_); \
} while (0)

#define DECL "reason userunknown no such user\nreason mailboxfull over quota\n"

static void parse_errors(void)
{
	is_error(DECL "text userunknown /no such user/i\nstatus 5.1.1 userunknown\n", "ok", "a good table");
	is_error("# comment\n\n   \nreason a-b_1 text\n", "ok", "comments, blank lines, name characters");
	is_error("reasn x y\n", "t.reasons:1: unknown keyword 'reasn'", "unknown keyword");
	is_error(DECL "\nreason userunknown again\n", "t.reasons:4: reason 'userunknown' declared twice",
		 "duplicate reason");
	is_error("reason Bad x\n", "t.reasons:1: bad reason name 'Bad' (lower-case letters, digits, - and _)",
		 "bad reason name");
	is_error("reason lonely\n", "t.reasons:1: reason 'lonely' has no description", "reason without description");
	is_error(DECL "text nosuch /x/\n", "t.reasons:3: unknown reason 'nosuch' (declare it with a reason line first)",
		 "text with an undeclared reason");
	is_error("text userunknown /x/\n" DECL,
		 "t.reasons:1: unknown reason 'userunknown' (declare it with a reason line first)",
		 "use before declaration");
	is_error(DECL "status 5.1 userunknown\n", "t.reasons:3: bad status code '5.1' (like 5.1.1, 5.7.*, 550 or 55*)",
		 "bad enhanced status pattern");
	is_error(DECL "status 5x0 userunknown\n", "t.reasons:3: bad status code '5x0' (like 5.1.1, 5.7.*, 550 or 55*)",
		 "bad basic status pattern");
	is_error(DECL "status 5.1.1\n", "t.reasons:3: status needs two words: CODE REASON", "status without reason");
	is_error(DECL "action failed userunknown extra\n", "t.reasons:3: action needs two words: ACTION REASON",
		 "action with a third word");
	is_error(DECL "text userunknown\n", "t.reasons:3: text needs a reason and a regex: text REASON /RE/FLAGS",
		 "text without regex");
	is_error(DECL "text userunknown no such user\n", "t.reasons:3: regex not delimited by /.../", "undelimited regex");
	is_error(DECL "text userunknown /abc\n", "t.reasons:3: regex not delimited by /.../", "unterminated regex");
	is_error(DECL "text userunknown //\n", "t.reasons:3: empty regex", "empty regex");
	is_error(DECL "text userunknown /abc/x\n", "t.reasons:3: unknown flag 'x' (i and m are known)", "unknown flag");
	is_error(DECL "text userunknown /a(bc/\n", "t.reasons:3: bad regex: unbalanced ( (missing ))",
		 "unbalanced parenthesis found when read");
	is_error(DECL "recipient <([^>]+)>/\n", "t.reasons:3: regex not delimited by /.../", "recipient regex undelimited");
	is_error("reason a x\n\xff\n", "t.reasons:2: not valid UTF-8", "invalid UTF-8");
}

static struct us_reasons *table(const char *text)
{
	struct us_reasons *rt = us_reasons_new();
	GError *error = NULL;

	if (!us_reasons_parse(rt, "t.reasons", text, strlen(text), &error)) {
		printf("# %s\n", error->message);
		g_error_free(error);
	}
	return rt;
}

/* The reason RT gives for the fields, "ERROR" on failure; WHERE to *WHERE. */
static const char *decide(struct us_reasons *rt, const char *action, const char *status,
			  const char *code, const char *text, const char **where)
{
	struct us_reason_query q = { action, status, code, text };
	const char *reason, *w;
	GError *error = NULL;

	if (!us_reasons_decide(rt, &q, &reason, &w, &error)) {
		printf("# %s\n", error->message);
		g_error_free(error);
		return "ERROR";
	}
	if (where)
		*where = w;
	return reason;
}

static void decisions(void)
{
	struct us_reasons *rt = table(DECL "reason delivered ok\nreason expired late\n"
				      "action delivered delivered\n"
				      "text mailboxfull /over ?quota|mailbox (is )?full/i\n"
				      "status 5.1.1 userunknown\n"
				      "text userunknown /user unknown/i\n"
				      "status 4.*.* expired\n"
				      "status 55* mailboxfull\n");
	const char *where = NULL;

	is_str(decide(rt, "failed", "5.1.1", "550", "smtp; 550 5.1.1 user unknown", &where), "userunknown",
	       "status line");
	is_str(where, "t.reasons:7", "the deciding line is named");
	is_str(decide(rt, "failed", "5.1.1", "550", "550 5.1.1 Mailbox is FULL", NULL), "mailboxfull",
	       "an earlier text line wins over a later status line");
	is_str(decide(rt, "failed", "5.0.0", NULL, "User unknown", NULL), "userunknown", "text line, case ignored");
	is_str(decide(rt, "delayed", "4.4.1", NULL, "connect timed out", NULL), "expired", "status wildcard 4.*.*");
	is_str(decide(rt, "failed", "4.10.100", NULL, "", NULL), "expired", "wildcard parts of several digits");
	is_str(decide(rt, "failed", NULL, "552", "", NULL), "mailboxfull", "basic code pattern 55*");
	is_str(decide(rt, "failed", NULL, "452", "", NULL), "undefined", "basic code that fits no pattern");
	is_str(decide(rt, "failed", "5.1.10", NULL, "", NULL), "undefined", "5.1.10 is not 5.1.1");
	is_str(decide(rt, "Delivered", "2.0.0", NULL, "", &where), "delivered", "action line, case ignored");
	is_str(decide(rt, "failed", NULL, NULL, NULL, &where), "undefined", "nothing known: undefined");
	ok(where == NULL, "undefined names no line");
	us_reasons_free(rt);
}

static void laziness(void)
{
	struct us_reasons *rt = table(DECL
				      "text mailboxfull /mailbox full|over quota/i\n"
				      "text mailboxfull /quota (exceeded|full)[[:space:]]+for/i\n"
				      "text userunknown /^no such user/i\n"
				      "recipient /^<([^>]+)>:/\n");

	is_int(us_reasons_compilations(rt), 0, "parsing compiles nothing");
	is_str(decide(rt, "failed", NULL, NULL, "550 Mailbox full", NULL), "mailboxfull", "plain-text regex decided");
	is_int(us_reasons_compilations(rt), 0, "... by the literal scan alone, without compiling");
	is_str(decide(rt, "failed", NULL, NULL, "host said: 550 sorry", NULL), "undefined", "no literal occurs");
	is_int(us_reasons_compilations(rt), 0, "... so nothing is compiled");
	is_str(decide(rt, "failed", NULL, NULL, "quota exceeded  for user", NULL), "mailboxfull",
	       "a regex whose literals occur");
	is_int(us_reasons_compilations(rt), 1, "... is compiled, once");
	is_str(decide(rt, "failed", NULL, NULL, "No such user here", NULL), "userunknown", "anchored regex");
	is_int(us_reasons_compilations(rt), 2, "... compiled when its literal occurs");
	is_str(decide(rt, "failed", NULL, NULL, "hello no such user", NULL), "undefined", "anchor respected");
	is_int(us_reasons_compilations(rt), 2, "nothing compiled twice");

	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_reasons_lint(rt, problems), 0, "lint: a good table");
	is_int(us_reasons_compilations(rt), 6, "lint compiles every regex, and both alternatives of the split one");
	g_ptr_array_unref(problems);
	us_reasons_free(rt);

	rt = table(DECL "text userunknown /no such user/i\ntext userunknown /a{2,1}b/\n");
	problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_reasons_lint(rt, problems), 1, "lint finds a regex TRE rejects");
	ok(problems->len == 1 && g_str_has_prefix(g_ptr_array_index(problems, 0), "t.reasons:4: bad regex: "),
	   "lint problem is FILE:LINE: bad regex: ...");
	struct us_reason_query q = { "failed", NULL, NULL, "xx aab" };
	const char *reason, *where;
	GError *error = NULL;
	ok(!us_reasons_decide(rt, &q, &reason, &where, &error) && error &&
	   g_str_has_prefix(error->message, "t.reasons:4: bad regex: "),
	   "a decision that needs the bad regex fails with FILE:LINE");
	g_clear_error(&error);
	g_ptr_array_unref(problems);
	us_reasons_free(rt);
}

/* Pieces split in turn, and prepared (as for the cache): a piece is
 * compiled only if the literals of its start occur too. */
static void pieces(void)
{
	static const char text[] = DECL
		"text userunknown /(recipient|address|mailbox)[^.]* (does not exist|unknown)|no such user/i\n";
	for (int prepared = 0; prepared < 2; prepared++) {
		struct us_reasons *rt = table(text);
		char *what;
		if (prepared)
			us_reasons_prepare(rt);
		what = g_strdup_printf("%s: a phrase without the start of any piece", prepared ? "prepared" : "parsed");
		is_str(decide(rt, "failed", NULL, NULL, "550 user does not exist", NULL), "undefined", what);
		g_free(what);
		is_int(us_reasons_compilations(rt), 0, "... compiles nothing");
		is_str(decide(rt, "failed", NULL, NULL, "no such user", NULL), "userunknown", "a plain-text piece");
		is_int(us_reasons_compilations(rt), 0, "... by the scan alone");
		is_str(decide(rt, "failed", NULL, NULL, "The mailbox you named does not exist", NULL), "userunknown",
		       "a piece of a piece");
		is_int(us_reasons_compilations(rt), 1, "... the only one compiled");
		is_str(decide(rt, "failed", NULL, NULL, "The mailbox. It does not exist", NULL), "undefined",
		       "[^.] holds");
		is_str(decide(rt, "failed", NULL, NULL, "address unknown", NULL), "userunknown", "another");
		is_int(us_reasons_compilations(rt), 2, "... compiled in turn");
		GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
		is_int(us_reasons_lint(rt, problems), 0, "lint");
		g_ptr_array_unref(problems);
		us_reasons_free(rt);
	}
}

struct seen {
	GString *all;
};

static void on_found(const char *addr, size_t len, size_t after, void *data)
{
	struct seen *s = data;

	(void)after;
	g_string_append_printf(s->all, "%s%.*s", s->all->len ? " " : "", (int)len, addr);
}

static void recipients(void)
{
	struct us_reasons *rt = table("recipient /^<([^>]+)>:/\n"
				      "skip /^To:/\n"
				      "recipient /([^ ]+@[^ ]+)/\n"
				      "fallback-recipient /mailto:([a-z]+)/\n"
				      "end /^Received:/\n");
	const char *text = "Hi.\n<a@example.com>:\nsorry\nTo: b@example.com\nc@example.com failed\n"
			   "Received: from x\n";
	struct seen s = { g_string_new(NULL) };
	GError *error = NULL;
	size_t n = us_reasons_notice_length(rt, text, strlen(text), &error);

	is_int(n, strstr(text, "Received:") - text, "the notice ends at an end line");
	ok(us_reasons_find_recipients(rt, text, n, on_found, &s, &error), "recipient lines run");
	is_str(s.all->str, "a@example.com c@example.com", "first matching line wins; skip lines name none");
	g_string_truncate(s.all, 0);
	ok(us_reasons_find_recipients(rt, "see mailto:dee\n", 15, on_found, &s, &error) &&
	   strcmp(s.all->str, "dee") == 0, "fallback lines only when nothing else matched");
	g_string_free(s.all, TRUE);
	us_reasons_free(rt);
}

/* A recipient line is tried on a body line only if the line has every
 * byte its matches contain: not those of optional parts, alternatives or
 * assertions. */
static void needed_bytes(void)
{
	static const struct { const char *regex, *line, *want; } cases[] = {
		{ "^to:? *<?([a-z]+@[a-z.]+)>?$", "to bob@example.org", "bob@example.org" },
		{ "^ *\\<([a-z]+@[a-z]+)\\>", " bob@host", "bob@host" },
		{ "^-{0,2}=([a-z]+@[a-z]+)", "=bob@host", "bob@host" },
		{ "^([a-z]+@[a-z]+)(#|%)", "bob@host%", "bob@host" },
		{ "^[(]([a-z]+@[a-z]+)[)](=|x:)?$", "(bob@host)", "bob@host" },
		{ "^([a-z]+@[a-z]+)(=|x:)?[.]$", "bob@host.", "bob@host" },
		{ "^=+:([a-z]+@[a-z]+)", "==:bob@host", "bob@host" },
		{ "^=+:([a-z]+@[a-z]+)", "==bob@host", "" },
		{ "^<([a-z]+@[a-z]+)>:", "<bob@host> ", "" },
		{ "^<([a-z]+@[a-z]+)>:", "<bob@host>:", "bob@host" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf("recipient /%s/\n", cases[i].regex);
		struct us_reasons *rt = table(text);
		struct seen s = { g_string_new(NULL) };
		char *what = g_strdup_printf("/%s/ on '%s'", cases[i].regex, cases[i].line);
		ok(us_reasons_find_recipients(rt, cases[i].line, strlen(cases[i].line), on_found, &s, NULL) &&
		   strcmp(s.all->str, cases[i].want) == 0, what);
		if (strcmp(s.all->str, cases[i].want) != 0)
			printf("# found '%s'\n", s.all->str);
		g_free(what);
		g_free(text);
		g_string_free(s.all, TRUE);
		us_reasons_free(rt);
	}
	struct us_reasons *rt = table("recipient /^<([^>]+)>:/\nskip /^To:/\n");
	static const char text[] = "no address here: a@b\nnor <here>\n";
	struct seen s = { g_string_new(NULL) };
	ok(us_reasons_find_recipients(rt, text, strlen(text), on_found, &s, NULL) && s.all->len == 0 &&
	   us_reasons_compilations(rt) == 0, "lines without all of < > : need no regex");
	g_string_free(s.all, TRUE);
	us_reasons_free(rt);
}

/* The shipped table on diagnostics as MTAs write them. */
static void shipped(void)
{
	const char *top = getenv("TOP");
	struct us_reasons *rt = us_reasons_new();
	GError *error = NULL;
	char *dir = g_build_filename(top ? top : ".", "rules", NULL);
	static const struct { const char *status, *code, *text, *want; } cases[] = {
		{ "5.1.1", "550", "smtp; 550 5.1.1 <x@example.com>: Recipient address rejected: User unknown in local recipient table", "userunknown" },
		{ "5.2.2", "552", "smtp; 552 5.2.2 Mailbox full", "mailboxfull" },
		{ NULL, NULL, "Sorry, no mailbox here by that name. (#5.1.1)", "userunknown" },
		{ "4.4.7", NULL, "Message expired: unable to deliver in 840 minutes", "expired" },
		{ "5.4.4", NULL, "X-Postfix; Host or domain name not found. Name service error for name=example.invalid type=MX", "hostunknown" },
		{ "5.7.1", "554", "smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "blocked" },
		{ "5.7.1", "550", "smtp; 550 5.7.1 Message rejected as spam by Content Filtering", "spamdetected" },
		{ "5.7.1", "554", "smtp; 554 5.7.1 <x@example.com>: Relay access denied", "norelaying" },
		{ "5.3.4", "552", "smtp; 552 5.3.4 Message size exceeds fixed limit", "mesgtoobig" },
		{ "5.7.26", "550", "550-5.7.26 This message does not have authentication information or fails to pass authentication checks (SPF or DKIM)", "authfailure" },
		{ "5.7.1", "550", "550 5.7.1 Client host rejected: cannot find your reverse hostname", "requireptr" },
		{ "4.7.0", "421", "421 4.7.0 Too many concurrent SMTP connections from this IP address", "toomanyconn" },
		{ "5.2.1", "550", "550 5.2.1 The email account that you tried to reach is disabled", "suspend" },
		{ "5.1.8", "553", "553 5.1.8 <s@example.org>... Sender address rejected: Domain not found", "rejected" },
		{ "5.7.1", "554", "554 5.7.1 The message was rejected because it contains a virus", "virusdetected" },
		{ "5.0.0", "550", "host x[192.0.2.1] said: 550 Unknown user (in reply to end of DATA command)", "filtered" },
		{ "5.1.6", "551", "551 User not local; please try <x@example.net>", "hasmoved" },
		{ "5.0.0", NULL, "something nobody has written before", "onhold" },
	};

	ok(us_reasons_load_dir(rt, dir, &error), "the shipped table loads");
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *what = g_strdup_printf("shipped: %s for '%.50s'", cases[i].want, cases[i].text);
		is_str(decide(rt, "failed", cases[i].status, cases[i].code, cases[i].text, NULL), cases[i].want, what);
		g_free(what);
	}
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	is_int(us_reasons_lint(rt, problems), 0, "the shipped table lints clean");
	ok(us_reasons_describe(rt, "userunknown") != NULL, "userunknown is declared with a description");
	ok(us_reasons_describe(rt, "nonsense") == NULL, "undeclared names have none");
	g_ptr_array_unref(problems);
	g_clear_error(&error);
	g_free(dir);
	us_reasons_free(rt);
}

/* TRE runs only on the runs of the text between bytes no match can
 * contain, around the literals: anchors, word assertions and runs must
 * decide as on the whole text. */
static void windows(void)
{
	struct us_reasons *rt = table(DECL "text mailboxfull /(mailbox|quota)[^.]*(full|exceeded)/i\n");

	is_str(decide(rt, "failed", NULL, NULL, "x. Your mailbox is now full. y", NULL), "mailboxfull",
	       "a match inside one sentence");
	is_str(decide(rt, "failed", NULL, NULL, "Your mailbox. It is full", NULL), "undefined",
	       "no match across a byte the regex cannot match");
	is_str(decide(rt, "failed", NULL, NULL, "quota. mailbox. quota, nearly full", NULL), "mailboxfull",
	       "the run of a later occurrence is tried too");
	us_reasons_free(rt);

	rt = table(DECL "text userunknown /^[a-z ]*user unknown/i\n"
		   "text mailboxfull /mailbox full$/i\n");
	is_str(decide(rt, "failed", NULL, NULL, "550: user unknown", NULL), "undefined",
	       "^ does not match where a run starts inside the text");
	is_str(decide(rt, "failed", NULL, NULL, "Sorry user unknown: x", NULL), "userunknown",
	       "^ matches at the start of the text");
	is_str(decide(rt, "failed", NULL, NULL, "mailbox full: 552", NULL), "undefined",
	       "$ does not match where a run ends inside the text");
	is_str(decide(rt, "failed", NULL, NULL, "552: the mailbox full", NULL), "mailboxfull",
	       "$ matches at the end of the text");
	us_reasons_free(rt);

	rt = table(DECL "text userunknown /\\bunknown[[:blank:]]user\\b/i\n");
	is_str(decide(rt, "failed", NULL, NULL, "x: nounknown user", NULL), "undefined",
	       "\\b sees the bytes before a run");
	is_str(decide(rt, "failed", NULL, NULL, "unknown users: x", NULL), "undefined",
	       "\\b sees the bytes after a run");
	is_str(decide(rt, "failed", NULL, NULL, "550 5.1.1 <a@b>: Unknown user, sorry", NULL), "userunknown",
	       "\\b at the edges of a run");
	us_reasons_free(rt);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	parse_errors();
	decisions();
	laziness();
	pieces();
	windows();
	recipients();
	needed_bytes();
	shipped();
	return tap_done();
}
