/* rules.c - rule files: parse, lint, and evaluate with a literal prefilter.
 *
 * Loading only parses: a one-shot run must not pay for compiling
 * hundreds of regexes. Each distinct regex is analysed once for its
 * literals (prefilter.h). Evaluation scans each field once for the
 * literals of every condition on it; only the rules all of whose =~
 * conditions saw their literals are candidates, and only what their
 * conditions need is compiled, and cached.
 *
 * TRE takes milliseconds to compile a long alternation, so three more
 * things keep the compiling down:
 *   - a regex that is plain text ("exact", prefilter.h) is decided by
 *     the scan alone and never compiled (but by lint);
 *   - a candidate regex that is not exact is split into alternatives
 *     (prefilter.h, "parts"), the field is scanned for their literals,
 *     and only those alternatives whose literals occur are decided, the
 *     same way, recursively: exact ones by the scan, others by TRE.
 *     Splitting waits until it is needed, since most messages (ordinary
 *     mail) need none, and every run would pay for it;
 *   - conditions (and alternatives) that test the same field with the
 *     same regex share one unit, analysed, scanned for, compiled and
 *     matched once: the rule files repeat their daemon-sender and
 *     bounce-subject tests, and their bounce phrases. */
#include <string.h>
#include <tre/tre.h>
#include <sys/stat.h>
#include "prefilter.h"
#include "reasons.h"
#include "rulecache.h"
#include "rules.h"
#include "rules-internal.h"
#include "paths.h"

#define RULES_ERROR g_quark_from_static_string("unscatter-rules")

/* Scores are bounded so that summing every rule cannot overflow. */
#define SCORE_LIMIT 1000000

enum field { FIELD_HEADER, FIELD_BODY, FIELD_SENDER, FIELD_PARTS };

/* What a regex is matched against, and how. Units with equal keys
 * would test the same thing; there is one of each. */
struct key {
	enum field field;
	char *header;		/* FIELD_HEADER: any case (as in the scanners); else NULL */
	int cflags;
	char *regex;		/* as TRE reads it ("\/" already "/") */
	guint hash;
};

/* Outcome of matching a unit against its field in one evaluation. */
enum match { UNKNOWN = 0, MATCH, NO_MATCH };

/* A regex on a field: what a condition tests, or an alternative of it. */
struct unit {
	struct key key;		/* owns its strings */
	GPtrArray *literals;	/* char * in us_ruleset.literals: one occurs in any match;
				 * empty = no prefilter */
	bool exact;		/* a literal occurring is a match */
	bool empty_test;	/* "^$" without m: decided without TRE, see field_empty() */
	bool tested;		/* a condition tests it (it is not only an alternative) */
	unsigned id;		/* index in us_ruleset.units */

	/* How far a match reaches (prefilter.h), worked out with the
	 * compiling: it tells which stretches of a body to match. */
	bool extent_known;
	struct us_regex_extent extent;

	/* The compiled regex, when needed; a failure is kept too. */
	bool compile_tried;
	bool compiled;
	char *compile_error;	/* TRE's message */
	regex_t re;

	/* The split, done when first needed: alternatives that together
	 * match what this regex does, each with literals of its own, and
	 * a scanner for those. No CHILDREN after trying: no such split. */
	bool split_tried;
	GPtrArray *children;	/* struct unit *, owned by the ruleset */
	struct us_litscan *child_scan;	/* ids are indexes in CHILDREN */

	/* Made from a cache record: the rules (indexes, as 32-bit numbers
	 * in the cache, unaligned) whose first literal-carrying =~
	 * condition this is; they are candidates only if it was found. */
	const guchar *first_of;
	guint n_first_of;
	/* And the ids of its children, if the cache split it. */
	const guchar *cached_children;
	guint n_cached_children;

	/* State in the evaluation numbered SERIAL (stale otherwise). */
	unsigned serial;
	bool found;		/* a literal occurred (always, without literals) */
	enum match match;
};

struct condition {
	struct unit *unit;	/* owned by the ruleset; maybe shared */
	bool negated;		/* !~ */
	const char *file;	/* owned by the ruleset */
	unsigned line;
};

struct rule {
	char *name;
	enum us_kind kind;	/* US_KIND_NONE until the kind line */
	char *describe;
	int score;
	bool has_score;
	const char *file;
	unsigned line;
	GPtrArray *conditions;	/* struct condition *, owned */
};

/* The literal scanners, one per field (per header name). */
struct scanners {
	struct us_litscan *body;
	struct us_litscan *sender;
	struct us_litscan *parts;
	GHashTable *headers;	/* name (case-insensitive) -> struct us_litscan * */
};

struct us_ruleset {
	GPtrArray *rules;	/* struct rule *, owned, in file order */
	GPtrArray *units;	/* struct unit *, owned; index = id */
	GHashTable *unit_index;	/* struct key * -> struct unit * */
	GStringChunk *literals;	/* the units' literals */
	GHashTable *names;	/* rule name -> struct rule *, borrowed */
	GPtrArray *files;	/* char *: the file names rules point to */
	struct scanners *scan;	/* built on first evaluation */
	unsigned serial;	/* of the current (or last) evaluation */
	bool reference;		/* us_ruleset_set_reference() */
	unsigned compilations;	/* regexes handed to TRE so far */
	unsigned windowed;	/* body matches decided on stretches */

	/* Loaded from a cache (rulecache.h, "Cache" below): while FROZEN,
	 * RULES and UNITS are as long as the cache says but hold NULL for
	 * what has not been made from its record yet, NAMES and UNIT_INDEX
	 * hold only what has, and SCAN holds the cache's scanners. */
	bool frozen;
	struct us_rulecache *cache;	/* kept open: literals point into it */
	char *dir;			/* the rule directory it was loaded for */
	GPtrArray *file_names;		/* const char *: base names, in the cache */
	const guchar *always;		/* rules that are always candidates */
	guint n_always;
	guint8 *candidate_bits;		/* per rule, during an evaluation */
	GArray *candidates;		/* guint: this evaluation's */
	bool broken;			/* a record did not decode */
	/* The body scanner holds the literals of the body units'
	 * alternatives as well (cache_write()): a body is scanned once. */
	bool body_children;

	/* The directory's reason tables (reasons.h): read on the first bounce
	 * and kept, so a batch run reads them once per ruleset. */
	struct us_reasons *reasons;
};

/* ------------------------------------------------------------------ */
/* Lifetime */

static void unit_free(gpointer data)
{
	struct unit *u = data;

	if (u == NULL)
		return;
	if (u->compiled)
		tre_regfree(&u->re);
	g_free(u->compile_error);
	if (u->children)
		g_ptr_array_unref(u->children);
	us_litscan_free(u->child_scan);
	g_free(u->key.header);
	g_free(u->key.regex);
	g_ptr_array_unref(u->literals);
	g_free(u);
}

static void condition_free(gpointer data)
{
	g_free(data);
}

static struct rule *rule_new(const char *name, const char *file, unsigned line)
{
	struct rule *r = g_new0(struct rule, 1);

	r->name = g_strdup(name);
	r->kind = US_KIND_NONE;
	r->score = US_RULE_THRESHOLD;
	r->file = file;
	r->line = line;
	r->conditions = g_ptr_array_new_with_free_func(condition_free);
	return r;
}

static void rule_free(gpointer data)
{
	struct rule *r = data;

	if (r == NULL)
		return;
	g_free(r->name);
	g_free(r->describe);
	g_ptr_array_unref(r->conditions);
	g_free(r);
}

/* Header names compare without regard to case (RFC 5322). */
static guint ascii_case_hash(gconstpointer key)
{
	guint h = 5381;

	for (const char *p = key; *p; p++)
		h = h * 33 + (guint)g_ascii_tolower(*p);
	return h;
}

static gboolean ascii_case_equal(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(a, b) == 0;
}

/* A key for FIELD, HEADER, CFLAGS and REGEX, all borrowed. */
static struct key key_make(enum field field, const char *header, int cflags, const char *regex)
{
	struct key k = {
		.field = field,
		.header = (char *)header,
		.cflags = cflags,
		.regex = (char *)regex,
	};

	/* Hashed once here, not by each table it is looked up in. */
	k.hash = g_str_hash(regex) ^ (guint)cflags * 31u ^ (guint)field * 7u;
	if (header)
		k.hash ^= ascii_case_hash(header) * 131u;
	return k;
}

static guint key_hash(gconstpointer key)
{
	return ((const struct key *)key)->hash;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	const struct key *x = a, *y = b;

	return x->hash == y->hash && x->field == y->field && x->cflags == y->cflags &&
	       (x->header == NULL) == (y->header == NULL) &&
	       (x->header == NULL || g_ascii_strcasecmp(x->header, y->header) == 0) &&
	       strcmp(x->regex, y->regex) == 0;
}

/* A new unit for K (copied), analysed by the caller. */
static struct unit *unit_new(const struct key *k)
{
	struct unit *u = g_new0(struct unit, 1);

	u->key = *k;
	u->key.header = g_strdup(k->header);
	u->key.regex = g_strdup(k->regex);
	u->literals = g_ptr_array_new();
	return u;
}

/* Analyses U's regex for its literals (into STORE) and what decides it
 * without TRE. False, with *SYNTAX set (if SYNTAX is not NULL), when
 * the regex is malformed. */
static bool unit_analyse(struct unit *u, GStringChunk *store, const char **syntax)
{
	const char *problem = NULL;

	us_regex_analyse(u->key.regex, (u->key.cflags & REG_ICASE) != 0, u->literals, store,
			 &u->exact, NULL, &problem);
	/* The null-sender test of nearly every bounce rule. */
	u->empty_test = strcmp(u->key.regex, "^$") == 0 && !(u->key.cflags & REG_NEWLINE);
	if (syntax)
		*syntax = problem;
	return problem == NULL;
}

/* Adds U, with the next id, to the ruleset. */
static void ruleset_add_unit(struct us_ruleset *rs, struct unit *u)
{
	u->id = rs->units->len;
	g_ptr_array_add(rs->units, u);
	g_hash_table_insert(rs->unit_index, &u->key, u);
}

static void scanners_free(struct scanners *sc)
{
	if (sc == NULL)
		return;
	us_litscan_free(sc->body);
	us_litscan_free(sc->sender);
	us_litscan_free(sc->parts);
	g_hash_table_unref(sc->headers);
	g_free(sc);
}

