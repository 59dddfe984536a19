/* reasons.c - the bounce reason table: parse, lint, decide (see reasons.h). */
#include <string.h>
#include <tre/tre.h>
#include "prefilter.h"
#include "reasons.h"
#include "rules.h"

#define REASONS_ERROR g_quark_from_static_string("us-reasons")
#define NAME_MAX_LEN 40

enum entry_type { E_ACTION, E_STATUS, E_TEXT, E_RECIPIENT, E_DELAY, E_END, E_SKIP, E_FALLBACK };

struct entry {
	enum entry_type type;
	char *where;		/* "FILE:LINE" */
	const char *reason;	/* declared name (key of rt->names) */
	char *arg;		/* action name or status pattern */
	char *regex;		/* E_TEXT, E_RECIPIENT, E_DELAY */
	int cflags;
	bool exact;		/* the literal scan decides the regex */
	bool any_literals;	/* false: always a candidate */
	GPtrArray *literals;	/* char *, owned (E_TEXT) */
	GPtrArray *pieces;	/* E_TEXT, once needed: struct entry *, the alternatives
				 * decided one by one (owned), or just E itself (borrowed) */
	struct us_litscan *piece_scan;	/* literals of the pieces, ids = index in PIECES */
	int cut_known;		/* 0: not yet worked out; 1: cut holds; -1: no cut bytes */
	guint32 cut[8];		/* bitmap of ASCII bytes no match can contain */
	bool compile_tried, compiled;
	char *compile_error;
	regex_t re;
};

struct us_reasons {
	GPtrArray *entries;		/* struct entry *, in order */
	GHashTable *names;		/* reason name -> description (both owned) */
	struct us_litscan *scan;	/* literals of text entries, ids = entry index; built on first decision */
	GArray *found;			/* gboolean per entry, for the decision under way */
	struct us_litscan *line_scan;	/* literals of the line entries (recipient, skip, delay,
					 * end), ids = entry index; built when first needed */
	GArray *possible;		/* gboolean per entry: its literals occur in the text at hand */
	GArray *always;			/* gboolean per entry: a line entry without literals */
	GArray *on_line;		/* gboolean per entry: possible on the line at hand */
	size_t files;
	unsigned compilations;		/* regexes handed to TRE so far */
};

static void entry_free(gpointer p)
{
	struct entry *e = p;

	if (e->compiled)
		tre_regfree(&e->re);
	g_free(e->where);
	g_free(e->arg);
	g_free(e->regex);
	g_free(e->compile_error);
	if (e->literals)
		g_ptr_array_unref(e->literals);
	if (e->pieces)
		g_ptr_array_unref(e->pieces);
	us_litscan_free(e->piece_scan);
	g_free(e);
}

struct us_reasons *us_reasons_new(void)
{
	struct us_reasons *rt = g_new0(struct us_reasons, 1);

	rt->entries = g_ptr_array_new_with_free_func(entry_free);
	rt->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	rt->found = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->possible = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->always = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->on_line = g_array_new(FALSE, TRUE, sizeof(gboolean));
	return rt;
}

void us_reasons_free(struct us_reasons *rt)
{
	if (rt == NULL)
		return;
	g_ptr_array_unref(rt->entries);
	g_hash_table_unref(rt->names);
	g_array_unref(rt->found);
	g_array_unref(rt->possible);
	g_array_unref(rt->always);
	g_array_unref(rt->on_line);
	us_litscan_free(rt->line_scan);
	us_litscan_free(rt->scan);
	g_free(rt);
}

size_t us_reasons_count(const struct us_reasons *rt) { return rt->entries->len; }
size_t us_reasons_files(const struct us_reasons *rt) { return rt->files; }
unsigned us_reasons_compilations(const struct us_reasons *rt) { return rt->compilations; }

const char *us_reasons_describe(const struct us_reasons *rt, const char *name)
{
	return g_hash_table_lookup(rt->names, name);
}

/* ------------------------------------------------------------------ */
/* Parsing */

