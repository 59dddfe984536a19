/* prefilter.h - literal prefilter for regexes.
 *
 * us_literals_extract() reads a POSIX extended regex and returns strings
 * of which any match must contain at least one (lower-cased ASCII, so
 * they can be searched in lower-cased text whatever the regex's case
 * flag); us_regex_analyse() also tells when those strings decide the
 * match on their own, and splits alternations. us_litscan finds many
 * such literals in one pass over a text. */
#ifndef UNSCATTER_PREFILTER_H
#define UNSCATTER_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Append to OUT (GPtrArray of g_free'd char *) a set of literals at least
 * one of which every match of RE must contain, whatever its case flag. Returns false (OUT left
 * empty) when no useful set exists (a literal shorter than 3 bytes, an
 * optional branch, ...): the regex must then always be tried. Returns
 * false and sets *SYNTAX_ERROR (static string) when RE is clearly
 * malformed (unbalanced brackets or parentheses, trailing backslash). */
bool us_literals_extract(const char *re, GPtrArray *out, const char **syntax_error);

/* us_literals_extract(), and what else the rules engine can use.
 *
 * The literals are appended to OUT as there (OUT may be NULL: not
 * wanted), but when STORE is not NULL they are copies in STORE (OUT
 * must then not free them): a ruleset keeps hundreds, and one chunk is
 * cheaper than as many allocations.
 *
 * *EXACT (if EXACT is not NULL) tells whether the set is exact: a text
 * matches RE, compiled with REG_ICASE when ICASE is true, if and only
 * if it contains one of the literals, compared without regard to ASCII
 * case; then the scan alone decides, and RE need not be compiled. That
 * is claimed only when RE is plain text: literal characters (escaped
 * ASCII punctuation included), groups, '|' and '?', but no anchor,
 * bracket, dot, other quantifier, other escape or "(?" group (a finite
 * language, whose strings are the literals); and either ICASE is true
 * or the literals have no letter. Non-ASCII characters are literal text
 * only when ICASE is false (their case variants differ in bytes); with
 * ICASE they break the literals. Texts must be valid UTF-8 (so that an
 * ASCII byte is always an ASCII character, and a character's bytes are
 * found only where it is), as TRE sees them in a UTF-8 locale.
 *
 * If PARTS is not NULL and the set is not exact, appends to PARTS
 * (g_free'd char *) regexes P1, ..., Pn (n >= 2) such that a text
 * matches RE if and only if it matches some Pi, each usually with
 * literals more selective than RE's: the branches of RE's top-level
 * alternation, or, when there is none, copies of RE in which the
 * unquantified top-level group "(B1|...|Bn)" with the most branches is
 * replaced by Bi (whose own groups can then be split in turn). Nothing
 * is appended when RE has no such alternation, or when splitting could
 * change its meaning (back-references, "(?" groups, "{" that is not a
 * plain bound). The rules engine then prefilters each part on its own,
 * and decides only those whose literals occur. */
bool us_regex_analyse(const char *re, bool icase, GPtrArray *out, GStringChunk *store,
		      bool *exact, GPtrArray *parts, const char **syntax_error);

/* How far a match of a regex can reach, for matching it only around
 * the places where its literals occur (the rules engine's windows). */
#define US_EXTENT_UNBOUNDED G_MAXUINT
struct us_regex_extent {
	guint max_chars;	/* longest match, in characters; or US_EXTENT_UNBOUNDED */
	bool newline;		/* a match may contain a line break */
	/* The regex is "^C*REST" (MULTILINE), and MAX_CHARS is REST's
	 * bound: a match can be taken to start at the last line start
	 * at most MAX_CHARS characters before any literal it contains. */
	bool line_start_run;
	/* A character class under a bound ("[[:digit:]]{3}", "\\w{2,}"):
	 * TRE 0.8 drops the class from the copies it makes for the bound,
	 * which then match any character. Said even when the rest is
	 * unknown, as far as the reading got. */
	bool class_bound;
	/* A "{,N}", which TRE does not read as "{0,N}". */
	bool open_bound;
};

/* Works out RE's extent, read as TRE reads a POSIX extended regex,
 * compiled with REG_NEWLINE when MULTILINE is true. Whatever it is not
 * sure of gives the safe answer: unbounded, may hold a line break. */
void us_regex_extent(const char *re, bool multiline, struct us_regex_extent *out);

/* A set of literals searched for together. */
struct us_litscan;

struct us_litscan *us_litscan_new(void);
void us_litscan_free(struct us_litscan *ls);
/* Add LITERAL (lower-case, copied) with an id of the caller's choice. */
void us_litscan_add(struct us_litscan *ls, const char *literal, unsigned id);
/* Scan TEXT (LEN bytes, compared ASCII-case-insensitively) once and call
 * FOUND(id, data) for every added literal that occurs (at most once per id). */
void us_litscan_run(const struct us_litscan *ls, const char *text, size_t len,
		    void (*found)(unsigned id, void *data), void *data);
/* Like us_litscan_run(), but calls FOUND_AT(id, at, len, data) for every
 * occurrence of every literal: bytes [AT, AT + LEN) of TEXT, in no
 * particular order. */
void us_litscan_run_all(const struct us_litscan *ls, const char *text, size_t len,
			void (*found_at)(unsigned id, size_t at, size_t len, void *data), void *data);

/* Appends LS, ready to run, to OUT as a blob of bytes in this machine's
 * byte order (for a cache of this program on this machine). */
void us_litscan_serialise(const struct us_litscan *ls, GByteArray *out);
/* A scanner that runs like the one BLOB (LEN bytes) was serialised
 * from, without rebuilding it; literals cannot be added to it. BLOB is
 * read in place if it is 4-byte aligned (it must then outlive the
 * scanner), else copied. NULL if BLOB's header and size do not agree.
 * What is inside is checked as runs need it (each group of literals
 * once: indexes in bounds, keys, order): a run that meets something
 * unsound stops (it may have missed literals) and marks the scanner
 * damaged, and never reads outside BLOB. */
struct us_litscan *us_litscan_load(const void *blob, size_t len);
/* Whether a run of LS met a damaged blob (us_litscan_load()). */
bool us_litscan_damaged(const struct us_litscan *ls);

#endif
