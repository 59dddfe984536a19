/* prefilter.c - required literals of a POSIX extended regex, and a
 * one-pass scanner for many literals.
 *
 * The analyser is deliberately conservative: wherever it is unsure what
 * TRE would make of a construct, it assumes "could match anything",
 * which only costs a needless regex compilation, never a missed match.
 * Its claims of exactness and its splits into alternatives are stricter
 * still: they are made only for regexes built from constructs whose
 * meaning is plain (see prefilter.h), since there a mistake would
 * change an outcome. */
#include <stddef.h>
#include <string.h>
#include "prefilter.h"

/* Literals shorter than this occur in almost every text: useless. */
#define MIN_LITERAL 3
/* Bounds that keep the cross products of alternations small. */
#define MAX_EXACT 32
/* A bracket of at most this many characters gives them as literals. */
#define MAX_BRACKET 16
#define MAX_REQUIRED 256
/* Nesting deeper than this is refused rather than recursed into. */
#define MAX_DEPTH 100

/* The analysis runs once per regex of every rule on every one-shot
 * run, so it avoids the heap per string: every string it builds is a
 * slice of one growing byte buffer, and every set a slice of one
 * growing array of such strings, both on the stack until they outgrow
 * it. Nothing is freed before the end; what an analysis builds is
 * bounded by the regex's length times the set limits above. */
#define LOCAL_TEXT 2048
#define LOCAL_MEMBERS 256
#define LOCAL_BRANCHES 64
/* Sets of more members than this are kept free of duplicates with a
 * hash table rather than by comparing with each member: the unions of
 * long alternations reach hundreds. The table has room for far more
 * than MAX_REQUIRED (+ the one member over it that ends a union). */
#define DEDUP_LINEAR 8
#define DEDUP_BITS 10

/* Bytes [off, off + len) of parser.text. */
struct str {
	guint off;
	guint len;
	/* A hash of the bytes, so that unequal strings rarely need a
	 * byte comparison: the polynomial sum of byte * HASH_BASE^k, and
	 * HASH_BASE^len, with which that of a concatenation follows from
	 * its parts' without reading them. */
	guint32 hash;
	guint32 power;
};

#define HASH_BASE 31u

/* Members [first, first + n) of parser.members, all different. Sets are
 * values: an operation never changes the members of its operands, it
 * appends new ones, so a set can be copied and kept anywhere. n == 0
 * stands for "no set" (unknown, or too many strings to list); a real
 * set is never empty. */
struct set {
	guint first;
	guint n;
	guint shortest;		/* length of the shortest member */
};

static const struct set no_set = { 0, 0, 0 };

/* What is known about a piece of regex. EXACT: the complete, finite set
 * of strings it can match (lower-cased), or no set when unknown or too
 * many. REQUIRED: strings one of which every match contains, or no set
 * for "no requirement". */
struct info {
	struct set exact;
	struct set required;
	/* Repeated at least once ("X+", "X{2,3}"): X's exact set, with
	 * which every match begins and ends, so that it still joins what
	 * comes before it and what comes after it into literals. */
	struct set ends;
};

/* A top-level group "(B1|...|Bn)" that the regex could be split at. */
struct split_group {
	const char *open;	/* its '(' */
	const char *close;	/* its ')' */
	guint first_bar;	/* its '|'s: group_bars[first_bar ...] */
	guint bars;		/* how many; 0 = no group found */
};

struct parser {
	const char *p;
	const char *end;
	const char *error;	/* static; first syntax error found */
	unsigned depth;
	char *text;		/* the bytes of every string built */
	guint text_len, text_size;
	struct str *members;	/* the members of every set built */
	guint members_len, members_size;
	struct info *branches;	/* of the alternations being read, innermost last */
	guint branches_len, branches_size;
	guint dedup_first;	/* DEDUP indexes the set from here on, + 1; 0 = none */
	/* Something besides literal text, groups and '|': the literals
	 * no longer tell the whole language. */
	bool approximate;
	/* Something whose meaning could depend on the rest of the regex
	 * (back-references, flag groups, bounds TRE reads its own way), so
	 * the regex is not split into alternatives. */
	bool unsplittable;
	/* A non-ASCII character is literal text, its bytes: the regex is
	 * matched with case (no REG_ICASE, no "(?" flag group), so TRE
	 * matches exactly those bytes, which the scan compares as they are. */
	bool bytes_literal;
	/* Split points, recorded only when asked for (TOP_BARS not NULL). */
	GArray *top_bars;	/* const char *: the '|'s of the top level */
	GArray *group_bars;	/* const char *: those of the top-level groups */
	struct split_group last_group;	/* the top-level group just parsed */
	struct split_group best_group;	/* the unquantified one with most '|'s */
	/* Big buffers last: they are not cleared (see us_regex_analyse). */
	/* The members of the set being built by hash: member index + 1,
	 * 0 for none. */
	guint dedup[1u << DEDUP_BITS];
	char local_text[LOCAL_TEXT];	/* TEXT's first home */
	struct str local_members[LOCAL_MEMBERS];	/* MEMBERS' first home */
	struct info local_branches[LOCAL_BRANCHES];	/* BRANCHES' first home */
};