struct parse {
	struct us_reasons *rt;
	const char *file;
	unsigned line;
	GPtrArray *entries;	/* new entries of this text (not yet owned by rt) */
	GHashTable *names;	/* new names of this text: name -> description */
};

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* Split LINE at its first run of blanks: *REST is what follows (maybe ""). */
static char *next_word(char *line, char **rest)
{
	size_t n = strcspn(line, " \t");

	*rest = line + n;
	if (**rest) {
		*(*rest)++ = '\0';
		*rest += strspn(*rest, " \t");
	}
	return line;
}

/* A status pattern: "D.D.D" with each part digits or "*", or three of [0-9*]. */
static bool valid_status_pattern(const char *s)
{
	char **parts = g_strsplit(s, ".", -1);
	guint n = g_strv_length(parts);
	bool ok = n == 3 || n == 1;

	for (guint i = 0; ok && i < n; i++) {
		const char *p = parts[i];
		if (n == 1) {
			ok = strlen(p) == 3 && strspn(p, "0123456789*") == 3;
		} else {
			ok = strcmp(p, "*") == 0 ||
			     (*p && strlen(p) <= 3 && strspn(p, "0123456789") == strlen(p));
		}
	}
	g_strfreev(parts);
	return ok;
}

static const char *lookup_name(const struct parse *st, const char *name)
{
	gpointer key = NULL;

	if (g_hash_table_lookup_extended(st->rt->names, name, &key, NULL) ||
	    g_hash_table_lookup_extended(st->names, name, &key, NULL))
		return key;
	return NULL;
}

static char *parse_reason_line(struct parse *st, char *rest)
{
	char *text, *name = next_word(rest, &text);

	if (!valid_name(name))
		return g_strdup_printf("bad reason name '%s' (lower-case letters, digits, - and _)", name);
	if (lookup_name(st, name))
		return g_strdup_printf("reason '%s' declared twice", name);
	if (*text == '\0')
		return g_strdup_printf("reason '%s' has no description", name);
	g_hash_table_insert(st->names, g_strdup(name), g_strdup(text));
	return NULL;
}

/* "ARG REASON" of action and status lines, or "REASON /RE/" of text lines. */
static char *use_reason(struct parse *st, struct entry *e, const char *name)
{
	e->reason = lookup_name(st, name);
	if (e->reason == NULL)
		return g_strdup_printf("unknown reason '%s' (declare it with a reason line first)", name);
	return NULL;
}

static char *analyse_text(struct entry *e);

static char *parse_entry(struct parse *st, struct entry *e, char *rest)
{
	char *more, *word;

	switch (e->type) {
	case E_ACTION:
	case E_STATUS:
		word = next_word(rest, &more);
		if (*word == '\0' || *more == '\0' || strpbrk(more, " \t"))
			return g_strdup_printf("%s needs two words: %s REASON",
					       e->type == E_ACTION ? "action" : "status",
					       e->type == E_ACTION ? "ACTION" : "CODE");
		if (e->type == E_STATUS && !valid_status_pattern(word))
			return g_strdup_printf("bad status code '%s' (like 5.1.1, 5.7.*, 550 or 55*)", word);
		e->arg = g_ascii_strdown(word, -1);
		return use_reason(st, e, more);
	case E_TEXT:
		word = next_word(rest, &more);
		if (*more == '\0')
			return g_strdup("text needs a reason and a regex: text REASON /RE/FLAGS");
		char *problem = use_reason(st, e, word);
		if (problem)
			return problem;
		rest = more;
		break;
	default:
		break;
	}
	char *problem = us_rules_parse_regex(rest, &e->regex, &e->cflags);
	if (problem)
		return problem;
	if (e->type != E_TEXT) {
		/* Line entries: literals only, for a whole-text prefilter. */
		const char *syntax = NULL;
		e->literals = g_ptr_array_new_with_free_func(g_free);
		e->any_literals = us_regex_analyse(e->regex, (e->cflags & REG_ICASE) != 0,
						   e->literals, NULL, NULL, NULL, &syntax);
		return syntax ? g_strdup_printf("bad regex: %s", syntax) : NULL;
	}
	return analyse_text(e);
}

