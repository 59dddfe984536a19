/* reasons.c - the bounce reason table: parse, lint, decide (see reasons.h). */
#include <string.h>
#include <tre/tre.h>
#include "prefilter.h"
#include "reasons.h"
#include "rulecache.h"
#include "rules.h"

#define REASONS_ERROR g_quark_from_static_string("us-reasons")
#define NAME_MAX_LEN 40

enum entry_type { E_ACTION, E_STATUS, E_TEXT, E_RECIPIENT, E_DELAY, E_END, E_SKIP, E_FALLBACK };

/* A line of the table, or a piece of one (an alternative of its regex). */
struct entry {
	enum entry_type type;
	char *where;		/* "FILE:LINE"; of a cached entry, made on first need */
	guint file, line;	/* index in us_reasons.file_paths, and line */
	const char *reason;	/* declared name (key of rt->names, or in the cache) */
	char *arg;		/* action name or status pattern */
	char *regex;		/* E_TEXT, E_RECIPIENT, E_DELAY */
	int cflags;
	bool exact;		/* the literal scan decides the regex */
	bool any_literals;	/* false: always a candidate */
	bool borrowed;		/* cached: ARG, REGEX and literals point into the cache */
	bool has_second;	/* pieces: SECOND holds (or, cached, held) literals too */
	GPtrArray *second;	/* char *, owned: a second set, one of which a match must
				 * contain as well (the literals of a start of the regex) */
	GPtrArray *literals;	/* char *, owned; of a cached entry made (borrowed) on first need */
	const char *lit_block;	/* cached: N_LIT literals, each NUL-terminated, */
	const char *lit_end;	/* ending here */
	guint n_lit;
	guint32 node;		/* prepared tables: id in the decision scan */
	guint32 n_cached_children;	/* cached: how many pieces its record lists */
	bool split_tried;
	GPtrArray *pieces;	/* E_TEXT, E_END, once split: struct entry *, the
				 * alternatives decided one by one (owned); NULL: no split */
	struct us_litscan *piece_scan;	/* literals of the pieces, ids = index in PIECES */
	int cut_known;		/* 0: not yet worked out; 1: cut holds; -1: no cut bytes */
	bool need_known;
	union {
		guint32 cut[8];		/* text, end: bitmap of ASCII bytes no match can contain */
		guint32 need[8];	/* recipient, skip: bitmap of bytes every match contains */
	};
	bool compile_tried, compiled;
	char *compile_error;
	regex_t re;
};

struct us_reasons {
	GPtrArray *entries;		/* struct entry *, in order */
	GHashTable *names;		/* reason name -> description (both owned); of a
					 * cached table made on first need */
	struct us_litscan *scan;	/* literals of text entries, ids = entry index (and,
					 * prepared, of all their pieces, ids = node); built
					 * on first decision */
	GArray *found;			/* gboolean per id of SCAN, for the decision under way */
	struct us_litscan *line_scan;	/* literals of the line entries (recipient, skip, delay,
					 * end), ids = entry index; built when first needed */
	GArray *possible;		/* gboolean per entry: its literals occur in the text at hand */
	GArray *always;			/* gboolean per entry: a line entry without literals */
	GArray *on_line;		/* gboolean per entry: possible on the line at hand */
	GPtrArray *file_paths;		/* char *: the files read (of a cached table, NULL
					 * until made) */
	unsigned compilations;		/* regexes handed to TRE so far */

	/* Prepared (us_reasons_prepare(), or read from a cache): every text
	 * and end entry split all the way down, the entries and pieces
	 * numbered (entries first, by index), and SCAN holding the literals
	 * of text entries' pieces too, so one scan decides which occur. */
	bool prepared;
	guint32 n_nodes;

	/* Read from a cache (us_reasons_from_cache()). */
	struct us_rulecache *cache;	/* borrowed, open as long as the table lives */
	char *dir;
	GPtrArray *file_names;		/* const char *: base names, in the cache */
	const char *names_block;	/* N_NAMES pairs of name and description */
	guint n_names;
	struct entry *block;		/* the entries (pieces are allocated one by one) */
	bool broken;			/* a record or scanner did not decode */
};

static void entry_clear(struct entry *e)
{
	if (e->compiled)
		tre_regfree(&e->re);
	g_free(e->where);
	if (!e->borrowed) {
		g_free(e->arg);
		g_free(e->regex);
	}
	g_free(e->compile_error);
	if (e->literals)
		g_ptr_array_unref(e->literals);
	if (e->second)
		g_ptr_array_unref(e->second);
	if (e->pieces)
		g_ptr_array_unref(e->pieces);
	us_litscan_free(e->piece_scan);
}

static void entry_free(gpointer p)
{
	entry_clear(p);
	g_free(p);
}

static void reasons_init(struct us_reasons *rt)
{
	rt->entries = g_ptr_array_new_with_free_func(entry_free);
	rt->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	rt->found = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->possible = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->always = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->on_line = g_array_new(FALSE, TRUE, sizeof(gboolean));
	rt->file_paths = g_ptr_array_new_with_free_func(g_free);
}

static void reasons_clear(struct us_reasons *rt)
{
	if (rt->block) {
		/* The entries array does not own them. */
		for (guint i = 0; i < rt->entries->len; i++)
			entry_clear(&rt->block[i]);
		g_free(rt->block);
	}
	g_ptr_array_unref(rt->entries);
	g_hash_table_unref(rt->names);
	g_array_unref(rt->found);
	g_array_unref(rt->possible);
	g_array_unref(rt->always);
	g_array_unref(rt->on_line);
	g_ptr_array_unref(rt->file_paths);
	if (rt->file_names)
		g_ptr_array_unref(rt->file_names);
	us_litscan_free(rt->line_scan);
	us_litscan_free(rt->scan);
	g_free(rt->dir);
	memset(rt, 0, sizeof *rt);
}

