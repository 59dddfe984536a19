/* test-prefilter.c - required literals of regexes, their exactness and
 * splits (checked against TRE itself), and the literal scanner. */
#include <locale.h>
#include <string.h>
#include <tre/tre.h>
#include "prefilter.h"
#include "tap.h"

static gint compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The extracted set, sorted and joined with "|"; "-" when there is none,
 * "!message" on a syntax error. Returns a static buffer. */
static const char *lits(const char *re)
{
	static char buf[1024];
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const char *err = NULL;
	bool ok = us_literals_extract(re, out, &err);

	if (!ok) {
		g_snprintf(buf, sizeof buf, "%s%s", err ? "!" : "-", err ? err : "");
		if (out->len != 0)
			g_strlcpy(buf, "OUT NOT EMPTY", sizeof buf);
	} else {
		g_ptr_array_sort(out, compare_strings);
		g_ptr_array_add(out, NULL);
		char *joined = g_strjoinv("|", (char **)out->pdata);
		g_strlcpy(buf, joined, sizeof buf);
		g_free(joined);
	}
	g_ptr_array_unref(out);
	return buf;
}

static void extraction(void)
{
	is_str(lits("undeliver(ed|able) mail"), "undeliverable mail|undelivered mail",
	       "alternation in a group is multiplied out");
	is_str(lits("^(out of office|abwesend)"), "abwesend|out of office", "anchored alternation");
	is_str(lits("a?b"), "-", "nothing of 3 bytes");
	is_str(lits("mail(er)?-daemon"), "mail-daemon|mailer-daemon", "optional group gives both spellings");
	is_str(lits("MAILER-DAEMON"), "mailer-daemon", "lower-cased");
	/* A few characters in brackets are literals; many are not. */
	is_str(lits("x[45]yz"), "x4yz|x5yz", "bracket of two characters");
	is_str(lits("[Mm]ailer"), "mailer", "bracket of a letter in both cases");
	is_str(lits("code [a-c]x1"), "code ax1|code bx1|code cx1", "a range");
	is_str(lits("[a-z]bcd"), "bcd", "26 letters are too many");
	is_str(lits("[[:digit:]]abc"), "abc", "a class is not listed");
	/* Up to 256 literals of three bytes (status codes). */
	is_int((int)strlen(lits("[45][0-9][0-9]")), 200 * 4 - 1, "[45][0-9][0-9]: 200 literals");
	is_str(lits("[1-3][0-9][0-9][0-9]"), "-", "3000 are too many");
	/* A repeated item still joins its neighbours. */
	is_str(lits("ab+cd"), "bcd", "X+ ends with X");
	is_str(lits("x(ab|cd){2,3}yz"), "abyz|cdyz", "X{2,3} begins and ends with X");
	is_str(lits("[45]\\.[0-9]{1,3}x"), "4.0|4.1|4.2|4.3|4.4|4.5|4.6|4.7|4.8|4.9|5.0|5.1|5.2|5.3|5.4|5.5|5.6|5.7|5.8|5.9",
	       "the first copy of [0-9]{1,3} follows what is before it");
	is_str(lits("[0-9]{1,3}\\.xy"), "0.xy|1.xy|2.xy|3.xy|4.xy|5.xy|6.xy|7.xy|8.xy|9.xy",
	       "the last copy is followed by what comes after it");
	is_str(lits("foo|ba"), "-", "a short branch spoils the union");
	is_str(lits("foo|bar|"), "-", "an empty branch spoils the union");
	is_str(lits("(foo|bar)?baz"), "barbaz|baz|foobaz", "optional exact group still joins");
	is_str(lits("x(foo)*quux"), "quux", "* makes an item optional");
	is_str(lits("x(foo){0,3}quux"), "quux", "{0,n} makes an item optional");
	is_str(lits("(hello)+ wor"), "hello wor", "+: the last copy joins what follows");
	is_str(lits("ab(hello){1,}cd"), "abhello", "{1,} like +: the first copy joins what is before");
	is_str(lits("ab(hello){1}cd"), "abhellocd", "{1} changes nothing");
	is_str(lits("x{2}yzzy"), "xyzzy", "{2}: the last copy joins the run");
	is_str(lits("delivery.*failed"), "delivery", "the longest piece wins");
	is_str(lits("ab.cdef.ghi"), "cdef", "longest shortest literal");
	is_str(lits("[0-9]+ hours delayed"), "0 hours delayed|1 hours delayed|2 hours delayed|3 hours delayed|"
	       "4 hours delayed|5 hours delayed|6 hours delayed|7 hours delayed|8 hours delayed|9 hours delayed",
	       "a bracket of digits under + joins what follows");
	is_str(lits("[^0-9]+ hours delayed"), " hours delayed", "a negated bracket breaks");
	is_str(lits("abc[.]def"), "abc.def", "one-character bracket is a literal");
	is_str(lits("abc[Dd]ef"), "abcdef", "case-pair bracket is a literal");
	is_str(lits("abc[^d]ef"), "abc", "negated bracket breaks");
	is_str(lits("ab[]x]cdefg"), "ab]cdefg|abxcdefg", "] first in a bracket");
	is_str(lits("a[[:space:]]bcdef"), "bcdef", "character class breaks");
	is_str(lits("mail\\.delivery\\.system"), "mail.delivery.system", "escaped dots are literal");
	is_str(lits("foo\\wbarbaz"), "barbaz", "\\w breaks");
	is_str(lits("\\bfoo\\b"), "foo", "\\b breaks but does not hurt");
	is_str(lits("abc\\<defg"), "defg", "\\< is not a literal <");
	is_str(lits("(a|b)(c|d)(e|f)"), "ace|acf|ade|adf|bce|bcf|bde|bdf", "cross product");
	is_str(lits("(outer (inner|in) x|other)"), "other|outer in x|outer inner x", "nested groups");
	is_str(lits("(foo|bar.*)baz"), "baz", "a non-exact branch: the other item");
	is_str(lits("(foo.*x|bar.*y)"), "bar|foo", "union of requirements of inexact branches");
	is_str(lits("abwesend|(out|away) of office"), "abwesend|away of office|out of office",
	       "top-level alternation with a group");
	is_str(lits("caf\xc3\xa9 au lait"), " au lait", "non-ASCII breaks a literal");
	is_str(lits("\xc3\xa9t\xc3\xa9"), "-", "non-ASCII only");
	is_str(lits("abc+?def"), "cdef", "lazy + keeps requirements");
	is_str(lits("(?i)hello"), "hello", "TRE flag group is empty");
	is_str(lits("(?i:hello) world"), "hello world", "TRE flag group with a body");
	is_str(lits("(abc){~1}xyz"), "xyz", "approximate matching is not trusted");
	is_str(lits("^$"), "-", "anchors only");
	is_str(lits(""), "-", "empty regex");
	is_str(lits("a)"), "!unbalanced ) (missing ()", "stray )");
	is_str(lits("(abc"), "!unbalanced ( (missing ))", "unclosed (");
	is_str(lits("abc[def"), "!unbalanced [ (missing ])", "unclosed [");
	is_str(lits("abc[[:alpha]"), "!unbalanced [ (missing ])", "unclosed class");
	is_str(lits("abc\\"), "!trailing backslash", "trailing backslash");
	is_str(lits("abc{2"), "!unbalanced { (missing })", "unclosed bound");
	is_str(lits("abc]def}"), "abc]def}", "lone ] and } are literal");
	is_str(lits("*abcd"), "abcd", "leading quantifier");
	is_str(lits("\\x41bcdef"), "bcdef", "TRE's \\xHH is one character, not literal digits");
	is_str(lits("\\x{263a}bcdef"), "bcdef", "TRE's \\x{...} is one character too");

	/* The long alternations of real rules stay usable. */
	is_str(lits("^(hi\\. this is the qmail-send program|--- below this line is a copy of the message)"),
	       "--- below this line is a copy of the message|hi. this is the qmail-send program",
	       "qmail phrases");

	/* An extreme nesting is refused, not recursed into. */
	GString *deep = g_string_new(NULL);
	for (int i = 0; i < 1000; i++)
		g_string_append_c(deep, '(');
	is_str(lits(deep->str), "!parentheses nested too deeply", "deep nesting");
	g_string_free(deep, TRUE);
}