/* Sets up RS's (zeroed) tables. */
static void ruleset_init(struct us_ruleset *rs)
{
	rs->rules = g_ptr_array_new_with_free_func(rule_free);
	rs->units = g_ptr_array_new_with_free_func(unit_free);
	rs->unit_index = g_hash_table_new(key_hash, key_equal);
	rs->literals = g_string_chunk_new(4096);
	rs->names = g_hash_table_new(g_str_hash, g_str_equal);
	rs->files = g_ptr_array_new_with_free_func(g_free);
}

/* Frees everything RS holds but RS itself, zeroing it. */
static void ruleset_clear(struct us_ruleset *rs)
{
	scanners_free(rs->scan);
	g_hash_table_unref(rs->names);
	g_ptr_array_unref(rs->rules);
	g_hash_table_unref(rs->unit_index);
	g_ptr_array_unref(rs->units);
	g_string_chunk_free(rs->literals);
	g_ptr_array_unref(rs->files);
	/* The reason tables may read the cache in place. */
	us_reasons_free(rs->reasons);
	rs->reasons = NULL;
	us_rulecache_close(rs->cache);
	g_free(rs->dir);
	g_free(rs->candidate_bits);
	if (rs->file_names)
		g_ptr_array_unref(rs->file_names);
	if (rs->candidates)
		g_array_unref(rs->candidates);
	memset(rs, 0, sizeof *rs);
}

struct us_ruleset *us_ruleset_new(void)
{
	struct us_ruleset *rs = g_new0(struct us_ruleset, 1);

	ruleset_init(rs);
	return rs;
}

void us_ruleset_free(struct us_ruleset *rs)
{
	if (rs == NULL)
		return;
	ruleset_clear(rs);
	g_free(rs);
}

struct us_reasons *us_ruleset_reasons(struct us_ruleset *rs, const char *dir, GError **error)
{
	/* From the rule cache when it has them (it was written from DIR's
	 * files, its header names the .reasons files too), else parsed. */
	if (rs->reasons == NULL && rs->cache != NULL && strcmp(dir, rs->dir) == 0)
		rs->reasons = us_reasons_from_cache(rs->cache, rs->dir);
	if (rs->reasons == NULL) {
		struct us_reasons *rt = us_reasons_new();
		if (!us_reasons_load_dir(rt, dir, error)) {
			us_reasons_free(rt);
			return NULL;
		}
		rs->reasons = rt;
	}
	return rs->reasons;
}

void us_ruleset_set_reference(struct us_ruleset *rs, bool reference)
{
	rs->reference = reference;
}

bool us_ruleset_cached(const struct us_ruleset *rs)
{
	return rs->cache != NULL;
}

unsigned us_ruleset_compilations(const struct us_ruleset *rs)
{
	return rs->compilations;
}

unsigned us_ruleset_windowed(const struct us_ruleset *rs)
{
	return rs->windowed;
}

size_t us_ruleset_count(const struct us_ruleset *rs)
{
	/* Frozen, the array has a slot for every rule, made or not. */
	return rs->rules->len;
}

/* Defined with the cache, below. */
static bool thaw(struct us_ruleset *rs);
static bool reload(struct us_ruleset *rs, GError **error);

/* ------------------------------------------------------------------ */
/* Parsing. Each line handler returns NULL or a g_malloc'd description
 * of what is wrong, which the caller prefixes with "FILE:LINE: ". */

struct parse_state {
	struct us_ruleset *rs;
	const char *file;	/* the ruleset's copy */
	unsigned line;
	GPtrArray *rules;	/* struct rule *: this text's, owned until committed */
	GHashTable *names;	/* name -> struct rule *: this text's */
	GPtrArray *units;	/* struct unit *: this text's new ones, owned until committed */
	GHashTable *unit_index;	/* struct key * -> struct unit *: this text's new ones */
	struct rule *current;	/* the rule being read, or NULL */
	unsigned error_line;	/* where a problem is reported, if not at LINE */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts the first word off *REST (NUL-terminating it) and moves *REST to
 * the next word. Returns "" when there is none. */
static char *next_word(char **rest)
{
	char *word = *rest;
	char *p = word;

	while (*p && !is_blank(*p))
		p++;
	if (*p) {
		*p++ = '\0';
		while (is_blank(*p))
			p++;
	}
	*rest = p;
	return word;
}

/* Rule names end up in mail headers, comma-separated: keep them tame. */
static bool rule_name_valid(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

/* RFC 5322 field name: printable ASCII except ':'. */
static bool header_name_valid(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return false;
	return true;
}

/* Where a rule named NAME already is, or NULL. */
static const struct rule *find_rule(const struct parse_state *st, const char *name)
{
	const struct rule *r = g_hash_table_lookup(st->names, name);

	return r ? r : g_hash_table_lookup(st->rs->names, name);
}

/* What is missing from R, or NULL. */
static char *rule_incomplete(const struct rule *r)
{
	bool positive = false;

	if (r->kind == US_KIND_NONE)
		return g_strdup_printf("rule %s has no kind line", r->name);
	if (r->describe == NULL)
		return g_strdup_printf("rule %s has no describe line", r->name);
	if (r->conditions->len == 0)
		return g_strdup_printf("rule %s has no conditions", r->name);
	for (guint i = 0; i < r->conditions->len; i++)
		if (!((const struct condition *)g_ptr_array_index(r->conditions, i))->negated)
			positive = true;
	/* Negations alone would fire on nearly every message. */
	if (!positive)
		return g_strdup_printf("rule %s has no =~ condition", r->name);
	return NULL;
}

/* Checks the rule just ended; its problems are reported at its "rule" line. */
static char *finish_rule(struct parse_state *st)
{
	char *problem = st->current ? rule_incomplete(st->current) : NULL;

	if (problem)
		st->error_line = st->current->line;
	st->current = NULL;
	return problem;
}

static char *parse_rule_line(struct parse_state *st, char *rest)
{
	char *name = next_word(&rest);
	const struct rule *old;
	struct rule *r;

	if (*name == '\0')
		return g_strdup("rule needs a name");
	if (*rest != '\0')
		return g_strdup_printf("unexpected text after the rule name: '%s'", rest);
	if (!rule_name_valid(name))
		return g_strdup_printf("bad rule name '%s' (letters, digits, '-', '_' and '.' only)", name);
	old = find_rule(st, name);
	if (old)
		return g_strdup_printf("duplicate rule name '%s' (first at %s:%u)", name,
				       old->file, old->line);
	r = rule_new(name, st->file, st->line);
	g_ptr_array_add(st->rules, r);
	g_hash_table_insert(st->names, r->name, r);
	st->current = r;
	return NULL;
}

static char *parse_kind(struct rule *r, const char *arg)
{
	enum us_kind kind;

	if (r->kind != US_KIND_NONE)
		return g_strdup("kind given twice");
	if (!us_kind_from_name(arg, &kind) || kind == US_KIND_NONE)
		return g_strdup_printf("bad kind '%s' (dsn, autoreply, challenge, virus or feedback)", arg);
	r->kind = kind;
	return NULL;
}

static char *parse_describe(struct rule *r, const char *arg)
{
	if (r->describe != NULL)
		return g_strdup("describe given twice");
	if (*arg == '\0')
		return g_strdup("describe needs a text");
	r->describe = g_strdup(arg);
	return NULL;
}

static char *parse_score(struct rule *r, const char *arg)
{
	gint64 value;

	if (r->has_score)
		return g_strdup("score given twice");
	if (!g_ascii_string_to_signed(arg, 10, -SCORE_LIMIT, SCORE_LIMIT, &value, NULL))
		return g_strdup_printf("bad score '%s' (an integer from %d to %d)", arg,
				       -SCORE_LIMIT, SCORE_LIMIT);
	r->score = (int)value;
	r->has_score = true;
	return NULL;
}

char *us_rules_parse_regex(const char *spec, char **regex, int *cflags)
{
	const char *p = spec + 1;
	GString *re;

	if (*spec != '/')
		return g_strdup("regex not delimited by /.../");
	re = g_string_sized_new(strlen(p));
	while (*p && *p != '/') {
		/* Ordinary bytes up to the next backslash or slash, at once. */
		size_t span = strcspn(p, "\\/");
		if (span > 0) {
			g_string_append_len(re, p, (gssize)span);
			p += span;
		} else if (p[0] == '\\' && p[1] == '/') {
			g_string_append_c(re, '/');
			p += 2;
		} else if (p[0] == '\\' && p[1] != '\0') {
			/* Other escapes are TRE's: keep both bytes, so "\\"
			 * before a "/" does not escape it. */
			g_string_append_len(re, p, 2);
			p += 2;
		} else {
			g_string_append_c(re, *p++);
		}
	}
	if (*p != '/') {
		g_string_free(re, TRUE);
		return g_strdup("regex not delimited by /.../");
	}
	*cflags = REG_EXTENDED;
	for (p++; *p && !is_blank(*p); p++) {
		if (*p == 'i') {
			*cflags |= REG_ICASE;
		} else if (*p == 'm') {
			*cflags |= REG_NEWLINE;
		} else {
			g_string_free(re, TRUE);
			return g_strdup_printf("unknown flag '%c' (i and m are known)", *p);
		}
	}
	if (*p != '\0') {
		g_string_free(re, TRUE);
		return g_strdup_printf("unexpected text after the regex: '%s'", p + strspn(p, " \t"));
	}
	if (re->len == 0) {
		g_string_free(re, TRUE);
		return g_strdup("empty regex");
	}
	*regex = g_string_free(re, FALSE);
	return NULL;
}

/* The unit with key K, of the ruleset or of this text, or NULL. */
static struct unit *find_unit(const struct parse_state *st, const struct key *k)
{
	struct unit *u = g_hash_table_lookup(st->rs->unit_index, k);

	return u ? u : g_hash_table_lookup(st->unit_index, k);
}

/* The unit for K (borrowed): an existing one, or a new one of this
 * text's, analysed for its literals. NULL and *SYNTAX set when the
 * regex is malformed. */
static struct unit *get_unit(struct parse_state *st, const struct key *k, const char **syntax)
{
	struct unit *u = find_unit(st, k);

	if (u != NULL)
		return u;
	u = unit_new(k);
	if (!unit_analyse(u, st->rs->literals, syntax)) {
		unit_free(u);
		return NULL;
	}
	g_ptr_array_add(st->units, u);
	g_hash_table_insert(st->unit_index, &u->key, u);
	return u;
}

/* The operator and regex of a condition on FIELD (HEADER); fills C. */
static char *parse_match(struct parse_state *st, char *rest, enum field field, const char *header,
			 struct condition *c)
{
	const char *op = next_word(&rest);
	const char *syntax = NULL;
	char *regex = NULL;
	int cflags = 0;
	char *problem;

	if (strcmp(op, "=~") == 0)
		c->negated = false;
	else if (strcmp(op, "!~") == 0)
		c->negated = true;
	else
		return g_strdup_printf("expected =~ or !~, not '%s'", op);
	problem = us_rules_parse_regex(rest, &regex, &cflags);
	if (problem)
		return problem;
	cflags |= REG_NOSUB;	/* conditions only ask whether a regex matches */
	struct key k = key_make(field, header, cflags, regex);
	c->unit = get_unit(st, &k, &syntax);
	g_free(regex);
	if (c->unit == NULL)
		return g_strdup_printf("bad regex: %s", syntax);
	c->file = st->file;
	c->line = st->line;
	return NULL;
}

static char *parse_condition(struct parse_state *st, enum field field, char *rest)
{
	struct condition *c = g_new0(struct condition, 1);
	const char *header = NULL;
	char *problem = NULL;

	if (field == FIELD_HEADER) {
		header = next_word(&rest);
		if (*header == '\0' || strcmp(header, "=~") == 0 || strcmp(header, "!~") == 0)
			problem = g_strdup("header needs a name");
		else if (!header_name_valid(header))
			problem = g_strdup_printf("bad header name '%s'", header);
	}
	if (problem == NULL)
		problem = parse_match(st, rest, field, header, c);
	if (problem) {
		condition_free(c);
		return problem;
	}
	g_ptr_array_add(st->current->conditions, c);
	return NULL;
}

static const struct {
	const char *keyword;
	enum field field;
} condition_keywords[] = {
	{ "header", FIELD_HEADER },
	{ "body", FIELD_BODY },
	{ "sender", FIELD_SENDER },
	{ "parts", FIELD_PARTS },
};

/* One non-blank, non-comment line, white space stripped. */
static char *parse_line(struct parse_state *st, char *line)
{
	char *rest = line;
	const char *keyword = next_word(&rest);
	bool attribute = strcmp(keyword, "kind") == 0 || strcmp(keyword, "describe") == 0 ||
			 strcmp(keyword, "score") == 0;
	int field = -1;

	if (strcmp(keyword, "rule") == 0) {
		char *problem = finish_rule(st);
		return problem ? problem : parse_rule_line(st, rest);
	}
	for (guint i = 0; i < G_N_ELEMENTS(condition_keywords); i++)
		if (strcmp(keyword, condition_keywords[i].keyword) == 0)
			field = (int)condition_keywords[i].field;
	if (!attribute && field < 0)
		return g_strdup_printf("unknown keyword '%s'", keyword);
	if (st->current == NULL)
		return g_strdup_printf("%s before any rule line", keyword);
	if (field >= 0)
		return parse_condition(st, (enum field)field, rest);
	if (strcmp(keyword, "kind") == 0)
		return parse_kind(st->current, rest);
	if (strcmp(keyword, "describe") == 0)
		return parse_describe(st->current, rest);
	return parse_score(st->current, rest);
}

/* Moves the rules and new units of a successful parse into the ruleset. */
static void commit(struct parse_state *st)
{
	struct us_ruleset *rs = st->rs;

	for (guint i = 0; i < st->units->len; i++)
		ruleset_add_unit(rs, g_ptr_array_index(st->units, i));
	/* The ruleset owns them now. */
	g_ptr_array_set_free_func(st->units, NULL);
	for (guint i = 0; i < st->rules->len; i++) {
		struct rule *r = g_ptr_array_index(st->rules, i);
		for (guint j = 0; j < r->conditions->len; j++)
			((struct condition *)g_ptr_array_index(r->conditions, j))->unit->tested = true;
		g_hash_table_insert(rs->names, r->name, r);
		g_ptr_array_add(rs->rules, r);
	}
	/* The new units are not in the scanners yet. */
	scanners_free(rs->scan);
	rs->scan = NULL;
}

/* Whether TEXT (LEN bytes) is all 7-bit; a word at a time. */
static bool is_ascii(const char *text, size_t len)
{
	guint64 bits = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 word;
		memcpy(&word, text + i, 8);
		bits |= word;
	}
	for (; i < len; i++)
		bits |= (guchar)text[i];
	return (bits & G_GUINT64_CONSTANT(0x8080808080808080)) == 0;
}

bool us_ruleset_parse(struct us_ruleset *rs, const char *filename,
		      const char *text, size_t len, GError **error)
{
	char *file = g_strdup(filename);
	struct parse_state st = {
		.rs = rs,
		.file = file,
		.rules = g_ptr_array_new(),
		.names = g_hash_table_new(g_str_hash, g_str_equal),
	};
	const char *p = text, *end = text + len;
	char *problem = NULL;
	/* Rule files are mostly plain ASCII, which is valid UTF-8: then no
	 * line needs validating (every run reads every rule file). */
	bool ascii = is_ascii(text, len);

	if (!thaw(rs) && !reload(rs, error)) {
		g_free(file);
		g_ptr_array_unref(st.rules);
		g_hash_table_unref(st.names);
		return false;
	}

	st.units = g_ptr_array_new_with_free_func(unit_free);
	st.unit_index = g_hash_table_new(key_hash, key_equal);
	while (p < end && problem == NULL) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - p);