struct us_reasons *us_reasons_new(void)
{
	struct us_reasons *rt = g_new0(struct us_reasons, 1);

	reasons_init(rt);
	return rt;
}

void us_reasons_free(struct us_reasons *rt)
{
	if (rt == NULL)
		return;
	reasons_clear(rt);
	g_free(rt);
}

size_t us_reasons_count(const struct us_reasons *rt) { return rt->entries->len; }
size_t us_reasons_files(const struct us_reasons *rt) { return rt->file_paths->len; }
unsigned us_reasons_compilations(const struct us_reasons *rt) { return rt->compilations; }

bool us_reasons_cached(const struct us_reasons *rt) { return rt->cache != NULL; }

const char *us_reasons_describe(const struct us_reasons *crt, const char *name)
{
	/* Making the names of a cached table is not a visible change. */
	struct us_reasons *rt = (struct us_reasons *)crt;

	if (rt->names_block) {
		const char *p = rt->names_block;
		for (guint i = 0; i < rt->n_names; i++) {
			const char *text = p + strlen(p) + 1;
			g_hash_table_insert(rt->names, g_strdup(p), g_strdup(text));
			p = text + strlen(text) + 1;
		}
		rt->names_block = NULL;
	}
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

/* A piece shorter than this is compiled whole rather than split in
 * turn (the entries themselves are split whatever their length). */
#define SPLIT_MIN_LENGTH 30

static void children_from_cache(struct us_reasons *rt, struct entry *e);

/* Just past the bracket expression that starts at P ("["), or NULL if
 * it does not end. */
static const char *bracket_end(const char *p)
{
	const char *q = p + 1;

	q += *q == '^';
	q += *q == ']';
	while (*q && *q != ']') {
		if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			const char *close = q + 2;
			while (*close && !(close[0] == q[1] && close[1] == ']'))
				close++;
			if (*close == '\0')
				return NULL;
			q = close + 2;
		} else {
			q++;
		}
	}
	return *q ? q + 1 : NULL;
}

/* Where RE can be cut in two at its top level, before its first "." or
 * "[^" there (not at its start): every match of RE then starts with a
 * match of the part before. 0 if nowhere (none, or a top-level "|",
 * or what is not understood). */