/* Literals of E's regex (its pieces are made when first needed). */
static char *analyse_text(struct entry *e)
{
	const char *syntax = NULL;

	e->literals = g_ptr_array_new_with_free_func(g_free);
	e->any_literals = us_regex_analyse(e->regex, (e->cflags & REG_ICASE) != 0, e->literals,
					   NULL, &e->exact, NULL, &syntax);
	return syntax ? g_strdup_printf("bad regex: %s", syntax) : NULL;
}

/* E's pieces, made once: a long alternation is split, so that only the
 * alternatives whose literals occur in a text need compiling; otherwise
 * the one piece is E itself. */
static void split_text(struct entry *e)
{
	bool icase = (e->cflags & REG_ICASE) != 0;
	const char *syntax = NULL;
	GPtrArray *parts;

	if (e->pieces)
		return;
	parts = g_ptr_array_new_with_free_func(g_free);
	if (!e->exact)
		us_regex_analyse(e->regex, icase, NULL, NULL, NULL, parts, &syntax);
	if (parts->len >= 2) {
		e->pieces = g_ptr_array_new_with_free_func(entry_free);
		e->piece_scan = us_litscan_new();
		for (guint i = 0; i < parts->len; i++) {
			struct entry *p = g_new0(struct entry, 1);
			p->type = E_TEXT;
			p->where = g_strdup(e->where);
			p->reason = e->reason;
			p->regex = g_strdup(g_ptr_array_index(parts, i));
			p->cflags = e->cflags;
			p->literals = g_ptr_array_new_with_free_func(g_free);
			p->any_literals = us_regex_analyse(p->regex, icase, p->literals, NULL,
							   &p->exact, NULL, &syntax);
			for (guint k = 0; p->any_literals && k < p->literals->len; k++)
				us_litscan_add(e->piece_scan, g_ptr_array_index(p->literals, k), i);
			g_ptr_array_add(e->pieces, p);
		}
	} else {
		e->pieces = g_ptr_array_new();
		g_ptr_array_add(e->pieces, e);
	}
	g_ptr_array_unref(parts);
}

static char *parse_line(struct parse *st, char *line)
{
	static const char *const keywords[] = { "action", "status", "text", "recipient", "delay", "end", "skip",
						  "fallback-recipient" };
	char *rest, *kw = next_word(line, &rest);

	if (strcmp(kw, "reason") == 0)
		return parse_reason_line(st, rest);
	for (unsigned i = 0; i < G_N_ELEMENTS(keywords); i++) {
		if (strcmp(kw, keywords[i]) == 0) {
			struct entry *e = g_new0(struct entry, 1);
			char *problem;

			e->type = (enum entry_type)i;
			e->where = g_strdup_printf("%s:%u", st->file, st->line);
			g_ptr_array_add(st->entries, e);
			problem = parse_entry(st, e, rest);
			return problem;
		}
	}
	return g_strdup_printf("unknown keyword '%s'", kw);
}

bool us_reasons_parse(struct us_reasons *rt, const char *filename,
		      const char *text, size_t len, GError **error)
{
	struct parse st = {
		.rt = rt,
		.file = filename,
		.entries = g_ptr_array_new_with_free_func(entry_free),
		.names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
	};
	const char *p = text, *end = text + len;
	char *problem = NULL;

	while (p < end && problem == NULL) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		st.line++;
		if (memchr(p, '\0', n)) {
			problem = g_strdup("NUL byte in line");
		} else if (!g_utf8_validate(p, (gssize)n, NULL)) {
			problem = g_strdup("not valid UTF-8");
		} else {
			char *line = g_strstrip(g_strndup(p, n));
			if (*line && *line != '#')
				problem = parse_line(&st, line);
			g_free(line);
		}
		p = nl ? nl + 1 : end;
	}
	if (problem) {
		g_set_error(error, REASONS_ERROR, 1, "%s:%u: %s", filename, st.line, problem);
		g_free(problem);
		g_ptr_array_unref(st.entries);
		g_hash_table_unref(st.names);
		return false;
	}
	/* Commit: names first (entries point at their keys), then entries. */
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, st.names);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		g_hash_table_iter_steal(&it);
		g_hash_table_insert(rt->names, k, v);
	}
	g_hash_table_unref(st.names);
	g_ptr_array_set_free_func(st.entries, NULL);
	for (guint i = 0; i < st.entries->len; i++)
		g_ptr_array_add(rt->entries, g_ptr_array_index(st.entries, i));
	g_ptr_array_unref(st.entries);
	rt->files++;
	/* The literal scans are rebuilt with the new entries when next needed. */
	us_litscan_free(rt->scan);
	us_litscan_free(rt->line_scan);
	rt->scan = rt->line_scan = NULL;
	return true;
}