		st.line++;
		if (memchr(p, '\0', n) != NULL) {
			problem = g_strdup("NUL byte in line");
		} else if (!ascii && !g_utf8_validate(p, (gssize)n, NULL)) {
			problem = g_strdup("not valid UTF-8");
		} else {
			char *line = g_strstrip(g_strndup(p, n));
			if (*line != '\0' && *line != '#')
				problem = parse_line(&st, line);
			g_free(line);
		}
		p = nl ? nl + 1 : end;
	}
	if (problem == NULL)
		problem = finish_rule(&st);
	if (problem) {
		g_set_error(error, RULES_ERROR, 1, "%s:%u: %s", file,
			    st.error_line ? st.error_line : st.line, problem);
		g_free(problem);
		g_ptr_array_set_free_func(st.rules, rule_free);
		g_free(file);
	} else {
		commit(&st);
		g_ptr_array_add(rs->files, file);
	}
	g_ptr_array_unref(st.rules);
	g_hash_table_unref(st.names);
	g_hash_table_unref(st.unit_index);
	g_ptr_array_unref(st.units);	/* owns nothing after a commit */
	return problem == NULL;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct scanners *scanners_build(const struct us_ruleset *rs);
static void litscan_destroy(gpointer ls);

/* ------------------------------------------------------------------ */
/* Cache (rulecache.h). A one-shot run that parses every rule file and
 * analyses every regex pays for each rule (about 50,000 instructions);
 * with the cache it reads only the records of what the message needs.
 * Records, all numbers 32-bit in this machine's order:
 *   "c"                    rules, units, files
 *   "f"                    the files' base names, each NUL-terminated
 *   "a"                    rule indexes that are always candidates
 *   "u" + unit id          field, cflags, flags (1 exact, 2 empty test,
 *                          4 header, 8 tested), literals, rules; the rules'
 *                          indexes (those whose first literal-carrying =~
 *                          condition it is); children and their ids; then
 *                          header, regex and literals, each NUL-terminated
 *   "k" + unit id          scanner of its children's literals (aligned)
 *   "r" + rule index       kind, score, has_score, file, line,
 *                          conditions; per condition unit, negated, line;
 *                          then name and describe, NUL-terminated
 *   "n" + name             rule index
 *   "s" + b|s|p            scanner of the body, sender, parts
 *   "sh" + header (lower)  scanner of that header
 * Units are those of the rules' conditions, then the alternatives the
 * cache's writer split them into (unit_split(), done for all of them
 * then, so that a cached run analyses no regex). */

/* Bump when the layout or the meaning of a record changes. */
#define CACHE_FORMAT 10
#define UNIT_EXACT 1u
#define UNIT_EMPTY_TEST 2u
#define UNIT_HEADER 4u
#define UNIT_TESTED 8u

static void put_record(struct us_rulecache_writer *w, char tag, guint32 n, const GByteArray *b)
{
	char key[5] = { tag };

	memcpy(key + 1, &n, sizeof n);
	us_rulecache_add(w, key, sizeof key, b->data, b->len);
}

/* The index of the unit of R's first =~ condition with literals, or -1. */
static int first_literal_unit(const struct rule *r)
{
	for (guint j = 0; j < r->conditions->len; j++) {
		const struct condition *c = g_ptr_array_index(r->conditions, j);
		if (!c->negated && c->unit->literals->len > 0)
			return (int)c->unit->id;
	}
	return -1;
}

static void put_scanner(struct us_rulecache_writer *w, const char *key, size_t klen,
			const struct us_litscan *ls)
{
	GByteArray *b;

	if (ls == NULL)
		return;
	b = g_byte_array_new();
	us_litscan_serialise(ls, b);
	us_rulecache_add_aligned(w, key, klen, b->data, b->len);
	g_byte_array_unref(b);
}

static void unit_split(struct us_ruleset *rs, struct unit *u);

/* Adds the records of DIR's reason tables (reasons.h), parsed now and
 * kept by RS for this run; none if they do not parse (a run that needs
 * them then parses them and reports what is wrong). */
static void cache_write_reasons(struct us_ruleset *rs, const char *dir,
				struct us_rulecache_writer *w)
{
	struct us_reasons *rt = us_reasons_new();

	if (rs->reasons != NULL || !us_reasons_load_dir(rt, dir, NULL)) {
		us_reasons_free(rt);
		return;
	}
	us_reasons_cache_write(rt, w);
	rs->reasons = rt;
}

