/* prefilter.c - required literals of a POSIX extended regex, and a
 * one-pass scanner for many literals.
 *
 * The analyser is deliberately conservative: wherever it is unsure what
 * TRE would make of a construct, it assumes "could match anything",
 * which only costs a needless regex compilation, never a missed match. */
#include <string.h>
#include "prefilter.h"

/* Literals shorter than this occur in almost every text: useless. */
#define MIN_LITERAL 3
/* Bounds that keep the cross products of alternations small. */
#define MAX_EXACT 32
#define MAX_REQUIRED 256
/* Nesting deeper than this is refused rather than recursed into. */
#define MAX_DEPTH 100

/* What is known about a piece of regex. EXACT: the complete, finite set
 * of strings it can match (lower-cased), or NULL when unknown or too
 * many. REQUIRED: strings one of which every match contains, or NULL
 * for "no requirement". Both are GPtrArrays of g_free'd strings. */
struct info {
	GPtrArray *exact;
	GPtrArray *required;
};

struct parser {
	const char *p;
	const char *end;
	const char *error;	/* static; first syntax error found */
	unsigned depth;
};

static GPtrArray *set_new(void)
{
	return g_ptr_array_new_with_free_func(g_free);
}

static void set_free(GPtrArray *set)
{
	if (set)
		g_ptr_array_unref(set);
}

static void info_clear(struct info *in)
{
	set_free(in->exact);
	set_free(in->required);
	in->exact = NULL;
	in->required = NULL;
}

static bool set_contains(const GPtrArray *set, const char *s)
{
	for (guint i = 0; i < set->len; i++)
		if (strcmp(g_ptr_array_index(set, i), s) == 0)
			return true;
	return false;
}

/* Adds a copy of S unless already there. */
static void set_add(GPtrArray *set, const char *s)
{
	if (!set_contains(set, s))
		g_ptr_array_add(set, g_strdup(s));
}

static GPtrArray *set_single(const char *s)
{
	GPtrArray *set = set_new();

	g_ptr_array_add(set, g_strdup(s));
	return set;
}

static GPtrArray *set_copy(const GPtrArray *set)
{
	GPtrArray *copy = set_new();

	for (guint i = 0; i < set->len; i++)
		g_ptr_array_add(copy, g_strdup(g_ptr_array_index(set, i)));
	return copy;
}

/* Length of the shortest member: how selective the set is as a
 * prefilter. -1 for "no set". */
static long set_score(const GPtrArray *set)
{
	long best = -1;

	if (set == NULL || set->len == 0)
		return -1;
	for (guint i = 0; i < set->len; i++) {
		long len = (long)strlen(g_ptr_array_index(set, i));
		if (best < 0 || len < best)
			best = len;
	}
	return best;
}

/* True if A is a better prefilter than B: a longer shortest literal,
 * or as long with fewer literals to look for. */
static bool set_better(const GPtrArray *a, const GPtrArray *b)
{
	long sa = set_score(a), sb = set_score(b);

	if (sa != sb)
		return sa > sb;
	return a != NULL && b != NULL && a->len < b->len;
}

/* Keeps the better of *BEST and CANDIDATE in *BEST and frees the other. */
static void keep_better(GPtrArray **best, GPtrArray *candidate)
{
	if (set_better(candidate, *best)) {
		set_free(*best);
		*best = candidate;
	} else {
		set_free(candidate);
	}
}

/* The best requirement the piece offers: its exact set (every match is
 * one of those strings, so contains one) or its own requirement. Takes
 * both sets out of IN. */
static GPtrArray *take_requirement(struct info *in)
{
	GPtrArray *best = in->required;

	in->required = NULL;
	if (in->exact)
		keep_better(&best, in->exact);
	in->exact = NULL;
	return best;
}

/* Every concatenation of a member of A with one of B; NULL if that
 * would exceed MAX_EXACT. */
static GPtrArray *set_cross(const GPtrArray *a, const GPtrArray *b)
{
	GPtrArray *out;

	if ((size_t)a->len * b->len > MAX_EXACT)
		return NULL;
	out = set_new();
	for (guint i = 0; i < a->len; i++) {
		for (guint j = 0; j < b->len; j++) {
			char *s = g_strconcat(g_ptr_array_index(a, i), g_ptr_array_index(b, j), NULL);
			set_add(out, s);
			g_free(s);
		}
	}
	return out;
}