static bool parse_reason_file(void *rt, const char *path, const char *text, size_t len,
			      GError **error)
{
	return us_reasons_parse(rt, path, text, len, error);
}

bool us_reasons_load_dir(struct us_reasons *rt, const char *dir, GError **error)
{
	GPtrArray *names = us_rules_dir_list(dir, ".reasons", REASONS_ERROR, error);
	bool ok = names != NULL &&
		  us_rules_dir_parse(dir, names, parse_reason_file, rt, REASONS_ERROR, error);

	if (names)
		g_ptr_array_unref(names);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Compiling and matching */

static const regex_t *entry_compile(struct us_reasons *rt, struct entry *e)
{
	if (!e->compile_tried) {
		rt->compilations++;
		int flags = e->cflags | (e->type == E_RECIPIENT || e->type == E_FALLBACK ? 0 : REG_NOSUB);
		int rc = tre_regncomp(&e->re, e->regex, strlen(e->regex), flags);

		e->compile_tried = true;
		if (rc == REG_OK) {
			e->compiled = true;
		} else {
			char message[256];
			tre_regerror(rc, &e->re, message, sizeof message);
			e->compile_error = g_strdup(message);
		}
	}
	return e->compiled ? &e->re : NULL;
}

static bool compile_or_fail(struct us_reasons *rt, struct entry *e, const regex_t **re,
			    GError **error)
{
	*re = entry_compile(rt, e);
	if (*re == NULL)
		g_set_error(error, REASONS_ERROR, 3, "%s: bad regex: %s", e->where, e->compile_error);
	return *re != NULL;
}

unsigned us_reasons_lint(struct us_reasons *rt, GPtrArray *problems)
{
	unsigned n = 0;

	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		const char *problem = NULL;

		if (e->regex && entry_compile(rt, e) == NULL)
			problem = e->compile_error;
		if (e->type == E_TEXT || e->type == E_END)
			split_text(e);
		for (guint j = 0; !problem && e->pieces && j < e->pieces->len; j++) {
			struct entry *p = g_ptr_array_index(e->pieces, j);
			if (entry_compile(rt, p) == NULL)
				problem = p->compile_error;
		}
		if (problem) {
			g_ptr_array_add(problems, g_strdup_printf("%s: bad regex: %s", e->where, problem));
			n++;
		}
	}
	return n;
}

unsigned us_reasons_lint_dir(const char *dir, GPtrArray *problems)
{
	struct us_reasons *rt = us_reasons_new();
	GError *error = NULL;
	unsigned n;

	if (us_reasons_load_dir(rt, dir, &error)) {
		n = us_reasons_lint(rt, problems);
	} else {
		g_ptr_array_add(problems, g_strdup(error->message));
		g_error_free(error);
		n = 1;
	}
	us_reasons_free(rt);
	return n;
}

/* Does CODE ("5.1.1" or "550") fit PATTERN ("5.1.*", "55*")? */
static bool status_fits(const char *pattern, const char *code)
{
	bool enhanced = strchr(pattern, '.') != NULL;

	if (code == NULL || enhanced != (strchr(code, '.') != NULL))
		return false;
	if (!enhanced) {
		for (int i = 0; i < 3; i++)
			if (pattern[i] != '*' && pattern[i] != code[i])
				return false;
		return code[3] == '\0';
	}
	while (*pattern && *code) {
		size_t pn = strcspn(pattern, "."), cn = strcspn(code, ".");
		if (!(pn == 1 && *pattern == '*') && (pn != cn || strncmp(pattern, code, pn) != 0))
			return false;
		pattern += pn + (pattern[pn] == '.');
		code += cn + (code[cn] == '.');
	}
	return *pattern == '\0' && *code == '\0';
}