/* "exact", "inexact" (a prefilter, but the regex must run) or "none"
 * (no prefilter) for RE compiled with or without REG_ICASE. */
static const char *exactness(const char *re, bool icase)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	bool exact = true;
	bool useful = us_regex_analyse(re, icase, out, NULL, &exact, NULL, NULL);

	g_ptr_array_unref(out);
	return !useful ? (exact ? "BAD: exact without literals" : "none") : exact ? "exact" : "inexact";
}

static void exactness_detection(void)
{
	/* Plain text: the scan decides. */
	is_str(exactness("mailer-daemon|postmaster|mail delivery", true), "exact", "alternation of words, i");
	is_str(exactness("undeliver(ed|able) mail", true), "exact", "groups multiplied out");
	is_str(exactness("(a|b)(c|d)efg", true), "exact", "cross product");
	is_str(exactness("mail\\.delivery\\.system", true), "exact", "escaped punctuation is text");
	is_str(exactness("abc]def}", true), "exact", "lone ] and } are text");
	is_str(exactness("5\\.1\\.1 ", false), "exact", "no letters: case does not matter");
	is_str(exactness("#1-2-3#|@@@", false), "exact", "symbols only, without i");
	/* Not plain text: TRE decides. */
	is_str(exactness("mailer-daemon", false), "inexact", "letters without i: the scan ignores case, TRE not");
	is_str(exactness("^mailer-daemon", true), "inexact", "anchor ^");
	is_str(exactness("mailer-daemon$", true), "inexact", "anchor $");
	is_str(exactness("[Mm]ailer-daemon", true), "inexact", "bracket, even a case pair");
	is_str(exactness("abc[.]def", true), "inexact", "bracket, even one character");
	is_str(exactness("mailer.daemon", true), "inexact", "dot");
	is_str(exactness("mailers?", true), "exact", "?: a finite language");
	is_str(exactness("(mailbox|user) (is )?not found", true), "exact", "an optional group");
	is_str(exactness("(abc)??def", true), "exact", "?? (as few as possible) too");
	is_str(exactness("mail(er)*-daemon", true), "inexact", "*");
	is_str(exactness("mailer+-daemon", true), "inexact", "+");
	is_str(exactness("(abc){1}def", true), "inexact", "{1}");
	is_str(exactness("(abc){~1}def", true), "inexact", "approximate matching");
	is_str(exactness("foo\\bbarbaz", true), "inexact", "\\b");
	is_str(exactness("foo\\wbarbaz", true), "inexact", "\\w, an escaped letter");
	is_str(exactness("foo\\nbarbaz", true), "inexact", "\\n, an escaped letter");
	is_str(exactness("\\x41bcdef", true), "inexact", "\\xHH");
	is_str(exactness("(abc)\\1def", true), "inexact", "back-reference");
	is_str(exactness("caf\xc3\xa9 au lait", true), "inexact", "non-ASCII with i");
	/* Matched with case, non-ASCII text is its bytes. */
	is_str(exactness("\xe9\x85\x8d\xe4\xbf\xa1\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc|\xe4\xb8\x8d\xe9\x81\x94", false),
	       "exact", "CJK alternation without i");
	is_str(exactness("\xd0\x9e\xd1\x82\xd0\xbf\xd1\x83\xd1\x81\xd0\xba", false), "exact",
	       "Cyrillic without i: the scan compares its bytes as they are");
	is_str(exactness("(?i)\xd0\x9e\xd1\x82\xd0\xbf", false), "none", "non-ASCII after a flag group: no literal");
	is_str(exactness("(?i)hello", true), "inexact", "flag group");
	is_str(exactness("(?-i:hello) world", true), "inexact", "flag group with a body");
	is_str(exactness("*abcd", true), "inexact", "leading quantifier");
	is_str(exactness("abc|de", true), "none", "a short branch: no prefilter, so not exact either");
	is_str(exactness("abc|", true), "none", "an empty branch");
	is_str(exactness("^$", false), "none", "anchors only");
}