/* ASCII lower case; other bytes, UTF-8 ones included, stay. */
static inline char fold(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* Makes room for NEEDED items of UNIT bytes in DATA, of *SIZE items: the
 * buffer doubles, leaving the stack (LOCAL) for the heap the first time. */
G_GNUC_NO_INLINE
static void *grow(void *data, guint *size, guint needed, size_t unit, void *local)
{
	guint size2 = *size;

	while (size2 < needed)
		size2 *= 2;
	if (data == local) {
		void *heap = g_malloc_n(size2, unit);
		memcpy(heap, data, (size_t)*size * unit);
		data = heap;
	} else {
		data = g_realloc_n(data, size2, unit);
	}
	*size = size2;
	return data;
}

/* Adds N bytes to the text; returns the offset of the first. */
static guint text_extend(struct parser *ps, guint n)
{
	guint at = ps->text_len;

	if (at + n > ps->text_size)
		ps->text = grow(ps->text, &ps->text_size, at + n, 1, ps->local_text);
	ps->text_len = at + n;
	return at;
}

static inline void members_append(struct parser *ps, struct str s)
{
	if (ps->members_len == ps->members_size)
		ps->members = grow(ps->members, &ps->members_size, ps->members_len + 1,
				   sizeof(struct str), ps->local_members);
	ps->members[ps->members_len++] = s;
}

static struct str member(const struct parser *ps, guint i)
{
	return ps->members[i];
}

static const char *bytes_of(const struct parser *ps, struct str s)
{
	return ps->text + s.off;
}

static bool str_equal(const struct parser *ps, struct str a, struct str b)
{
	return a.hash == b.hash && a.len == b.len &&
	       memcmp(bytes_of(ps, a), bytes_of(ps, b), a.len) == 0;
}

static guint dedup_slot(guint32 hash)
{
	return (guint)((hash * 2654435761u) >> (32 - DEDUP_BITS));
}

/* Finds S's slot in the dedup table: where it is, or the free one
 * where it would go. */
static guint *dedup_find(struct parser *ps, struct str s)
{
	guint slot = dedup_slot(s.hash);

	while (ps->dedup[slot] != 0 && !str_equal(ps, member(ps, ps->dedup[slot] - 1), s))
		slot = (slot + 1) & ((1u << DEDUP_BITS) - 1);
	return &ps->dedup[slot];
}

/* Appends S to the set being built at the end of ps->members from
 * FIRST on, unless it is there already. */
static void add_unique(struct parser *ps, guint first, struct str s)
{
	guint *slot;

	if (ps->members_len - first < DEDUP_LINEAR) {
		for (guint i = first; i < ps->members_len; i++)
			if (str_equal(ps, member(ps, i), s))
				return;
		members_append(ps, s);
		return;
	}
	if (ps->dedup_first != first + 1) {
		/* A new set: index its members so far. */
		memset(ps->dedup, 0, sizeof ps->dedup);
		ps->dedup_first = first + 1;
		for (guint i = first; i < ps->members_len; i++) {
			slot = dedup_find(ps, member(ps, i));
			if (*slot == 0)
				*slot = i + 1;
		}
	}
	slot = dedup_find(ps, s);
	if (*slot != 0)
		return;
	*slot = ps->members_len + 1;
	members_append(ps, s);
}

/* Appends LEN bytes from text offset FROM (which lies before the end)
 * to the text; returns where they went. */
static guint append_from_text(struct parser *ps, guint from, guint len)
{
	guint at = text_extend(ps, len);

	memcpy(ps->text + at, ps->text + from, len);
	return at;
}

/* {S}: LEN bytes from BYTES, lower-cased. */
static struct set set_of(struct parser *ps, const char *bytes, size_t len)
{
	struct str s = { text_extend(ps, (guint)len), (guint)len, 0, 1 };
	struct set out = { ps->members_len, 1, (guint)len };

	for (size_t i = 0; i < len; i++) {
		char c = fold(bytes[i]);
		ps->text[s.off + i] = c;
		s.hash = s.hash * HASH_BASE + (guchar)c;
		s.power *= HASH_BASE;
	}
	members_append(ps, s);
	return out;
}

static struct set set_empty_string(struct parser *ps)
{
	return set_of(ps, "", 0);
}

static bool is_empty_string(const struct parser *ps, struct set s)
{
	return s.n == 1 && member(ps, s.first).len == 0;
}

/* Length of the shortest member: how selective the set is as a
 * prefilter. -1 for "no set". */
static long set_score(struct set s)
{
	return s.n ? (long)s.shortest : -1;
}

/* True if A is a better prefilter than B: a longer shortest literal,
 * or as long with fewer literals to look for. */
static bool set_better(struct set a, struct set b)
{
	long sa = set_score(a), sb = set_score(b);

	if (sa != sb)
		return sa > sb;
	return a.n != 0 && b.n != 0 && a.n < b.n;
}

/* Keeps the better of *BEST and CANDIDATE in *BEST. */
static void keep_better(struct set *best, struct set candidate)
{
	if (set_better(candidate, *best))
		*best = candidate;
}

/* The best requirement the piece offers: its exact set (every match is
 * one of those strings, so contains one) or its own requirement. Takes
 * both sets out of IN. */
static struct set take_requirement(struct info *in)
{
	struct set best = in->required;

	keep_better(&best, in->exact);
	in->exact = no_set;
	in->required = no_set;
	return best;
}

/* Whether the members of S all have the same length. */
static bool same_lengths(const struct parser *ps, struct set s)
{
	for (guint i = 1; i < s.n; i++)
		if (member(ps, s.first + i).len != member(ps, s.first).len)
			return false;
	return true;
}

/* Every concatenation of a member of A with one of B; no set if that
 * would exceed MAX_EXACT, or, for strings of at most three bytes (what
 * brackets make: "[45][0-9][0-9]" is 200 of them), MAX_REQUIRED. */
static struct set set_cross(struct parser *ps, struct set a, struct set b)
{
	struct set out = { ps->members_len, 0, a.shortest + b.shortest };
	size_t n = (size_t)a.n * b.n;

	if (n > MAX_EXACT && (n > MAX_REQUIRED || a.shortest + b.shortest > MIN_LITERAL ||
			      !same_lengths(ps, a) || !same_lengths(ps, b)))
		return no_set;
	/* The commonest case by far: the start of a concatenation. */
	if (is_empty_string(ps, a))
		return b;
	if (is_empty_string(ps, b))
		return a;
	/* X1Y1 = X2Y2 with X1 != X2 needs |X1| != |X2|, and likewise for
	 * the Ys (A and B have no duplicates): when either set's members
	 * all have one length, no product needs looking for. */
	bool unique = a.n == 1 || b.n == 1 || same_lengths(ps, a) || same_lengths(ps, b);
	for (guint i = 0; i < a.n; i++) {
		for (guint j = 0; j < b.n; j++) {
			struct str x = member(ps, a.first + i), y = member(ps, b.first + j);
			struct str s = {
				.off = x.off,
				.len = x.len + y.len,
				.hash = x.hash * y.power + y.hash,
				.power = x.power * y.power,
			};

			/* X's bytes may end the buffer (a run of literal text
			 * growing atom by atom): then Y can simply follow. */
			if (x.off + x.len != ps->text_len)
				s.off = append_from_text(ps, x.off, x.len);
			append_from_text(ps, y.off, y.len);
			if (unique)
				members_append(ps, s);
			else
				add_unique(ps, out.first, s);
		}
	}
	out.n = ps->members_len - out.first;
	return out;
}

/* A ∪ B, or no set if either is none or the union would exceed LIMIT. */
static struct set set_union(struct parser *ps, struct set a, struct set b, guint limit)
{
	struct set out = { 0, 0, MIN(a.shortest, b.shortest) };

	if (a.n == 0 || b.n == 0)
		return no_set;
	if (a.first + a.n == ps->members_len) {
		/* A ends the array: extend it where it is. */
		out.first = a.first;
	} else {
		out.first = ps->members_len;
		for (guint i = 0; i < a.n; i++)
			members_append(ps, member(ps, a.first + i));
	}
	for (guint j = 0; j < b.n; j++)
		add_unique(ps, out.first, member(ps, b.first + j));
	out.n = ps->members_len - out.first;
	return out.n > limit ? no_set : out;
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
 * is always one of a few ASCII characters (of either case: the literals
 * are searched for without regard to it), as in "[45]", "[0-9]" or
 * "[Xx]", those are its literals (for the prefilter; a bracket is never
 * plain text). */
static void parse_bracket(struct parser *ps, struct info *out)
{
	const char *p = ps->p + 1;
	bool negated = false, listable = true;
	guint8 member[128] = { 0 };
	unsigned count = 0;
	int prev = -1;		/* the last single character, for a range */

	ps->approximate = true;
	if (p < ps->end && *p == '^') {
		negated = true;
		p++;
	}
	/* A "]" right after "[" or "[^" is an ordinary member. */
	if (p < ps->end && *p == ']') {
		prev = ']';
		member[']'] = 1;
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
			listable = false;
			prev = -1;
			p = stop + 2;
			continue;
		}
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			listable = false;
			prev = -1;
		} else if (c == '-' && prev >= 0 && p + 1 < ps->end && p[1] != ']') {
			unsigned char last = (unsigned char)p[1];
			if (last >= 0x80 || last < prev)
				listable = false;	/* non-ASCII, or TRE's error */
			else
				for (int k = prev; k <= last; k++)
					member[k] = 1;
			prev = -1;
			p += 2;
			continue;
		} else {
			member[c] = 1;
			prev = c;
		}
		p++;
	}
	if (p >= ps->end) {
		fail(ps, "unbalanced [ (missing ])");
		return;
	}
	ps->p = p + 1;
	if (negated || !listable)
		return;
	/* Fold the letters, then list what is left, if it is little. */
	for (int k = 'A'; k <= 'Z'; k++)
		if (member[k]) {
			member[k] = 0;
			member[k + ('a' - 'A')] = 1;
		}
	for (int k = 0; k < 128; k++)
		count += member[k];
	if (count == 0 || count > MAX_BRACKET)
		return;
	out->exact = (struct set){ ps->members_len, count, 1 };
	for (int k = 0; k < 128; k++)
		if (member[k]) {
			char ch = (char)k;
			set_of(ps, &ch, 1);
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
		out->exact = set_of(ps, (const char *)&c, 1);
		return;
	}
	ps->approximate = true;
	/* A back-reference ties the text to a group: splitting the
	 * alternatives apart could renumber or remove that group. */
	if (g_ascii_isdigit(c))
		ps->unsplittable = true;
	/* TRE's "\xHH" and "\x{H...}" are one character each: the digits
	 * are not literal text. */
	if (c == 'x') {
		const char *close = ps->p < ps->end && *ps->p == '{' ?
			memchr(ps->p, '}', (size_t)(ps->end - ps->p)) : NULL;
		if (close)
			ps->p = close + 1;
		else
			for (int k = 0; k < 2 && ps->p < ps->end && g_ascii_isxdigit(*ps->p); k++)
				ps->p++;
		return;
	}
	/* A multibyte character: skip its continuation bytes too. */
	while (c >= 0x80 && ps->p < ps->end && ((unsigned char)*ps->p & 0xC0) == 0x80)
		ps->p++;
}

static void record_bar(struct parser *ps)
{
	if (ps->top_bars == NULL)
		return;
	if (ps->depth == 0)
		g_array_append_val(ps->top_bars, ps->p);
	else if (ps->depth == 1)
		g_array_append_val(ps->group_bars, ps->p);
}

/* "(...)" at ps->p, including TRE's "(?flags)" and "(?flags:...)".
 * Flags only change case and line handling, which the literals, being
 * searched case-insensitively, do not depend on; but they make the
 * regex inexact, and a flag's reach, up to the end of the enclosing
 * group, forbids splitting. */