/* Writes RS, just parsed from NAMES in DIR, as the cache with HEADER. */
static void cache_write(struct us_ruleset *rs, const char *dir, const GPtrArray *names,
			const GString *header)
{
	struct us_rulecache_writer *w = us_rulecache_create(dir);
	GByteArray *b;
	GPtrArray *per_unit;
	GHashTableIter it;
	gpointer key, value;

	if (w == NULL)
		return;
	/* The scanners hold the tested units (the conditions') only. */
	if (rs->scan == NULL)
		rs->scan = scanners_build(rs);
	/* Every split now; the array grows as children come, and they are
	 * split in turn. */
	for (guint i = 0; i < rs->units->len; i++)
		unit_split(rs, g_ptr_array_index(rs->units, i));
	/* The alternatives of body units join the body scanner: a body is
	 * then scanned once, however many alternatives a message needs
	 * decided (scanning it again for each split unit cost some 80 k
	 * instructions a message over the corpus, and more than a million
	 * for a long bounce). The other fields' values are short. */
	for (guint i = 0; i < rs->units->len; i++) {
		const struct unit *u = g_ptr_array_index(rs->units, i);
		if (u->key.field != FIELD_BODY || u->tested || u->literals->len == 0)
			continue;
		if (rs->scan->body == NULL)
			rs->scan->body = us_litscan_new();
		for (guint k = 0; k < u->literals->len; k++)
			us_litscan_add(rs->scan->body, g_ptr_array_index(u->literals, k), u->id);
	}
	rs->body_children = true;
	b = g_byte_array_new();
	us_rulecache_put32(b, rs->rules->len);
	us_rulecache_put32(b, rs->units->len);
	us_rulecache_put32(b, names->len);
	us_rulecache_add(w, "c", 1, b->data, b->len);
	g_byte_array_set_size(b, 0);
	for (guint i = 0; i < names->len; i++)
		us_rulecache_put_string(b, g_ptr_array_index(names, i));
	us_rulecache_add(w, "f", 1, b->data, b->len);

	/* Which rules hang on which unit, and which on none. */
	per_unit = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	for (guint i = 0; i < rs->units->len; i++)
		g_ptr_array_add(per_unit, g_array_new(FALSE, FALSE, sizeof(guint32)));
	g_byte_array_set_size(b, 0);
	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = g_ptr_array_index(rs->rules, i);
		int u = first_literal_unit(r);
		guint32 index = i;
		if (u < 0)
			us_rulecache_put32(b, index);
		else
			g_array_append_val((GArray *)g_ptr_array_index(per_unit, u), index);
	}
	us_rulecache_add(w, "a", 1, b->data, b->len);

	for (guint i = 0; i < rs->units->len; i++) {
		const struct unit *u = g_ptr_array_index(rs->units, i);
		const GArray *list = g_ptr_array_index(per_unit, i);
		g_byte_array_set_size(b, 0);
		us_rulecache_put32(b, u->key.field);
		us_rulecache_put32(b, (guint32)u->key.cflags);
		us_rulecache_put32(b, (u->exact ? UNIT_EXACT : 0) | (u->empty_test ? UNIT_EMPTY_TEST : 0) |
				      (u->key.header ? UNIT_HEADER : 0) | (u->tested ? UNIT_TESTED : 0));
		us_rulecache_put32(b, u->literals->len);
		us_rulecache_put32(b, list->len);
		for (guint j = 0; j < list->len; j++)
			us_rulecache_put32(b, g_array_index(list, guint32, j));
		us_rulecache_put32(b, u->children ? u->children->len : 0);
		for (guint j = 0; u->children && j < u->children->len; j++)
			us_rulecache_put32(b, ((const struct unit *)g_ptr_array_index(u->children, j))->id);
		if (u->key.header)
			us_rulecache_put_string(b, u->key.header);
		us_rulecache_put_string(b, u->key.regex);
		for (guint j = 0; j < u->literals->len; j++)
			us_rulecache_put_string(b, g_ptr_array_index(u->literals, j));
		put_record(w, 'u', i, b);
		if (u->child_scan) {
			char kkey[5] = { 'k' };
			guint32 id = i;
			memcpy(kkey + 1, &id, sizeof id);
			put_scanner(w, kkey, sizeof kkey, u->child_scan);
		}
	}
	g_ptr_array_unref(per_unit);

	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = g_ptr_array_index(rs->rules, i);
		guint file = 0;
		g_ptr_array_find(rs->files, r->file, &file);
		g_byte_array_set_size(b, 0);
		us_rulecache_put32(b, (guint32)r->kind);
		us_rulecache_put32(b, (guint32)r->score);
		us_rulecache_put32(b, r->has_score);
		us_rulecache_put32(b, file);
		us_rulecache_put32(b, r->line);
		us_rulecache_put32(b, r->conditions->len);
		for (guint j = 0; j < r->conditions->len; j++) {
			const struct condition *c = g_ptr_array_index(r->conditions, j);
			us_rulecache_put32(b, c->unit->id);
			us_rulecache_put32(b, c->negated);
			us_rulecache_put32(b, c->line);
		}
		us_rulecache_put_string(b, r->name);
		us_rulecache_put_string(b, r->describe);
		put_record(w, 'r', i, b);
		char *nkey = g_strconcat("n", r->name, NULL);
		guint32 index = i;
		us_rulecache_add(w, nkey, strlen(nkey), &index, sizeof index);
		g_free(nkey);
	}
	g_byte_array_unref(b);

	put_scanner(w, "sb", 2, rs->scan->body);
	put_scanner(w, "ss", 2, rs->scan->sender);
	put_scanner(w, "sp", 2, rs->scan->parts);
	g_hash_table_iter_init(&it, rs->scan->headers);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		char *lower = g_ascii_strdown(key, -1);
		char *skey = g_strconcat("sh", lower, NULL);
		put_scanner(w, skey, strlen(skey), value);
		g_free(skey);
		g_free(lower);
	}
	cache_write_reasons(rs, dir, w);
	us_rulecache_commit(w, header->str, header->len);
}

static guint32 array_at(const guchar *array, guint i)
{
	return us_rulecache_at(array, i);
}

static bool record(struct us_ruleset *rs, char tag, guint32 n, struct us_rulecache_reader *rd)
{
	char key[5] = { tag };

	memcpy(key + 1, &n, sizeof n);
	return us_rulecache_read(rs->cache, key, sizeof key, rd);
}

/* Unit ID, made from its record if need be; NULL (and RS broken) if it
 * does not decode. */
static struct unit *unit_get(struct us_ruleset *rs, guint id)
{
	struct unit *u = id < rs->units->len ? g_ptr_array_index(rs->units, id) : NULL;
	struct us_rulecache_reader rd;

	if (u != NULL || !rs->frozen || id >= rs->units->len || !record(rs, 'u', id, &rd)) {
		if (u == NULL)
			rs->broken = true;
		return u;
	}
	guint32 field = us_rulecache_get32(&rd), cflags = us_rulecache_get32(&rd);
	guint32 flags = us_rulecache_get32(&rd);
	guint32 n_literals = us_rulecache_get32(&rd), n_first = us_rulecache_get32(&rd);
	const guchar *first = us_rulecache_get_array(&rd, n_first);
	guint32 n_children = us_rulecache_get32(&rd);
	const guchar *children = us_rulecache_get_array(&rd, n_children);
	const char *header = flags & UNIT_HEADER ? us_rulecache_get_string(&rd) : NULL;
	const char *regex = us_rulecache_get_string(&rd);
	if (rd.bad || field > FIELD_PARTS || (field == FIELD_HEADER) != (header != NULL) ||
	    n_literals > (size_t)(rd.end - rd.p)) {
		rs->broken = true;
		return NULL;
	}
	struct key k = key_make((enum field)field, header, (int)cflags, regex);
	u = unit_new(&k);
	u->id = id;
	u->tested = (flags & UNIT_TESTED) != 0;
	u->cached_children = children;
	u->n_cached_children = n_children;
	u->exact = (flags & UNIT_EXACT) != 0;
	u->empty_test = (flags & UNIT_EMPTY_TEST) != 0;
	u->first_of = first;
	u->n_first_of = n_first;
	for (guint32 i = 0; i < n_literals; i++)
		g_ptr_array_add(u->literals, (char *)us_rulecache_get_string(&rd));
	for (guint i = 0; i < n_first; i++)
		if (array_at(first, i) >= rs->rules->len)
			rd.bad = true;
	for (guint i = 0; i < n_children; i++)
		if (array_at(children, i) >= rs->units->len || array_at(children, i) == id)
			rd.bad = true;
	if (rd.bad) {
		unit_free(u);
		rs->broken = true;
		return NULL;
	}
	g_ptr_array_index(rs->units, id) = u;
	g_hash_table_insert(rs->unit_index, &u->key, u);
	return u;
}

/* The path of file I of a frozen RS, made on first need. */
static const char *file_path(struct us_ruleset *rs, guint i)
{
	if (g_ptr_array_index(rs->files, i) == NULL)
		g_ptr_array_index(rs->files, i) =
			g_build_filename(rs->dir, (const char *)g_ptr_array_index(rs->file_names, i), NULL);
	return g_ptr_array_index(rs->files, i);
}

/* Rule INDEX, made from its record if need be; NULL (and RS broken) if
 * it does not decode. */
static struct rule *rule_get(struct us_ruleset *rs, guint index)
{
	struct rule *r = index < rs->rules->len ? g_ptr_array_index(rs->rules, index) : NULL;
	struct us_rulecache_reader rd;

	if (r != NULL || !rs->frozen || index >= rs->rules->len || !record(rs, 'r', index, &rd)) {
		if (r == NULL)
			rs->broken = true;
		return r;
	}
	guint32 kind = us_rulecache_get32(&rd), score = us_rulecache_get32(&rd);
	guint32 has_score = us_rulecache_get32(&rd), file = us_rulecache_get32(&rd);
	guint32 line = us_rulecache_get32(&rd), n = us_rulecache_get32(&rd);
	const guchar *conds = us_rulecache_get_array(&rd, n > G_MAXUINT32 / 3 ? G_MAXUINT32 : n * 3);
	const char *name = us_rulecache_get_string(&rd), *describe = us_rulecache_get_string(&rd);
	if (rd.bad || file >= rs->files->len || kind == US_KIND_NONE || kind > US_KIND_FEEDBACK) {
		rs->broken = true;
		return NULL;
	}
	r = rule_new(name, file_path(rs, file), line);
	r->kind = (enum us_kind)kind;
	r->score = (int)score;
	r->has_score = has_score != 0;
	r->describe = g_strdup(describe);
	for (guint i = 0; i < n; i++) {
		struct unit *u = unit_get(rs, array_at(conds, 3 * i));
		if (u == NULL) {
			rule_free(r);
			return NULL;
		}
		struct condition *c = g_new0(struct condition, 1);
		c->unit = u;
		c->negated = array_at(conds, 3 * i + 1) != 0;
		c->file = r->file;
		c->line = array_at(conds, 3 * i + 2);
		g_ptr_array_add(r->conditions, c);
	}
	g_ptr_array_index(rs->rules, index) = r;
	g_hash_table_insert(rs->names, r->name, r);
	return r;
}

/* The scanner of the cache under KEY, or NULL if there is none; one
 * that does not load makes RS broken. */
static struct us_litscan *cache_scanner(struct us_ruleset *rs, const char *key, size_t klen)
{
	size_t len = 0;
	const void *blob;
	struct us_litscan *ls;

	if (us_rulecache_get(rs->cache, key, klen, &len) == NULL)
		return NULL;
	blob = us_rulecache_get_aligned(rs->cache, key, klen, &len);
	if ((ls = blob ? us_litscan_load(blob, len) : NULL) == NULL)
		rs->broken = true;
	return ls;
}

