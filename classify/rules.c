/* rules.c - rule files: parse, lint, and evaluate with a literal prefilter.
 *
 * Loading only parses: a one-shot run must not pay for compiling
 * hundreds of regexes. Evaluation scans each field once for the
 * literals of every condition on it, and compiles (then caches) only
 * the regexes of rules all of whose =~ conditions saw their literals. */
#include <string.h>
#include <tre/tre.h>
#include "prefilter.h"
#include "rules.h"

#define RULES_ERROR g_quark_from_static_string("unscatter-rules")

/* Scores are bounded so that summing every rule cannot overflow. */
#define SCORE_LIMIT 1000000

enum field { FIELD_HEADER, FIELD_BODY, FIELD_SENDER, FIELD_PARTS };

struct condition {
	enum field field;
	char *header;		/* FIELD_HEADER: the name as written */
	bool negated;		/* !~ */
	char *regex;		/* as TRE reads it ("\/" already "/") */
	int cflags;
	GPtrArray *literals;	/* char *: one occurs in any match; empty = no prefilter */
	const char *file;	/* owned by the ruleset */
	unsigned line;
	unsigned id;		/* index in us_ruleset.conditions */
	bool compiled;		/* RE is valid and must be freed */
	regex_t re;
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
	GPtrArray *conditions;	/* struct condition *, borrowed; index = id */
	GHashTable *names;	/* rule name -> struct rule *, borrowed */
	GPtrArray *files;	/* char *: the file names rules point to */
	struct scanners *scan;	/* built on first evaluation */
};

/* ------------------------------------------------------------------ */
/* Lifetime */