static void mark_found(unsigned id, void *data)
{
	g_array_index((GArray *)data, gboolean, id) = TRUE;
}

static void build_scan(struct us_reasons *rt)
{
	rt->scan = us_litscan_new();
	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		for (guint k = 0; e->type == E_TEXT && e->any_literals && k < e->literals->len; k++)
			us_litscan_add(rt->scan, g_ptr_array_index(e->literals, k), i);
	}
	g_array_set_size(rt->found, rt->entries->len);
}

/* Does the text entry E (index I) match TEXT? Not if none of its literals
 * occur; yes if they do and it is plain text; else some piece must: one
 * whose literals do not occur cannot, a plain-text one does, and any
 * other is compiled (once) and run. */
static bool pieces_match(struct us_reasons *rt, struct entry *e, const char *text, size_t len,
			 char **lower, bool *matched, GError **error);

/* ------------------------------------------------------------------ */
/* Windows: where in a text a match can lie */

static void set_byte(guint32 *set, unsigned c) { set[c >> 5] |= 1u << (c & 31); }
static bool has_byte(const guint32 *set, unsigned c) { return (set[c >> 5] >> (c & 31)) & 1u; }

static bool ascii_class(const char *name, size_t n, guint32 *set)
{
	static const char *const classes[] = {
		"alpha", "digit", "alnum", "upper", "lower", "space", "blank", "punct", "xdigit",
	};
	unsigned k;

	for (k = 0; k < G_N_ELEMENTS(classes); k++)
		if (strlen(classes[k]) == n && strncmp(classes[k], name, n) == 0)
			break;
	if (k == G_N_ELEMENTS(classes))
		return false;
	for (unsigned c = 0; c < 128; c++) {
		bool in;
		switch (k) {
		case 0: in = g_ascii_isalpha((gchar)c); break;
		case 1: in = g_ascii_isdigit((gchar)c); break;
		case 2: in = g_ascii_isalnum((gchar)c); break;
		case 3: in = g_ascii_isupper((gchar)c); break;
		case 4: in = g_ascii_islower((gchar)c); break;
		case 5: in = g_ascii_isspace((gchar)c) || c == '\v'; break;
		case 6: in = c == ' ' || c == '\t'; break;
		case 7: in = g_ascii_ispunct((gchar)c); break;
		default: in = g_ascii_isxdigit((gchar)c); break;
		}
		if (in)
			set_byte(set, c);
	}
	return true;
}

/* Add the bracket expression at *P (just after '[') to ALLOWED and move
 * *P past its ']'. False when it is not understood. */
static bool bracket_bytes(const char **pp, guint32 *allowed)
{
	const char *p = *pp;
	guint32 set[8] = { 0 };
	bool negated = *p == '^';

	p += negated;
	for (bool first = true; *p && (first || *p != ']'); first = false) {
		unsigned lo = (unsigned char)*p, hi;
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			const char *close = p[1] == ':' ? strstr(p + 2, ":]") : NULL;
			if (close == NULL || !ascii_class(p + 2, (size_t)(close - p - 2), set))
				return false;
			p = close + 2;
			continue;
		}
		if (lo >= 128)
			return false;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hi = (unsigned char)p[2];
			if (hi >= 128 || hi < lo || p[2] == '[')
				return false;
			p += 3;
		} else {
			hi = lo;
			p++;
		}
		for (unsigned c = lo; c <= hi; c++)
			set_byte(set, c);
	}
	if (*p != ']')
		return false;
	for (unsigned w = 0; w < 8; w++)
		allowed[w] |= negated ? ~set[w] : set[w];
	*pp = p + 1;
	return true;
}

/* The ASCII bytes that some match of E's regex may contain, in ALLOWED
 * (all bytes >= 128 always). False when that is not worked out: any
 * construct not understood here. *ASSERTS: the regex has \-assertions,
 * which look at the bytes around a match. */