/* Makes RS read the rules of DIR from the open CACHE; false (CACHE
 * closed, RS as it was) if its counts do not decode. */
static bool cache_attach(struct us_ruleset *rs, const char *dir, struct us_rulecache *cache)
{
	struct us_rulecache_reader rd = { 0 };
	size_t len = 0;
	guint32 n_rules, n_units, n_files, n_always;
	const guchar *always;

	rs->cache = cache;
	rd.p = us_rulecache_get(cache, "c", 1, &len);
	rd.end = rd.p + len;
	rd.bad = rd.p == NULL;
	n_rules = us_rulecache_get32(&rd);
	n_units = us_rulecache_get32(&rd);
	n_files = us_rulecache_get32(&rd);
	rd.p = us_rulecache_get(cache, "a", 1, &len);
	rd.end = rd.p + len;
	rd.bad = rd.bad || rd.p == NULL;
	n_always = (guint32)(len / sizeof(guint32));
	always = us_rulecache_get_array(&rd, n_always);
	if (rd.bad || n_rules > G_MAXINT / 2 || n_units > G_MAXINT / 2 ||
	    (rd.p = us_rulecache_get(cache, "f", 1, &len)) == NULL) {
		us_rulecache_close(cache);
		rs->cache = NULL;
		return false;
	}
	rd.end = rd.p + len;
	/* Paths are made when a rule needs one (file_path()). */
	rs->file_names = g_ptr_array_new();
	for (guint32 i = 0; i < n_files && !rd.bad; i++) {
		g_ptr_array_add(rs->file_names, (char *)us_rulecache_get_string(&rd));
		g_ptr_array_add(rs->files, NULL);
	}
	for (guint i = 0; i < n_always && !rd.bad; i++)
		rd.bad = array_at(always, i) >= n_rules;
	if (rd.bad) {
		g_ptr_array_set_size(rs->files, 0);
		g_ptr_array_unref(rs->file_names);
		rs->file_names = NULL;
		us_rulecache_close(cache);
		rs->cache = NULL;
		return false;
	}
	rs->frozen = true;
	rs->body_children = true;
	rs->dir = g_strdup(dir);
	rs->always = always;
	rs->n_always = n_always;
	g_ptr_array_set_size(rs->rules, (gint)n_rules);
	g_ptr_array_set_size(rs->units, (gint)n_units);
	rs->candidate_bits = g_new0(guint8, n_rules / 8 + 1);
	rs->candidates = g_array_new(FALSE, FALSE, sizeof(guint));
	rs->scan = g_new0(struct scanners, 1);
	rs->scan->headers = g_hash_table_new_full(ascii_case_hash, ascii_case_equal, g_free, litscan_destroy);
	rs->scan->body = cache_scanner(rs, "sb", 2);
	rs->scan->sender = cache_scanner(rs, "ss", 2);
	rs->scan->parts = cache_scanner(rs, "sp", 2);
	if (rs->broken) {
		/* Parse after all (the caller does, seeing false). */
		ruleset_clear(rs);
		ruleset_init(rs);
		return false;
	}
	return true;
}

/* The scanner of header NAME, looked up in the cache once per name. */
static const struct us_litscan *frozen_header_scanner(struct us_ruleset *rs, const char *name)
{
	gpointer value = NULL;
	char key[80];
	size_t n = strlen(name);

	if (g_hash_table_lookup_extended(rs->scan->headers, name, NULL, &value))
		return value;
	if (n + 3 <= sizeof key) {
		key[0] = 's';
		key[1] = 'h';
		for (size_t i = 0; i <= n; i++)
			key[2 + i] = g_ascii_tolower(name[i]);
		value = cache_scanner(rs, key, n + 2);
	}
	g_hash_table_insert(rs->scan->headers, g_strdup(name), value);
	return value;
}

/* Makes every rule and unit of a frozen RS, so that it works as if
 * parsed (for parsing more, linting, the reference mode); false if a
 * record does not decode. */
static bool thaw(struct us_ruleset *rs)
{
	if (!rs->frozen)
		return true;
	for (guint i = 0; i < rs->rules->len; i++)
		if (rule_get(rs, i) == NULL)
			return false;
	for (guint i = 0; i < rs->units->len; i++)
		if (unit_get(rs, i) == NULL)
			return false;
	rs->frozen = false;
	scanners_free(rs->scan);
	rs->scan = NULL;
	return true;
}

/* The names of DIR's files ending in SUFFIX, in byte order; and, if
 * ALSO is not NULL, those ending in ALSO_SUFFIX in *ALSO: one listing
 * for both. NULL with ERROR if DIR cannot be read. */
static GPtrArray *dir_list(const char *dir, const char *suffix, const char *also_suffix,
			  GPtrArray **also, GQuark domain, GError **error)
{
	GError *io = NULL;
	GDir *d = g_dir_open(dir, 0, &io);
	GPtrArray *names;
	const char *name;

	if (d == NULL) {
		g_set_error(error, domain, 2, "%s: %s", dir, io->message);
		g_error_free(io);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	if (also)
		*also = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(d)) != NULL) {
		if (g_str_has_suffix(name, suffix))
			g_ptr_array_add(names, g_strdup(name));
		else if (also && g_str_has_suffix(name, also_suffix))
			g_ptr_array_add(*also, g_strdup(name));
	}
	g_dir_close(d);
	/* Byte order, not the locale's: the same files load the same way
	 * everywhere. */
	g_ptr_array_sort(names, compare_names);
	if (also)
		g_ptr_array_sort(*also, compare_names);
	return names;
}

GPtrArray *us_rules_dir_list(const char *dir, const char *suffix, GQuark domain,
			     GError **error)
{
	return dir_list(dir, suffix, NULL, NULL, domain, error);
}

bool us_rules_dir_parse(const char *dir, const GPtrArray *names, us_rules_parse_fn parse,
			void *target, GQuark domain, GError **error)
{
	GError *io = NULL;
	bool ok = true;

	for (guint i = 0; ok && i < names->len; i++) {
		char *path = g_build_filename(dir, (const char *)g_ptr_array_index(names, i), NULL);
		char *text = NULL;
		gsize len = 0;

		if (!g_file_get_contents(path, &text, &len, &io)) {
			g_set_error(error, domain, 2, "%s: %s", path, io->message);
			g_clear_error(&io);
			ok = false;
		} else {
			ok = parse(target, path, text, len, error);
		}
		g_free(text);
		g_free(path);
	}
	return ok;
}

static bool parse_rule_file(void *rs, const char *path, const char *text, size_t len,
			    GError **error)
{
	return us_ruleset_parse(rs, path, text, len, error);
}

static bool load_files(struct us_ruleset *rs, const char *dir, const GPtrArray *names,
		       GError **error)
{
	return us_rules_dir_parse(dir, names, parse_rule_file, rs, RULES_ERROR, error);
}

/* Appends to HEADER, per file of NAMES in DIR: its name, NUL, then
 * size and time as raw numbers (a header is compared, never read; no
 * formatting, since a run pays for every file). */
static void stamp_files(GString *header, const char *dir, const GPtrArray *names)
{
	GString *path = g_string_new(dir);
	g_string_append_c(path, G_DIR_SEPARATOR);
	gsize dir_len = path->len;
	for (guint i = 0; i < names->len; i++) {
		const char *file = g_ptr_array_index(names, i);
		struct stat st;
		gint64 stamp[3] = { -1, -1, -1 };
		g_string_truncate(path, dir_len);
		g_string_append(path, file);
		if (stat(path->str, &st) == 0) {
			stamp[0] = st.st_size;
			stamp[1] = st.st_mtim.tv_sec;
			stamp[2] = st.st_mtim.tv_nsec;
		}
		g_string_append_len(header, file, (gssize)strlen(file) + 1);
		g_string_append_len(header, (const char *)stamp, sizeof stamp);
	}
	g_string_free(path, TRUE);
}

/* The names of DIR's rule files in byte order, and the cache header
 * that describes them and the reason tables (format, each file's name,
 * size and modification time); NULL and ERROR set if DIR cannot be read. */
static GPtrArray *rule_files(const char *dir, GString *header, GError **error)
{
	GPtrArray *tables = NULL;
	GPtrArray *names = dir_list(dir, ".rules", ".reasons", &tables, RULES_ERROR, error);

	if (names == NULL)
		return NULL;
	g_string_printf(header, "unscatter rules cache %d %s %zu %zu\n", CACHE_FORMAT,
			US_VERSION, sizeof(struct key), sizeof(void *));
	stamp_files(header, dir, names);
	/* The reason tables' records depend on theirs: they follow, after a
	 * newline (every name ends in its suffix, so one list cannot be
	 * read as the other). */
	g_string_append_c(header, '\n');
	stamp_files(header, dir, tables);
	g_ptr_array_unref(tables);
	return names;
}

/* Parses the files of a frozen RS's directory into it afresh, without
 * the cache (whose records did not decode). */
static bool reload(struct us_ruleset *rs, GError **error)
{
	char *dir = g_strdup(rs->dir);
	GString *header = g_string_new(NULL);
	GPtrArray *names;
	bool ok;

	ruleset_clear(rs);
	ruleset_init(rs);
	names = rule_files(dir, header, error);
	ok = names != NULL && load_files(rs, dir, names, error);
	if (names)
		g_ptr_array_unref(names);
	g_string_free(header, TRUE);
	g_free(dir);
	return ok;
}

bool us_ruleset_load_dir(struct us_ruleset *rs, const char *dir, GError **error)
{
	GString *header = g_string_new(NULL);
	GPtrArray *names = rule_files(dir, header, error);
	/* Only a fresh ruleset can be the cache's picture of DIR. */
	bool cacheable = rs->rules->len == 0 && !rs->frozen && g_getenv("UNSCATTER_NO_CACHE") == NULL;
	struct us_rulecache *cache;
	bool ok;

	if (names == NULL) {
		g_string_free(header, TRUE);
		return false;
	}
	if (cacheable && (cache = us_rulecache_open(dir, header->str, header->len)) != NULL &&
	    cache_attach(rs, dir, cache)) {
		ok = true;
	} else {
		ok = load_files(rs, dir, names, error);
		if (ok && cacheable)
			cache_write(rs, dir, names, header);
	}
	g_ptr_array_unref(names);
	g_string_free(header, TRUE);
	return ok;
}

