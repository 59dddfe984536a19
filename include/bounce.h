/* bounce.h - bounce details: who failed, with which status, and why.
 *
 * Owned by the bounce-details work of issue 3. For a message of kind
 * dsn, every recipient of its RFC 3464 delivery-status fields (struct
 * us_dsn_recipient), or, when there are none, every recipient that a
 * "recipient" line of the reason table finds in the body text (qmail,
 * Exim, Exchange, Postfix without DSN, ...), with its enhanced and basic
 * SMTP status codes (taken from the Status field or found in the
 * diagnostic text by their shape), the remote diagnostic, and a reason
 * from the taxonomy of the reason table (reasons.h, rules/ *.reasons).
 * A message with no recipient found yields one entry without address,
 * decided on the start of the body text. */
#ifndef UNSCATTER_BOUNCE_H
#define UNSCATTER_BOUNCE_H

#include <stdbool.h>
#include <glib.h>
#include "explain.h"
#include "message.h"
#include "reasons.h"

/* One recipient; every string is owned, UTF-8 without control characters. */
struct us_bounce_recipient {
	char *address;		/* "user@example.com", or NULL when not found */
	char *action;		/* "failed", "delayed", "delivered", ... (never NULL) */
	char *status;		/* enhanced status code "5.1.1", or NULL */
	char *code;		/* basic SMTP reply code "550", or NULL */
	char *diagnostic;	/* remote diagnostic on one line, or NULL */
	char *reason;		/* reason name, "undefined" if no table line decided */
	char *reason_where;	/* "FILE:LINE" of the deciding table line, or NULL */
	bool from_text;		/* found in the body text, not in RFC 3464 fields */
};

void us_bounce_recipient_free(gpointer recipient);

/* Append MSG's recipients to OUT (a GPtrArray with us_bounce_recipient_free
 * as free function), deciding reasons with RT. Returns false with ERROR
 * ("FILE:LINE: bad regex: ...") only when a table regex does not compile. */
bool us_bounce_analyse(struct us_reasons *rt, const struct us_message *msg,
		       GPtrArray *out, const struct us_explain *ex, GError **error);

/* "user@example.com action=failed status=5.1.1 code=550 reason=userunknown
 * diagnostic=smtp; 550 ..." (fields that are unknown left out); g_free. */
char *us_bounce_line(const struct us_bounce_recipient *r);

/* The recipient that speaks for the message: the first failed one, else
 * the first delayed one, else the first; NULL when LIST is empty. */
const struct us_bounce_recipient *us_bounce_main(const GPtrArray *list);

/* Find the first enhanced status code of class 4 or 5 ("5.1.1", also in
 * "#5.1.1") and the first basic reply code ("550", "550-...") in TEXT;
 * either result may be NULL. g_free both. */
void us_bounce_find_codes(const char *text, char **status, char **code);

#endif