static size_t top_cut(const char *re)
{
	int depth = 0;
	size_t cut = 0;

	for (const char *p = re; *p;) {
		if (*p == '\\') {
			if (p[1] == '\0')
				return 0;
			p += 2;
			continue;
		}
		if (*p == '[') {
			if (depth == 0 && cut == 0 && p > re && p[1] == '^')
				cut = (size_t)(p - re);
			if ((p = bracket_end(p)) == NULL)
				return 0;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return 0;
		else if (*p == '|' && depth == 0)
			return 0;
		else if (*p == '.' && depth == 0 && cut == 0 && p > re)
			cut = (size_t)(p - re);
		p++;
	}
	return depth == 0 ? cut : 0;
}

/* P's second set of literals: those of the start of its regex before
 * top_cut(), when there are any and they are not its own. A match of P
 * starts with a match of that start, so contains one of them too:
 * "recipient[^.]* doesn't exist" has " doesn't exist" and "recipient". */
static void second_literals(struct entry *p, bool icase)
{
	size_t cut = p->exact ? 0 : top_cut(p->regex);
	const char *syntax = NULL;
	GPtrArray *set;
	char *start;

	if (cut == 0)
		return;
	start = g_strndup(p->regex, cut);
	set = g_ptr_array_new_with_free_func(g_free);
	bool any = us_regex_analyse(start, icase, set, NULL, NULL, NULL, &syntax) && syntax == NULL;
	bool same = p->any_literals && set->len == p->literals->len;
	for (guint k = 0; same && k < set->len; k++)
		same = strcmp(g_ptr_array_index(set, k), g_ptr_array_index(p->literals, k)) == 0;
	g_free(start);
	if (any && !same && set->len > 0) {
		p->second = set;
		p->has_second = true;
	} else {
		g_ptr_array_unref(set);
	}
}

/* E's pieces, made once: a long alternation is split, so that only the
 * alternatives whose literals occur in a text need compiling, and so
 * are those pieces, down to plain text or regexes too short to split.
 * No split leaves E->pieces NULL: E is compiled whole. ROOT: E is an
 * entry, not a piece. */
static void split_text(struct us_reasons *rt, struct entry *e, bool root)
{
	bool icase = (e->cflags & REG_ICASE) != 0;
	const char *syntax = NULL;
	GPtrArray *parts;
	GPtrArray *pieces;
	bool usable = true;

	if (e->split_tried)
		return;
	e->split_tried = true;
	if (rt->cache) {
		children_from_cache(rt, e);
		return;
	}
	if (e->exact || (!root && strlen(e->regex) < SPLIT_MIN_LENGTH))
		return;
	parts = g_ptr_array_new_with_free_func(g_free);
	us_regex_analyse(e->regex, icase, NULL, NULL, NULL, parts, &syntax);
	if (parts->len < 2) {
		g_ptr_array_unref(parts);
		return;
	}
	pieces = g_ptr_array_new_with_free_func(entry_free);
	for (guint i = 0; i < parts->len; i++) {
		struct entry *p = g_new0(struct entry, 1);
		p->type = e->type;
		p->where = g_strdup(e->where);
		p->file = e->file;
		p->line = e->line;
		p->reason = e->reason;
		p->regex = g_strdup(g_ptr_array_index(parts, i));
		p->cflags = e->cflags;
		p->literals = g_ptr_array_new_with_free_func(g_free);
		p->any_literals = us_regex_analyse(p->regex, icase, p->literals, NULL,
						   &p->exact, NULL, &syntax);
		second_literals(p, icase);
		/* A piece of a piece without literals would be compiled for
		 * every text: then the piece may as well be, whole. */
		usable = usable && (root || p->any_literals);
		g_ptr_array_add(pieces, p);
	}
	g_ptr_array_unref(parts);
	if (!usable) {
		g_ptr_array_unref(pieces);
		return;
	}
	e->pieces = pieces;
	/* Ids: I for the literals of piece I, N + I for its second set. */
	e->piece_scan = us_litscan_new();
	for (guint i = 0; i < pieces->len; i++) {
		struct entry *p = g_ptr_array_index(pieces, i);
		for (guint k = 0; p->any_literals && k < p->literals->len; k++)
			us_litscan_add(e->piece_scan, g_ptr_array_index(p->literals, k), i);
		for (guint k = 0; p->has_second && k < p->second->len; k++)
			us_litscan_add(e->piece_scan, g_ptr_array_index(p->second, k), pieces->len + i);
	}
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
			e->file = st->rt->file_paths->len;
			e->line = st->line;
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

	if (rt->cache) {
		/* Its entries borrow from the cache and are numbered by it. */
		g_set_error(error, REASONS_ERROR, 4, "%s: cannot add to a cached reason table", filename);
		g_ptr_array_unref(st.entries);
		g_hash_table_unref(st.names);
		return false;
	}
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
	g_ptr_array_add(rt->file_paths, g_strdup(filename));
	/* The literal scans are rebuilt with the new entries when next needed
	 * (and the table is prepared no longer: its pieces stay split, and
	 * run their own scans). */
	us_litscan_free(rt->scan);
	us_litscan_free(rt->line_scan);
	rt->scan = rt->line_scan = NULL;
	rt->prepared = false;
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

/* The path of file I of the table, made on first need (cached tables). */
static const char *file_path(struct us_reasons *rt, guint i)
{
	if (g_ptr_array_index(rt->file_paths, i) == NULL)
		g_ptr_array_index(rt->file_paths, i) =
			g_build_filename(rt->dir, (const char *)g_ptr_array_index(rt->file_names, i), NULL);
	return g_ptr_array_index(rt->file_paths, i);
}

/* "FILE:LINE" of E, made on first need (cached tables). */
static const char *entry_where(struct us_reasons *rt, struct entry *e)
{
	if (e->where == NULL)
		e->where = g_strdup_printf("%s:%u", file_path(rt, e->file), e->line);
	return e->where;
}

static bool compile_or_fail(struct us_reasons *rt, struct entry *e, const regex_t **re,
			    GError **error)
{
	*re = entry_compile(rt, e);
	if (*re == NULL)
		g_set_error(error, REASONS_ERROR, 3, "%s: bad regex: %s", entry_where(rt, e),
			    e->compile_error);
	return *re != NULL;
}

/* Compiles E and every piece a run may compile; the first failure, or NULL. */
static const char *lint_entry(struct us_reasons *rt, struct entry *e, bool root)
{
	if (entry_compile(rt, e) == NULL)
		return e->compile_error;
	if (e->type == E_TEXT || e->type == E_END)
		split_text(rt, e, root);
	for (guint j = 0; e->pieces && j < e->pieces->len; j++) {
		const char *problem = lint_entry(rt, g_ptr_array_index(e->pieces, j), false);
		if (problem)
			return problem;
	}
	return NULL;
}

unsigned us_reasons_lint(struct us_reasons *rt, GPtrArray *problems)
{
	unsigned n = 0;

	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		const char *problem = e->regex ? lint_entry(rt, e, true) : NULL;

		if (problem) {
			g_ptr_array_add(problems, g_strdup_printf("%s: bad regex: %s",
								  entry_where(rt, e), problem));
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

/* Where a scan reports: a flag per id. A cached scanner's ids are
 * checked, and one out of bounds makes the table broken. */
struct sink {
	GArray *flags;		/* gboolean */
	struct us_reasons *rt;
};

static void mark_found(unsigned id, void *data)
{
	struct sink *s = data;

	if (id < s->flags->len)
		g_array_index(s->flags, gboolean, id) = TRUE;
	else
		s->rt->broken = true;
}

/* Runs LS over TEXT, marking in FLAGS (which the caller cleared). */
static void run_scan(struct us_reasons *rt, const struct us_litscan *ls, const char *text,
		     size_t len, GArray *flags)
{
	struct sink s = { flags, rt };

	us_litscan_run(ls, text, len, mark_found, &s);
	if (rt->cache && us_litscan_damaged(ls))
		rt->broken = true;
}

/* Adds the literals of E's pieces, and theirs, to SCAN (ids = node, and
 * N_NODES + node for second sets). */
static void scan_pieces(struct us_litscan *scan, const struct entry *e, guint32 n_nodes)
{
	for (guint j = 0; e->pieces && j < e->pieces->len; j++) {
		const struct entry *p = g_ptr_array_index(e->pieces, j);
		for (guint k = 0; p->any_literals && k < p->literals->len; k++)
			us_litscan_add(scan, g_ptr_array_index(p->literals, k), p->node);
		for (guint k = 0; p->has_second && k < p->second->len; k++)
			us_litscan_add(scan, g_ptr_array_index(p->second, k), n_nodes + p->node);
		scan_pieces(scan, p, n_nodes);
	}
}

static void build_scan(struct us_reasons *rt)
{
	rt->scan = us_litscan_new();
	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		if (e->type != E_TEXT)
			continue;
		for (guint k = 0; e->any_literals && k < e->literals->len; k++)
			us_litscan_add(rt->scan, g_ptr_array_index(e->literals, k), i);
		if (rt->prepared)
			scan_pieces(rt->scan, e, rt->n_nodes);
	}
	g_array_set_size(rt->found, rt->prepared ? 2 * rt->n_nodes : rt->entries->len);
}

/* Numbers E's pieces, and theirs, from *NEXT on, splitting them first. */
static void number_pieces(struct us_reasons *rt, struct entry *e, bool root, guint32 *next)
{
	split_text(rt, e, root);
	for (guint j = 0; e->pieces && j < e->pieces->len; j++) {
		struct entry *p = g_ptr_array_index(e->pieces, j);
		p->node = (*next)++;
		number_pieces(rt, p, false, next);
	}
}

void us_reasons_prepare(struct us_reasons *rt)
{
	guint32 next = rt->entries->len;

	if (rt->prepared || rt->cache)
		return;
	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		e->node = i;
		if (e->type == E_TEXT || e->type == E_END)
			number_pieces(rt, e, true, &next);
	}
	rt->n_nodes = next;
	rt->prepared = true;
	us_litscan_free(rt->scan);
	build_scan(rt);
}

/* Does E (one of whose literals, if it has any, occurs in TEXT) match
 * TEXT? */
static bool pieces_match(struct us_reasons *rt, struct entry *e, const char *text, size_t len,
			 char **lower, const GArray *found, bool *matched, GError **error);

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
static const GPtrArray *entry_literals(struct us_reasons *rt, struct entry *e);

static bool windowed_match(struct us_reasons *rt, struct entry *e, const regex_t *re,
			   const char *text, size_t len, char **lower)
{
	if (e->cut_known == 0)
		work_out_cut(e);
	if (e->cut_known < 0)
		return tre_regnexec(re, text, len, 0, NULL, 0) == REG_OK;

	if (*lower == NULL)
		*lower = g_ascii_strdown(text, (gssize)len);
	const GPtrArray *literals = entry_literals(rt, e);
	GArray *tried = g_array_new(FALSE, FALSE, sizeof(size_t));
	bool matched = false;

	for (guint k = 0; !matched && literals && k < literals->len; k++) {
		const char *lit = g_ptr_array_index(literals, k);
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
	split_text(rt, e, true);
	return pieces_match(rt, e, text, len, lower, rt->prepared ? rt->found : NULL, matched, error);
}

/* Does E (one of whose literals, if it has any, occurs in TEXT) match
 * TEXT? Unsplit, its regex is compiled (once) and run. Else some piece
 * must: one whose literals do not occur cannot, a plain-text one does,
 * and any other is decided the same way, in turn. Which pieces' literals
 * occur is in FOUND (by node) when the decision scan covered them, else
 * E's piece scan finds out. Also for end and skip lines, whose groups
 * capture nothing. A cached table may turn broken here. */
static bool pieces_match(struct us_reasons *rt, struct entry *e, const char *text, size_t len,
			 char **lower, const GArray *found, bool *matched, GError **error)
{
	GArray *piece_found = NULL;
	bool ok = true;

	*matched = false;
	split_text(rt, e, false);
	if (rt->broken)
		return true;
	if (e->pieces == NULL) {
		const regex_t *re;
		if (!compile_or_fail(rt, e, &re, error))
			return false;
		*matched = windowed_match(rt, e, re, text, len, lower);
		return true;
	}
	guint n = e->pieces->len;
	if (found == NULL) {
		piece_found = g_array_new(FALSE, TRUE, sizeof(gboolean));
		g_array_set_size(piece_found, 2 * n);
		run_scan(rt, e->piece_scan, text, len, piece_found);
	}
	for (guint j = 0; ok && !*matched && !rt->broken && j < n; j++) {
		struct entry *p = g_ptr_array_index(e->pieces, j);
		bool occurs = found ? g_array_index(found, gboolean, p->node)
				    : g_array_index(piece_found, gboolean, j);
		bool second = found ? g_array_index(found, gboolean, rt->n_nodes + p->node)
				    : g_array_index(piece_found, gboolean, n + j);

		if ((p->any_literals && !occurs) || (p->has_second && !second))
			continue;
		if (p->any_literals && p->exact)
			*matched = true;
		else
			ok = pieces_match(rt, p, text, len, lower, found, matched, error);
	}
	if (piece_found)
		g_array_unref(piece_found);
	return ok;
}

/* A cached table whose records turned out damaged: parse its files
 * into it instead (the caller then does again what it was doing). */
static bool recover(struct us_reasons *rt, GError **error)
{
	char *dir = g_strdup(rt->dir);
	bool ok;

	reasons_clear(rt);
	reasons_init(rt);
	ok = us_reasons_load_dir(rt, dir, error);
	g_free(dir);
	return ok;
}

static bool decide_once(struct us_reasons *rt, const struct us_reason_query *q,
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
	run_scan(rt, rt->scan, text, len, rt->found);
	for (guint i = 0; i < rt->entries->len && !rt->broken; i++) {
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
		if (hit && !rt->broken) {
			*reason = e->reason;
			*where = entry_where(rt, e);
			break;
		}
	}
	g_free(lower);
	return true;
}

bool us_reasons_decide(struct us_reasons *rt, const struct us_reason_query *q,
		       const char **reason, const char **where, GError **error)
{
	GError *local = NULL;
	bool ok = decide_once(rt, q, reason, where, &local);

	if (rt->broken) {
		g_clear_error(&local);
		return recover(rt, error) && decide_once(rt, q, reason, where, error);
	}
	if (local)
		g_propagate_error(error, local);
	return ok;
}

static void build_line_scan(struct us_reasons *rt)
{
	rt->line_scan = us_litscan_new();
	for (guint i = 0; i < rt->entries->len; i++) {
		struct entry *e = g_ptr_array_index(rt->entries, i);
		if (e->type == E_TEXT || !e->regex || !e->any_literals)
			continue;
		for (guint k = 0; k < e->literals->len; k++)
			us_litscan_add(rt->line_scan, g_ptr_array_index(e->literals, k), i);
	}
}

/* Sets up the line scan and the arrays of line entries, once. */
static void line_tables(struct us_reasons *rt)
{
	if (rt->line_scan == NULL)
		build_line_scan(rt);
	if (rt->always->len != rt->entries->len) {
		g_array_set_size(rt->always, rt->entries->len);
		g_array_set_size(rt->on_line, rt->entries->len);
		for (guint i = 0; i < rt->entries->len; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			g_array_index(rt->always, gboolean, i) = e->type != E_TEXT && e->regex &&
								  !e->any_literals;
		}
	}
}

/* Which line entries can match some line of TEXT: those without literals,
 * and those one of whose literals occurs in it (rt->possible). False
 * (the caller recovers) if a cached table turned out broken. */
static bool mark_possible(struct us_reasons *rt, const char *text, size_t len)
{
	line_tables(rt);
	g_array_set_size(rt->possible, rt->entries->len);
	if (rt->entries->len > 0)
		memcpy(rt->possible->data, rt->always->data, rt->entries->len * sizeof(gboolean));
	run_scan(rt, rt->line_scan, text, len, rt->possible);
	return !rt->broken;
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
	run_scan(rt, rt->line_scan, line, n, rt->on_line);
}

static bool on_line(const struct us_reasons *rt, guint i)
{
	return g_array_index(rt->on_line, gboolean, i);
}

/* Reads the sequence of atoms at *PP up to its end (NUL or the ")" of
 * its group, where *PP is left) and adds to NEED the bytes every match of
 * it contains: those of its plain characters (not letters: the case flag
 * does not matter then) and of its groups, unless optional, and none if
 * it has a "|". False when something is not understood. */
static bool needed_in(const char **pp, guint32 *need)
{
	guint32 mine[8] = { 0 };
	bool alternation = false;
	const char *p = *pp;

	while (*p && *p != ')') {
		guint32 atom[8] = { 0 };
		unsigned c = (unsigned char)*p;

		if (c == '|') {
			alternation = true;
			p++;
			continue;
		}
		if (c == '\\') {
			unsigned d = (unsigned char)p[1];
			if (d == 0)
				return false;
			/* \< \> (and \` \') are assertions, not characters. */
			if (d < 128 && g_ascii_ispunct((gchar)d) && !strchr("<>`'", (int)d))
				set_byte(atom, d);
			p += 2;
		} else if (c == '[') {
			if ((p = bracket_end(p)) == NULL)
				return false;
		} else if (c == '(') {
			if (p[1] == '?')
				return false;
			p++;
			if (!needed_in(&p, atom) || *p != ')')
				return false;
			p++;
		} else if (c == '*' || c == '+' || c == '?' || c == '{') {
			return false;	/* a quantifier of nothing */
		} else {
			if (c < 128 && !g_ascii_isalpha((gchar)c) && c != '.' && c != '^' && c != '$')
				set_byte(atom, c);
			p++;
		}
		/* Its quantifiers: any that allows none makes the atom optional. */
		bool optional = false;
		while (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			if (*p == '{') {
				size_t n = strspn(p + 1, "0123456789,");
				if (n == 0 || p[1 + n] != '}' || !g_ascii_isdigit(p[1]))
					return false;
				optional = optional || (p[1] == '0' && !g_ascii_isdigit(p[2]));
				p += n + 2;
			} else {
				optional = optional || *p != '+';
				p++;
			}
		}
		for (unsigned w = 0; !optional && w < 8; w++)
			mine[w] |= atom[w];
	}
	for (unsigned w = 0; !alternation && w < 8; w++)
		need[w] |= mine[w];
	*pp = p;
	return true;
}

/* Whether LINE (N bytes, whose bytes are the bitmap HAVE) may match E:
 * it has every byte E's matches contain (worked out once). */
static bool may_match_line(struct entry *e, const guint32 *have)
{
	if (!e->need_known) {
		const char *p = e->regex;
		guint32 need[8] = { 0 };
		e->need_known = true;
		if (needed_in(&p, need) && *p == '\0')
			memcpy(e->need, need, sizeof need);
	}
	for (unsigned w = 0; w < 8; w++)
		if (e->need[w] & ~have[w])
			return false;
	return true;
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
		guint32 have[8] = { 0 };
		bool marked = false;

		/* The line's bytes: a regex that needs another cannot match it. */
		for (size_t k = 0; k < n; k++)
			set_byte(have, (unsigned char)p[k]);
		for (guint i = 0; n > 0 && i < rt->entries->len; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			const regex_t *re;
			regmatch_t m[2];

			if ((e->type != wanted && e->type != E_SKIP) || !possible(rt, i) ||
			    !may_match_line(e, have))
				continue;
			/* Nor one none of whose literals is in the line (scanned
			 * once, when first a regex with literals is left). */
			if (e->any_literals && !marked) {
				mark_line(rt, p, n);
				marked = true;
			}
			if (e->any_literals && !on_line(rt, i))
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

	/* A broken cached table shows in the whole-text scan, before any
	 * recipient is reported. */
	if (!mark_possible(rt, text, len) && (!recover(rt, error) || !mark_possible(rt, text, len)))
		return false;
	if (!recipient_pass(rt, E_RECIPIENT, text, len, found, data, &n, error))
		return false;
	return n > 0 || recipient_pass(rt, E_FALLBACK, text, len, found, data, &n, error);
}

bool us_reasons_is_delay(struct us_reasons *rt, const char *text, size_t len,
			 bool *delay, GError **error)
{
	*delay = false;
	if (!mark_possible(rt, text, len) && (!recover(rt, error) || !mark_possible(rt, text, len)))
		return false;
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

static size_t notice_length_once(struct us_reasons *rt, const char *text, size_t len,
				 GError **error)
{
	const char *p = text, *end = text + len;
	bool any = false;

	/* Each line is scanned for the literals (no scan of the whole text
	 * first: the notice usually ends long before the text does). */
	line_tables(rt);
	for (guint i = 0; i < rt->entries->len && !any; i++)
		any = ((struct entry *)g_ptr_array_index(rt->entries, i))->type == E_END;
	while (any && p < end && !rt->broken) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0)
			mark_line(rt, p, n);
		for (guint i = 0; n > 0 && i < rt->entries->len && !rt->broken; i++) {
			struct entry *e = g_ptr_array_index(rt->entries, i);
			bool hit;

			if (e->type != E_END || !on_line(rt, i))
				continue;
			char *lower = NULL;
			split_text(rt, e, true);
			bool ok = pieces_match(rt, e, p, n, &lower, NULL, &hit, error);

			g_free(lower);
			if (!ok)
				return (size_t)-1;
			if (hit && !rt->broken)
				return (size_t)(p - text);
		}
		p = nl ? nl + 1 : end;
	}
	return len;
}

size_t us_reasons_notice_length(struct us_reasons *rt, const char *text, size_t len, GError **error)
{
	GError *local = NULL;
	size_t n = notice_length_once(rt, text, len, &local);

	if (rt->broken) {
		g_clear_error(&local);
		return recover(rt, error) ? notice_length_once(rt, text, len, error) : (size_t)-1;
	}
	if (local)
		g_propagate_error(error, local);
	return n;
}

/* ------------------------------------------------------------------ */
/* Cache (rulecache.h): the records whose keys start with "R". Numbers
 * are 32-bit in this machine's order, strings NUL-terminated:
 *   "Rt"          entries, nodes, files, names; the files' base names;
 *                 each name and its description; per entry: type,
 *                 cflags, flags (1 exact, 2 any literals, 4 arg, 8 regex),
 *                 reason (index of its name), file, line, pieces; arg,
 *                 regex (if there); literals: count, bytes, the strings
 *   "Rp" + node   its pieces: per piece node, flags (16: a second set of
 *                 literals, in the scanners only), pieces, regex, literals
 *   "Rk" + node   an end entry's node: the scanner of its pieces (aligned)
 *   "Rs"          the decision scanner (aligned), ids = node (and nodes +
 *                 node for a piece's second set)
 *   "Rl"          the line scanner (aligned), ids = entry index
 * The writer prepared the table (us_reasons_prepare()): a reader
 * analyses no regex and builds no scanner. Nodes of pieces are above
 * their parent's, so pieces cannot loop. */

#define F_EXACT 1u
#define F_LITERALS 2u
#define F_ARG 4u
#define F_REGEX 8u
#define F_SECOND 16u

static void make_key(char key[6], char tag, guint32 n)
{
	key[0] = 'R';
	key[1] = tag;
	memcpy(key + 2, &n, sizeof n);
}

static guint32 entry_flags(const struct entry *e)
{
	return (e->exact ? F_EXACT : 0) | (e->any_literals ? F_LITERALS : 0) |
	       (e->arg ? F_ARG : 0) | (e->regex ? F_REGEX : 0) | (e->has_second ? F_SECOND : 0);
}

static void put_literals(GByteArray *b, const struct entry *e)
{
	guint n = e->literals ? e->literals->len : 0;
	guint at;

	us_rulecache_put32(b, n);
	at = b->len;
	us_rulecache_put32(b, 0);
	for (guint k = 0; k < n; k++)
		us_rulecache_put_string(b, g_ptr_array_index(e->literals, k));
	guint32 bytes = b->len - at - 4;
	memcpy(b->data + at, &bytes, sizeof bytes);
}

static void put_scanner(struct us_rulecache_writer *w, const char key[6],
			const struct us_litscan *ls)
{
	GByteArray *b = g_byte_array_new();

	us_litscan_serialise(ls, b);
	us_rulecache_add_aligned(w, key, 6, b->data, b->len);
	g_byte_array_unref(b);
}

static void put_pieces(struct us_rulecache_writer *w, const struct entry *e)
{
	GByteArray *b;
	char key[6];

	if (e->pieces == NULL)
		return;
	b = g_byte_array_new();
	for (guint j = 0; j < e->pieces->len; j++) {
		const struct entry *p = g_ptr_array_index(e->pieces, j);
		us_rulecache_put32(b, p->node);
		us_rulecache_put32(b, entry_flags(p));
		us_rulecache_put32(b, p->pieces ? p->pieces->len : 0);
		us_rulecache_put_string(b, p->regex);
		put_literals(b, p);
	}
	make_key(key, 'p', e->node);
	us_rulecache_add(w, key, sizeof key, b->data, b->len);
	g_byte_array_unref(b);
	if (e->type == E_END) {
		make_key(key, 'k', e->node);
		put_scanner(w, key, e->piece_scan);
	}
	for (guint j = 0; j < e->pieces->len; j++)
		put_pieces(w, g_ptr_array_index(e->pieces, j));
}

void us_reasons_cache_write(struct us_reasons *rt, struct us_rulecache_writer *w)
{
	GByteArray *b = g_byte_array_new();
	GPtrArray *names = g_ptr_array_new();
	GHashTableIter it;
	gpointer name, text;
	char key[6];

	us_reasons_prepare(rt);
	if (rt->line_scan == NULL)
		build_line_scan(rt);
	us_rulecache_put32(b, rt->entries->len);
	us_rulecache_put32(b, rt->n_nodes);
	us_rulecache_put32(b, rt->file_paths->len);
	us_rulecache_put32(b, g_hash_table_size(rt->names));
	for (guint i = 0; i < rt->file_paths->len; i++) {
		char *base = g_path_get_basename(g_ptr_array_index(rt->file_paths, i));
		us_rulecache_put_string(b, base);
		g_free(base);
	}
	g_hash_table_iter_init(&it, rt->names);
	while (g_hash_table_iter_next(&it, &name, &text)) {
		us_rulecache_put_string(b, name);
		us_rulecache_put_string(b, text);
		g_ptr_array_add(names, name);
	}
	for (guint i = 0; i < rt->entries->len; i++) {
		const struct entry *e = g_ptr_array_index(rt->entries, i);
		guint reason = G_MAXUINT32;
		if (e->reason)
			g_ptr_array_find(names, e->reason, &reason);
		us_rulecache_put32(b, e->type);
		us_rulecache_put32(b, (guint32)e->cflags);
		us_rulecache_put32(b, entry_flags(e));
		us_rulecache_put32(b, reason);
		us_rulecache_put32(b, e->file);
		us_rulecache_put32(b, e->line);
		us_rulecache_put32(b, e->pieces ? e->pieces->len : 0);
		if (e->arg)
			us_rulecache_put_string(b, e->arg);
		if (e->regex)
			us_rulecache_put_string(b, e->regex);
		put_literals(b, e);
	}
	make_key(key, 't', 0);
	us_rulecache_add(w, key, 2, b->data, b->len);
	g_byte_array_unref(b);
	g_ptr_array_unref(names);
	for (guint i = 0; i < rt->entries->len; i++)
		put_pieces(w, g_ptr_array_index(rt->entries, i));
	make_key(key, 's', 0);
	put_scanner(w, key, rt->scan);
	make_key(key, 'l', 0);
	put_scanner(w, key, rt->line_scan);
}

/* A cached scanner under KEY (6 bytes, or 2), or NULL. */
static struct us_litscan *cached_scanner(struct us_rulecache *c, const char *key, size_t klen)
{
	size_t len = 0;
	const void *blob = us_rulecache_get_aligned(c, key, klen, &len);

	return blob ? us_litscan_load(blob, len) : NULL;
}

/* The literals of a record: count, bytes, the strings (checked when
 * first needed, entry_literals()). */
static bool get_literals(struct us_rulecache_reader *rd, struct entry *e)
{
	guint32 n = us_rulecache_get32(rd), bytes = us_rulecache_get32(rd);

	if (rd->bad || bytes > (size_t)(rd->end - rd->p) || (bytes > 0 && rd->p[bytes - 1] != '\0') ||
	    n > bytes) {
		rd->bad = true;
		return false;
	}
	e->n_lit = n;
	e->lit_block = (const char *)rd->p;
	e->lit_end = (const char *)rd->p + bytes;
	rd->p += bytes;
	return true;
}

static const GPtrArray *entry_literals(struct us_reasons *rt, struct entry *e)
{
	const char *p = e->lit_block;

	if (e->literals || !e->borrowed)
		return e->literals;
	e->literals = g_ptr_array_sized_new(e->n_lit);
	for (guint k = 0; k < e->n_lit; k++) {
		const char *nul = p < e->lit_end ? memchr(p, '\0', (size_t)(e->lit_end - p)) : NULL;
		if (nul == NULL) {
			rt->broken = true;
			break;
		}
		g_ptr_array_add(e->literals, (char *)p);
		p = nul + 1;
	}
	return e->literals;
}

static void children_from_cache(struct us_reasons *rt, struct entry *e)
{
	struct us_rulecache_reader rd;
	GPtrArray *pieces;
	char key[6];

	if (e->n_cached_children == 0)
		return;
	make_key(key, 'p', e->node);
	if (!us_rulecache_read(rt->cache, key, sizeof key, &rd)) {
		rt->broken = true;
		return;
	}
	pieces = g_ptr_array_new_with_free_func(entry_free);
	for (guint j = 0; j < e->n_cached_children && !rd.bad; j++) {
		struct entry *p = g_new0(struct entry, 1);
		g_ptr_array_add(pieces, p);
		p->node = us_rulecache_get32(&rd);
		guint32 flags = us_rulecache_get32(&rd);
		p->n_cached_children = us_rulecache_get32(&rd);
		p->regex = (char *)us_rulecache_get_string(&rd);
		get_literals(&rd, p);
		p->type = e->type;
		p->cflags = e->cflags;
		p->reason = e->reason;
		p->file = e->file;
		p->line = e->line;
		p->borrowed = true;
		p->exact = (flags & F_EXACT) != 0;
		p->any_literals = (flags & F_LITERALS) != 0;
		/* Only the scanners hold the second set. */
		p->has_second = (flags & F_SECOND) != 0;
		if (p->node <= e->node || p->node >= rt->n_nodes)
			rd.bad = true;
	}
	if (!rd.bad && e->type == E_END) {
		make_key(key, 'k', e->node);
		rd.bad = (e->piece_scan = cached_scanner(rt->cache, key, sizeof key)) == NULL;
	}
	if (rd.bad) {
		g_ptr_array_unref(pieces);
		rt->broken = true;
		return;
	}
	e->pieces = pieces;
}

/* Entry I of a table being read from "Rt"; false if it does not decode. */
static bool get_entry(struct us_rulecache_reader *rd, struct entry *e, guint i,
		      const GPtrArray *names, guint n_files)
{
	guint32 type = us_rulecache_get32(rd), cflags = us_rulecache_get32(rd);
	guint32 flags = us_rulecache_get32(rd), reason = us_rulecache_get32(rd);

	e->file = us_rulecache_get32(rd);
	e->line = us_rulecache_get32(rd);
	e->n_cached_children = us_rulecache_get32(rd);
	if (flags & F_ARG)
		e->arg = (char *)us_rulecache_get_string(rd);
	if (flags & F_REGEX)
		e->regex = (char *)us_rulecache_get_string(rd);
	e->type = (enum entry_type)type;
	e->cflags = (int)cflags;
	e->exact = (flags & F_EXACT) != 0;
	e->any_literals = (flags & F_LITERALS) != 0;
	e->borrowed = true;
	e->node = i;
	if (!get_literals(rd, e) || type > E_FALLBACK || e->file >= n_files)
		return false;
	bool with_reason = type == E_ACTION || type == E_STATUS || type == E_TEXT;
	bool with_arg = type == E_ACTION || type == E_STATUS;
	if (with_reason != (reason < names->len) || with_arg != (e->arg != NULL) ||
	    with_arg != (e->regex == NULL) ||
	    (e->n_cached_children > 0 && type != E_TEXT && type != E_END))
		return false;
	e->reason = with_reason ? g_ptr_array_index(names, reason) : NULL;
	return true;
}

struct us_reasons *us_reasons_from_cache(struct us_rulecache *c, const char *dir)
{
	struct us_rulecache_reader rd;
	struct us_reasons *rt;
	GPtrArray *names;
	char key[6];

	make_key(key, 't', 0);
	if (!us_rulecache_read(c, key, 2, &rd))
		return NULL;
	guint32 n_entries = us_rulecache_get32(&rd), n_nodes = us_rulecache_get32(&rd);
	guint32 n_files = us_rulecache_get32(&rd), n_names = us_rulecache_get32(&rd);
	/* Each file name, name and entry takes some bytes of the record. */
	if (rd.bad || n_entries > n_nodes || n_nodes > G_MAXINT32 / 2 ||
	    n_files > (size_t)(rd.end - rd.p) || n_names > (size_t)(rd.end - rd.p) ||
	    n_entries > (size_t)(rd.end - rd.p) / 36)
		return NULL;
	rt = us_reasons_new();
	rt->cache = c;
	rt->dir = g_strdup(dir);
	rt->file_names = g_ptr_array_new();
	for (guint i = 0; i < n_files; i++) {
		g_ptr_array_add(rt->file_names, (char *)us_rulecache_get_string(&rd));
		g_ptr_array_add(rt->file_paths, NULL);
	}
	rt->names_block = (const char *)rd.p;
	rt->n_names = n_names;
	names = g_ptr_array_sized_new(n_names);
	for (guint i = 0; i < n_names; i++) {
		g_ptr_array_add(names, (char *)us_rulecache_get_string(&rd));
		us_rulecache_get_string(&rd);
	}
	g_ptr_array_set_free_func(rt->entries, NULL);
	rt->block = g_new0(struct entry, n_entries ? n_entries : 1);
	bool ok = !rd.bad;
	for (guint i = 0; ok && i < n_entries; i++) {
		ok = get_entry(&rd, &rt->block[i], i, names, n_files) && !rd.bad;
		g_ptr_array_add(rt->entries, &rt->block[i]);
	}
	g_ptr_array_unref(names);
	make_key(key, 's', 0);
	ok = ok && (rt->scan = cached_scanner(c, key, sizeof key)) != NULL;
	make_key(key, 'l', 0);
	ok = ok && (rt->line_scan = cached_scanner(c, key, sizeof key)) != NULL;
	if (!ok) {
		us_reasons_free(rt);
		return NULL;
	}
	rt->prepared = true;
	rt->n_nodes = n_nodes;
	g_array_set_size(rt->found, 2 * (guint)n_nodes);
	return rt;
}