const char *us_ruleset_describe(const struct us_ruleset *crs, const char *name)
{
	/* Making a rule from its record is not a visible change. */
	struct us_ruleset *rs = (struct us_ruleset *)crs;
	const struct rule *r = g_hash_table_lookup(rs->names, name);
	size_t len = 0;
	const void *index;
	char *key;

	if (r != NULL || !rs->frozen)
		return r ? r->describe : NULL;
	key = g_strconcat("n", name, NULL);
	index = us_rulecache_get(rs->cache, key, strlen(key), &len);
	g_free(key);
	if (index == NULL || len != sizeof(guint32))
		return NULL;
	r = rule_get(rs, array_at(index, 0));
	return r && strcmp(r->name, name) == 0 ? r->describe : NULL;
}

/* ------------------------------------------------------------------ */
/* Compiling and splitting */

/* U's regex, compiled on first need; NULL if it does not compile
 * (*REASON says why; the failure is kept too). */
static const regex_t *unit_compile(struct us_ruleset *rs, struct unit *u, const char **reason)
{
	if (!u->compile_tried) {
		int rc = tre_regncomp(&u->re, u->key.regex, strlen(u->key.regex), u->key.cflags);
		u->compile_tried = true;
		rs->compilations++;
		if (rc == REG_OK) {
			u->compiled = true;
		} else {
			char message[256];
			tre_regerror(rc, &u->re, message, sizeof message);
			u->compile_error = g_strdup(message);
		}
	}
	if (!u->compiled) {
		*reason = u->compile_error;
		return NULL;
	}
	return &u->re;
}

/* A regex shorter than this is compiled whole rather than split: TRE
 * compiles it in a few hundred thousand instructions, and splitting it
 * saves about as much as analysing and scanning for its alternatives
 * costs (on the shipped rules, 40 and 80 cost the same within 1%, 160
 * up to 8% more). */
#define SPLIT_MIN_LENGTH 80

/* Gives U of a frozen RS the children its record names, and their
 * scanner; none (and RS broken) if they do not decode. */
static void unit_children_from_cache(struct us_ruleset *rs, struct unit *u)
{
	char key[5] = { 'k' };
	guint32 id = u->id;
	GPtrArray *children;
	struct us_litscan *scan;

	if (u->n_cached_children == 0)
		return;
	children = g_ptr_array_new();
	for (guint i = 0; i < u->n_cached_children; i++) {
		struct unit *child = unit_get(rs, array_at(u->cached_children, i));
		if (child == NULL) {
			g_ptr_array_unref(children);
			return;
		}
		g_ptr_array_add(children, child);
	}
	memcpy(key + 1, &id, sizeof id);
	if ((scan = cache_scanner(rs, key, sizeof key)) == NULL) {
		rs->broken = true;
		g_ptr_array_unref(children);
		return;
	}
	u->children = children;
	u->child_scan = scan;
}

/* Gives U its children (prefilter.h, "parts"), each with literals, once;
 * if it has no such split, it keeps none and is compiled whole. */
static void unit_split(struct us_ruleset *rs, struct unit *u)
{
	bool icase = (u->key.cflags & REG_ICASE) != 0;
	GPtrArray *parts, *fresh, *children;
	bool usable = true;

	if (u->split_tried)
		return;
	u->split_tried = true;
	if (rs->frozen) {
		/* The cache's writer split it already, or found no split. */
		unit_children_from_cache(rs, u);
		return;
	}
	if (u->exact || strlen(u->key.regex) < SPLIT_MIN_LENGTH)
		return;
	parts = g_ptr_array_new_with_free_func(g_free);
	fresh = g_ptr_array_new_with_free_func(unit_free);
	children = g_ptr_array_new();
	us_regex_analyse(u->key.regex, icase, NULL, NULL, NULL, parts, NULL);
	for (guint i = 0; usable && i < parts->len; i++) {
		struct key k = key_make(u->key.field, u->key.header, u->key.cflags,
					g_ptr_array_index(parts, i));
		struct unit *child = g_hash_table_lookup(rs->unit_index, &k);
		for (guint j = 0; child == NULL && j < fresh->len; j++)
			if (key_equal(&k, &((struct unit *)g_ptr_array_index(fresh, j))->key))
				child = g_ptr_array_index(fresh, j);
		if (child == NULL) {
			child = unit_new(&k);
			unit_analyse(child, rs->literals, NULL);
			g_ptr_array_add(fresh, child);
		}
		/* An alternative without literals would be compiled for
		 * every message: then the whole regex may as well be. */
		usable = child->literals->len > 0;
		if (!g_ptr_array_find(children, child, NULL))
			g_ptr_array_add(children, child);
	}
	if (usable && children->len > 0) {
		g_ptr_array_set_free_func(fresh, NULL);
		for (guint i = 0; i < fresh->len; i++)
			ruleset_add_unit(rs, g_ptr_array_index(fresh, i));
		u->children = children;
		u->child_scan = us_litscan_new();
		for (guint i = 0; i < children->len; i++) {
			const struct unit *child = g_ptr_array_index(children, i);
			for (guint j = 0; j < child->literals->len; j++)
				us_litscan_add(u->child_scan, g_ptr_array_index(child->literals, j), i);
		}
	} else {
		g_ptr_array_unref(children);
	}
	g_ptr_array_unref(fresh);
	g_ptr_array_unref(parts);
}

static char *bad_regex(const struct condition *c, const char *reason)
{
	return g_strdup_printf("%s:%u: bad regex: %s", c->file, c->line, reason);
}

/* Compiles U and, as a run might need them, its alternatives, theirs,
 * and so on; the first failure's reason, or NULL. */
static const char *lint_unit(struct us_ruleset *rs, struct unit *u)
{
	const char *reason = NULL;

	if (unit_compile(rs, u, &reason) == NULL)
		return reason;
	unit_split(rs, u);
	for (guint i = 0; u->children && i < u->children->len; i++)
		if ((reason = lint_unit(rs, g_ptr_array_index(u->children, i))) != NULL)
			return reason;
	return NULL;
}

const char *us_rules_regex_pitfall(const char *re)
{
	struct us_regex_extent e;

	us_regex_extent(re, false, &e);
	if (e.class_bound)
		return "a character class under a bound ({m}, {m,n}, {m,}) matches any character "
		       "in TRE 0.8 (write a range such as [0-9]{3}, or repeat the class)";
	if (e.open_bound)
		return "TRE 0.8 does not read {,n} as {0,n}: write the 0";
	return NULL;
}

unsigned us_ruleset_lint(struct us_ruleset *rs, GPtrArray *problems)
{
	unsigned count = 0;
	GError *error = NULL;

	if (!thaw(rs) && !reload(rs, &error)) {
		g_ptr_array_add(problems, g_strdup(error->message));
		g_error_free(error);
		return 1;
	}

	for (guint i = 0; i < rs->rules->len; i++) {
		const struct rule *r = g_ptr_array_index(rs->rules, i);
		for (guint j = 0; j < r->conditions->len; j++) {
			const struct condition *c = g_ptr_array_index(r->conditions, j);
			const char *reason = lint_unit(rs, c->unit);
			if (reason == NULL)
				reason = us_rules_regex_pitfall(c->unit->key.regex);
			if (reason != NULL) {
				g_ptr_array_add(problems, bad_regex(c, reason));
				count++;
			}
		}
	}
	return count;
}

/* ------------------------------------------------------------------ */
/* Evaluation */

static struct us_litscan *scanner_for(struct scanners *sc, const struct unit *u)
{
	struct us_litscan **slot = NULL;
	struct us_litscan *ls;

	switch (u->key.field) {
	case FIELD_BODY:
		slot = &sc->body;
		break;
	case FIELD_SENDER:
		slot = &sc->sender;
		break;
	case FIELD_PARTS:
		slot = &sc->parts;
		break;
	case FIELD_HEADER:
		ls = g_hash_table_lookup(sc->headers, u->key.header);
		if (ls == NULL) {
			ls = us_litscan_new();
			/* The key is the unit's; it lives as long as the ruleset. */
			g_hash_table_insert(sc->headers, u->key.header, ls);
		}
		return ls;
	}
	if (*slot == NULL)
		*slot = us_litscan_new();
	return *slot;
}

static void litscan_destroy(gpointer ls)
{
	us_litscan_free(ls);
}

static struct scanners *scanners_build(const struct us_ruleset *rs)
{
	struct scanners *sc = g_new0(struct scanners, 1);

	sc->headers = g_hash_table_new_full(ascii_case_hash, ascii_case_equal, NULL, litscan_destroy);
	for (guint i = 0; i < rs->units->len; i++) {
		const struct unit *u = g_ptr_array_index(rs->units, i);
		if (!u->tested || u->literals->len == 0)
			continue;
		struct us_litscan *ls = scanner_for(sc, u);
		for (guint k = 0; k < u->literals->len; k++)
			us_litscan_add(ls, g_ptr_array_index(u->literals, k), u->id);
	}
	return sc;
}

/* Outcome of deciding a unit: enum match, or a regex that failed. */
enum decision { DECIDED_MATCH = MATCH, DECIDED_NO_MATCH = NO_MATCH, BROKEN };

/* State of one evaluation. */
struct evaluation {
	struct us_ruleset *rs;
	const struct us_message *msg;
	struct unit *scanning;	/* whose children a scan reports */
	gunichar *wide_body;	/* the body as characters, made for the first body regex */
	glong wide_len;		/* that needs the whole body */
	bool wide_tried;
	bool widens;		/* the body can be read as characters (body_widens()) */
	/* Where the body scans found literals (struct body_hit), for
	 * matching body regexes only around them ("Windows" below); FULL:
	 * not all of them (note_body_hit()). */
	GArray *body_hits;
	bool body_hits_full;
};

struct body_hit {
	guint unit;		/* the unit whose literal it is */
	guint32 at, len;	/* bytes of the body */
};

static void evaluation_clear(struct evaluation *ev)
{
	g_clear_pointer(&ev->wide_body, g_free);
	ev->wide_tried = false;
	if (ev->body_hits)
		g_array_unref(g_steal_pointer(&ev->body_hits));
	ev->body_hits_full = false;
}

/* Hits kept per evaluation at most (12 bytes each): a huge body full of
 * literals would otherwise cost memory by the hit; beyond it, body
 * regexes are matched against the whole body, as without windows. */
#define MAX_BODY_HITS 100000