/* The parts RE splits into, joined with " ; ", or "-" for none. */
static char *parts_of(const char *re)
{
	GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
	char *joined;

	us_regex_analyse(re, true, NULL, NULL, NULL, parts, NULL);
	if (parts->len == 0) {
		joined = g_strdup("-");
	} else {
		g_ptr_array_add(parts, NULL);
		joined = g_strjoinv(" ; ", (char **)parts->pdata);
	}
	g_ptr_array_unref(parts);
	return joined;
}

#define is_parts(re, want, what) do { \
	char *got_ = parts_of(re); \
	is_str(got_, want, what); \
	g_free(got_); \
} while (0)

static void splitting(void)
{
	is_parts("abc.x|def(gh|ij)", "abc.x ; def(gh|ij)", "top-level alternation");
	is_parts("^[[:blank:]]*(abc|def.g)x", "^[[:blank:]]*abcx ; ^[[:blank:]]*def.gx",
		 "top-level group: P(B1|B2)S becomes PB1S, PB2S");
	is_parts("^(a.b|c)x(d|e|f)y", "^(a.b|c)xdy ; ^(a.b|c)xey ; ^(a.b|c)xfy", "the group with most branches");
	is_parts("^(ab(c|d)|e.f)", "^ab(c|d) ; ^e.f", "an inner group is left for the next split");
	is_parts("^(abc|def)?ghi", "-", "a quantified group is not split");
	is_parts("^(abc|def)+ghi", "-", "nor one repeated");
	is_parts("^x(abc|def)\\1", "-", "back-references forbid splitting");
	is_parts("(?i)^x(abc|def)", "-", "flag groups forbid splitting");
	is_parts("^x(abc|def){~1}", "-", "approximate matching forbids splitting");
	is_parts("abc|def", "-", "an exact regex needs no split");
	is_parts("^abc", "-", "nothing to split");
	is_parts("^x[(]abc|d[)]", "^x[(]abc ; d[)]", "brackets hide parentheses");
	is_parts("^x\\(abc|def\\)", "^x\\(abc ; def\\)", "so do backslashes");
}

/* Random regexes from pieces of plain text, groups and alternations,
 * with some anchors, classes, dots and quantifiers, over random texts
 * (valid UTF-8, as the program's are): TRE must agree with what the
 * analyser claims. Every match contains a literal; an exact regex
 * matches exactly the texts containing one; a text matches a regex
 * exactly when it matches one of its parts. */
static void random_regex(GRand *rng, GString *re, int depth)
{
	static const char *const words[] = { "ab", "ba", "aB", "abc", "b-a", "a.b", "a b", "AbA", "bbb",
					     "\xc3\xa9", "\xc3\x89t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac" };
	static const char *const specials[] = { ".", "[ab]", "[[:space:]]", "^", "$", "\\.", "\\b" };
	int pieces = g_rand_int_range(rng, 1, 4);

	for (int i = 0; i < pieces; i++) {
		int kind = g_rand_int_range(rng, 0, 10);
		if (kind < 5 || depth >= 2) {
			const char *w = words[g_rand_int_range(rng, 0, G_N_ELEMENTS(words))];
			/* "." in a word is a dot: keep words plain unless chosen. */
			if (strchr(w, '.') && g_rand_boolean(rng))
				g_string_append(re, "a\\.b");
			else
				g_string_append(re, w);
		} else if (kind < 8) {
			int branches = g_rand_int_range(rng, 2, 4);
			g_string_append_c(re, '(');
			for (int b = 0; b < branches; b++) {
				if (b)
					g_string_append_c(re, '|');
				random_regex(rng, re, depth + 1);
			}
			g_string_append_c(re, ')');
		} else {
			g_string_append(re, specials[g_rand_int_range(rng, 0, G_N_ELEMENTS(specials))]);
		}
		if (g_rand_int_range(rng, 0, 8) == 0)
			g_string_append_c(re, "?*+"[g_rand_int_range(rng, 0, 3)]);
	}
	if (depth == 0 && g_rand_int_range(rng, 0, 3) == 0) {
		g_string_append_c(re, '|');
		random_regex(rng, re, 1);
	}
}

static bool tre_matches(const regex_t *re, const char *text)
{
	return tre_regexec(re, text, 0, NULL, 0) == REG_OK;
}


static bool contains_literal(const GPtrArray *lits, const char *text)
{
	for (guint i = 0; i < lits->len; i++) {
		const char *lit = g_ptr_array_index(lits, i);
		for (const char *p = text; *p; p++)
			if (g_ascii_strncasecmp(p, lit, strlen(lit)) == 0)
				return true;
	}
	return false;
}

