/* test-recipient.c - recipient candidates and unlikely local-part patterns. */
#include <stdlib.h>
#include <string.h>
#include "recipient.h"
#include "tap.h"

static char *load_error(const char *text)
{
	GError *error = NULL;
	struct us_localparts *lp = us_localparts_parse("/r/unlikely", text, strlen(text), &error);
	char *msg = lp ? NULL : g_strdup(error->message);

	us_localparts_free(lp);
	g_clear_error(&error);
	return msg;
}

int main(void)
{
	char *s;

	s = us_recipient_clean("Alice <alice@example.com>");
	is_str(s, "alice@example.com", "display name form");
	g_free(s);
	s = us_recipient_clean("rfc822; bob@example.com");
	is_str(s, "bob@example.com", "DSN form");
	g_free(s);
	s = us_recipient_clean("  prvs=1123548aad=Carol@Example.com ");
	is_str(s, "prvs=1123548aad=Carol@Example.com", "bare, case and tag kept");
	g_free(s);
	ok(us_recipient_clean("nobody") == NULL, "no @");
	ok(us_recipient_clean("a b@c") == NULL, "space inside");
	ok(us_recipient_clean(NULL) == NULL, "NULL");

	struct us_message *msg = us_message_new();
	g_ptr_array_add(msg->headers, us_header_new("Delivered-To", "alice@example.com"));
	g_ptr_array_add(msg->headers, us_header_new("X-Original-To", "prvs=1123548aad=alice@example.com"));
	g_ptr_array_add(msg->headers, us_header_new("Delivered-To", "list@lists.example.org"));
	GPtrArray *env = g_ptr_array_new_with_free_func(us_recipient_free);
	setenv("RECIPIENT", "Alice@example.com", 1);
	unsetenv("ORIGINAL_RECIPIENT");
	setenv("ORIG_RECIPIENT", "orig@example.com", 1);
	us_recipients_envelope(env, "cmd@example.com");
	GPtrArray *all = us_recipients_collect(env, msg);
	is_int(all->len, 4, "-r, two environment variables, X-Original-To; duplicates left out");
	const struct us_recipient *r0 = g_ptr_array_index(all, 0), *r1 = g_ptr_array_index(all, 1),
				  *r2 = g_ptr_array_index(all, 2), *r3 = g_ptr_array_index(all, 3);
	is_str(r0->source, "-r", "-r first");
	is_str(r1->source, "RECIPIENT", "then RECIPIENT");
	is_str(r2->address, "orig@example.com", "then ORIG_RECIPIENT");
	is_str(r3->source, "X-Original-To", "then X-Original-To; the topmost Delivered-To equals RECIPIENT");
	g_ptr_array_unref(all);
	g_ptr_array_unref(env);
	unsetenv("RECIPIENT");
	unsetenv("ORIG_RECIPIENT");
	all = us_recipients_collect(NULL, msg);
	is_int(all->len, 2, "headers only");
	is_str(((struct us_recipient *)g_ptr_array_index(all, 1))->address, "alice@example.com",
	       "the topmost Delivered-To, not a later one");
	g_ptr_array_unref(all);
	us_message_free(msg);

	/* Patterns. */
	char *text;
	gsize len;
	GError *error = NULL;
	char *path = g_build_filename(g_getenv("TOP") ? g_getenv("TOP") : ".", "rules", "unlikely-localparts", NULL);
	ok(g_file_get_contents(path, &text, &len, &error), "the shipped rules/unlikely-localparts reads");
	struct us_localparts *lp = text ? us_localparts_parse(path, text, len, &error) : NULL;
	ok(lp != NULL && us_localparts_count(lp) >= 3, "and compiles");
	g_free(text);
	g_free(path);
	static const struct { const char *local; bool unlikely; } cases[] = {
		{ "alice", false }, { "alice.smith", false }, { "a-b_c", false }, { "bob+lists", false },
		{ "alice1984", true }, { "7alice", true }, { "_x", true }, { "a,b", true }, { "a|b", true },
		{ "\"quoted\"", true }, { "o'brien", true },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *name = us_localparts_match(lp, cases[i].local, strlen(cases[i].local));
		char *what = g_strdup_printf("%s is %s", cases[i].local, cases[i].unlikely ? "unlikely" : "fine");
		ok((name != NULL) == cases[i].unlikely, what);
		g_free(what);
	}
	us_localparts_free(lp);

	s = load_error("# c\nends-in-digits [0-9]$\nbroken [a-\n");
	is_str(s, "/r/unlikely:3: pattern 'broken': bad regex: Invalid character range", "bad regex: FILE:LINE");
	g_free(s);
	s = load_error("lonely\n");
	is_str(s, "/r/unlikely:1: pattern 'lonely' has no regex (expected NAME REGEX)", "missing regex");
	g_free(s);
	ok(load_error("\n# only comments\n   \n") == NULL, "comments and blank lines");
	return tap_done();
}
