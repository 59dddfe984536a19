/* recipient.h - who a message was delivered to, and whether that is a likely address.
 *
 * The recipient of a bounce is the envelope sender of the mail it answers,
 * so it is the address BATV tags, the sent-from list and recipient
 * validation are about. Where it comes from, first found first:
 *   1. -r / --recipient ADDR on the command line;
 *   2. the environment: RECIPIENT (Dovecot's dovecot-lda/Pigeonhole
 *      extprograms, Postfix local(8) and pipe(8) commands), then
 *      ORIGINAL_RECIPIENT (Postfix local(8): before alias and .forward
 *      expansion), then ORIG_RECIPIENT (Dovecot). procmail and maildrop
 *      export none of these: pass -r "$1" or similar (see unscatter(1));
 *   3. the topmost X-Original-To (Postfix, before rewriting), then the
 *      topmost Delivered-To (Postfix, Dovecot LMTP, Exim, qmail).
 * Every candidate is checked for a BATV tag; the first one is "the"
 * recipient for the sent-from, valid-recipients and storm checks.
 *
 * Unlikely local parts: a data file (not a rule file; by default
 * rules/unlikely-localparts) of lines "NAME REGEX", REGEX a POSIX extended
 * regex (TRE) matched case-insensitively against the local part without
 * its BATV tag; "#" starts a comment line.
 *
 * Ownership: struct us_localparts owns its compiled regexes; recipient
 * arrays own their strings. */
#ifndef UNSCATTER_RECIPIENT_H
#define UNSCATTER_RECIPIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "message.h"

/* One candidate recipient address. */
struct us_recipient {
	const char *source;	/* static: "-r", "RECIPIENT", "X-Original-To", ... */
	char *address;		/* local@domain as given (case kept: BATV hashes it) */
};
void us_recipient_free(gpointer r);

/* Append the environment's candidates to OUT (struct us_recipient *). */
void us_recipients_from_env(GPtrArray *out);
/* Append OPTION (-r; may be NULL), then the environment's candidates. */
void us_recipients_envelope(GPtrArray *out, const char *option);

/* The cleaned address in TEXT ("<a@b>", "a@b", "rfc822; a@b", "Name <a@b>"),
 * or NULL if there is none. g_free. Pure. */
char *us_recipient_clean(const char *text);

/* ENVELOPE (struct us_recipient *, may be NULL) followed by the message's
 * X-Original-To and Delivered-To, duplicates (ignoring case) left out.
 * Returns a new array of struct us_recipient *. */
GPtrArray *us_recipients_collect(const GPtrArray *envelope, const struct us_message *msg);

struct us_localparts;

/* Parse TEXT (LEN bytes) read from FILENAME and compile its patterns. On
 * error NULL with ERROR "FILENAME:LINE: what". */
struct us_localparts *us_localparts_parse(const char *filename, const char *text, size_t len,
					  GError **error);
/* Read and parse the file PATH. */
struct us_localparts *us_localparts_load(const char *path, GError **error);
void us_localparts_free(struct us_localparts *lp);
unsigned us_localparts_count(const struct us_localparts *lp);

/* Name of the first pattern that LOCAL (LEN bytes) matches, or NULL. */
const char *us_localparts_match(const struct us_localparts *lp, const char *local, size_t len);

#endif
