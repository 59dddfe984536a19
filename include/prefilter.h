/* prefilter.h - literal prefilter for regexes.
 *
 * us_literals_extract() reads a POSIX extended regex and returns strings
 * of which any match must contain at least one (lower-cased ASCII, so
 * they can be searched in lower-cased text whatever the regex's case
 * flag). us_litscan finds many such literals in one pass over a text. */
#ifndef UNSCATTER_PREFILTER_H
#define UNSCATTER_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Append to OUT (GPtrArray of g_free'd char *) a set of literals at least
 * one of which every match of RE must contain. Returns false (OUT left
 * empty) when no useful set exists (a literal shorter than 3 bytes, an
 * optional branch, ...): the regex must then always be tried. Returns
 * false and sets *SYNTAX_ERROR (static string) when RE is clearly
 * malformed (unbalanced brackets or parentheses, trailing backslash). */
bool us_literals_extract(const char *re, GPtrArray *out, const char **syntax_error);

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

#endif
