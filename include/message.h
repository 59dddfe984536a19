/* message.h - a parsed message as plain data, free of GMime types.
 *
 * Built by mime.c (us_mime_parse); read by detect, rules and provenance.
 * Everything in it is owned by the struct us_message and released by
 * us_message_free(). All strings are valid UTF-8 and NUL-terminated. */
#ifndef UNSCATTER_MESSAGE_H
#define UNSCATTER_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* One header field: unfolded, RFC 2047 decoded, UTF-8. */
struct us_header {
	char *name;	/* as written, e.g. "Received" */
	char *value;	/* leading white space removed; unfolding drops the line
			 * break but keeps the white space after it, so rules
			 * should match it with [[:space:]]+ */
};

/* Per-recipient fields of a delivery-status report (RFC 3464 section 2.3).
 * Any member may be NULL when the report lacks it. */
struct us_dsn_recipient {
	char *final_recipient;		/* "rfc822; user@example.com" as written */
	char *original_recipient;
	char *action;			/* failed, delayed, delivered, relayed, expanded
					 * (DSN values have white space squeezed) */
	char *status;			/* "5.1.1" */
	char *diagnostic_code;		/* "smtp; 550 5.1.1 user unknown" */
	char *remote_mta;
};

/* Where a quoted original's headers were found. */
enum us_quote_source {
	US_QUOTE_MESSAGE = 0,	/* a message/rfc822 (or message/global) part */
	US_QUOTE_HEADERS,	/* text/rfc822-headers, message/rfc822-headers, ... */
	US_QUOTE_INLINE		/* header lines quoted inside a text part */
};

/* The headers of one quoted original message. */
struct us_quoted {
	enum us_quote_source source;
	GPtrArray *headers;	/* struct us_header *, in order, owned */
};

/* body, the DSN fields, the has_* flags and quoted cover the message's own
 * parts only, not what an attached message contains (a forwarded bounce is
 * not a bounce); part_types covers the whole tree. */
struct us_message {
	GPtrArray *headers;		/* struct us_header *: the top-level header, in order */
	char *envelope_sender;		/* from Return-Path or a leading "From " line; "" = null sender; NULL = not known */
	char *content_type;		/* top-level "type/subtype", lower case; never NULL */
	char *report_type;		/* report-type parameter of a multipart/report, lower case, or NULL */
	GString *body;			/* decoded text of the message's own text parts (not of quoted originals), capped */
	GString *part_types;		/* every part's "type/subtype", lower case, space separated, in tree order */
	bool has_delivery_status;	/* a message/delivery-status or message/global-delivery-status part */
	bool has_feedback_report;	/* a message/feedback-report part */
	bool has_disposition_notification;	/* a message/disposition-notification part (MDN) */
	GPtrArray *dsn_reporting;	/* struct us_header *: per-message DSN fields (Reporting-MTA, Arrival-Date, ...) */
	GPtrArray *dsn_recipients;	/* struct us_dsn_recipient * */
	GPtrArray *quoted;		/* struct us_quoted *: every quoted original found, MIME ones first */
	bool truncated;			/* only a prefix was parsed (US_SCAN_LIMIT bytes, or a
					 * cap on MIME boundary lines) */
};

/* Bytes of a message that are parsed for classification; the rest is
 * passed through untouched but not looked at. */
#define US_SCAN_LIMIT (4u * 1024u * 1024u)
/* Bytes of decoded body text kept in us_message.body. */
#define US_BODY_LIMIT (256u * 1024u)

/* A new, empty message: all lists allocated, content_type "text/plain",
 * other strings NULL. */
struct us_message *us_message_new(void);
/* Free MSG and everything it owns; NULL is fine. */
void us_message_free(struct us_message *msg);

/* First top-level header named NAME (case-insensitive), or NULL. Borrowed. */
const char *us_message_header(const struct us_message *msg, const char *name);
/* First header named NAME in HEADERS (struct us_header *), or NULL. Borrowed. */
const char *us_headers_find(const GPtrArray *headers, const char *name);

/* Constructors used by the parsers; they copy NAME and VALUE. */
struct us_header *us_header_new(const char *name, const char *value);
void us_header_free(gpointer header);
struct us_quoted *us_quoted_new(enum us_quote_source source);
void us_quoted_free(gpointer quoted);
void us_dsn_recipient_free(gpointer recipient);

#endif