static bool allowed_bytes(const struct entry *e, guint32 *allowed, bool *asserts)
{
	memset(allowed, 0, 8 * sizeof *allowed);
	for (unsigned w = 4; w < 8; w++)
		allowed[w] = ~0u;
	*asserts = false;
	for (const char *p = e->regex; *p;) {
		unsigned c = (unsigned char)*p;
		if (c >= 128 || c == '.')
			return false;
		if (c == '[') {
			p++;
			if (!bracket_bytes(&p, allowed))
				return false;
			continue;
		}
		if (c == '{') {
			size_t n = strspn(p + 1, "0123456789,");
			if (n == 0 || p[1 + n] != '}')
				return false;
			p += n + 2;
			continue;
		}
		if (c == '\\') {
			unsigned d = (unsigned char)p[1];
			if (d == 'b' || d == 'B' || d == '<' || d == '>') {
				*asserts = true;
			} else if (g_ascii_ispunct((gchar)d)) {
				set_byte(allowed, d);
			} else {
				return false;
			}
			p += 2;
			continue;
		}
		if (c == '(' && p[1] == '?')
			return false;
		if (!strchr("()|*+?^$", (int)c))
			set_byte(allowed, c);
		p++;
	}
	if (e->cflags & REG_ICASE)
		for (unsigned c = 'a'; c <= 'z'; c++)
			if (has_byte(allowed, c) || has_byte(allowed, c - 32)) {
				set_byte(allowed, c);
				set_byte(allowed, c - 32);
			}
	if (*asserts)
		for (unsigned c = 0; c < 128; c++)
			if (g_ascii_isalnum((gchar)c) || c == '_')
				set_byte(allowed, c);
	return true;
}

/* Work out E's cut bytes: ASCII bytes no match contains, so that a match
 * lies inside one run of other bytes. None for multi-line regexes (their
 * ^ and $ depend on the bytes around) or regexes without literals. */
static void work_out_cut(struct entry *e)
{
	guint32 allowed[8];
	bool asserts, any = false;

	e->cut_known = -1;
	if (!e->any_literals || (e->cflags & REG_NEWLINE) || !allowed_bytes(e, allowed, &asserts))
		return;
	for (unsigned w = 0; w < 8; w++) {
		e->cut[w] = ~allowed[w];
		any = any || e->cut[w] != 0;
	}
	if (any)
		e->cut_known = 1;
}

/* Does compiled RE (of E) match TEXT? When E has cut bytes, a match lies
 * in a run without them that contains one of E's literals: only such
 * runs are handed to TRE, with REG_NOTBOL/REG_NOTEOL where they do not
 * start/end the text (a cut byte before or after a run is no word
 * character when E has \-assertions, so these see the same neighbours). */
static bool windowed_match(struct entry *e, const regex_t *re, const char *text, size_t len,
			   char **lower)
{
	if (e->cut_known == 0)
		work_out_cut(e);
	if (e->cut_known < 0)
		return tre_regnexec(re, text, len, 0, NULL, 0) == REG_OK;

	if (*lower == NULL)
		*lower = g_ascii_strdown(text, (gssize)len);
	GArray *tried = g_array_new(FALSE, FALSE, sizeof(size_t));
	bool matched = false;

	for (guint k = 0; !matched && k < e->literals->len; k++) {
		const char *lit = g_ptr_array_index(e->literals, k);
		size_t n = strlen(lit), from = 0;
		const char *at;

		while (!matched && n > 0 && from < len &&
		       (at = memmem(*lower + from, len - from, lit, n)) != NULL) {
			size_t start = (size_t)(at - *lower), end = start + n;
			bool seen = false;

			while (start > 0 && !has_byte(e->cut, (unsigned char)text[start - 1]))
				start--;
			while (end < len && !has_byte(e->cut, (unsigned char)text[end]))
				end++;
			for (guint t = 0; !seen && t < tried->len; t++)
				seen = g_array_index(tried, size_t, t) == start;
			if (!seen) {
				int eflags = (start > 0 ? REG_NOTBOL : 0) | (end < len ? REG_NOTEOL : 0);
				g_array_append_val(tried, start);
				matched = tre_regnexec(re, text + start, end - start, 0, NULL, eflags) == REG_OK;
			}
			from = end;
		}
	}
	g_array_unref(tried);
	return matched;
}