static void note_body_hit(struct evaluation *ev, guint unit, size_t at, size_t len)
{
	struct body_hit hit = { unit, (guint32)at, (guint32)len };

	/* Offsets that do not fit are not kept: that unit is then
	 * matched against the whole body (see body_windows_match()). */
	if (at > G_MAXUINT32 || len > G_MAXUINT32 - at)
		hit.at = hit.len = G_MAXUINT32;
	if (ev->body_hits == NULL)
		ev->body_hits = g_array_new(FALSE, FALSE, sizeof hit);
	if (ev->body_hits->len >= MAX_BODY_HITS)
		ev->body_hits_full = true;
	else
		g_array_append_val(ev->body_hits, hit);
}

/* U's state in this evaluation, made current. */
static struct unit *unit_state(const struct evaluation *ev, struct unit *u)
{
	if (u->serial != ev->rs->serial) {
		u->serial = ev->rs->serial;
		/* Without literals, no scan can rule it out. */
		u->found = u->literals->len == 0;
		u->match = UNKNOWN;
	}
	return u;
}

/* U's literals occur: it is found, and, frozen, the rules that hang on it
 * become candidates. */
static void unit_found(struct evaluation *ev, struct unit *u)
{
	struct us_ruleset *rs = ev->rs;

	unit_state(ev, u)->found = true;
	for (guint i = 0; i < u->n_first_of; i++) {
		guint r = array_at(u->first_of, i);
		if (!(rs->candidate_bits[r / 8] & (1u << (r % 8)))) {
			rs->candidate_bits[r / 8] |= (guint8)(1u << (r % 8));
			g_array_append_val(rs->candidates, r);
		}
	}
}

static void mark_found(unsigned id, void *data)
{
	struct evaluation *ev = data;
	struct unit *u = unit_get(ev->rs, id);

	if (u != NULL)
		unit_found(ev, u);
}

static void mark_child_found(unsigned index, void *data)
{
	struct evaluation *ev = data;

	unit_state(ev, g_ptr_array_index(ev->scanning->children, index))->found = true;
}

static void mark_found_in_body(unsigned id, size_t at, size_t len, void *data)
{
	struct evaluation *ev = data;
	struct unit *u = unit_get(ev->rs, id);

	if (u == NULL)
		return;
	if (!unit_state(ev, u)->found)
		unit_found(ev, u);
	note_body_hit(ev, id, at, len);
}

static void mark_child_found_in_body(unsigned index, size_t at, size_t len, void *data)
{
	struct evaluation *ev = data;
	struct unit *child = g_ptr_array_index(ev->scanning->children, index);

	unit_state(ev, child)->found = true;
	note_body_hit(ev, child->id, at, len);
}

/* Marks the children of U (a split unit) whose literals occur in a value
 * of U's field (the sender being known); in the body, with where. */
static void scan_for_children(struct evaluation *ev, struct unit *u)
{
	const struct us_message *msg = ev->msg;
	const struct us_litscan *ls = u->child_scan;

	ev->scanning = u;
	switch (u->key.field) {
	case FIELD_BODY:
		us_litscan_run_all(ls, msg->body->str, msg->body->len, mark_child_found_in_body, ev);
		return;
	case FIELD_SENDER:
		us_litscan_run(ls, msg->envelope_sender, strlen(msg->envelope_sender), mark_child_found, ev);
		return;
	case FIELD_PARTS:
		us_litscan_run(ls, msg->part_types->str, msg->part_types->len, mark_child_found, ev);
		return;
	case FIELD_HEADER:
		for (guint i = 0; i < msg->headers->len; i++) {
			const struct us_header *h = g_ptr_array_index(msg->headers, i);
			if (g_ascii_strcasecmp(h->name, u->key.header) == 0)
				us_litscan_run(ls, h->value, strlen(h->value), mark_child_found, ev);
		}
		return;
	}
}

/* Runs LS over TEXT for the ruleset's units; a cache's scanner that
 * turns out damaged makes the ruleset broken. */
static void run_scanner(struct evaluation *ev, const struct us_litscan *ls, const char *text,
			size_t len)
{
	us_litscan_run(ls, text, len, mark_found, ev);
	if (us_litscan_damaged(ls))
		ev->rs->broken = true;
}

/* Marks the units whose literals occur: each field value is scanned
 * once, for all of them together. */
static void scan_message(struct evaluation *ev)
{
	const struct scanners *sc = ev->rs->scan;
	const struct us_message *msg = ev->msg;
	bool frozen = ev->rs->frozen;

	if (sc->body) {
		us_litscan_run_all(sc->body, msg->body->str, msg->body->len, mark_found_in_body, ev);
		if (us_litscan_damaged(sc->body))
			ev->rs->broken = true;
	}
	if (sc->sender && msg->envelope_sender)
		run_scanner(ev, sc->sender, msg->envelope_sender, strlen(msg->envelope_sender));
	if (sc->parts)
		run_scanner(ev, sc->parts, msg->part_types->str, msg->part_types->len);
	if (!frozen && g_hash_table_size(sc->headers) == 0)
		return;
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct us_header *h = g_ptr_array_index(msg->headers, i);
		const struct us_litscan *ls = frozen ? frozen_header_scanner(ev->rs, h->name)
						     : g_hash_table_lookup(sc->headers, h->name);
		if (ls)
			run_scanner(ev, ls, h->value, strlen(h->value));
	}
}

static bool regex_matches(const regex_t *re, const char *text, size_t len)
{
	return tre_regnexec(re, text, len, 0, NULL, 0) == REG_OK;
}

/* Whether some value of K's field (the sender being known) matches "^$"
 * as TRE reads it without REG_NEWLINE: "^" holds only at the start, and
 * "$" at the end or before a NUL byte (which TRE takes for the end), so
 * a value that is empty or starts with a NUL. */
static bool field_empty(const struct key *k, const struct us_message *msg)
{
	switch (k->field) {
	case FIELD_BODY:
		return msg->body->len == 0 || msg->body->str[0] == '\0';
	case FIELD_SENDER:
		return msg->envelope_sender[0] == '\0';
	case FIELD_PARTS:
		return msg->part_types->len == 0 || msg->part_types->str[0] == '\0';
	case FIELD_HEADER:
		for (guint i = 0; i < msg->headers->len; i++) {
			const struct us_header *h = g_ptr_array_index(msg->headers, i);
			if (g_ascii_strcasecmp(h->name, k->header) == 0 && h->value[0] == '\0')
				return true;
		}
		return false;
	}
	return false;
}

/* Whether body regexes are matched on characters (tre_regwnexec), the
 * whole body converted once, or its stretches (see "Windows"); if not,
 * TRE reads the bytes. TRE reads a multibyte text through mbrtowc, one
 * call (some hundred instructions) a character, again for every regex.
 * Only when converting gives TRE the very same characters: a UTF-8
 * locale, ISO 10646 wchar_t, and a body that is valid UTF-8 without NULs
 * (as mime.c makes it; the check costs little beside one regex over the
 * body). */
static bool body_widens(struct evaluation *ev)
{
#if defined(__STDC_ISO_10646__)
	G_STATIC_ASSERT(sizeof(wchar_t) == sizeof(gunichar));
	const GString *body = ev->msg->body;

	if (!ev->wide_tried) {
		ev->wide_tried = true;
		ev->widens = g_get_charset(NULL) && g_utf8_validate_len(body->str, body->len, NULL);
	}
#endif
	return ev->widens;
}

/* The whole body as characters (body_widens() must hold). */
static const gunichar *wide_body(struct evaluation *ev)
{
	const GString *body = ev->msg->body;

	if (ev->wide_body == NULL && body_widens(ev))
		ev->wide_body = g_utf8_to_ucs4_fast(body->str, (glong)body->len, &ev->wide_len);
	return ev->wide_body;
}

/* ------------------------------------------------------------------ */
/* Windows
 *
 * TRE reads the whole body for every regex matched against it, which on
 * a long body costs more than all the rest of an evaluation. But every
 * match holds one of its unit's literals (prefilter.h), the scans noted
 * where each occurs, and where a regex's matches are bounded
 * (us_regex_extent) a match can only lie around one of those places. So
 * only those stretches are matched:
 *   - no line break in a match: the lines of the literal;
 *   - at most N characters: the lines from 4N bytes before the literal
 *     to 4N bytes after it (a character is at most 4 bytes);
 *   - "^C*REST" with REST at most N characters: the same, since such a
 *     match can be taken to start at the last line start before REST.
 * A stretch runs from the line break before its first line to the one
 * after its last, both included, with REG_NOTBOL and REG_NOTEOL where it
 * does not reach an end of the body. Every character of a match inside
 * then has the neighbours it has in the body, so "^", "$", "\<", "\>" and
 * "\b" test the same there; at the two line breaks, where a neighbour is
 * missing, they can only fail where the body has a match (never hold
 * where it has none), and such a match lies inside the stretch of its
 * own literal, which overlapping stretches are joined to. The outcome is
 * the same as matching the whole body; reading is a fraction of it. */