static void parse_group(struct parser *ps, struct info *out)
{
	const char *open = ps->p;
	const char *p = ps->p + 1;
	guint first_bar = ps->group_bars ? ps->group_bars->len : 0;

	if (ps->depth >= MAX_DEPTH) {
		fail(ps, "parentheses nested too deeply");
		return;
	}
	if (p < ps->end && *p == '?') {
		const char *q = p + 1;
		ps->approximate = true;
		ps->unsplittable = true;
		while (q < ps->end && (g_ascii_isalpha(*q) || *q == '-'))
			q++;
		if (q < ps->end && *q == ')') {
			ps->p = q + 1;
			out->exact = set_empty_string(ps);
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
		*out = (struct info){ no_set, no_set, no_set };
		fail(ps, "unbalanced ( (missing ))");
		return;
	}
	if (ps->depth == 0 && ps->group_bars) {
		ps->last_group = (struct split_group){
			.open = open,
			.close = ps->p,
			.first_bar = first_bar,
			.bars = ps->group_bars->len - first_bar,
		};
	}
	ps->p++;
}

/* What ASCII characters mean outside brackets, as bits: the analyser
 * looks at every character of every regex, so this is a table. */
enum { SPECIAL = 1, QUANTIFIER = 2 };
static const guint8 char_class[128] = {
	['\\'] = SPECIAL, ['['] = SPECIAL, [']'] = SPECIAL, ['('] = SPECIAL, [')'] = SPECIAL,
	['}'] = SPECIAL, ['.'] = SPECIAL, ['^'] = SPECIAL, ['$'] = SPECIAL, ['|'] = SPECIAL,
	['*'] = SPECIAL | QUANTIFIER, ['+'] = SPECIAL | QUANTIFIER, ['?'] = SPECIAL | QUANTIFIER,
	['{'] = SPECIAL | QUANTIFIER,
};

static bool is_quantifier(char c)
{
	return (unsigned char)c < 0x80 && (char_class[(unsigned char)c] & QUANTIFIER);
}

/* An ASCII character that stands for itself outside brackets. */
static bool is_plain(char c)
{
	return (unsigned char)c < 0x80 && !(char_class[(unsigned char)c] & SPECIAL);
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
		ps->approximate = true;
		out->exact = set_empty_string(ps);
		return;
	case '.':
		ps->p++;
		ps->approximate = true;
		return;
	}
	ps->p++;
	if (c >= 0x80) {
		/* Non-ASCII: its case variants differ in bytes, so it cannot
		 * be part of a case-insensitive byte literal; matched with
		 * case, it is its bytes. */
		const char *start = ps->p - 1;
		while (ps->p < ps->end && ((unsigned char)*ps->p & 0xC0) == 0x80)
			ps->p++;
		if (ps->bytes_literal)
			out->exact = set_of(ps, start, (size_t)(ps->p - start));
		else
			ps->approximate = true;
		return;
	}
	/* Take the whole run of plain characters as one atom (it is cheaper
	 * than one per character), but leave a character that a quantifier
	 * follows to be an atom of its own. */
	const char *start = ps->p - 1;
	while (ps->p < ps->end && is_plain(*ps->p))
		ps->p++;
	if (ps->p < ps->end && is_quantifier(*ps->p) && ps->p - 1 > start)
		ps->p--;
	out->exact = set_of(ps, start, (size_t)(ps->p - start));
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

	ps->unsplittable = true;
	if (close == NULL)
		fail(ps, "unbalanced { (missing })");
	else
		ps->p = close + 1;
}

/* The item may be absent: no requirement; the exact set gains "". */
static void make_optional(struct parser *ps, struct info *in, bool at_most_once)
{
	in->required = no_set;
	in->ends = no_set;
	if (in->exact.n != 0 && at_most_once)
		in->exact = set_union(ps, in->exact, set_empty_string(ps), G_MAXUINT);
	else
		in->exact = no_set;
}

/* The item occurs one or more times: it is still required, but what
 * precedes and follows it no longer joins it into one literal. */
static void make_repeated(struct info *in)
{
	if (in->exact.n)
		in->ends = in->exact;
	in->required = take_requirement(in);
}