/* Plain text with groups, "|" and "?" only, over a tiny alphabet: every
 * regex the analyser calls exact matches a random text exactly when one
 * of its literals occurs (TRE decides). */
static void plain_with_optional(GString *re, GRand *rng, int depth)
{
	static const char *const words[] = { "ab", "ba", "abb", "b", "a", "bab" };

	for (int i = g_rand_int_range(rng, 1, 4); i > 0; i--) {
		if (depth < 2 && g_rand_int_range(rng, 0, 3) == 0) {
			g_string_append_c(re, '(');
			plain_with_optional(re, rng, depth + 1);
			g_string_append_c(re, '|');
			plain_with_optional(re, rng, depth + 1);
			g_string_append_c(re, ')');
		} else {
			g_string_append(re, words[g_rand_int_range(rng, 0, G_N_ELEMENTS(words))]);
		}
		if (g_rand_int_range(rng, 0, 3) == 0)
			g_string_append(re, g_rand_int_range(rng, 0, 4) ? "?" : "??");
	}
}

static void optional_exactness(void)
{
	GRand *rng = g_rand_new_with_seed(99);
	unsigned exact_seen = 0, wrong = 0;

	for (int round = 0; round < 1500; round++) {
		GString *re = g_string_new(NULL);
		GPtrArray *lits = g_ptr_array_new_with_free_func(g_free);
		bool icase = g_rand_boolean(rng), exact = false;
		regex_t compiled;

		plain_with_optional(re, rng, 0);
		us_regex_analyse(re->str, icase, lits, NULL, &exact, NULL, NULL);
		if (exact && tre_regcomp(&compiled, re->str,
					 REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) == REG_OK) {
			exact_seen++;
			for (int t = 0; t < 40; t++) {
				char text[12];
				int n = g_rand_int_range(rng, 0, (gint32)sizeof text);
				for (int k = 0; k < n; k++)
					text[k] = "abAB "[g_rand_int_range(rng, 0, icase ? 5 : 3)];
				text[n] = '\0';
				if (tre_matches(&compiled, text) != contains_literal(lits, text) && wrong++ < 3)
					printf("# /%s/%s on '%s'\n", re->str, icase ? "i" : "", text);
			}
			tre_regfree(&compiled);
		}
		g_ptr_array_unref(lits);
		g_string_free(re, TRUE);
	}
	printf("# %u exact regexes with optional parts\n", exact_seen);
	ok(exact_seen > 300, "many plain regexes with \"?\" are exact");
	is_int(wrong, 0, "each matches exactly when one of its literals occurs");
	g_rand_free(rng);
}

static void against_tre(void)
{
	static const char *const units[] = { "a", "b", "A", "B", " ", ".", "-", "\n", "\xc3\xa9", "ab", "ba",
					     "\xc3\x89", "t", "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5" };
	GRand *rng = g_rand_new_with_seed(4242);
	unsigned checked = 0, exact_seen = 0, split_seen = 0;
	unsigned unsound = 0, wrong_exact = 0, wrong_split = 0;

	for (int round = 0; round < 1500; round++) {
		GString *re = g_string_new(NULL);
		bool icase = g_rand_boolean(rng);
		int cflags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0) |
			     (g_rand_boolean(rng) ? REG_NEWLINE : 0);
		GPtrArray *lits = g_ptr_array_new_with_free_func(g_free);
		GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
		bool exact = false;
		regex_t whole;

		random_regex(rng, re, 0);
		bool useful = us_regex_analyse(re->str, icase, lits, NULL, &exact, parts, NULL);
		if (tre_regcomp(&whole, re->str, cflags) != REG_OK) {
			g_string_free(re, TRUE);
			g_ptr_array_unref(lits);
			g_ptr_array_unref(parts);
			continue;
		}
		regex_t *part_re = g_new(regex_t, parts->len + 1);
		guint compiled_parts = 0;
		for (; compiled_parts < parts->len; compiled_parts++)
			if (tre_regcomp(&part_re[compiled_parts], g_ptr_array_index(parts, compiled_parts),
					cflags) != REG_OK)
				break;
		if (compiled_parts < parts->len)
			wrong_split++;	/* a part of a valid regex must be valid */
		checked++;
		exact_seen += exact;
		split_seen += parts->len > 0;
		for (int t = 0; t < 40; t++) {
			GString *text = g_string_new(NULL);
			int n = g_rand_int_range(rng, 0, 12);
			for (int k = 0; k < n; k++)
				g_string_append(text, units[g_rand_int_range(rng, 0, G_N_ELEMENTS(units))]);
			bool m = tre_matches(&whole, text->str);
			if (useful && m && !contains_literal(lits, text->str))
				unsound++;
			if (exact && m != contains_literal(lits, text->str))
				wrong_exact++;
			if (compiled_parts == parts->len && parts->len > 0) {
				bool any = false;
				for (guint i = 0; i < parts->len; i++)
					any = any || tre_matches(&part_re[i], text->str);
				if (any != m) {
					if (wrong_split++ == 0)
						printf("# split differs: /%s/ on '%s'\n", re->str, text->str);
				}
			}
			g_string_free(text, TRUE);
		}
		for (guint i = 0; i < compiled_parts; i++)
			tre_regfree(&part_re[i]);
		g_free(part_re);
		tre_regfree(&whole);
		g_string_free(re, TRUE);
		g_ptr_array_unref(lits);
		g_ptr_array_unref(parts);
	}
	printf("# %u random regexes, %u exact, %u split\n", checked, exact_seen, split_seen);
	ok(checked > 1000 && exact_seen > 50 && split_seen > 100, "random regexes cover all cases");
	is_int(unsound, 0, "every TRE match contains a literal");
	is_int(wrong_exact, 0, "an exact regex matches exactly when a literal occurs");
	is_int(wrong_split, 0, "a regex matches exactly when one of its parts does");
	g_rand_free(rng);
}