static bool text_matches(struct us_reasons *rt, struct entry *e, guint i, const char *text,
			 size_t len, char **lower, bool *matched, GError **error)
{
	*matched = false;
	if (e->any_literals && !g_array_index(rt->found, gboolean, i))
		return true;
	if (e->any_literals && e->exact) {
		*matched = true;
		return true;
	}
	return pieces_match(rt, e, text, len, lower, matched, error);
}

/* Does E (one of whose literals, if it has any, occurs in TEXT) match
 * TEXT? Some piece must: one whose literals do not occur cannot, a
 * plain-text one does, and any other is compiled (once) and run. Also
 * for end and skip lines, whose groups capture nothing. */
static bool pieces_match(struct us_reasons *rt, struct entry *e, const char *text, size_t len,
			 char **lower, bool *matched, GError **error)
{
	GArray *piece_found = NULL;

	*matched = false;
	split_text(e);
	if (e->piece_scan) {
		piece_found = g_array_new(FALSE, TRUE, sizeof(gboolean));
		g_array_set_size(piece_found, e->pieces->len);
		us_litscan_run(e->piece_scan, text, len, mark_found, piece_found);
	}
	for (guint j = 0; !*matched && j < e->pieces->len; j++) {
		struct entry *p = g_ptr_array_index(e->pieces, j);
		const regex_t *re;

		if (piece_found && p->any_literals && !g_array_index(piece_found, gboolean, j))
			continue;
		if (piece_found && p->any_literals && p->exact) {
			*matched = true;
			break;
		}
		if (!compile_or_fail(rt, p, &re, error)) {
			if (piece_found)
				g_array_unref(piece_found);
			return false;
		}
		*matched = windowed_match(p, re, text, len, lower);
	}
	if (piece_found)
		g_array_unref(piece_found);
	return true;
}

bool us_reasons_decide(struct us_reasons *rt, const struct us_reason_query *q,
		       const char **reason, const char **where, GError **error)
{
	const char *text = q->text ? q->text : "";
	size_t len = strlen(text);
	char *lower = NULL;	/* TEXT in lower case, once needed */

	*reason = "undefined";
	*where = NULL;
	if (rt->scan == NULL)
		build_scan(rt);
	if (rt->found->len > 0)
		memset(rt->found->data, 0, rt->found->len * sizeof(gboolean));
	us_litscan_run(rt->scan, text, len, mark_found, rt->found);
	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		bool hit = false;

		switch (e->type) {
		case E_ACTION:
			hit = q->action && g_ascii_strcasecmp(q->action, e->arg) == 0;
			break;
		case E_STATUS:
			hit = status_fits(e->arg, strchr(e->arg, '.') ? q->status : q->code);
			break;
		case E_TEXT:
			if (len > 0 && !text_matches(rt, e, i, text, len, &lower, &hit, error)) {
				g_free(lower);
				return false;
			}
			break;
		default:
			break;
		}
		if (hit) {
			*reason = e->reason;
			*where = e->where;
			break;
		}
	}
	g_free(lower);
	return true;
}

/* Which line entries can match some line of TEXT: those without literals,
 * and those one of whose literals occurs in it (rt->possible). */
static void mark_possible(struct us_reasons *rt, const char *text, size_t len)
{
	if (rt->line_scan == NULL) {
		rt->line_scan = us_litscan_new();
		for (guint i = 0; i < rt->entries->len; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			if (e->type == E_TEXT || !e->regex || !e->any_literals)
				continue;
			for (guint k = 0; k < e->literals->len; k++)
				us_litscan_add(rt->line_scan, g_ptr_array_index(e->literals, k), i);
		}
	}
	if (rt->always->len != rt->entries->len) {
		g_array_set_size(rt->always, rt->entries->len);
		g_array_set_size(rt->on_line, rt->entries->len);
		for (guint i = 0; i < rt->entries->len; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			g_array_index(rt->always, gboolean, i) = e->type != E_TEXT && e->regex &&
								  !e->any_literals;
		}
	}
	g_array_set_size(rt->possible, rt->entries->len);
	if (rt->entries->len > 0)
		memcpy(rt->possible->data, rt->always->data, rt->entries->len * sizeof(gboolean));
	us_litscan_run(rt->line_scan, text, len, mark_found, rt->possible);
}