/* Applies any quantifiers following an atom to IN. */
static void parse_quantifiers(struct parser *ps, struct info *in)
{
	while (!at_end(ps) && is_quantifier(*ps->p)) {
		char q = *ps->p;
		unsigned min = 0, max = 0;
		bool unbounded = false;

		/* A "?" keeps the language finite and known (the exact set
		 * gains ""); any other quantifier, even "{1}", makes the
		 * regex inexact: exact sets are claimed only where the claim
		 * is easy to check. */
		if (q != '?')
			ps->approximate = true;
		if (q == '{') {
			if (!parse_bound(ps, &min, &max, &unbounded)) {
				skip_brace(ps);
				make_optional(ps, in, false);	/* unknown: assume anything */
				continue;
			}
		} else {
			ps->p++;
			min = q == '+' ? 1 : 0;
			max = q == '?' ? 1 : 0;
			unbounded = q != '?';
		}
		if (min == 0)
			make_optional(ps, in, !unbounded && max == 1);
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
	struct set run = set_empty_string(ps);
	struct set best = no_set;
	bool all_exact = true;

	while (!at_end(ps) && *ps->p != '|' && *ps->p != ')') {
		struct info item = { no_set, no_set, no_set };

		if (is_quantifier(*ps->p)) {
			/* A quantifier with nothing to repeat: TRE's reading
			 * of it is its own business; assume anything. */
			ps->approximate = true;
			ps->unsplittable = true;
			if (*ps->p == '{')
				skip_brace(ps);
			else
				ps->p++;
		} else {
			ps->last_group.bars = 0;
			parse_atom(ps, &item);
			const char *atom_end = ps->p;
			parse_quantifiers(ps, &item);
			/* A top-level group that nothing repeats or makes
			 * optional can be split at its '|'s. */
			if (ps->last_group.bars > ps->best_group.bars && ps->p == atom_end)
				ps->best_group = ps->last_group;
		}
		if (ps->error)
			break;
		struct set joined = item.exact.n ? set_cross(ps, run, item.exact) : no_set;
		if (joined.n) {
			run = joined;
			continue;
		}
		all_exact = false;
		if (item.ends.n) {
			/* The first copy follows the run, the last one is
			 * followed by what comes next. */
			struct set first = set_cross(ps, run, item.ends);
			keep_better(&best, first.n ? first : run);
			run = item.ends;
			keep_better(&best, take_requirement(&item));
			continue;
		}
		keep_better(&best, run);
		run = item.exact.n ? item.exact : set_empty_string(ps);
		keep_better(&best, take_requirement(&item));
	}
	if (ps->error)
		return;
	if (all_exact) {
		out->exact = run;
	} else {
		keep_better(&best, run);
		out->required = best;
	}
}

/* The union of the requirements of BRANCHES[0 .. N), or no set if one
 * is none or the union would exceed LIMIT. */
static struct set union_of(struct parser *ps, const struct info *branches, guint n, guint limit)
{
	struct set out = { ps->members_len, 0, G_MAXUINT };

	for (guint i = 0; i < n; i++) {
		if (branches[i].required.n == 0)
			return no_set;
		out.shortest = MIN(out.shortest, branches[i].required.shortest);
	}
	for (guint i = 0; i < n; i++) {
		struct set s = branches[i].required;
		for (guint j = 0; j < s.n; j++) {
			add_unique(ps, out.first, member(ps, s.first + j));
			if (ps->members_len - out.first > limit)
				return no_set;
		}
	}
	out.n = ps->members_len - out.first;
	return out;
}

/* Branches separated by '|': a match contains a literal of whichever
 * branch matched, so the requirement is the union of the branches'.
 * If every branch is exact, so is their union, unless it has more than
 * MAX_EXACT strings. The branches are kept until the end and united
 * once: uniting them one by one would copy the growing union each time. */
static void parse_alternation(struct parser *ps, struct info *out)
{
	guint first = ps->branches_len;
	bool all_exact = true;

	for (;;) {
		struct info branch = { no_set, no_set, no_set };
		parse_concatenation(ps, &branch);
		if (ps->error)
			break;
		all_exact = all_exact && branch.exact.n != 0;
		if (ps->branches_len == ps->branches_size)
			ps->branches = grow(ps->branches, &ps->branches_size, ps->branches_len + 1,
					    sizeof(struct info), ps->local_branches);
		ps->branches[ps->branches_len++] = branch;
		if (at_end(ps) || *ps->p != '|')
			break;
		record_bar(ps);
		ps->p++;
	}
	guint n = ps->branches_len - first;
	ps->branches_len = first;
	if (ps->error)
		return;
	struct info *branches = ps->branches + first;
	if (n == 1) {
		*out = branches[0];
		return;
	}
	/* Each branch reduced to its requirement (for an exact one, its
	 * exact set). */
	for (guint i = 0; i < n; i++)
		branches[i].required = take_requirement(&branches[i]);
	struct set both = union_of(ps, branches, n, MAX_REQUIRED);
	*out = (struct info){ no_set, no_set, no_set };
	if (all_exact && both.n != 0 && both.n <= MAX_EXACT)
		out->exact = both;
	else
		out->required = both;
}

/* Whether any member has an ASCII letter (members are lower-cased). */
static bool set_has_letters(const struct parser *ps, struct set s)
{
	for (guint i = 0; i < s.n; i++) {
		struct str m = member(ps, s.first + i);
		for (guint k = 0; k < m.len; k++)
			if (bytes_of(ps, m)[k] >= 'a' && bytes_of(ps, m)[k] <= 'z')
				return true;
	}
	return false;
}

/* Appends to PARTS the alternatives RE splits into, if any. */
static void split(const struct parser *ps, const char *re, GPtrArray *parts)
{
	const char *end = ps->end;

	if (ps->top_bars->len > 0) {
		const char *from = re;
		for (guint i = 0; i <= ps->top_bars->len; i++) {
			const char *to = i < ps->top_bars->len ?
				g_array_index(ps->top_bars, const char *, i) : end;
			g_ptr_array_add(parts, g_strndup(from, (gsize)(to - from)));
			from = to + 1;
		}
		return;
	}
	const struct split_group *g = &ps->best_group;
	if (g->bars == 0)
		return;
	/* RE = P(B1|...|Bn)S; part i = PBiS. The parentheses can go: Bi
	 * has no '|' of its own level, nothing quantifies the group, and
	 * without back-references its number does not matter. Then a
	 * group inside Bi is a top-level one of the part, where it can be
	 * split in turn. */
	gsize prefix = (gsize)(g->open - re), suffix = (gsize)(end - g->close - 1);
	const char *from = g->open + 1;
	for (guint i = 0; i <= g->bars; i++) {
		const char *to = i < g->bars ?
			g_array_index(ps->group_bars, const char *, g->first_bar + i) : g->close;
		GString *part = g_string_sized_new(prefix + (gsize)(to - from) + suffix);
		g_string_append_len(part, re, (gssize)prefix);
		g_string_append_len(part, from, to - from);
		g_string_append_len(part, g->close + 1, (gssize)suffix);
		g_ptr_array_add(parts, g_string_free(part, FALSE));
		from = to + 1;
	}
}

bool us_regex_analyse(const char *re, bool icase, GPtrArray *out, GStringChunk *store,
		      bool *exact, GPtrArray *parts, const char **syntax_error)
{
	size_t len = strlen(re);
	struct parser ps;
	struct info top = { no_set, no_set, no_set };
	struct set required;
	bool useful, is_exact = false;

	/* Not an initializer, which would clear the buffers at the end of
	 * the struct too (some 12 KiB): they are cleared or filled when used. */
	memset(&ps, 0, offsetof(struct parser, dedup));
	ps.p = re;
	ps.end = re + len;
	ps.text = ps.local_text;
	ps.text_size = LOCAL_TEXT;
	ps.members = ps.local_members;
	ps.members_size = LOCAL_MEMBERS;
	ps.branches = ps.local_branches;
	ps.branches_size = LOCAL_BRANCHES;
	ps.bytes_literal = !icase && strstr(re, "(?") == NULL;
	if (parts) {
		ps.top_bars = g_array_new(FALSE, FALSE, sizeof(const char *));
		ps.group_bars = g_array_new(FALSE, FALSE, sizeof(const char *));
	}
	parse_alternation(&ps, &top);
	if (!ps.error && !at_end(&ps))	/* stopped at a ')' with no '(' */
		ps.error = "unbalanced ) (missing ()";
	if (ps.error) {
		if (syntax_error)
			*syntax_error = ps.error;
		useful = false;
	} else {
		/* Exact: plain text only, so TOP.EXACT is every string RE
		 * can match; and the scan's folding of ASCII case is TRE's
		 * too (REG_ICASE), or there is no letter to fold. */
		is_exact = !ps.approximate && top.exact.n != 0 && (icase || !set_has_letters(&ps, top.exact));
		required = take_requirement(&top);
		useful = set_score(required) >= MIN_LITERAL;
		is_exact = is_exact && useful;
		if (useful && out) {
			for (guint i = 0; i < required.n; i++) {
				struct str s = member(&ps, required.first + i);
				g_ptr_array_add(out, store ? g_string_chunk_insert_len(store, bytes_of(&ps, s), s.len)
							   : g_strndup(bytes_of(&ps, s), s.len));
			}
		}
		if (parts && !is_exact && !ps.unsplittable)
			split(&ps, re, parts);
	}
	if (exact)
		*exact = is_exact;
	if (parts) {
		g_array_unref(ps.top_bars);
		g_array_unref(ps.group_bars);
	}
	if (ps.text != ps.local_text)
		g_free(ps.text);
	if (ps.members != ps.local_members)
		g_free(ps.members);
	if (ps.branches != ps.local_branches)
		g_free(ps.branches);
	return useful;
}

bool us_literals_extract(const char *re, GPtrArray *out, const char **syntax_error)
{
	/* As for REG_ICASE: literals good for either case flag. */
	return us_regex_analyse(re, true, out, NULL, NULL, NULL, syntax_error);
}

/* ------------------------------------------------------------------ */
/* Extent: how long a match can be, and whether it can hold a line break.
 *
 * A separate small reader of the same syntax: the literal analysis above
 * works with sets and stays as it is. Everything it does not know for
 * sure ("(?" groups, back-references, "\x", odd braces, "[=" and "[."
 * forms) gives "unbounded, may hold a line break", which only means the
 * whole text is matched, as without an extent. What TRE makes of each
 * construct was checked with TRE itself: "." leaves out the line break
 * under REG_NEWLINE, but a negated bracket ("[^>]"), "\W", "\D" and "\s"
 * match it with or without that flag; "\n" is a line break; "\<", "\>",
 * "\b" and "\B" are assertions, but "\`" and "\'" stand for themselves.
 * And TRE 0.8 loses the character class of the copies it makes for a
 * bound: "[[:alpha:]]{2}", "\w{2,}" and "(x\w){2}" match any characters,
 * line breaks included. */

#define EXTENT_CAP 100000	/* longer than this counts as unbounded */

struct extent {
	guint max;		/* characters, or US_EXTENT_UNBOUNDED */
	bool newline;		/* may match a line break */
	bool single;		/* matches exactly one character (an atom) */
	bool classes;		/* holds a character class ("[:alpha:]", "\\w", ...) */
};

struct extent_reader {
	const char *p, *end;
	bool multiline;		/* REG_NEWLINE */
	unsigned depth;
	bool unknown;		/* met something it does not know */
	bool class_bound;	/* met a character class under a bound */
	bool open_bound;	/* met "{,N}" */
};

static guint extent_add(guint a, guint b)
{
	if (a == US_EXTENT_UNBOUNDED || b == US_EXTENT_UNBOUNDED || a + b > EXTENT_CAP)
		return US_EXTENT_UNBOUNDED;
	return a + b;
}

static guint extent_times(guint a, guint n)
{
	if (a == 0 || n == 0)
		return 0;
	if (a == US_EXTENT_UNBOUNDED || n == US_EXTENT_UNBOUNDED || a > EXTENT_CAP / n)
		return US_EXTENT_UNBOUNDED;
	return a * n;
}

static void extent_alternation(struct extent_reader *er, struct extent *out);

/* "[...]" at er->p: one character; a line break if negated, a space or
 * control class, a range over it, or anything unusual. */
static void extent_bracket(struct extent_reader *er, struct extent *out)
{
	const char *p = er->p + 1;
	bool negated = false, classes = false;
	bool has_newline = false;	/* "\n" is surely a member */
	bool backslash = false;		/* "[\n]": TRE reads it as two members, but */

	if (p < er->end && *p == '^') {
		negated = true;
		p++;
	}
	if (p < er->end && *p == ']')
		p++;
	while (p < er->end && *p != ']') {
		if (*p == '[' && p + 1 < er->end && p[1] == ':') {
			const char *stop = g_strstr_len(p + 2, er->end - (p + 2), ":]");
			if (stop == NULL)
				break;
			if ((stop - p == 7 && strncmp(p + 2, "space", 5) == 0) ||
			    (stop - p == 7 && strncmp(p + 2, "cntrl", 5) == 0))
				has_newline = true;
			classes = true;
			p = stop + 2;
			continue;
		}
		if (*p == '[' && p + 1 < er->end && (p[1] == '=' || p[1] == '.'))
			er->unknown = true;
		if (*p == '\\')
			backslash = true;
		if (*p == '\n')
			has_newline = true;
		if (*p == '-' && p + 1 < er->end && p[1] != ']' && p > er->p + 1 &&
		    (unsigned char)p[-1] <= '\n' && (unsigned char)p[1] >= '\n')
			has_newline = true;
		p++;
	}
	if (p >= er->end) {
		er->unknown = true;
		er->p = er->end;
		return;
	}
	er->p = p + 1;
	/* A negated bracket leaves out "\n" only if it surely lists it
	 * ("[^[:space:]]"); a plain one may match it if it might list it. */
	*out = (struct extent){ 1, negated ? !has_newline : has_newline || backslash, true, classes };
}

static void extent_escape(struct extent_reader *er, struct extent *out)
{
	unsigned char c;

	if (er->p + 1 >= er->end) {
		er->unknown = true;
		er->p = er->end;
		return;
	}
	c = (unsigned char)er->p[1];
	er->p += 2;
	if (c >= 0x80) {
		while (er->p < er->end && ((unsigned char)*er->p & 0xC0) == 0x80)
			er->p++;
		*out = (struct extent){ 1, false, true, false };
	} else if (strchr("<>b", c)) {
		/* Assertions. "\B" is left unknown: matched on a stretch cut
		 * out of a text, it alone could hold at a cut end where in the
		 * whole text it does not (rules.c, "windows"). */
		*out = (struct extent){ 0, false, false, false };
	} else if (strchr("tnrfe", c) || g_ascii_ispunct(c)) {
		*out = (struct extent){ 1, c == 'n', true, false };
	} else if (strchr("wSd", c)) {
		*out = (struct extent){ 1, false, true, true };
	} else if (strchr("sWD", c)) {
		*out = (struct extent){ 1, true, true, true };
	} else {
		er->unknown = true;	/* back-references, "\x", ... */
	}
}

static void extent_atom(struct extent_reader *er, struct extent *out)
{
	unsigned char c = (unsigned char)*er->p;

	*out = (struct extent){ 0, false, false, false };
	switch (c) {
	case '(':
		if (er->p + 1 < er->end && er->p[1] == '?') {
			er->unknown = true;
			return;
		}
		if (er->depth >= MAX_DEPTH) {
			er->unknown = true;
			return;
		}
		er->p++;
		er->depth++;
		extent_alternation(er, out);
		er->depth--;
		out->single = false;
		if (er->p >= er->end || *er->p != ')') {
			er->unknown = true;
			return;
		}
		er->p++;
		return;
	case '[':
		extent_bracket(er, out);
		return;
	case '\\':
		extent_escape(er, out);
		return;
	case '^':
	case '$':
		er->p++;
		return;
	case '.':
		er->p++;
		*out = (struct extent){ 1, !er->multiline, true, false };
		return;
	}
	er->p++;
	while (c >= 0x80 && er->p < er->end && ((unsigned char)*er->p & 0xC0) == 0x80)
		er->p++;
	*out = (struct extent){ 1, c == '\n', true, false };
}

/* An atom and its quantifiers. *SINGLE_STAR: a one-character atom under
 * exactly one "*". */
static void extent_piece(struct extent_reader *er, struct extent *out, bool *single_star)
{
	unsigned quantifiers = 0;
	bool star = false;

	extent_atom(er, out);
	bool single = out->single;
	while (!er->unknown && er->p < er->end && is_quantifier(*er->p)) {
		char q = *er->p;
		unsigned min = 0, max = 0;
		bool unbounded = false;

		if (q == '{') {
			struct parser ps = { .p = er->p, .end = er->end };
			/* TRE does not read "{,N}" as "{0,N}": no bound. */
			if (er->p + 1 < er->end && er->p[1] == ',') {
				er->unknown = true;
				er->open_bound = true;
				return;
			}
			if (!parse_bound(&ps, &min, &max, &unbounded)) {
				er->unknown = true;
				return;
			}
			er->p = ps.p;
			/* TRE's copies for the bound lose their classes. */
			out->newline = out->newline || out->classes;
			er->class_bound = er->class_bound || out->classes;
		} else {
			er->p++;
			unbounded = q != '?';
			max = 1;
		}
		quantifiers++;
		star = q == '*';
		out->max = extent_times(out->max, unbounded ? US_EXTENT_UNBOUNDED : max);
		out->single = false;
		if (er->p < er->end && *er->p == '?')	/* "as few as possible" */
			er->p++;
	}
	*single_star = single && quantifiers == 1 && star;
}

/* A concatenation up to '|', ')' or the end. */
static void extent_concatenation(struct extent_reader *er, struct extent *out)
{
	*out = (struct extent){ 0, false, false, false };
	while (!er->unknown && er->p < er->end && *er->p != '|' && *er->p != ')') {
		struct extent piece;
		bool single_star;

		extent_piece(er, &piece, &single_star);
		out->max = extent_add(out->max, piece.max);
		out->newline = out->newline || (piece.newline && piece.max != 0);
		out->classes = out->classes || piece.classes;
	}
}

static void extent_alternation(struct extent_reader *er, struct extent *out)
{
	extent_concatenation(er, out);
	while (!er->unknown && er->p < er->end && *er->p == '|') {
		struct extent branch;
		er->p++;
		extent_concatenation(er, &branch);
		out->max = out->max == US_EXTENT_UNBOUNDED || branch.max == US_EXTENT_UNBOUNDED ?
			US_EXTENT_UNBOUNDED : MAX(out->max, branch.max);
		out->newline = out->newline || branch.newline;
		out->classes = out->classes || branch.classes;
	}
}

void us_regex_extent(const char *re, bool multiline, struct us_regex_extent *out)
{
	const char *end = re + strlen(re);
	struct extent_reader er = { re, end, multiline, 0, false, false, false };
	struct extent whole;

	*out = (struct us_regex_extent){ US_EXTENT_UNBOUNDED, true, false, false, false };
	extent_alternation(&er, &whole);
	out->class_bound = er.class_bound;
	out->open_bound = er.open_bound;
	if (er.unknown || er.p != end)
		return;
	out->max_chars = whole.max;
	out->newline = whole.newline;

	/* "^C*REST" under REG_NEWLINE (one character class C under "*", no
	 * top-level "|"): a match from some line start is also one from the
	 * last line start before REST begins, since a tail of a run of C is
	 * a run of C; so REST's bound tells how far back a match can start. */
	if (whole.max == US_EXTENT_UNBOUNDED && multiline && re[0] == '^') {
		struct extent_reader r = { re + 1, end, multiline, 0, false, false, false };
		struct extent head, rest;
		bool single_star = false;

		if (r.p < end && *r.p != '|' && *r.p != ')')
			extent_piece(&r, &head, &single_star);
		if (r.unknown || !single_star)
			return;
		extent_concatenation(&r, &rest);
		if (!r.unknown && r.p == end && rest.max != US_EXTENT_UNBOUNDED) {
			out->line_start_run = true;
			out->max_chars = rest.max;
		}
	}
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

#define NONE G_MAXUINT
/* The hash table of groups starts this small (most scanners, one per
 * header name, hold a handful of literals) and doubles as groups come. */
#define MIN_BUCKET_BITS 4
#define MAX_BUCKET_BITS 16

/* The scanner's run-time form is a handful of flat arrays of 32-bit
 * numbers and one text buffer, with no pointers: the same layout works
 * in memory and serialised (us_litscan_serialise), so a rule cache can
 * hand a scanner to us_litscan_view() without rebuilding it. */
struct literal {
	guint32 text;		/* offset of the lower-cased text in the texts */
	guint32 len;
	guint32 slot;		/* dense index of the caller's id */
	guint32 unused;		/* 16 bytes: the binary search indexes by shifting */
};

struct group {
	guint32 key;		/* the three bytes, folded */
	guint32 next;		/* next group in the same bucket, or NONE */
	guint32 first;		/* members [first, first + n) of the flat members */
	guint32 n;		/* literal indexes, sorted by text */
};

/* The arrays a run reads (owned by the scanner, or in a viewed blob). */
struct flat {
	const guint32 *buckets;		/* 1 << bucket_bits: first group, or NONE */
	guint32 bucket_bits;
	const struct group *groups;
	guint32 n_groups;
	const guint32 *members;
	guint32 n_members;
	const struct literal *literals;
	guint32 n_literals;
	const guint32 *ids;		/* slot -> caller's id */
	guint32 n_ids;
	const guint32 *shorts;		/* indexes of literals under 3 bytes */
	guint32 n_short;
	const char *texts;
	guint32 texts_len;
	bool trusted;			/* built here, not loaded: no index checks */
};

/* A scanner is built for every one-shot run without a rule cache (one
 * per field, and more for the alternatives of candidate regexes), so
 * adding a literal must be cheap: plain arrays, each group's members in
 * an array of its own while building; a run first lays them out flat
 * (once, until the next addition). */
struct us_litscan {
	bool view;		/* a loaded blob; nothing below but FLAT is used */
	guint32 *blob;		/* us_litscan_load()'s copy, if it made one */
	bool damaged;		/* a run found the blob unsound */
	guint8 *checked;	/* per group of a loaded blob: found sound */
	GString *texts;		/* NUL-terminated lower-cased literals */
	struct literal *literals;
	guint n_literals, literals_size;
	struct group *groups;	/* FIRST unused while building */
	guint n_groups, groups_size;
	guint **group_members;	/* per group, sorted by text */
	guint *group_sizes;	/* allocated size of each */
	guint32 *ids;
	guint n_ids, ids_size;
	GHashTable *slots;	/* caller's id -> slot + 1 */
	guint32 *shorts;
	guint n_short, short_size;
	guint32 *buckets;
	guint bucket_bits;
	/* A bit per hash of a group's key: a run looks for a group only
	 * where the bit is set, mostly at a tenth of the places or less.
	 * Made by the first run after a change (for a view: its first). */
	guint8 *filter;
	const guint8 *stored_filter;	/* in a viewed blob */
	/* The flat form, valid while !dirty. */
	bool dirty;
	guint32 *members;
	struct flat flat;
};

/* Makes room in DATA (of *SIZE items of UNIT bytes) for NEEDED items. */
static void *reserve(void *data, guint *size, guint needed, size_t unit)
{
	if (needed <= *size)
		return data;
	guint size2 = *size ? *size : 4;
	while (size2 < needed)
		size2 *= 2;
	*size = size2;
	return g_realloc_n(data, size2, unit);
}

static guint bucket_of(guint bits, guint32 key)
{
	return (guint)((key * 2654435761u) >> (32 - bits));
}

static inline guchar fold_byte(guchar c)
{
	return (guchar)fold((char)c);
}

struct us_litscan *us_litscan_new(void)
{
	struct us_litscan *ls = g_new0(struct us_litscan, 1);

	ls->texts = g_string_sized_new(256);
	ls->slots = g_hash_table_new(g_direct_hash, g_direct_equal);
	ls->bucket_bits = MIN_BUCKET_BITS;
	ls->buckets = g_new(guint32, 1u << ls->bucket_bits);
	memset(ls->buckets, 0xFF, sizeof(guint32) << ls->bucket_bits);	/* all NONE */
	ls->dirty = true;
	return ls;
}

void us_litscan_free(struct us_litscan *ls)
{
	if (ls == NULL)
		return;
	if (!ls->view) {
		for (guint i = 0; i < ls->n_groups; i++)
			g_free(ls->group_members[i]);
		g_string_free(ls->texts, TRUE);
		g_free(ls->literals);
		g_free(ls->groups);
		g_free(ls->group_members);
		g_free(ls->group_sizes);
		g_free(ls->ids);
		g_hash_table_unref(ls->slots);
		g_free(ls->shorts);
		g_free(ls->buckets);
		g_free(ls->members);
	}
	g_free(ls->blob);
	g_free(ls->checked);
	g_free(ls->filter);
	g_free(ls);
}

static const char *text_of(const struct us_litscan *ls, guint index)
{
	return ls->texts->str + ls->literals[index].text;
}

/* The group of literals starting with KEY, or NONE; *DAMAGED set (and
 * NONE) if a loaded blob leads out of bounds or round in circles. */
static guint find_group(const struct flat *f, guint32 key, bool *damaged)
{
	guint steps = 0;

	for (guint g = f->buckets[bucket_of(f->bucket_bits, key)]; g != NONE; g = f->groups[g].next) {
		if (g >= f->n_groups || steps++ > f->n_groups) {
			*damaged = true;
			return NONE;
		}
		if (f->groups[g].key == key)
			return g;
	}
	return NONE;
}

static guint32 key3(const char *s)
{
	return (guint32)fold_byte((guchar)s[0]) << 16 | (guint32)fold_byte((guchar)s[1]) << 8 |
	       fold_byte((guchar)s[2]);
}

/* Doubles the buckets and rehashes, keeping chains short. */
static void grow_buckets(struct us_litscan *ls)
{
	ls->bucket_bits++;
	ls->buckets = g_renew(guint32, ls->buckets, 1u << ls->bucket_bits);
	memset(ls->buckets, 0xFF, sizeof(guint32) << ls->bucket_bits);
	for (guint g = 0; g < ls->n_groups; g++) {
		guint b = bucket_of(ls->bucket_bits, ls->groups[g].key);
		ls->groups[g].next = ls->buckets[b];
		ls->buckets[b] = g;
	}
}

/* The building group with KEY, or NONE. */
static guint find_building_group(const struct us_litscan *ls, guint32 key)
{
	for (guint g = ls->buckets[bucket_of(ls->bucket_bits, key)]; g != NONE; g = ls->groups[g].next)
		if (ls->groups[g].key == key)
			return g;
	return NONE;
}

/* Files literal INDEX (3 bytes or more) in its group, in sorted place. */
static void group_insert(struct us_litscan *ls, guint index)
{
	const char *text = text_of(ls, index);
	guint32 key = key3(text);
	guint g = find_building_group(ls, key);

	if (g == NONE) {
		guint size = ls->groups_size;
		ls->groups = reserve(ls->groups, &ls->groups_size, ls->n_groups + 1, sizeof(struct group));
		if (ls->groups_size != size) {
			ls->group_members = g_renew(guint *, ls->group_members, ls->groups_size);
			ls->group_sizes = g_renew(guint, ls->group_sizes, ls->groups_size);
		}
		g = ls->n_groups++;
		guint b = bucket_of(ls->bucket_bits, key);
		ls->groups[g] = (struct group){ .key = key, .next = ls->buckets[b] };
		ls->group_members[g] = NULL;
		ls->group_sizes[g] = 0;
		ls->buckets[b] = g;
		if (ls->n_groups > (1u << ls->bucket_bits) && ls->bucket_bits < MAX_BUCKET_BITS)
			grow_buckets(ls);
	}
	struct group *group = &ls->groups[g];
	guint *members = ls->group_members[g];
	guint lo = 0, hi = group->n;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (strcmp(text_of(ls, members[mid]), text) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	members = ls->group_members[g] = reserve(members, &ls->group_sizes[g], group->n + 1, sizeof(guint));
	memmove(members + lo + 1, members + lo, (group->n - lo) * sizeof(guint));
	members[lo] = index;
	group->n++;
}

void us_litscan_add(struct us_litscan *ls, const char *literal, unsigned id)
{
	size_t len = strlen(literal);
	guint index = ls->n_literals;
	guint32 at = (guint32)ls->texts->len;
	gpointer slot_plus_1;

	g_return_if_fail(!ls->view);
	slot_plus_1 = g_hash_table_lookup(ls->slots, GUINT_TO_POINTER(id));
	g_string_append_len(ls->texts, literal, (gssize)len);
	g_string_append_c(ls->texts, '\0');
	for (size_t i = 0; i < len; i++)
		ls->texts->str[at + i] = fold(ls->texts->str[at + i]);
	/* Ids are the caller's (sparse, repeated); slots are dense so a
	 * run can keep its "already reported" flags in a small array. */
	if (slot_plus_1 == NULL) {
		ls->ids = reserve(ls->ids, &ls->ids_size, ls->n_ids + 1, sizeof(guint32));
		ls->ids[ls->n_ids++] = id;
		slot_plus_1 = GUINT_TO_POINTER(ls->n_ids);
		g_hash_table_insert(ls->slots, GUINT_TO_POINTER(id), slot_plus_1);
	}
	ls->literals = reserve(ls->literals, &ls->literals_size, index + 1, sizeof(struct literal));
	ls->literals[index] = (struct literal){
		.text = at,
		.len = (guint32)len,
		.slot = GPOINTER_TO_UINT(slot_plus_1) - 1,
	};
	ls->n_literals++;
	if (len >= 3) {
		group_insert(ls, index);
	} else {
		ls->shorts = reserve(ls->shorts, &ls->short_size, ls->n_short + 1, sizeof(guint32));
		ls->shorts[ls->n_short++] = index;
	}
	ls->dirty = true;
	g_clear_pointer(&ls->filter, g_free);
}

/* Lays the groups' members out in one array and fills LS->flat. */
static const struct flat *flatten(struct us_litscan *ls)
{
	guint32 n = 0;

	if (ls->view || !ls->dirty)
		return &ls->flat;
	for (guint g = 0; g < ls->n_groups; g++)
		n += ls->groups[g].n;
	ls->members = g_renew(guint32, ls->members, n ? n : 1);
	n = 0;
	for (guint g = 0; g < ls->n_groups; g++) {
		ls->groups[g].first = n;
		for (guint i = 0; i < ls->groups[g].n; i++)
			ls->members[n++] = ls->group_members[g][i];
	}
	ls->flat = (struct flat){
		.buckets = ls->buckets,
		.bucket_bits = ls->bucket_bits,
		.groups = ls->groups,
		.n_groups = ls->n_groups,
		.members = ls->members,
		.n_members = n,
		.literals = ls->literals,
		.n_literals = ls->n_literals,
		.ids = ls->ids,
		.n_ids = ls->n_ids,
		.shorts = ls->shorts,
		.n_short = ls->n_short,
		.texts = ls->texts->str,
		.texts_len = (guint32)ls->texts->len,
		.trusted = true,
	};
	ls->dirty = false;
	return &ls->flat;
}

/* ------------------------------------------------------------------ */
/* Serialised form: a header of 32-bit numbers (magic, bucket_bits,
 * n_groups, n_members, n_literals, n_ids, n_short, texts_len), then the
 * arrays in that order, then the texts; native byte order (a cache is
 * never shared between machines; the magic catches the other order). */

#define BLOB_MAGIC 0x4c535332u	/* "LSS2" */
#define BLOB_HEADER 9

/* The filter has a bit for every three-letter start of a literal: the
 * low five bits of three bytes, which are the same for a letter in
 * either case; other bytes share them with letters, which only costs a
 * needless look-up now and then. A run reads one byte and tests one bit
 * at most places of a text (some nine in ten of them). */
#define FILTER_BITS 15
#define FILTER_BYTES ((1u << FILTER_BITS) / 8)
#define FILTER_INDEX(a, b, c) ((guint32)((a) & 31u) << 10 | (guint32)((b) & 31u) << 5 | ((c) & 31u))
/* A serialised scanner of this many groups or more carries its filter
 * (4 KiB), so that a run of a cached one need not make it; making it
 * costs some ten instructions a group. */
#define FILTER_STORED_GROUPS 64

static void filter_fill(guint8 *bits, const struct flat *f)
{
	for (guint32 g = 0; g < f->n_groups; g++) {
		guint32 key = f->groups[g].key;
		guint32 h = FILTER_INDEX(key >> 16, key >> 8, key);
		bits[h / 8] |= (guint8)(1u << (h % 8));
	}
}

/* LS's filter: the one its blob carries, or made if need be from F's
 * group keys (a viewed blob's keys may be anything: a wrong one only
 * costs a needless look-up). */
static const guint8 *filter_of(struct us_litscan *ls, const struct flat *f)
{
	if (ls->stored_filter)
		return ls->stored_filter;
	if (ls->filter == NULL) {
		ls->filter = g_malloc0(FILTER_BYTES);
		filter_fill(ls->filter, f);
	}
	return ls->filter;
}

void us_litscan_serialise(const struct us_litscan *ls, GByteArray *out)
{
	const struct flat *f = flatten((struct us_litscan *)ls);
	guint32 filter_bytes = f->n_groups >= FILTER_STORED_GROUPS ? FILTER_BYTES : 0;
	guint32 head[BLOB_HEADER] = {
		BLOB_MAGIC, f->bucket_bits, f->n_groups, f->n_members,
		f->n_literals, f->n_ids, f->n_short, f->texts_len, filter_bytes,
	};

	g_byte_array_append(out, (const guint8 *)head, sizeof head);
	g_byte_array_append(out, (const guint8 *)f->buckets, (guint)(sizeof(guint32) << f->bucket_bits));
	g_byte_array_append(out, (const guint8 *)f->groups, f->n_groups * (guint)sizeof(struct group));
	g_byte_array_append(out, (const guint8 *)f->members, f->n_members * (guint)sizeof(guint32));
	g_byte_array_append(out, (const guint8 *)f->literals, f->n_literals * (guint)sizeof(struct literal));
	g_byte_array_append(out, (const guint8 *)f->ids, f->n_ids * (guint)sizeof(guint32));
	g_byte_array_append(out, (const guint8 *)f->shorts, f->n_short * (guint)sizeof(guint32));
	g_byte_array_append(out, (const guint8 *)f->texts, f->texts_len);
	if (filter_bytes) {
		guint8 bits[FILTER_BYTES] = { 0 };
		filter_fill(bits, f);
		g_byte_array_append(out, bits, sizeof bits);
	}
}

struct us_litscan *us_litscan_load(const void *blob, size_t len)
{
	guint32 *copy = NULL;
	const guint32 *head = blob;
	struct flat f;
	size_t need;

	if (len < sizeof(guint32) * BLOB_HEADER || len > G_MAXUINT32)
		return NULL;
	/* Read in place when aligned (rulecache.h can align it), so that
	 * loading costs the same however many literals there are. */
	if ((guintptr)blob % sizeof(guint32) != 0) {
		head = copy = g_malloc(len);
		memcpy(copy, blob, len);
	}
	if (head[0] != BLOB_MAGIC || head[1] < MIN_BUCKET_BITS || head[1] > MAX_BUCKET_BITS ||
	    (head[8] != 0 && head[8] != FILTER_BYTES)) {
		g_free(copy);
		return NULL;
	}
	f = (struct flat){
		.bucket_bits = head[1], .n_groups = head[2], .n_members = head[3],
		.n_literals = head[4], .n_ids = head[5], .n_short = head[6], .texts_len = head[7],
	};
	/* In 64 bits, so that huge counts cannot wrap around. */
	need = sizeof(guint32) * BLOB_HEADER + (sizeof(guint32) << f.bucket_bits) +
	       (guint64)f.n_groups * sizeof(struct group) + (guint64)f.n_members * sizeof(guint32) +
	       (guint64)f.n_literals * sizeof(struct literal) + (guint64)f.n_ids * sizeof(guint32) +
	       (guint64)f.n_short * sizeof(guint32) + f.texts_len + head[8];
	if (need != len) {
		g_free(copy);
		return NULL;
	}
	const char *p = (const char *)head + sizeof(guint32) * BLOB_HEADER;
	f.buckets = (const guint32 *)p;
	p += sizeof(guint32) << f.bucket_bits;
	f.groups = (const struct group *)p;
	p += f.n_groups * sizeof(struct group);
	f.members = (const guint32 *)p;
	p += f.n_members * sizeof(guint32);
	f.literals = (const struct literal *)p;
	p += f.n_literals * sizeof(struct literal);
	f.ids = (const guint32 *)p;
	p += f.n_ids * sizeof(guint32);
	f.shorts = (const guint32 *)p;
	p += f.n_short * sizeof(guint32);
	f.texts = p;
	p += f.texts_len;

	/* The groups are checked as a run first needs each (a check of
	 * them all here would cost as much as the literals). */
	struct us_litscan *ls = g_new0(struct us_litscan, 1);
	ls->view = true;
	ls->blob = copy;
	ls->flat = f;
	ls->checked = g_malloc0(f.n_groups ? f.n_groups : 1);
	/* Its bits decide only where to look (a wrong one costs a look-up
	 * or misses a literal, as a wrong byte of a literal would). */
	if (head[8])
		ls->stored_filter = (const guint8 *)p;
	return ls;
}

bool us_litscan_damaged(const struct us_litscan *ls)
{
	return ls->damaged;
}

/* ------------------------------------------------------------------ */
/* Running */

/* State of one run. */
struct run {
	const struct flat *f;
	guint8 *checked;	/* loaded blobs: per group, 1 once found sound */
	bool damaged;		/* a loaded blob is unsound: stop */
	guint8 *reported;	/* per slot */
	guint remaining;	/* slots not yet reported */
	void (*found)(unsigned id, void *data);
	/* us_litscan_run_all(): every occurrence, with where it is. */
	void (*found_at)(unsigned id, size_t at, size_t len, void *data);
	size_t at;		/* offset of the text being matched */
	void *data;
};

/* Whether literal I of a loaded blob lies inside it and is a sound
 * member of a group with KEY (3 bytes or more, starting with KEY). */
static bool member_sound(const struct flat *f, guint32 i, guint32 key)
{
	const struct literal *lit;

	if (i >= f->n_literals)
		return false;
	lit = &f->literals[i];
	return lit->slot < f->n_ids && lit->text <= f->texts_len && lit->len <= f->texts_len - lit->text &&
	       lit->len >= 3 && key3(f->texts + lit->text) == key;
}

/* Byte order of two literals as strcmp() sees them (they hold no NUL). */
static int literal_order(const struct flat *f, const struct literal *a, const struct literal *b)
{
	guint32 n = a->len < b->len ? a->len : b->len;
	int c = memcmp(f->texts + a->text, f->texts + b->text, n);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Whether group G of a loaded blob is sound: its members inside the
 * blob, each of its key, in sorted order; then a run can treat it as if
 * built here. Checked once per group, when a run first needs it. */
static bool group_sound(struct run *r, guint g)
{
	const struct flat *f = r->f;
	const struct group *gr = &f->groups[g];

	if (r->checked == NULL || r->checked[g])
		return true;
	if (gr->first > f->n_members || gr->n > f->n_members - gr->first)
		return false;
	const guint32 *m = f->members + gr->first;
	for (guint i = 0; i < gr->n; i++) {
		if (!member_sound(f, m[i], gr->key))
			return false;
		if (i > 0 && literal_order(f, &f->literals[m[i - 1]], &f->literals[m[i]]) > 0)
			return false;
	}
	r->checked[g] = 1;
	return true;
}

static void report(struct run *r, const struct literal *lit)
{
	if (r->found_at) {
		r->found_at(r->f->ids[lit->slot], r->at, lit->len, r->data);
		return;
	}
	if (r->reported[lit->slot])
		return;
	r->reported[lit->slot] = 1;
	r->remaining--;
	r->found(r->f->ids[lit->slot], r->data);
}

/* Case-insensitive comparison of N text bytes with a lower-case literal. */
static bool folded_equal(const char *text, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold(text[i]) != lit[i])
			return false;
	return true;
}

static void scan_short(struct run *r, const char *text, size_t len)
{
	const struct flat *f = r->f;

	for (guint i = 0; i < f->n_short; i++) {
		guint32 index = f->shorts[i];
		if (r->checked) {
			const struct literal *l = index < f->n_literals ? &f->literals[index] : NULL;
			if (l == NULL || l->slot >= f->n_ids || l->text > f->texts_len ||
			    l->len > f->texts_len - l->text) {
				r->damaged = true;
				return;
			}
		}
		const struct literal *lit = &f->literals[index];
		if (r->reported[lit->slot])
			continue;
		for (size_t at = 0; at + lit->len <= len; at++) {
			if (folded_equal(text + at, f->texts + lit->text, lit->len)) {
				r->at = at;
				report(r, lit);
				if (r->found_at == NULL)
					break;
			}
		}
	}
}

/* First member in [LO, HI) whose byte D is above C (ABOVE) or at least
 * C (!ABOVE); every member there is longer than D bytes. */
static inline guint bound(const struct flat *f, const guint32 *members, guint lo, guint hi,
			  size_t d, guchar c, bool above)
{
	const char *at_d = f->texts + d;	/* byte D of the literal at offset 0 */
	const struct literal *lits = f->literals;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		guchar m = (guchar)at_d[lits[members[mid]].text];
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
	const struct flat *f = r->f;
	const guint32 *members = f->members + group->first;
	guint lo = 0, hi = group->n;

	/* Invariant: members [lo, hi) all begin with the first D bytes of
	 * TEXT; sorted order puts those exactly D bytes long first. */
	for (size_t d = 3; lo < hi; d++) {
		while (lo < hi && f->literals[members[lo]].len == d)
			report(r, &f->literals[members[lo++]]);
		if (lo == hi || d == avail)
			return;
		if (hi - lo == 1) {
			/* One left, longer than D: the rest of it decides. */
			const struct literal *lit = &f->literals[members[lo]];
			if (lit->len <= avail && folded_equal(text + d, f->texts + lit->text + d, lit->len - d))
				report(r, lit);
			return;
		}
		guchar c = fold_byte((guchar)text[d]);
		lo = bound(f, members, lo, hi, d, c, false);
		hi = bound(f, members, lo, hi, d, c, true);
	}
}

/* The first place from I on where three bytes of T (LEN bytes) are in
 * FILTER, or LEN. *INDEX carries the filter index of the two bytes
 * before I over calls. Kept apart from the matching, so that the loop
 * that reads every byte has its few registers to itself. */
G_GNUC_NO_INLINE
static size_t next_in_filter(const guint8 *filter, const guchar *t, size_t i, size_t len,
			     guint32 *index)
{
	guint32 x = *index, word;

	if (len < 3)
		return len;
	/* P is the third byte of the three. The bit is read from its 32-bit
	 * little-endian word (bit X of the bytes), which x86 tests in one
	 * instruction. */
	for (const guchar *p = t + i + 2, *end = t + len; p < end; p++) {
		x = x << 5 | (*p & 31u);	/* the bits above FILTER_BITS are ignored */
		memcpy(&word, filter + ((x >> 3) & (FILTER_BYTES - 4)), sizeof word);
		if ((GUINT32_FROM_LE(word) >> (x & 31)) & 1) {
			*index = x & ((1u << FILTER_BITS) - 1);
			return (size_t)(p - t) - 2;
		}
	}
	return len;
}

static void litscan_run(const struct us_litscan *ls, const char *text, size_t len,
			void (*found)(unsigned id, void *data),
			void (*found_at)(unsigned id, size_t at, size_t len, void *data), void *data)
{
	/* Laying out is not a visible change: LS stays logically const. */
	const struct flat *f = flatten((struct us_litscan *)ls);
	struct run r = {
		.f = f,
		.checked = f->trusted ? NULL : ls->checked,
		/* Reporting every occurrence, a run never runs out of slots. */
		.remaining = found_at ? G_MAXUINT : f->n_ids,
		.found = found,
		.found_at = found_at,
		.data = data,
	};
	guint8 local[256];
	const guchar *t = (const guchar *)text;
	const guint8 *filter;
	guint32 index = 0;

	if (r.remaining == 0 || ls->damaged)
		return;
	filter = filter_of((struct us_litscan *)ls, f);
	r.reported = f->n_ids <= sizeof local ? local : g_malloc(f->n_ids);
	memset(r.reported, 0, f->n_ids);
	scan_short(&r, text, len);
	if (len >= 2)
		index = FILTER_INDEX(t[0], t[1], 0) >> 5;
	for (size_t i = 0; (i = next_in_filter(filter, t, i, len, &index)) < len; i++) {
		guint g = find_group(f, key3(text + i), &r.damaged);
		if (g != NONE) {
			if (!group_sound(&r, g)) {
				r.damaged = true;
			} else {
				r.at = i;
				match_group(&r, &f->groups[g], text + i, len - i);
			}
		}
		if (r.damaged || r.remaining == 0)
			break;
	}
	if (r.reported != local)
		g_free(r.reported);
	if (r.damaged)
		((struct us_litscan *)ls)->damaged = true;
}

void us_litscan_run(const struct us_litscan *ls, const char *text, size_t len,
		    void (*found)(unsigned id, void *data), void *data)
{
	litscan_run(ls, text, len, found, NULL, data);
}

void us_litscan_run_all(const struct us_litscan *ls, const char *text, size_t len,
			void (*found_at)(unsigned id, size_t at, size_t len, void *data), void *data)
{
	litscan_run(ls, text, len, NULL, found_at, data);
}