struct seen {
	unsigned count[16];
};

static void count_found(unsigned id, void *data)
{
	struct seen *s = data;

	if (id < G_N_ELEMENTS(s->count))
		s->count[id]++;
}

static void scanning(void)
{
	struct us_litscan *ls = us_litscan_new();
	struct seen s;
	const char *text;

	us_litscan_add(ls, "mailer-daemon", 1);
	us_litscan_add(ls, "postmaster", 1);	/* same id: reported once */
	us_litscan_add(ls, "undeliverable", 2);
	us_litscan_add(ls, "undeliver", 3);	/* overlaps with id 2 */
	us_litscan_add(ls, "abcabd", 4);	/* needs a restart inside "abcabcabd" */
	us_litscan_add(ls, "xyz", 5);		/* at the very end */
	us_litscan_add(ls, "ok", 6);		/* short literal */
	us_litscan_add(ls, "never", 7);
	us_litscan_add(ls, "PostMaster", 8);	/* same text as id 1's, other id; upper case is folded */

	memset(&s, 0, sizeof s);
	text = "From: MAILER-DAEMON and PostMaster: Undeliverable; abcabcabd mailer-daemon ok xYz";
	us_litscan_run(ls, text, strlen(text), count_found, &s);
	is_int(s.count[1], 1, "id of two found literals reported once");
	is_int(s.count[2], 1, "case-insensitive");
	is_int(s.count[3], 1, "overlapping literal found too");
	is_int(s.count[4], 1, "overlapping occurrence");
	is_int(s.count[5], 1, "literal at the end of the text");
	is_int(s.count[6], 1, "short literal");
	is_int(s.count[7], 0, "absent literal");
	is_int(s.count[8], 1, "a literal under two ids is reported for both");

	memset(&s, 0, sizeof s);
	text = "undelive";
	us_litscan_run(ls, text, strlen(text), count_found, &s);
	is_int(s.count[3], 0, "a prefix at the end is no match");

	memset(&s, 0, sizeof s);
	us_litscan_run(ls, "", 0, count_found, &s);
	us_litscan_run(ls, "xy", 2, count_found, &s);
	is_int(s.count[5], 0, "texts shorter than a literal");

	/* Only the LEN bytes given are looked at, NULs included. */
	memset(&s, 0, sizeof s);
	us_litscan_run(ls, "nev\0never", 9, count_found, &s);
	is_int(s.count[7], 1, "NUL bytes in the text");
	memset(&s, 0, sizeof s);
	us_litscan_run(ls, "neverland", 4, count_found, &s);
	is_int(s.count[7], 0, "bytes past LEN are not read");
	us_litscan_free(ls);

	/* Many literals over a large text: correct, and in one pass. */
	ls = us_litscan_new();
	for (unsigned i = 0; i < 1500; i++) {
		char lit[32];
		g_snprintf(lit, sizeof lit, "phrase number %u here", i);
		us_litscan_add(ls, lit, i % 16);
	}
	GString *big = g_string_new(NULL);
	while (big->len < 256 * 1024)
		g_string_append(big, "the phrase number is here, Phrase Number 99 There ");
	g_string_append(big, "PHRASE NUMBER 1234 HERE");
	memset(&s, 0, sizeof s);
	gint64 start = g_get_monotonic_time();
	for (int round = 0; round < 10; round++)
		us_litscan_run(ls, big->str, big->len, count_found, &s);
	gint64 elapsed = g_get_monotonic_time() - start;
	is_int(s.count[1234 % 16], 10, "the one literal present is found");
	is_int(s.count[3], 0, "the others are not");
	printf("# 10 scans of %zu bytes for 1500 literals: %" G_GINT64_FORMAT " us\n", big->len, elapsed);
	ok(elapsed < 2 * G_USEC_PER_SEC, "fast enough");
	g_string_free(big, TRUE);
	us_litscan_free(ls);
}

/* Naive case-insensitive search, for comparison. */
static bool naive_occurs(const char *text, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	for (size_t i = 0; i + n <= len; i++)
		if (g_ascii_strncasecmp(text + i, lit, n) == 0)
			return true;
	return false;
}

static unsigned naive_count(const char *text, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	unsigned count = 0;

	for (size_t i = 0; i + n <= len; i++)
		count += g_ascii_strncasecmp(text + i, lit, n) == 0;
	return count;
}

/* Occurrences reported by us_litscan_run_all(), per id, and how many
 * were not where the literal is. */
struct places {
	char (*lit)[8];
	const char *text;
	unsigned misplaced;
	unsigned count[16];
};

static void count_place(unsigned id, size_t at, size_t len, void *data)
{
	struct places *p = data;

	p->count[id]++;
	if (len != strlen(p->lit[id]) || g_ascii_strncasecmp(p->text + at, p->lit[id], len) != 0)
		p->misplaced++;
}

/* Random literals and texts over a tiny alphabet, so that literals
 * share prefixes and overlap a lot, checked against the naive search. */