static int compare_hits(gconstpointer a, gconstpointer b)
{
	const struct body_hit *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

/* Start of the stretch holding byte AT: the line break before its line. */
static size_t stretch_start(const GString *body, size_t at)
{
	const char *nl = at > 0 ? memrchr(body->str, '\n', at) : NULL;

	return nl ? (size_t)(nl - body->str) : 0;
}

/* End of the stretch holding the bytes before END: after the line break
 * that ends the line of byte END (if END is inside the body). */
static size_t stretch_end(const GString *body, size_t end)
{
	const char *nl = end < body->len ? memchr(body->str + end, '\n', body->len - end) : NULL;

	return nl ? (size_t)(nl - body->str) + 1 : body->len;
}

/* Bytes [FROM, TO) of the body, converted to characters for TRE (the
 * stretch begins and ends between characters). */
static bool stretch_matches(const GString *body, const regex_t *re, size_t from, size_t to)
{
	int eflags = (from > 0 ? REG_NOTBOL : 0) | (to < body->len ? REG_NOTEOL : 0);
	glong n;
	gunichar *wide = g_utf8_to_ucs4_fast(body->str + from, (glong)(to - from), &n);
	bool matches = tre_regwnexec(re, (const wchar_t *)wide, (size_t)n, 0, NULL, eflags) == REG_OK;

	g_free(wide);
	return matches;
}

/* Whether RE, U's regex on the body, matches: 1 or 0, decided on the
 * stretches around U's literals; -1 if it cannot be decided so (then
 * the whole body is matched). The body must widen (body_widens()). */
static int body_windows_match(struct evaluation *ev, struct unit *u, const regex_t *re)
{
	const GString *body = ev->msg->body;
	GArray *mine;
	size_t margin, from = 0, to = 0;
	int result = -1;

	if (!u->extent_known) {
		us_regex_extent(u->key.regex, (u->key.cflags & REG_NEWLINE) != 0, &u->extent);
		u->extent_known = true;
	}
	if ((u->extent.newline && u->extent.max_chars == US_EXTENT_UNBOUNDED) || ev->body_hits == NULL ||
	    ev->body_hits_full)
		return -1;
	margin = !u->extent.newline ? 0 : 4 * (size_t)u->extent.max_chars;
	mine = g_array_new(FALSE, FALSE, sizeof(struct body_hit));
	for (guint i = 0; i < ev->body_hits->len; i++) {
		const struct body_hit *h = &g_array_index(ev->body_hits, struct body_hit, i);
		if (h->unit != u->id)
			continue;
		if (h->at == G_MAXUINT32)
			goto out;	/* not where a 32-bit offset reaches */
		g_array_append_vals(mine, h, 1);
	}
	if (mine->len == 0)
		goto out;
	g_array_sort(mine, compare_hits);
	ev->rs->windowed++;
	result = 0;
	/* Hits in order, so that no byte is searched for a line break twice
	 * however many hits share one long line. */
	for (guint i = 0; i < mine->len && result == 0; i++) {
		const struct body_hit *h = &g_array_index(mine, struct body_hit, i);
		size_t end = (size_t)h->at + h->len;
		size_t a = h->at > margin ? h->at - margin : 0;
		size_t b = body->len - end > margin ? end + margin : body->len;
		if (i > 0 && a < to) {
			/* Starts inside the stretch: join, longer if need be. */
			if (b > to)
				to = stretch_end(body, b);
			continue;
		}
		if (i > 0 && stretch_matches(body, re, from, to))
			result = 1;
		from = stretch_start(body, a);
		to = stretch_end(body, b);
	}
	if (result == 0 && stretch_matches(body, re, from, to))
		result = 1;
out:
	g_array_unref(mine);
	return result;
}

/* Whether RE matches some value of K's field (the sender being known). */
static bool field_matches(struct evaluation *ev, struct unit *u, const regex_t *re)
{
	const struct us_message *msg = ev->msg;
	const struct key *k = &u->key;
	const gunichar *wide;
	int windowed;

	switch (k->field) {
	case FIELD_BODY:
		if (!body_widens(ev))
			return regex_matches(re, msg->body->str, msg->body->len);
		if ((windowed = body_windows_match(ev, u, re)) >= 0)
			return windowed;
		wide = wide_body(ev);
		return tre_regwnexec(re, (const wchar_t *)wide, (size_t)ev->wide_len, 0, NULL, 0) == REG_OK;
	case FIELD_SENDER:
		return regex_matches(re, msg->envelope_sender, strlen(msg->envelope_sender));
	case FIELD_PARTS:
		return regex_matches(re, msg->part_types->str, msg->part_types->len);
	case FIELD_HEADER:
		for (guint i = 0; i < msg->headers->len; i++) {
			const struct us_header *h = g_ptr_array_index(msg->headers, i);
			if (g_ascii_strcasecmp(h->name, k->header) == 0 &&
			    regex_matches(re, h->value, strlen(h->value)))
				return true;
		}
		return false;
	}
	return false;
}

/* Whether U's regex matches some value of its field (the sender being
 * known), deciding it the cheapest way; once per evaluation, however
 * many conditions and regexes share it. */
static enum decision unit_decide(struct evaluation *ev, struct unit *u, const char **reason)
{
	const regex_t *re;
	enum match m = NO_MATCH;

	unit_state(ev, u);
	if (u->match != UNKNOWN)
		return (enum decision)u->match;
	if (ev->rs->reference) {
		/* A plain regex engine: no prefilter, no shortcut, no split. */
		if ((re = unit_compile(ev->rs, u, reason)) == NULL)
			return BROKEN;
		m = field_matches(ev, u, re) ? MATCH : NO_MATCH;
	} else if (!u->found) {
		m = NO_MATCH;		/* no literal, no match */
	} else if (u->exact) {
		m = MATCH;		/* the literal is the match */
	} else if (u->empty_test) {
		m = field_empty(&u->key, ev->msg) ? MATCH : NO_MATCH;
	} else if (unit_split(ev->rs, u), u->children != NULL) {
		/* Which alternatives could match (known from the body scan
		 * if it holds them), then those, cheapest first. */
		if (u->key.field != FIELD_BODY || !ev->rs->body_children)
			scan_for_children(ev, u);
		for (int pass = 0; pass < 2 && m == NO_MATCH; pass++) {
			for (guint i = 0; i < u->children->len && m == NO_MATCH; i++) {
				struct unit *child = unit_state(ev, g_ptr_array_index(u->children, i));
				if (!child->found || child->exact != (pass == 0))
					continue;
				enum decision d = unit_decide(ev, child, reason);
				if (d == BROKEN)
					return BROKEN;
				m = (enum match)d;
			}
		}
	} else {
		if ((re = unit_compile(ev->rs, u, reason)) == NULL)
			return BROKEN;
		m = field_matches(ev, u, re) ? MATCH : NO_MATCH;
	}
	u->match = m;
	return (enum decision)m;
}

enum outcome { HOLDS, FAILS, FAILED_TO_COMPILE };

static enum outcome condition_holds(struct evaluation *ev, const struct condition *c, char **problem)
{
	const char *reason = NULL;
	enum decision d;

	/* An unknown envelope sender proves nothing either way. */
	if (c->unit->key.field == FIELD_SENDER && ev->msg->envelope_sender == NULL)
		return FAILS;
	d = unit_decide(ev, c->unit, &reason);
	if (d == BROKEN) {
		*problem = bad_regex(c, reason);
		return FAILED_TO_COMPILE;
	}
	return (d == DECIDED_MATCH) != c->negated ? HOLDS : FAILS;
}

/* A rule is worth deciding only if each =~ condition saw a literal. */
static bool rule_is_candidate(const struct evaluation *ev, const struct rule *r)
{
	if (ev->rs->reference)
		return true;
	for (guint i = 0; i < r->conditions->len; i++) {
		const struct condition *c = g_ptr_array_index(r->conditions, i);
		if (!c->negated && !unit_state(ev, c->unit)->found)
			return false;
	}
	return true;
}

/* Runs R's conditions in order up to the first that fails (*FAILED). */
static enum outcome rule_holds(struct evaluation *ev, const struct rule *r,
			       const struct condition **failed, char **problem)
{
	for (guint i = 0; i < r->conditions->len; i++) {
		const struct condition *c = g_ptr_array_index(r->conditions, i);
		enum outcome o = condition_holds(ev, c, problem);
		if (o != HOLDS) {
			*failed = c;
			return o;
		}
	}
	return HOLDS;
}

/* Decides R if it is a candidate, appending a hit if it fires; false
 * (ERROR set) if a regex it needs does not compile. */
static bool evaluate_rule(struct evaluation *ev, const struct rule *r, GArray *hits,
			  const struct us_explain *ex, unsigned *candidates, unsigned *fired,
			  GError **error)
{
	const struct condition *failed = NULL;
	char *problem = NULL;

	if (!rule_is_candidate(ev, r))
		return true;
	(*candidates)++;
	switch (rule_holds(ev, r, &failed, &problem)) {
	case HOLDS: {
		struct us_hit hit = { .name = r->name, .kind = r->kind, .score = r->score };
		g_array_append_val(hits, hit);
		(*fired)++;
		us_explain(ex, "rule %s fired: %s %+d, %s (%s:%u)", r->name,
			   us_kind_name(r->kind), r->score, r->describe, r->file, r->line);
		break;
	}
	case FAILS:
		us_explain(ex, "rule %s: candidate, but the condition at %s:%u does not hold",
			   r->name, failed->file, failed->line);
		break;
	case FAILED_TO_COMPILE:
		g_set_error_literal(error, RULES_ERROR, 3, problem);
		g_free(problem);
		return false;
	}
	return true;
}

static gint compare_indexes(gconstpointer a, gconstpointer b)
{
	guint x = *(const guint *)a, y = *(const guint *)b;

	return x < y ? -1 : x > y;
}

bool us_ruleset_evaluate(struct us_ruleset *rs, const struct us_message *msg,
			 GArray *hits, const struct us_explain *ex, GError **error)
{
	struct evaluation ev = { .rs = rs, .msg = msg };
	unsigned candidates = 0, fired = 0;
	guint hits_before = hits->len;
	bool ok = true;

	if (rs->frozen && rs->reference && !thaw(rs) && !reload(rs, error))
		return false;
	if (rs->scan == NULL)
		rs->scan = scanners_build(rs);
	/* A new number makes every unit's state of the last evaluation
	 * stale; should it ever wrap, 0 must again mean "never". */
	if (++rs->serial == 0) {
		for (guint i = 0; i < rs->units->len; i++) {
			struct unit *u = g_ptr_array_index(rs->units, i);
			if (u)
				u->serial = 0;
		}
		rs->serial = 1;
	}
	if (!rs->reference)
		scan_message(&ev);
	if (rs->frozen) {
		/* Only the rules that hang on a unit found, and those that
		 * always are candidates, in file order. */
		for (guint i = 0; i < rs->n_always; i++) {
			guint r = array_at(rs->always, i);
			if (!(rs->candidate_bits[r / 8] & (1u << (r % 8)))) {
				rs->candidate_bits[r / 8] |= (guint8)(1u << (r % 8));
				g_array_append_val(rs->candidates, r);
			}
		}
		g_array_sort(rs->candidates, compare_indexes);
		for (guint i = 0; ok && !rs->broken && i < rs->candidates->len; i++) {
			const struct rule *r = rule_get(rs, g_array_index(rs->candidates, guint, i));
			if (r != NULL)
				ok = evaluate_rule(&ev, r, hits, ex, &candidates, &fired, error);
		}
		for (guint i = 0; i < rs->candidates->len; i++)
			rs->candidate_bits[g_array_index(rs->candidates, guint, i) / 8] = 0;
		g_array_set_size(rs->candidates, 0);
		if (rs->broken) {
			/* A damaged cache: start again from the rule files. */
			g_array_set_size(hits, hits_before);
			g_clear_error(error);
			evaluation_clear(&ev);
			if (!reload(rs, error))
				return false;
			return us_ruleset_evaluate(rs, msg, hits, ex, error);
		}
	} else {
		for (guint i = 0; ok && i < rs->rules->len; i++)
			ok = evaluate_rule(&ev, g_ptr_array_index(rs->rules, i), hits, ex,
					   &candidates, &fired, error);
	}
	if (ok)
		us_explain(ex, "rules: %u loaded, %u candidates after the literal scan, %u fired",
			   rs->rules->len, candidates, fired);
	evaluation_clear(&ev);
	return ok;
}