static bool possible(const struct us_reasons *rt, guint i)
{
	return g_array_index(rt->possible, gboolean, i);
}

/* Which line entries can match the line LINE (N bytes) (rt->on_line):
 * as mark_possible(), for one line. A line entry is matched against one
 * line at a time, so a match lies inside the line and contains one of
 * the entry's literals, if it has any. */
static void mark_line(struct us_reasons *rt, const char *line, size_t n)
{
	if (rt->entries->len > 0)
		memcpy(rt->on_line->data, rt->always->data, rt->entries->len * sizeof(gboolean));
	us_litscan_run(rt->line_scan, line, n, mark_found, rt->on_line);
}

static bool on_line(const struct us_reasons *rt, guint i)
{
	return g_array_index(rt->on_line, gboolean, i);
}

/* One pass of us_reasons_find_recipients() with the recipient lines of
 * type WANTED (and the skip lines); *N counts the matches. */
static bool recipient_pass(struct us_reasons *rt, enum entry_type wanted, const char *text,
			   size_t len, us_recipient_found found, void *data, unsigned *n_found,
			   GError **error)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		for (guint i = 0; n > 0 && i < rt->entries->len; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			const regex_t *re;
			regmatch_t m[2];

			if ((e->type != wanted && e->type != E_SKIP) || !possible(rt, i))
				continue;
			if (!compile_or_fail(rt, e, &re, error))
				return false;
			if (e->type == E_SKIP) {
				if (tre_regnexec(re, p, n, 0, NULL, 0) == REG_OK)
					break;
				continue;
			}
			if (tre_regnexec(re, p, n, 2, m, 0) == REG_OK && m[1].rm_so >= 0 &&
			    m[1].rm_eo > m[1].rm_so) {
				found(p + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so),
				      (size_t)(p - text) + (size_t)m[0].rm_eo, data);
				(*n_found)++;
				break;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return true;
}

bool us_reasons_find_recipients(struct us_reasons *rt, const char *text, size_t len,
				us_recipient_found found, void *data, GError **error)
{
	unsigned n = 0;

	mark_possible(rt, text, len);
	if (!recipient_pass(rt, E_RECIPIENT, text, len, found, data, &n, error))
		return false;
	return n > 0 || recipient_pass(rt, E_FALLBACK, text, len, found, data, &n, error);
}

bool us_reasons_is_delay(struct us_reasons *rt, const char *text, size_t len,
			 bool *delay, GError **error)
{
	*delay = false;
	mark_possible(rt, text, len);
	for (guint i = 0; !*delay && i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		const regex_t *re;

		if (e->type != E_DELAY || !possible(rt, i))
			continue;
		if (!compile_or_fail(rt, e, &re, error))
			return false;
		*delay = tre_regnexec(re, text, len, 0, NULL, 0) == REG_OK;
	}
	return true;
}

size_t us_reasons_notice_length(struct us_reasons *rt, const char *text, size_t len, GError **error)
{
	const char *p = text, *end = text + len;
	bool any = false;

	mark_possible(rt, text, len);
	for (guint i = 0; i < rt->entries->len && !any; i++)
		any = ((struct entry *)g_ptr_array_index(rt->entries, i))->type == E_END &&
		      possible(rt, i);
	while (any && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0)
			mark_line(rt, p, n);
		for (guint i = 0; n > 0 && i < rt->entries->len; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			bool hit;

			if (e->type != E_END || !on_line(rt, i))
				continue;
			char *lower = NULL;
			bool ok = pieces_match(rt, e, p, n, &lower, &hit, error);

			g_free(lower);
			if (!ok)
				return (size_t)-1;
			if (hit)
				return (size_t)(p - text);
		}
		p = nl ? nl + 1 : end;
	}
	return len;
}