static void random_agreement(void)
{
	GRand *rng = g_rand_new_with_seed(12345);
	unsigned mismatches = 0, loaded_mismatches = 0, unloaded = 0, all_mismatches = 0;

	for (int round = 0; round < 200; round++) {
		struct us_litscan *ls = us_litscan_new();
		char lit[16][8];
		struct seen s;
		char text[200];
		size_t len = (size_t)g_rand_int_range(rng, 0, sizeof text);

		for (unsigned id = 0; id < 16; id++) {
			int n = g_rand_int_range(rng, 1, 7);
			for (int k = 0; k < n; k++)
				lit[id][k] = "abAB"[g_rand_int_range(rng, 0, 2)];
			lit[id][n] = '\0';
			char *lower = g_ascii_strdown(lit[id], -1);
			us_litscan_add(ls, lower, id);
			g_free(lower);
		}
		for (size_t k = 0; k < len; k++)
			text[k] = "abAB"[g_rand_int_range(rng, 0, 4)];
		memset(&s, 0, sizeof s);
		us_litscan_run(ls, text, len, count_found, &s);
		for (unsigned id = 0; id < 16; id++)
			if (s.count[id] != (naive_occurs(text, len, lit[id]) ? 1u : 0u))
				mismatches++;
		/* Every occurrence, where it is. */
		struct places p = { lit, text, 0, { 0 } };
		us_litscan_run_all(ls, text, len, count_place, &p);
		for (unsigned id = 0; id < 16; id++)
			if (p.count[id] != naive_count(text, len, lit[id]))
				all_mismatches++;
		all_mismatches += p.misplaced;
		/* Serialised and loaded again (from an odd address, as in a
		 * CDB), it finds the same. */
		GByteArray *blob = g_byte_array_new();
		g_byte_array_append(blob, (const guint8 *)"x", 1);
		us_litscan_serialise(ls, blob);
		struct us_litscan *copy = us_litscan_load(blob->data + 1, blob->len - 1);
		struct seen s2;
		memset(&s2, 0, sizeof s2);
		if (copy == NULL)
			unloaded++;
		else
			us_litscan_run(copy, text, len, count_found, &s2);
		if (copy && memcmp(s.count, s2.count, sizeof s.count) != 0)
			loaded_mismatches++;
		us_litscan_free(copy);
		g_byte_array_unref(blob);
		us_litscan_free(ls);
	}
	is_int(mismatches, 0, "scanner agrees with a naive search on random input");
	is_int(all_mismatches, 0, "and finds every occurrence, where it is (us_litscan_run_all)");
	is_int(unloaded, 0, "every serialised scanner loads");
	is_int(loaded_mismatches, 0, "and finds what the original finds");
	g_rand_free(rng);
}

static void count_all(unsigned id, size_t at, size_t len, void *data)
{
	GArray *seen = data;
	size_t which = id;

	(void)len;
	g_array_append_val(seen, which);
	g_array_append_val(seen, at);
}

/* A scanner of many groups carries its bit filter when serialised; the
 * loaded one finds every occurrence the original finds. */
static void stored_filter(void)
{
	GRand *rng = g_rand_new_with_seed(31);
	struct us_litscan *ls = us_litscan_new();
	GByteArray *blob = g_byte_array_new();
	GString *text = g_string_new(NULL);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(size_t)), *b = g_array_new(FALSE, FALSE, sizeof(size_t));

	for (unsigned id = 0; id < 400; id++) {
		char lit[5];
		for (int k = 0; k < 4; k++)
			lit[k] = (char)('a' + g_rand_int_range(rng, 0, 8));
		lit[4] = '\0';
		us_litscan_add(ls, lit, id);
	}
	for (int k = 0; k < 20000; k++)
		g_string_append_c(text, "abcdefghABCDEFGH \n"[g_rand_int_range(rng, 0, 18)]);
	us_litscan_serialise(ls, blob);
	struct us_litscan *copy = us_litscan_load(blob->data, blob->len);
	ok(copy != NULL, "a scanner of 400 literals serialises and loads");
	us_litscan_run_all(ls, text->str, text->len, count_all, a);
	if (copy)
		us_litscan_run_all(copy, text->str, text->len, count_all, b);
	printf("# %u occurrences, %u from the loaded one\n", a->len / 2, b->len / 2);
	ok(a->len > 1000 && a->len == b->len && memcmp(a->data, b->data, a->len * sizeof(size_t)) == 0,
	   "the loaded scanner, with its stored filter, finds the same occurrences");
	g_byte_array_set_size(blob, blob->len - 1);
	ok(us_litscan_load(blob->data, blob->len) == NULL, "a blob one byte short of its filter is refused");
	us_litscan_free(copy);
	us_litscan_free(ls);
	g_byte_array_unref(blob);
	g_string_free(text, TRUE);
	g_array_unref(a);
	g_array_unref(b);
	g_rand_free(rng);
}