static void condition_free(gpointer data)
{
	struct condition *c = data;

	if (c->compiled)
		tre_regfree(&c->re);
	g_free(c->header);
	g_free(c->regex);
	g_ptr_array_unref(c->literals);
	g_free(c);
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

struct us_ruleset *us_ruleset_new(void)
{
	struct us_ruleset *rs = g_new0(struct us_ruleset, 1);

	rs->rules = g_ptr_array_new_with_free_func(rule_free);
	rs->conditions = g_ptr_array_new();
	rs->names = g_hash_table_new(g_str_hash, g_str_equal);
	rs->files = g_ptr_array_new_with_free_func(g_free);
	return rs;
}

void us_ruleset_free(struct us_ruleset *rs)
{
	if (rs == NULL)
		return;
	scanners_free(rs->scan);
	g_hash_table_unref(rs->names);
	g_ptr_array_unref(rs->conditions);
	g_ptr_array_unref(rs->rules);
	g_ptr_array_unref(rs->files);
	g_free(rs);
}

size_t us_ruleset_count(const struct us_ruleset *rs)
{
	return rs->rules->len;
}

const char *us_ruleset_describe(const struct us_ruleset *rs, const char *name)
{
	const struct rule *r = g_hash_table_lookup(rs->names, name);

	return r ? r->describe : NULL;
}

/* ------------------------------------------------------------------ */
/* Parsing. Each line handler returns NULL or a g_malloc'd description
 * of what is wrong, which the caller prefixes with "FILE:LINE: ". */

struct parse_state {
	struct us_ruleset *rs;
	const char *file;	/* the ruleset's copy */
	unsigned line;
	GPtrArray *rules;	/* struct rule *: this text's, owned until committed */
	GHashTable *names;	/* name -> struct rule *: this text's */
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

/* "/RE/FLAGS" -> the regex TRE gets, with "\/" turned into "/", and
 * its compile flags. The first unescaped "/" ends RE. */
static char *parse_delimited(const char *spec, struct condition *c)
{
	const char *p = spec + 1;
	GString *re;

	if (*spec != '/')
		return g_strdup("regex not delimited by /.../");
	re = g_string_new(NULL);
	while (*p && *p != '/') {
		if (p[0] == '\\' && p[1] == '/') {
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
	c->cflags = REG_EXTENDED | REG_NOSUB;
	for (p++; *p && !is_blank(*p); p++) {
		if (*p == 'i') {
			c->cflags |= REG_ICASE;
		} else if (*p == 'm') {
			c->cflags |= REG_NEWLINE;
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
	c->regex = g_string_free(re, FALSE);
	return NULL;
}

/* The operator and regex of a condition; fills C. */
static char *parse_match(struct parse_state *st, char *rest, struct condition *c)
{
	const char *op = next_word(&rest);
	const char *syntax = NULL;
	char *problem;

	if (strcmp(op, "=~") == 0)
		c->negated = false;
	else if (strcmp(op, "!~") == 0)
		c->negated = true;
	else
		return g_strdup_printf("expected =~ or !~, not '%s'", op);
	problem = parse_delimited(rest, c);
	if (problem)
		return problem;
	c->literals = g_ptr_array_new_with_free_func(g_free);
	if (!us_literals_extract(c->regex, c->literals, &syntax) && syntax != NULL)
		return g_strdup_printf("bad regex: %s", syntax);
	c->file = st->file;
	c->line = st->line;
	return NULL;
}

static char *parse_condition(struct parse_state *st, enum field field, char *rest)
{
	struct condition *c = g_new0(struct condition, 1);
	char *problem = NULL;

	c->field = field;
	if (field == FIELD_HEADER) {
		const char *name = next_word(&rest);
		if (*name == '\0' || strcmp(name, "=~") == 0 || strcmp(name, "!~") == 0)
			problem = g_strdup("header needs a name");
		else if (!header_name_valid(name))
			problem = g_strdup_printf("bad header name '%s'", name);
		else
			c->header = g_strdup(name);
	}
	if (problem == NULL)
		problem = parse_match(st, rest, c);
	if (problem) {
		if (c->literals == NULL)
			c->literals = g_ptr_array_new();
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

/* Moves the rules of a successful parse into the ruleset. */
static void commit(struct parse_state *st)
{
	struct us_ruleset *rs = st->rs;

	for (guint i = 0; i < st->rules->len; i++) {
		struct rule *r = g_ptr_array_index(st->rules, i);
		for (guint j = 0; j < r->conditions->len; j++) {
			struct condition *c = g_ptr_array_index(r->conditions, j);
			c->id = rs->conditions->len;
			g_ptr_array_add(rs->conditions, c);
		}
		g_hash_table_insert(rs->names, r->name, r);
		g_ptr_array_add(rs->rules, r);
	}
	/* The new conditions are not in the scanners yet. */
	scanners_free(rs->scan);
	rs->scan = NULL;
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

	while (p < end && problem == NULL) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - p);

		st.line++;
		if (memchr(p, '\0', n) != NULL) {
			problem = g_strdup("NUL byte in line");
		} else if (!g_utf8_validate(p, (gssize)n, NULL)) {
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
	return problem == NULL;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool us_ruleset_load_dir(struct us_ruleset *rs, const char *dir, GError **error)
{
	GError *io = NULL;
	GDir *d = g_dir_open(dir, 0, &io);
	GPtrArray *names;
	const char *name;
	bool ok = true;

	if (d == NULL) {
		g_set_error(error, RULES_ERROR, 2, "%s: %s", dir, io->message);
		g_error_free(io);
		return false;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".rules"))
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	/* Byte order, not the locale's: the same files load the same way
	 * everywhere. */
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; ok && i < names->len; i++) {
		char *path = g_build_filename(dir, (const char *)g_ptr_array_index(names, i), NULL);
		char *text = NULL;
		gsize len = 0;

		if (!g_file_get_contents(path, &text, &len, &io)) {
			g_set_error(error, RULES_ERROR, 2, "%s: %s", path, io->message);
			g_clear_error(&io);
			ok = false;
		} else {
			ok = us_ruleset_parse(rs, path, text, len, error);
		}
		g_free(text);
		g_free(path);
	}
	g_ptr_array_unref(names);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Compiling */

/* Compiles C's regex unless already done; on failure returns false and
 * sets *PROBLEM to "FILE:LINE: bad regex: ...". */
static bool condition_compile(struct condition *c, char **problem)
{
	int rc;

	if (c->compiled)
		return true;
	rc = tre_regncomp(&c->re, c->regex, strlen(c->regex), c->cflags);
	if (rc != REG_OK) {
		char reason[256];
		tre_regerror(rc, &c->re, reason, sizeof reason);
		*problem = g_strdup_printf("%s:%u: bad regex: %s", c->file, c->line, reason);
		return false;
	}
	c->compiled = true;
	return true;
}

unsigned us_ruleset_lint(struct us_ruleset *rs, GPtrArray *problems)
{
	unsigned count = 0;

	for (guint i = 0; i < rs->conditions->len; i++) {
		char *problem = NULL;
		if (!condition_compile(g_ptr_array_index(rs->conditions, i), &problem)) {
			g_ptr_array_add(problems, problem);
			count++;
		}
	}
	return count;
}

/* ------------------------------------------------------------------ */
/* Evaluation */

static struct us_litscan *scanner_for(struct scanners *sc, const struct condition *c)
{
	struct us_litscan **slot = NULL;
	struct us_litscan *ls;

	switch (c->field) {
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
		ls = g_hash_table_lookup(sc->headers, c->header);
		if (ls == NULL) {
			ls = us_litscan_new();
			/* The key is the condition's; it lives as long as the ruleset. */
			g_hash_table_insert(sc->headers, c->header, ls);
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
	for (guint i = 0; i < rs->conditions->len; i++) {
		const struct condition *c = g_ptr_array_index(rs->conditions, i);
		if (c->literals->len == 0)
			continue;
		struct us_litscan *ls = scanner_for(sc, c);
		for (guint j = 0; j < c->literals->len; j++)
			us_litscan_add(ls, g_ptr_array_index(c->literals, j), c->id);
	}
	return sc;
}

static void mark_found(unsigned id, void *data)
{
	guint8 *found = data;

	found[id] = 1;
}

/* FOUND[id]: condition ID could match, as far as its literals tell.
 * Each field value is scanned once, for all conditions together. */
static void scan_message(const struct us_ruleset *rs, const struct us_message *msg, guint8 *found)
{
	const struct scanners *sc = rs->scan;

	for (guint i = 0; i < rs->conditions->len; i++)
		if (((const struct condition *)g_ptr_array_index(rs->conditions, i))->literals->len == 0)
			found[i] = 1;
	if (sc->body)
		us_litscan_run(sc->body, msg->body->str, msg->body->len, mark_found, found);
	if (sc->sender && msg->envelope_sender)
		us_litscan_run(sc->sender, msg->envelope_sender, strlen(msg->envelope_sender),
			       mark_found, found);
	if (sc->parts)
		us_litscan_run(sc->parts, msg->part_types->str, msg->part_types->len, mark_found, found);
	if (g_hash_table_size(sc->headers) == 0)
		return;
	for (guint i = 0; i < msg->headers->len; i++) {
		const struct us_header *h = g_ptr_array_index(msg->headers, i);
		const struct us_litscan *ls = g_hash_table_lookup(sc->headers, h->name);
		if (ls)
			us_litscan_run(ls, h->value, strlen(h->value), mark_found, found);
	}
}

/* A rule is worth compiling only if each =~ condition saw a literal. */
static bool rule_is_candidate(const struct rule *r, const guint8 *found)
{
	for (guint i = 0; i < r->conditions->len; i++) {
		const struct condition *c = g_ptr_array_index(r->conditions, i);
		if (!c->negated && !found[c->id])
			return false;
	}
	return true;
}

static bool regex_matches(const struct condition *c, const char *text, size_t len)
{
	return tre_regnexec(&c->re, text, len, 0, NULL, 0) == REG_OK;
}

/* Whether C's regex matches some value of its field. */
static bool field_matches(const struct condition *c, const struct us_message *msg)
{
	switch (c->field) {
	case FIELD_BODY:
		return regex_matches(c, msg->body->str, msg->body->len);
	case FIELD_SENDER:
		return regex_matches(c, msg->envelope_sender, strlen(msg->envelope_sender));
	case FIELD_PARTS:
		return regex_matches(c, msg->part_types->str, msg->part_types->len);
	case FIELD_HEADER:
		for (guint i = 0; i < msg->headers->len; i++) {
			const struct us_header *h = g_ptr_array_index(msg->headers, i);
			if (g_ascii_strcasecmp(h->name, c->header) == 0 &&
			    regex_matches(c, h->value, strlen(h->value)))
				return true;
		}
		return false;
	}
	return false;
}

enum outcome { HOLDS, FAILS, BROKEN };

static enum outcome condition_holds(struct condition *c, const struct us_message *msg,
				    const guint8 *found, char **problem)
{
	/* An unknown envelope sender proves nothing either way. */
	if (c->field == FIELD_SENDER && msg->envelope_sender == NULL)
		return FAILS;
	/* No literal, no match: decided without the regex. */
	if (!found[c->id])
		return c->negated ? HOLDS : FAILS;
	if (!condition_compile(c, problem))
		return BROKEN;
	return field_matches(c, msg) != c->negated ? HOLDS : FAILS;
}

/* Runs R's conditions in order up to the first that fails (*FAILED). */
static enum outcome rule_holds(struct rule *r, const struct us_message *msg, const guint8 *found,
			       const struct condition **failed, char **problem)
{
	for (guint i = 0; i < r->conditions->len; i++) {
		struct condition *c = g_ptr_array_index(r->conditions, i);
		enum outcome o = condition_holds(c, msg, found, problem);
		if (o != HOLDS) {
			*failed = c;
			return o;
		}
	}
	return HOLDS;
}

bool us_ruleset_evaluate(struct us_ruleset *rs, const struct us_message *msg,
			 GArray *hits, const struct us_explain *ex, GError **error)
{
	guint8 *found;
	unsigned candidates = 0, fired = 0;
	bool ok = true;

	if (rs->scan == NULL)
		rs->scan = scanners_build(rs);
	found = g_new0(guint8, rs->conditions->len + 1);
	scan_message(rs, msg, found);
	for (guint i = 0; ok && i < rs->rules->len; i++) {
		struct rule *r = g_ptr_array_index(rs->rules, i);
		const struct condition *failed = NULL;
		char *problem = NULL;

		if (!rule_is_candidate(r, found))
			continue;
		candidates++;
		switch (rule_holds(r, msg, found, &failed, &problem)) {
		case HOLDS: {
			struct us_hit hit = { .name = r->name, .kind = r->kind, .score = r->score };
			g_array_append_val(hits, hit);
			fired++;
			us_explain(ex, "rule %s fired: %s %+d, %s (%s:%u)", r->name,
				   us_kind_name(r->kind), r->score, r->describe, r->file, r->line);
			break;
		}
		case FAILS:
			us_explain(ex, "rule %s: candidate, but the condition at %s:%u does not hold",
				   r->name, failed->file, failed->line);
			break;
		case BROKEN:
			g_set_error_literal(error, RULES_ERROR, 3, problem);
			g_free(problem);
			ok = false;
			break;
		}
	}
	g_free(found);
	if (ok)
		us_explain(ex, "rules: %u loaded, %u candidates after the literal scan, %u fired",
			   rs->rules->len, candidates, fired);
	return ok;
}
