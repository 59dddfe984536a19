/* test-shipped-rules.c - the rules in rules/ as shipped: ordinary mail costs
 * (almost) no regex compilation, and the prefiltered engine decides every
 * message exactly as a plain regex engine would.
 * Run from the project root (tests/run does), or with TOP set. */
#include <locale.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "mime.h"
#include "rules.h"
#include "rules-internal.h"
#include "tap.h"

static const char *top(void)
{
	const char *t = g_getenv("TOP");

	return t != NULL && *t != '\0' ? t : ".";
}

static struct us_ruleset *load(bool reference)
{
	struct us_ruleset *rs = us_ruleset_new();
	char *dir = g_build_filename(top(), "rules", NULL);
	GError *error = NULL;

	if (!us_ruleset_load_dir(rs, dir, &error)) {
		printf("# %s\n", error->message);
		g_error_free(error);
	}
	g_free(dir);
	us_ruleset_set_reference(rs, reference);
	return rs;
}

/* The names of the rules of RS that fire on MSG, space separated. */
static char *rule_names(struct us_ruleset *rs, const struct us_message *msg)
{
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	GString *names = g_string_new("");
	GError *error = NULL;

	if (!us_ruleset_evaluate(rs, msg, hits, NULL, &error)) {
		g_string_append_printf(names, "error: %s", error->message);
		g_error_free(error);
	}
	for (guint i = 0; i < hits->len; i++)
		g_string_append_printf(names, "%s%s", i ? " " : "", g_array_index(hits, struct us_hit, i).name);
	g_array_unref(hits);
	return g_string_free(names, FALSE);
}

/* The same with a fresh load of the shipped rules; *COMPILED (if not
 * NULL) gets the number of regexes compiled for it. */
static char *fired(const struct us_message *msg, bool reference, unsigned *compiled)
{
	struct us_ruleset *rs = load(reference);
	char *names = rule_names(rs, msg);

	if (compiled != NULL)
		*compiled = us_ruleset_compilations(rs);
	us_ruleset_free(rs);
	return names;
}

static struct us_message *parse(const char *text)
{
	return us_mime_parse(text, strlen(text));
}

/* Ordinary mail: no kind reaches US_RULE_THRESHOLD (weak evidence may
 * fire), and at most MAX regexes are compiled. */
static void ordinary(const char *what, const char *text, unsigned max)
{
	struct us_message *msg = parse(text);
	struct us_ruleset *rs = load(false);
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	int sum[US_KIND_COUNT] = { 0 };
	int best = 0;
	unsigned n;
	char *label;

	ok(us_ruleset_evaluate(rs, msg, hits, NULL, NULL), "evaluates");
	for (guint i = 0; i < hits->len; i++) {
		const struct us_hit *h = &g_array_index(hits, struct us_hit, i);
		if ((unsigned)h->kind < US_KIND_COUNT)
			sum[h->kind] += h->score;
	}
	for (int k = US_KIND_DSN; k < US_KIND_COUNT; k++)
		if (sum[k] > best)
			best = sum[k];
	label = g_strdup_printf("%s: highest kind score %d < %d", what, best, US_RULE_THRESHOLD);
	ok(best < US_RULE_THRESHOLD, label);
	g_free(label);
	n = us_ruleset_compilations(rs);
	label = g_strdup_printf("%s: %u regexes compiled, at most %u", what, n, max);
	ok(n <= max, label);
	g_free(label);
	g_array_unref(hits);
	us_ruleset_free(rs);
	us_message_free(msg);
}

/* The same rules fire with and without the prefilter. */
static void same(const char *what, const char *text)
{
	struct us_message *msg = parse(text);
	char *fast = fired(msg, false, NULL);
	char *plain = fired(msg, true, NULL);
	char *label = g_strdup_printf("%s: prefiltered engine agrees with a plain one (%s)", what,
				      *fast ? fast : "nothing fires");

	is_str(fast, plain, label);
	g_free(label);
	g_free(fast);
	g_free(plain);
	us_message_free(msg);
}

static const char *const plain_mail =
	"From: Anna <anna@example.org>\nTo: bob@example.com\nSubject: Lunch on Friday?\n"
	"Date: Tue, 01 Dec 2026 07:30:00 +0100\nMessage-ID: <lunch.1@example.org>\n\n"
	"Hi Bob,\n\nshall we have lunch on Friday? I am back from holiday by then.\n\nAnna\n";

static const char *const reply_mail =
	"From: Bob <bob@example.com>\nTo: anna@example.org\nSubject: Re: Lunch on Friday?\n"
	"In-Reply-To: <lunch.1@example.org>\nMIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
	"Gern! Ich bin bis Donnerstag im Urlaub, danach passt es.\n\n> shall we have lunch on Friday?\n";