/* A damaged blob is refused, never run. */
static void damaged_blobs(void)
{
	struct us_litscan *ls = us_litscan_new();
	GByteArray *blob = g_byte_array_new();
	guint32 bad = 0x7f7f7f7fu;

	us_litscan_add(ls, "mailer-daemon", 1);
	us_litscan_add(ls, "ok", 2);
	us_litscan_serialise(ls, blob);
	struct us_litscan *good = us_litscan_load(blob->data, blob->len);
	ok(good != NULL, "a good blob loads");
	us_litscan_free(good);
	ok(us_litscan_load(blob->data, blob->len - 1) == NULL, "truncated: refused");
	ok(us_litscan_load(blob->data, 3) == NULL, "shorter than a header: refused");
	GByteArray *copy = g_byte_array_new();
	g_byte_array_append(copy, blob->data, blob->len);
	copy->data[0] ^= 0xFF;
	ok(us_litscan_load(copy->data, copy->len) == NULL, "bad magic: refused");
	g_byte_array_set_size(copy, 0);
	g_byte_array_append(copy, blob->data, blob->len);
	/* Every bucket leads out of range: a run notices and stops. (The
	 * header is 9 numbers: magic, bucket bits, 6 counts, filter size.) */
	for (guint b = 0; b < 16; b++)
		memcpy(copy->data + (9 + b) * sizeof(guint32), &bad, sizeof bad);
	struct us_litscan *damaged = us_litscan_load(copy->data, copy->len);
	struct seen s;
	memset(&s, 0, sizeof s);
	ok(damaged != NULL && !us_litscan_damaged(damaged), "damage inside is not checked at load");
	if (damaged)
		us_litscan_run(damaged, "to mailer-daemon ok", 19, count_found, &s);
	ok(damaged && us_litscan_damaged(damaged), "a run finds it and says so");
	us_litscan_free(damaged);
	/* A member of a group out of range: found when the group is first hit. */
	g_byte_array_set_size(copy, 0);
	g_byte_array_append(copy, blob->data, blob->len);
	guint32 head[9];
	memcpy(head, copy->data, sizeof head);
	size_t members = sizeof head + (sizeof(guint32) << head[1]) + head[2] * 4 * sizeof(guint32);
	for (guint m = 0; m < head[3]; m++)
		memcpy(copy->data + members + m * sizeof(guint32), &bad, sizeof bad);
	damaged = us_litscan_load(copy->data, copy->len);
	memset(&s, 0, sizeof s);
	if (damaged)
		us_litscan_run(damaged, "nothing here", 12, count_found, &s);
	ok(damaged && !us_litscan_damaged(damaged), "a group not hit is not checked");
	if (damaged)
		us_litscan_run(damaged, "to mailer-daemon", 16, count_found, &s);
	ok(damaged && us_litscan_damaged(damaged) && s.count[1] == 0, "a group hit is, and refused");
	us_litscan_free(damaged);
	g_byte_array_set_size(copy, 0);
	g_byte_array_append(copy, blob->data, blob->len);
	memcpy(copy->data + 2 * sizeof(guint32), &bad, sizeof bad);	/* n_groups */
	ok(us_litscan_load(copy->data, copy->len) == NULL, "counts that do not fit the size: refused");
	g_byte_array_unref(copy);
	g_byte_array_unref(blob);
	us_litscan_free(ls);
}

/* ------------------------------------------------------------------ */
/* Extents (us_regex_extent): how long a match can be, whether it can
 * hold a line break, and the "^C*REST" form. */

#define UNB US_EXTENT_UNBOUNDED

static void extent_is(const char *re, bool multiline, guint max, bool newline, bool run)
{
	struct us_regex_extent e;
	char *label = g_strdup_printf("extent of /%s/%s: max %d, %s%s", re, multiline ? "m" : "",
				      max == UNB ? -1 : (int)max, newline ? "line breaks" : "one line",
				      run ? ", line-start run" : "");

	us_regex_extent(re, multiline, &e);
	ok(e.max_chars == max && e.newline == newline && e.line_start_run == run, label);
	if (!(e.max_chars == max && e.newline == newline && e.line_start_run == run))
		printf("#   got max %d, newline %d, run %d\n", e.max_chars == UNB ? -1 : (int)e.max_chars,
		       e.newline, e.line_start_run);
	g_free(label);
}

static void extents(void)
{
	extent_is("abc", false, 3, false, false);
	extent_is("a|bcd|", false, 3, false, false);
	extent_is("caf\xc3\xa9", false, 4, false, false);	/* characters, not bytes */
	extent_is("a.b", false, 3, true, false);
	extent_is("a.b", true, 3, false, false);	/* "." leaves out "\n" under REG_NEWLINE */
	extent_is("a[^>]b", true, 3, true, false);	/* a negated bracket does not (TRE) */
	extent_is("a[^[:space:]>]b", false, 3, false, false);	/* unless it leaves "\\n" out */
	extent_is("a[^\t-\r]b", false, 3, false, false);
	extent_is("a[^\\n]b", false, 3, true, false);	/* "\\" and "n" */
	extent_is("a[ -~]b", false, 3, false, false);
	extent_is("a[\t-\r]b", false, 3, true, false);	/* a range over "\n" */
	extent_is("[[:space:]]", false, 1, true, false);
	extent_is("[[:cntrl:]]", false, 1, true, false);
	extent_is("[[:alpha:][:blank:]]", false, 1, false, false);
	extent_is("a\\sb\\Wc\\Dd", false, 7, true, false);
	extent_is("a\\Sb\\wc\\dd", false, 7, false, false);
	extent_is("a\\nb", false, 3, true, false);
	extent_is("a\\tb\\.c\\`d\\'e", false, 9, false, false);	/* "\`" and "\'" are characters */
	extent_is("\\<abc\\>\\b", false, 3, false, false);
	extent_is("^abc$", false, 3, false, false);
	extent_is("a{2,5}b{3}", false, 8, false, false);
	extent_is("(ab|c){0,60}", false, 120, false, false);
	/* TRE's copies for a bound lose their character classes. */
	extent_is("[[:alpha:]]{2}", false, 2, true, false);
	extent_is("(x\\w){2}", false, 4, true, false);
	extent_is("[0-9]{1,3}\\.[a-z]{2}", false, 6, false, false);
	extent_is("a?b*", false, UNB, false, false);
	extent_is("a{2,}", false, UNB, false, false);
	extent_is("a+?", false, UNB, false, false);
	extent_is("(a|b.)*x", true, UNB, false, false);
	extent_is("foo.*bar", false, UNB, true, false);
	/* "^C*REST" under REG_NEWLINE: REST's bound. */
	extent_is("^[^>]*(i am away|back on monday)", true, 14, true, true);
	extent_is("^[[:blank:]]*this is the mail system", true, 23, false, true);
	extent_is("^.*out of office", true, 13, false, true);
	extent_is("^[^>]*(i am away|back on monday)", false, UNB, true, false);	/* "^" only at the start */
	extent_is("^[^>]*away|back", true, UNB, true, false);	/* a top-level "|" */
	extent_is("^[^>]+away", true, UNB, true, false);	/* "+": the run must not be empty */
	extent_is("^(ab)*away", true, UNB, false, false);	/* a run of groups */
	extent_is("^[^>]*away[^.]*", true, UNB, true, false);	/* REST unbounded */
	/* Unknown: the safe answer. */
	extent_is("a\\Bb", false, UNB, true, false);
	extent_is("(a)\\1", false, UNB, true, false);
	extent_is("(?i)abc", false, UNB, true, false);
	extent_is("a\\x41", false, UNB, true, false);
	extent_is("a{~1}", false, UNB, true, false);
	extent_is("a{,2}", false, UNB, true, false);	/* not "{0,2}" to TRE */
	extent_is("[[=a=]]", false, UNB, true, false);
	extent_is("(abc", false, UNB, true, false);
	extent_is("abc)", false, UNB, true, false);
	extent_is("[abc", false, UNB, true, false);
	extent_is("abc\\", false, UNB, true, false);
}

