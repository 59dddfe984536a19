/* reasons.h - the bounce reason table: why did a delivery fail?
 *
 * Owned by the bounce-details work (issue 3); used by bounce.c only.
 * The table is data (rules/ *.reasons, format in man/unscatter-rules.5):
 *
 *   # comment
 *   reason NAME TEXT          declare a reason of the taxonomy, with a description
 *   action ACTION REASON      a recipient whose DSN action is ACTION (delivered, ...)
 *   status CODE REASON        enhanced code "5.1.1", "5.7.*", or basic "550", "55*"
 *   text REASON /RE/FLAGS     the recipient's diagnostic text matches RE
 *   recipient /RE/FLAGS       text bounces: a body line naming a failed recipient;
 *                             the first (...) group of RE captures the address
 *   delay /RE/FLAGS           text bounces: the message is a delay warning
 *                             (matched against the Subject and the notice)
 *   fallback-recipient /RE/FLAGS  the same, tried only when no recipient line found any
 *   skip /RE/FLAGS            text bounces: a body line that names no recipient
 *                             (recipient and skip lines are tried in order per line)
 *   end /RE/FLAGS             the notice ends before the first body line matching
 *                             (where a copy of the original starts)
 *
 * action, status and text lines are tried in the order read (files in
 * name order, lines in file order); the first that holds gives the
 * reason; none gives "undefined". NAME must be declared by a reason line
 * before it is used. FLAGS: i (ignore case), m (^ and $ at line breaks).
 *
 * Speed: only bounces load the table (lazily), normally from the rule
 * cache (below), which holds it analysed and split, with its scanners;
 * without one, loading only parses and takes the literals out of each
 * regex (prefilter.h). A decision scans the diagnostic once for all
 * literals (of the text regexes and, from a cache, of all their pieces:
 * alternatives, split in turn down to plain text or regexes under 30
 * bytes), decides plain-text regexes and pieces by that scan alone and
 * compiles (once) only the pieces whose literals occur, or that have
 * none; a piece with a "." or "[^" at its top level also needs one of
 * the literals of the part before it ("recipient" of "recipient[^.]*
 * does not exist"). us_reasons_lint() compiles everything.
 * End lines are tried on a body line only if one of their literals
 * occurs in that line (or they have none), and are split into
 * alternatives like text lines; recipient and skip lines only if the
 * line has every byte their matches must contain (plain non-letters
 * outside optional parts and alternatives: "<", ">", ":" ...). When the bytes a
 * match can hold are known (a regex of plain characters, brackets, groups,
 * quantifiers, ^ $ and \b-style assertions), TRE sees only the runs of
 * the text free of the other bytes that contain a literal ("[^.]*"
 * keeps a match inside one sentence), with REG_NOTBOL/REG_NOTEOL inside
 * the text: the same decision, on far fewer bytes. */
#ifndef UNSCATTER_REASONS_H
#define UNSCATTER_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct us_reasons;

struct us_reasons *us_reasons_new(void);
void us_reasons_free(struct us_reasons *rt);

/* Parse TEXT (LEN bytes) read from FILENAME (copied, used in errors) and
 * add its lines. On error returns false with ERROR "FILENAME:LINE: what"
 * and adds nothing of TEXT. */
bool us_reasons_parse(struct us_reasons *rt, const char *filename,
		      const char *text, size_t len, GError **error);

/* Parse every file ending in ".reasons" in DIR, in byte order of the
 * names. No such file is not an error. */
bool us_reasons_load_dir(struct us_reasons *rt, const char *dir, GError **error);

/* Number of action, status, text, recipient and delay lines; number of files read. */
size_t us_reasons_count(const struct us_reasons *rt);
size_t us_reasons_files(const struct us_reasons *rt);

/* How many regexes were handed to TRE so far (for tests of the laziness). */
unsigned us_reasons_compilations(const struct us_reasons *rt);

/* Description of reason NAME, or NULL if it is not declared. Borrowed. */
const char *us_reasons_describe(const struct us_reasons *rt, const char *name);

/* Compile every regex; append "FILE:LINE: bad regex: ..." strings to
 * PROBLEMS (g_free'd) and return how many were appended. */
unsigned us_reasons_lint(struct us_reasons *rt, GPtrArray *problems);

/* Read DIR's reason tables and lint them as above; a file that does not
 * parse is one problem ("FILE:LINE: what"). Returns the number of problems. */
unsigned us_reasons_lint_dir(const char *dir, GPtrArray *problems);

/* The cache (rulecache.h) holds reason tables too, in records whose
 * keys start with "R", so that a bounce reads a table analysed, split
 * and scanned for beforehand, and parses nothing.
 *
 * us_reasons_prepare: split every text and end entry's regex all the
 * way down and build the scanners now (the cache's writer does, for all
 * runs after it); decisions are the same either way.
 * us_reasons_cache_write: prepare RT and add its records to W.
 * us_reasons_from_cache: the table of C's records, read in place (C
 * must stay open while it lives) for the rule directory DIR (which
 * "FILE:LINE" names start with), or NULL if C has none or they do not
 * decode. Records found damaged later (while deciding) make the table
 * parse DIR's files into itself instead, and go on. Nothing can be
 * parsed into such a table (us_reasons_parse() fails). */
struct us_rulecache;
struct us_rulecache_writer;
void us_reasons_prepare(struct us_reasons *rt);
void us_reasons_cache_write(struct us_reasons *rt, struct us_rulecache_writer *w);
struct us_reasons *us_reasons_from_cache(struct us_rulecache *c, const char *dir);
/* Whether RT was read from a cache (and still is). */
bool us_reasons_cached(const struct us_reasons *rt);

/* What is known of one failed (or delayed) recipient. Any member may be NULL. */
struct us_reason_query {
	const char *action;	/* "failed", "delayed", ... */
	const char *status;	/* enhanced code "5.1.1" */
	const char *code;	/* basic SMTP code "550" */
	const char *text;	/* diagnostic text, UTF-8 */
};

/* The reason for Q: *REASON (a declared name, or "undefined") and *WHERE
 * ("FILE:LINE" of the deciding line, or NULL), both borrowed from RT.
 * Returns false with ERROR "FILE:LINE: bad regex: ..." if a regex it
 * needed does not compile. */
bool us_reasons_decide(struct us_reasons *rt, const struct us_reason_query *q,
		       const char **reason, const char **where, GError **error);

/* Called for each recipient line found: the address (LEN bytes at ADDR,
 * inside the scanned text) and the offset just after the matched part. */
typedef void (*us_recipient_found)(const char *addr, size_t len, size_t after, void *data);

/* Try the recipient and skip lines on every line of TEXT (LEN bytes, LF
 * endings): the first that matches a line wins for it; call FOUND per
 * recipient match. If there was none, do the same with the
 * fallback-recipient lines. */
bool us_reasons_find_recipients(struct us_reasons *rt, const char *text, size_t len,
				us_recipient_found found, void *data, GError **error);

/* Does TEXT match some delay line? */
bool us_reasons_is_delay(struct us_reasons *rt, const char *text, size_t len,
			 bool *delay, GError **error);

/* Length of the notice at the start of TEXT: up to the first line that
 * matches an end line, else LEN; (size_t)-1 with ERROR for a bad regex
 * that a line before that needed (one containing its literals). */
size_t us_reasons_notice_length(struct us_reasons *rt, const char *text, size_t len,
				GError **error);

#endif