static const char *const japanese_mail =
	"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\nTo: bob@example.com\n"
	"Subject: =?ISO-2022-JP?B?GyRCMnFEajgrJE4bKEI=?=\nMIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=ISO-2022-JP\n\n"
	"\x1b$B$h$m$7$/$*4j$$$7$^$9!#\x1b(B\n";

static const char *const list_mail =
	"From: Carol <carol@example.net>\nTo: users@lists.example.org\nSubject: [users] Out of office tools?\n"
	"List-Id: <users.lists.example.org>\nList-Unsubscribe: <mailto:users-leave@lists.example.org>\n"
	"Precedence: bulk\nSender: users-bounces@lists.example.org\n\n"
	"Which out-of-office tool do you use? I will be away in January and want one.\n";

static const char *const vacation_mail =
	"Return-Path: <>\nFrom: Dan <dan@example.net>\nTo: anna@example.org\n"
	"Subject: Automatic reply: Lunch on Friday?\nAuto-Submitted: auto-replied\n\n"
	"I am out of the office until Monday.\n";

static const char *const bounce_mail =
	"Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.com (Mail Delivery System)\nTo: anna@example.org\n"
	"Subject: Undelivered Mail Returned to Sender\n\n"
	"This is the mail system at host mx.example.com.\n\n"
	"<bob@example.com>: host mx.example.com said: 550 5.1.1 User unknown\n";

/* The whole corpus (../shared/corpus, or $CORPUS), or every STEP-th
 * message of it ($UNSCATTER_CORPUS_STEP; 1 by default, 4 under the
 * sanitizers, $SANITIZE, where it takes minutes): the prefiltered engine,
 * with its literal scan, splits and windows, fires the same rules as a
 * plain one on every real message. */
static void corpus_agrees(void)
{
	const char *dir = g_getenv("CORPUS");
	char *corpus = dir && *dir ? g_strdup(dir) : g_build_filename(top(), "..", "shared", "corpus", NULL);
	char *labels = g_build_filename(corpus, "labels.tsv", NULL);
	const char *step_env = g_getenv("UNSCATTER_CORPUS_STEP");
	const char *sanitize = g_getenv("SANITIZE");
	int step = step_env && atoi(step_env) > 0 ? atoi(step_env) : sanitize && *sanitize ? 4 : 1;
	struct us_ruleset *fast = load(false), *plain = load(true);
	unsigned messages = 0, differ = 0, firing = 0;
	char *text = NULL, **lines;

	if (!g_file_get_contents(labels, &text, NULL, NULL)) {
		bool strict = g_getenv("UNSCATTER_NO_SKIP") != NULL;
		printf("# no corpus at %s\n", corpus);
		ok(!strict, "corpus: skipped (no corpus; UNSCATTER_NO_SKIP makes this fail)");
		goto out;
	}
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		char *tab = strchr(lines[i], '\t'), *path, *data;
		gsize len;
		if (lines[i][0] == '#' || tab == NULL || i % step != 0)
			continue;
		path = g_build_filename(corpus, (*tab = '\0', lines[i]), NULL);
		if (g_file_get_contents(path, &data, &len, NULL)) {
			struct us_message *msg = us_mime_parse(data, len);
			char *a = rule_names(fast, msg), *b = rule_names(plain, msg);
			messages++;
			firing += *b != '\0';
			if (strcmp(a, b) != 0 && differ++ < 5)
				printf("# %s: '%s', plain engine '%s'\n", lines[i], a, b);
			g_free(a);
			g_free(b);
			us_message_free(msg);
			g_free(data);
		}
		g_free(path);
	}
	g_strfreev(lines);
	printf("# %u corpus messages, %u with rules firing; %u body matches on stretches\n", messages,
	       firing, us_ruleset_windowed(fast));
	ok(messages > 0 && firing > 0, "corpus messages read, rules fire");
	is_int(differ, 0, "corpus: prefiltered engine agrees with a plain one on every message");
out:
	g_free(text);
	us_ruleset_free(fast);
	us_ruleset_free(plain);
	g_free(labels);
	g_free(corpus);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	us_mime_init();

	/* The one regex: the gate of the non-ASCII subject rules. */
	ordinary("plain English mail", plain_mail, 1);
	/* Words of the out-of-office rules: their alternatives are tried. */
	ordinary("German reply in ISO-8859-1 about holidays", reply_mail, 4);
	ordinary("mailing-list post about out-of-office tools", list_mail, 4);
	/* A non-ASCII subject passes the gate: one more regex, the subject's. */
	ordinary("Japanese mail (ISO-2022-JP subject)", japanese_mail, 2);

	same("plain English mail", plain_mail);
	same("German reply", reply_mail);
	same("Japanese mail", japanese_mail);
	same("mailing-list post", list_mail);
	same("vacation reply", vacation_mail);
	same("Postfix bounce", bounce_mail);
	corpus_agrees();

	us_mime_shutdown();
	return tap_done();
}