/* Random regexes against TRE: whenever TRE matches a whole random text
 * with one, the text is no longer than the regex's bound, and holds no
 * line break unless the extent says it may. (The line-start run is
 * checked by the rules' tests, test-rules.c, where it is used.) */
static void random_extent_regex(GRand *rng, GString *re, int depth)
{
	static const char *const atoms[] = {
		"a", "b", "ab", "\xc3\xa9", ".", "[ab]", "[^a]", "[[:space:]]", "[[:blank:]]", "\\s",
		"[^[:space:]]", "[^b[:cntrl:]]",
		"\\S", "\\W", "\\w", "\\n", "[ -~]", "\\.", "\\<", "\\>", "\\b", "^", "$",
	};
	static const char *const quantifiers[] = { "?", "*", "+", "{2}", "{0,3}", "{1,}", "{,2}" };
	int pieces = g_rand_int_range(rng, 1, 4);

	for (int i = 0; i < pieces; i++) {
		if (depth < 2 && g_rand_int_range(rng, 0, 5) == 0) {
			g_string_append_c(re, '(');
			random_extent_regex(rng, re, depth + 1);
			if (g_rand_boolean(rng)) {
				g_string_append_c(re, '|');
				random_extent_regex(rng, re, depth + 1);
			}
			g_string_append_c(re, ')');
		} else {
			g_string_append(re, atoms[g_rand_int_range(rng, 0, G_N_ELEMENTS(atoms))]);
		}
		if (g_rand_int_range(rng, 0, 4) == 0)
			g_string_append(re, quantifiers[g_rand_int_range(rng, 0, G_N_ELEMENTS(quantifiers))]);
	}
}

static void extents_against_tre(void)
{
	static const char *const units[] = { "a", "b", " ", "\n", "\t", "\xc3\xa9", ".", ">", "ab" };
	GRand *rng = g_rand_new_with_seed(777);
	unsigned regexes = 0, bounded = 0, one_line = 0, whole_matches = 0, wrong = 0;

	for (int round = 0; round < 2000; round++) {
		GString *re = g_string_new(NULL);
		bool multiline = g_rand_boolean(rng);
		struct us_regex_extent e;
		regex_t anchored;

		random_extent_regex(rng, re, 0);
		us_regex_extent(re->str, multiline, &e);
		char *whole = g_strdup_printf("^(%s)$", re->str);
		if (tre_regcomp(&anchored, whole, REG_EXTENDED | (multiline ? REG_NEWLINE : 0)) != REG_OK) {
			g_free(whole);
			g_string_free(re, TRUE);
			continue;
		}
		regexes++;
		bounded += e.max_chars != UNB;
		one_line += !e.newline;
		for (int t = 0; t < 30; t++) {
			GString *text = g_string_new(NULL);
			regmatch_t m[1];
			for (int k = g_rand_int_range(rng, 0, 9); k > 0; k--)
				g_string_append(text, units[g_rand_int_range(rng, 0, G_N_ELEMENTS(units))]);
			if (tre_regexec(&anchored, text->str, 1, m, 0) == REG_OK && m[0].rm_so == 0 &&
			    (size_t)m[0].rm_eo == text->len) {
				glong chars = g_utf8_strlen(text->str, (gssize)text->len);
				whole_matches++;
				/* With a line-start run, the bound is REST's. */
				if ((e.max_chars != UNB && !e.line_start_run && (guint)chars > e.max_chars) ||
				    (!e.newline && strchr(text->str, '\n'))) {
					if (wrong++ < 5)
						printf("# /%s/%s matches '%s' (%ld characters) beyond its extent\n",
						       re->str, multiline ? "m" : "", text->str, chars);
				}
			}
			g_string_free(text, TRUE);
		}
		tre_regfree(&anchored);
		g_free(whole);
		g_string_free(re, TRUE);
	}
	printf("# %u random regexes, %u bounded, %u on one line, %u whole-text matches\n", regexes,
	       bounded, one_line, whole_matches);
	ok(regexes > 1500 && bounded > 300 && one_line > 300 && whole_matches > 1000,
	   "random regexes cover bounded, one-line and other extents");
	is_int(wrong, 0, "no TRE match is longer than the extent, or holds a line break it rules out");
	g_rand_free(rng);
}

int main(void)
{
	/* As the program does: TRE matches UTF-8 text as characters. */
	setlocale(LC_CTYPE, "C.UTF-8");
	extraction();
	exactness_detection();
	splitting();
	against_tre();
	optional_exactness();
	scanning();
	random_agreement();
	damaged_blobs();
	stored_filter();
	extents();
	extents_against_tre();
	return tap_done();
}