/* A ∪ B (consuming both), or NULL if either is NULL or the union would
 * exceed LIMIT. */
static GPtrArray *set_union(GPtrArray *a, GPtrArray *b, guint limit)
{
	if (a == NULL || b == NULL) {
		set_free(a);
		set_free(b);
		return NULL;
	}
	for (guint i = 0; i < b->len; i++)
		set_add(a, g_ptr_array_index(b, i));
	set_free(b);
	if (a->len > limit) {
		set_free(a);
		return NULL;
	}
	return a;
}

static bool at_end(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static void fail(struct parser *ps, const char *message)
{
	if (ps->error == NULL)
		ps->error = message;
	ps->p = ps->end;
}

static void parse_alternation(struct parser *ps, struct info *out);

/* "[...]" starting at ps->p. Matches one character; if that character
 * is always the same ASCII letter (any case) or symbol, as in "[.]" or
 * "[Xx]", it is a literal. */
static void parse_bracket(struct parser *ps, struct info *out)
{
	const char *p = ps->p + 1;
	bool negated = false, simple = true;
	char only = '\0';

	if (p < ps->end && *p == '^') {
		negated = true;
		p++;
	}
	/* A "]" right after "[" or "[^" is an ordinary member. */
	if (p < ps->end && *p == ']') {
		only = ']';
		p++;
	}
	while (p < ps->end && *p != ']') {
		if (*p == '[' && p + 1 < ps->end && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char close[3] = { p[1], ']', '\0' };
			const char *stop = g_strstr_len(p + 2, ps->end - (p + 2), close);
			if (stop == NULL) {
				fail(ps, "unbalanced [ (missing ])");
				return;
			}
			simple = false;
			p = stop + 2;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || (*p == '-' && only != '\0' && p + 1 < ps->end && p[1] != ']'))
			simple = false;	/* non-ASCII, or a range */
		else if (only == '\0')
			only = g_ascii_tolower(*p);
		else if (g_ascii_tolower(*p) != only)
			simple = false;
		p++;
	}
	if (p >= ps->end) {
		fail(ps, "unbalanced [ (missing ])");
		return;
	}
	ps->p = p + 1;
	if (simple && !negated && only != '\0') {
		char s[2] = { only, '\0' };
		out->exact = set_single(s);
	}
}

/* "\X" at ps->p. Escaped ASCII punctuation stands for itself; escaped
 * letters and digits are classes, assertions, back-references or
 * control characters, and <>`' are assertions: all of those break
 * the literal. */
static void parse_escape(struct parser *ps, struct info *out)
{
	unsigned char c;

	if (ps->p + 1 >= ps->end) {
		fail(ps, "trailing backslash");
		return;
	}
	c = (unsigned char)ps->p[1];
	ps->p += 2;
	if (c < 0x80 && g_ascii_ispunct(c) && strchr("<>`'", c) == NULL) {
		char s[2] = { (char)c, '\0' };
		out->exact = set_single(s);
		return;
	}
	/* A multibyte character: skip its continuation bytes too. */
	while (c >= 0x80 && ps->p < ps->end && ((unsigned char)*ps->p & 0xC0) == 0x80)
		ps->p++;
}

/* "(...)" at ps->p, including TRE's "(?flags)" and "(?flags:...)".
 * Flags only change case and line handling, which the literals, being
 * searched case-insensitively, do not depend on. */
static void parse_group(struct parser *ps, struct info *out)
{
	const char *p = ps->p + 1;

	if (ps->depth >= MAX_DEPTH) {
		fail(ps, "parentheses nested too deeply");
		return;
	}
	if (p < ps->end && *p == '?') {
		const char *q = p + 1;
		while (q < ps->end && (g_ascii_isalpha(*q) || *q == '-'))
			q++;
		if (q < ps->end && *q == ')') {
			ps->p = q + 1;
			out->exact = set_single("");
			return;
		}
		if (q < ps->end && *q == ':')
			p = q + 1;
	}
	ps->p = p;
	ps->depth++;
	parse_alternation(ps, out);
	ps->depth--;
	if (ps->error)
		return;
	if (at_end(ps) || *ps->p != ')') {
		info_clear(out);
		fail(ps, "unbalanced ( (missing ))");
		return;
	}
	ps->p++;
}

static bool is_quantifier(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* An ASCII character that stands for itself outside brackets. */
static bool is_plain(char c)
{
	return (unsigned char)c < 0x80 && strchr("\\[](){}.*+?^$|", c) == NULL;
}

/* One atom at ps->p (which is not at a '|' or ')'). */
static void parse_atom(struct parser *ps, struct info *out)
{
	unsigned char c = (unsigned char)*ps->p;

	switch (c) {
	case '(':
		parse_group(ps, out);
		return;
	case '[':
		parse_bracket(ps, out);
		return;
	case '\\':
		parse_escape(ps, out);
		return;
	case '^':
	case '$':
		/* Anchors match no text: the literal runs on across them. */
		ps->p++;
		out->exact = set_single("");
		return;
	case '.':
		ps->p++;
		return;
	}
	ps->p++;
	if (c >= 0x80) {
		/* Non-ASCII: its case variants differ in bytes, so it cannot
		 * be part of a case-insensitive byte literal. */
		while (ps->p < ps->end && ((unsigned char)*ps->p & 0xC0) == 0x80)
			ps->p++;
		return;
	}
	/* Take the whole run of plain characters as one atom (it is cheaper
	 * than one per character), but leave a character that a quantifier
	 * follows to be an atom of its own. */
	const char *start = ps->p - 1;
	while (ps->p + 1 < ps->end && is_plain(ps->p[0]) && !is_quantifier(ps->p[1]))
		ps->p++;
	if (ps->p + 1 == ps->end && is_plain(ps->p[0]))
		ps->p++;
	char *run = g_ascii_strdown(start, ps->p - start);
	out->exact = set_new();
	g_ptr_array_add(out->exact, run);
}

/* Reads a plain "{m}", "{m,}", "{m,n}" or "{,n}" bound at ps->p. False
 * (ps->p unchanged) for anything else, such as TRE's approximate
 * matching "{~1}". */
static bool parse_bound(struct parser *ps, unsigned *min, unsigned *max, bool *unbounded)
{
	const char *p = ps->p + 1;
	unsigned long m = 0, n = 0;
	bool have_min = false, comma = false, have_max = false;

	while (p < ps->end && g_ascii_isdigit(*p) && m < 1000) {
		m = m * 10 + (unsigned)(*p++ - '0');
		have_min = true;
	}
	if (p < ps->end && *p == ',') {
		comma = true;
		p++;
		while (p < ps->end && g_ascii_isdigit(*p) && n < 1000) {
			n = n * 10 + (unsigned)(*p++ - '0');
			have_max = true;
		}
	}
	if (p >= ps->end || *p != '}' || (!have_min && !have_max))
		return false;
	ps->p = p + 1;
	*min = (unsigned)m;
	*max = have_max ? (unsigned)n : (comma ? 0 : (unsigned)m);
	*unbounded = comma && !have_max;
	return true;
}

/* Skips a "{...}" that is not a plain bound; a "{" that is never closed
 * is an error in TRE too. */
static void skip_brace(struct parser *ps)
{
	const char *close = memchr(ps->p, '}', (size_t)(ps->end - ps->p));

	if (close == NULL)
		fail(ps, "unbalanced { (missing })");
	else
		ps->p = close + 1;
}

/* The item may be absent: no requirement; the exact set gains "". */
static void make_optional(struct info *in, bool at_most_once)
{
	set_free(in->required);
	in->required = NULL;
	if (in->exact && at_most_once) {
		set_add(in->exact, "");
	} else {
		set_free(in->exact);
		in->exact = NULL;
	}
}

/* The item occurs one or more times: it is still required, but what
 * precedes and follows it no longer joins it into one literal. */
static void make_repeated(struct info *in)
{
	in->required = take_requirement(in);
}

/* Applies any quantifiers following an atom to IN. */
static void parse_quantifiers(struct parser *ps, struct info *in)
{
	while (!at_end(ps) && is_quantifier(*ps->p)) {
		char q = *ps->p;
		unsigned min = 0, max = 0;
		bool unbounded = false;

		if (q == '{') {
			if (!parse_bound(ps, &min, &max, &unbounded)) {
				skip_brace(ps);
				make_optional(in, false);	/* unknown: assume anything */
				continue;
			}
		} else {
			ps->p++;
			min = q == '+' ? 1 : 0;
			max = q == '?' ? 1 : 0;
			unbounded = q != '?';
		}
		if (min == 0)
			make_optional(in, !unbounded && max == 1);
		else if (unbounded || max != 1)
			make_repeated(in);
		/* TRE reads a "?" right after a quantifier as "match as few as
		 * possible", which does not change what can match. */
		if (!at_end(ps) && *ps->p == '?')
			ps->p++;
	}
}

/* A sequence of atoms up to '|', ')' or the end. Adjacent exact pieces
 * are multiplied out into a run of literals; when the run breaks, it
 * becomes one candidate requirement, and the best candidate wins. */
static void parse_concatenation(struct parser *ps, struct info *out)
{
	GPtrArray *run = set_single("");
	GPtrArray *best = NULL;
	bool all_exact = true;

	while (!at_end(ps) && *ps->p != '|' && *ps->p != ')') {
		struct info item = { NULL, NULL };

		if (is_quantifier(*ps->p)) {
			/* A quantifier with nothing to repeat: TRE's reading
			 * of it is its own business; assume anything. */
			if (*ps->p == '{')
				skip_brace(ps);
			else
				ps->p++;
		} else {
			parse_atom(ps, &item);
			parse_quantifiers(ps, &item);
		}
		if (ps->error) {
			info_clear(&item);
			break;
		}
		GPtrArray *joined = item.exact ? set_cross(run, item.exact) : NULL;
		if (joined) {
			set_free(run);
			run = joined;
			info_clear(&item);
			continue;
		}
		all_exact = false;
		keep_better(&best, run);
		run = item.exact ? set_copy(item.exact) : set_single("");
		keep_better(&best, take_requirement(&item));
	}
	if (ps->error) {
		set_free(run);
		set_free(best);
		return;
	}
	if (all_exact) {
		out->exact = run;
		set_free(best);
	} else {
		keep_better(&best, run);
		out->required = best;
	}
}

/* Branches separated by '|': a match contains a literal of whichever
 * branch matched, so the requirement is the union of the branches'. */
static void parse_alternation(struct parser *ps, struct info *out)
{
	parse_concatenation(ps, out);
	while (!ps->error && !at_end(ps) && *ps->p == '|') {
		struct info next = { NULL, NULL };

		ps->p++;
		parse_concatenation(ps, &next);
		if (ps->error) {
			info_clear(&next);
			break;
		}
		if (out->exact && next.exact) {
			GPtrArray *both = set_union(set_copy(out->exact), set_copy(next.exact), MAX_EXACT);
			if (both) {
				info_clear(out);
				info_clear(&next);
				out->exact = both;
				continue;
			}
			/* Too many strings to list: fall back to the union of
			 * the branches' requirements. */
		}
		GPtrArray *left = take_requirement(out);
		GPtrArray *right = take_requirement(&next);
		out->required = set_union(left, right, MAX_REQUIRED);
	}
}

bool us_literals_extract(const char *re, GPtrArray *out, const char **syntax_error)
{
	struct parser ps = { .p = re, .end = re + strlen(re) };
	struct info top = { NULL, NULL };
	GPtrArray *required;
	bool useful;

	parse_alternation(&ps, &top);
	if (!ps.error && !at_end(&ps))	/* stopped at a ')' with no '(' */
		ps.error = "unbalanced ) (missing ()";
	if (ps.error) {
		info_clear(&top);
		if (syntax_error)
			*syntax_error = ps.error;
		return false;
	}
	required = take_requirement(&top);
	useful = set_score(required) >= MIN_LITERAL;
	if (useful)
		for (guint i = 0; i < required->len; i++)
			g_ptr_array_add(out, g_strdup(g_ptr_array_index(required, i)));
	set_free(required);
	return useful;
}

/* ------------------------------------------------------------------ */
/* Multi-literal scanner. Literals of 3 bytes or more are grouped by
 * their first three bytes; the groups hang in hash buckets, and each
 * group keeps its literals sorted. The text is read once with a rolling
 * three-byte key; where a group matches, the literals that continue
 * like the text form a shrinking range of the sorted group, narrowed
 * one byte at a time by binary search, so many literals sharing a
 * prefix cost little. Shorter literals, which the extractor never
 * produces, are searched for one by one. */

#define BUCKET_BITS 12
#define NONE G_MAXUINT

struct literal {
	char *text;		/* lower-cased */
	size_t len;
	guint slot;		/* dense index of the caller's id */
};

struct group {
	guint32 key;		/* the three bytes, folded */
	guint next;		/* next group in the same bucket, or NONE */
	GArray *members;	/* guint literal indexes, sorted by text */
};

struct us_litscan {
	GArray *literals;	/* struct literal */
	GArray *groups;		/* struct group */
	GArray *ids;		/* unsigned: slot -> caller's id */
	GHashTable *slots;	/* caller's id -> slot + 1 */
	GArray *short_literals;	/* guint: indexes of literals under 3 bytes */
	guint buckets[1u << BUCKET_BITS];	/* first group, or NONE */
	guchar fold[256];	/* ASCII lower-casing, a table for speed */
};

static guint bucket_of(guint32 key)
{
	return (guint)((key * 2654435761u) >> (32 - BUCKET_BITS));
}

struct us_litscan *us_litscan_new(void)
{
	struct us_litscan *ls = g_new0(struct us_litscan, 1);

	ls->literals = g_array_new(FALSE, FALSE, sizeof(struct literal));
	ls->groups = g_array_new(FALSE, FALSE, sizeof(struct group));
	ls->ids = g_array_new(FALSE, FALSE, sizeof(unsigned));
	ls->slots = g_hash_table_new(g_direct_hash, g_direct_equal);
	ls->short_literals = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < G_N_ELEMENTS(ls->buckets); i++)
		ls->buckets[i] = NONE;
	for (guint c = 0; c < 256; c++)
		ls->fold[c] = (guchar)g_ascii_tolower((gchar)c);
	return ls;
}

void us_litscan_free(struct us_litscan *ls)
{
	if (ls == NULL)
		return;
	for (guint i = 0; i < ls->literals->len; i++)
		g_free(g_array_index(ls->literals, struct literal, i).text);
	for (guint i = 0; i < ls->groups->len; i++)
		g_array_unref(g_array_index(ls->groups, struct group, i).members);
	g_array_unref(ls->literals);
	g_array_unref(ls->groups);
	g_array_unref(ls->ids);
	g_hash_table_unref(ls->slots);
	g_array_unref(ls->short_literals);
	g_free(ls);
}

/* The group of literals starting with KEY, or NONE. */
static guint find_group(const struct us_litscan *ls, guint32 key)
{
	const struct group *groups = (const struct group *)(void *)ls->groups->data;

	for (guint g = ls->buckets[bucket_of(key)]; g != NONE; g = groups[g].next)
		if (groups[g].key == key)
			return g;
	return NONE;
}

static guint32 key3(const guchar *fold, const char *s)
{
	return (guint32)fold[(guchar)s[0]] << 16 | (guint32)fold[(guchar)s[1]] << 8 |
	       fold[(guchar)s[2]];
}

/* Files literal INDEX (3 bytes or more) in its group, in sorted place. */
static void group_insert(struct us_litscan *ls, guint index)
{
	const struct literal *lits = (const struct literal *)(void *)ls->literals->data;
	const char *text = lits[index].text;
	guint32 key = key3(ls->fold, text);
	guint g = find_group(ls, key);

	if (g == NONE) {
		struct group fresh = { .key = key, .next = ls->buckets[bucket_of(key)],
				       .members = g_array_new(FALSE, FALSE, sizeof(guint)) };
		g = ls->groups->len;
		g_array_append_val(ls->groups, fresh);
		ls->buckets[bucket_of(key)] = g;
	}
	GArray *members = g_array_index(ls->groups, struct group, g).members;
	guint lo = 0, hi = members->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (strcmp(lits[g_array_index(members, guint, mid)].text, text) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	g_array_insert_val(members, lo, index);
}

void us_litscan_add(struct us_litscan *ls, const char *literal, unsigned id)
{
	struct literal lit = { .text = g_ascii_strdown(literal, -1), .len = strlen(literal) };
	guint index = ls->literals->len;
	gpointer slot_plus_1 = g_hash_table_lookup(ls->slots, GUINT_TO_POINTER(id));

	/* Ids are the caller's (sparse, repeated); slots are dense so a
	 * run can keep its "already reported" flags in a small array. */
	if (slot_plus_1 == NULL) {
		g_array_append_val(ls->ids, id);
		slot_plus_1 = GUINT_TO_POINTER(ls->ids->len);
		g_hash_table_insert(ls->slots, GUINT_TO_POINTER(id), slot_plus_1);
	}
	lit.slot = GPOINTER_TO_UINT(slot_plus_1) - 1;
	g_array_append_val(ls->literals, lit);
	if (lit.len >= 3)
		group_insert(ls, index);
	else
		g_array_append_val(ls->short_literals, index);
}

/* State of one run. */
struct run {
	const struct us_litscan *ls;
	const struct literal *lits;
	guint8 *reported;	/* per slot */
	guint remaining;	/* slots not yet reported */
	void (*found)(unsigned id, void *data);
	void *data;
};

static void report(struct run *r, const struct literal *lit)
{
	if (r->reported[lit->slot])
		return;
	r->reported[lit->slot] = 1;
	r->remaining--;
	r->found(g_array_index(r->ls->ids, unsigned, lit->slot), r->data);
}

/* Case-insensitive comparison of N text bytes with a lower-case literal. */
static bool folded_equal(const guchar *fold, const char *text, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold[(guchar)text[i]] != (guchar)lit[i])
			return false;
	return true;
}

static void scan_short(struct run *r, const char *text, size_t len)
{
	const GArray *shorts = r->ls->short_literals;

	for (guint i = 0; i < shorts->len; i++) {
		const struct literal *lit = &r->lits[g_array_index(shorts, guint, i)];
		if (r->reported[lit->slot])
			continue;
		for (size_t at = 0; at + lit->len <= len; at++) {
			if (folded_equal(r->ls->fold, text + at, lit->text, lit->len)) {
				report(r, lit);
				break;
			}
		}
	}
}

/* First member in [LO, HI) whose byte D is above C (ABOVE) or at least
 * C (!ABOVE); every member there is longer than D bytes. */
static guint bound(const struct run *r, const guint *members, guint lo, guint hi,
		   size_t d, guchar c, bool above)
{
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		guchar m = (guchar)r->lits[members[mid]].text[d];
		if (m < c || (above && m == c))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Reports every literal of GROUP that occurs at TEXT (AVAIL bytes left). */
static void match_group(struct run *r, const struct group *group, const char *text, size_t avail)
{
	const guint *members = (const guint *)(void *)group->members->data;
	guint lo = 0, hi = group->members->len;

	/* Invariant: members [lo, hi) all begin with the first D bytes of
	 * TEXT; sorted order puts those exactly D bytes long first. */
	for (size_t d = 3; lo < hi; d++) {
		while (lo < hi && r->lits[members[lo]].len == d)
			report(r, &r->lits[members[lo++]]);
		if (lo == hi || d == avail)
			return;
		guchar c = r->ls->fold[(guchar)text[d]];
		lo = bound(r, members, lo, hi, d, c, false);
		hi = bound(r, members, lo, hi, d, c, true);
	}
}

void us_litscan_run(const struct us_litscan *ls, const char *text, size_t len,
		    void (*found)(unsigned id, void *data), void *data)
{
	struct run r = {
		.ls = ls,
		.lits = (const struct literal *)(void *)ls->literals->data,
		.remaining = ls->ids->len,
		.found = found,
		.data = data,
	};
	const struct group *groups = (const struct group *)(void *)ls->groups->data;
	guint32 key = 0;

	if (r.remaining == 0)
		return;
	r.reported = g_new0(guint8, ls->ids->len);
	scan_short(&r, text, len);
	if (len >= 2)
		key = (guint32)ls->fold[(guchar)text[0]] << 8 | ls->fold[(guchar)text[1]];
	for (size_t i = 0; i + 3 <= len && r.remaining > 0; i++) {
		key = (key << 8 | ls->fold[(guchar)text[i + 2]]) & 0xFFFFFFu;
		guint g = find_group(ls, key);
		if (g != NONE)
			match_group(&r, &groups[g], text + i, len - i);
	}
	g_free(r.reported);
}
