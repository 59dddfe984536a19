/* test-mime.c - raw bytes to struct us_message (mime.c), inline and on
 * real corpus messages (when TOP is set, as tests/run does). */
#include <stdlib.h>
#include <string.h>
#include "mime.h"
#include "tap.h"

/* Parse a copy of S (LEN bytes) in a buffer of exactly that size, so the
 * sanitizer build catches any read past the end. */
static struct us_message *parse_len(const char *s, size_t len)
{
	char *copy = g_memdup2(s, len);
	struct us_message *msg = us_mime_parse(copy, len);

	g_free(copy);
	return msg;
}

static struct us_message *parse(const char *s)
{
	return parse_len(s, strlen(s));
}

static const struct us_dsn_recipient *recipient(const struct us_message *msg, guint i)
{
	return i < msg->dsn_recipients->len ? g_ptr_array_index(msg->dsn_recipients, i) : NULL;
}

static const struct us_quoted *quoted(const struct us_message *msg, guint i)
{
	return i < msg->quoted->len ? g_ptr_array_index(msg->quoted, i) : NULL;
}

static const char *quoted_header(const struct us_message *msg, guint i, const char *name)
{
	const struct us_quoted *q = quoted(msg, i);

	return q ? us_headers_find(q->headers, name) : NULL;
}

static unsigned count_named(const GPtrArray *headers, const char *name)
{
	unsigned n = 0;

	for (guint i = 0; i < headers->len; i++)
		n += g_ascii_strcasecmp(((struct us_header *)g_ptr_array_index(headers, i))->name, name) == 0;
	return n;
}

/* Every string of MSG is valid UTF-8 (message.h promises it). */
static bool all_valid_utf8(const struct us_message *msg)
{
	bool valid = g_utf8_validate(msg->content_type, -1, NULL) &&
		     g_utf8_validate(msg->body->str, (gssize)msg->body->len, NULL) &&
		     strlen(msg->body->str) == msg->body->len &&
		     g_utf8_validate(msg->part_types->str, -1, NULL);

	for (guint i = 0; i < msg->headers->len; i++) {
		const struct us_header *h = g_ptr_array_index(msg->headers, i);
		valid = valid && g_utf8_validate(h->name, -1, NULL) && g_utf8_validate(h->value, -1, NULL);
	}
	for (guint q = 0; q < msg->quoted->len; q++) {
		const struct us_quoted *qu = quoted(msg, q);
		for (guint i = 0; i < qu->headers->len; i++) {
			const struct us_header *h = g_ptr_array_index(qu->headers, i);
			valid = valid && g_utf8_validate(h->name, -1, NULL) && g_utf8_validate(h->value, -1, NULL);
		}
	}
	return valid;
}

static void test_headers(void)
{
	struct us_message *msg = parse(
		"Return-Path: <>\n"
		"Received: from a.example\n"
		"\tby b.example; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"Subject: =?utf-8?q?caf=C3=A9?= =?iso-8859-1?q?_cr=E8me?=\n"
		"From: Mail Delivery System <MAILER-DAEMON@example.org>\n"
		"Content-Type: text/plain; charset=us-ascii\n"
		"X-Empty:\n"
		"\n"
		"body\n");

	is_int(msg->headers->len, 6, "headers: all six");
	is_str(((struct us_header *)g_ptr_array_index(msg->headers, 4))->name, "Content-Type",
	       "headers: Content-Type kept in its place");
	is_str(us_message_header(msg, "received"), "from a.example\tby b.example; Mon, 1 Jan 2024 00:00:00 +0000",
	       "headers: unfolded, case-insensitive lookup");
	is_str(us_message_header(msg, "Subject"), "caf\xc3\xa9 cr\xc3\xa8me", "headers: RFC 2047 decoded to UTF-8");
	is_str(us_message_header(msg, "X-Empty"), "", "headers: empty value");
	ok(us_message_header(msg, "X-Missing") == NULL, "headers: missing is NULL");
	is_str(msg->envelope_sender, "", "Return-Path <> is the null sender");
	is_str(msg->content_type, "text/plain", "content type");
	ok(msg->report_type == NULL, "no report type");
	is_str(msg->body->str, "body\n", "body");
	is_str(msg->part_types->str, "text/plain", "part types");
	ok(!msg->truncated, "not truncated");
	us_message_free(msg);
}

static void test_envelope(void)
{
	struct us_message *msg = parse("From bounce@example.org Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n");
	is_str(msg->envelope_sender, "bounce@example.org", "From line: envelope sender");
	is_str(us_message_header(msg, "Subject"), "x", "From line: headers still parsed");
	is_int(msg->headers->len, 1, "From line: not a header");
	us_message_free(msg);

	msg = parse("From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nSubject: x\n\n");
	is_str(msg->envelope_sender, "", "From MAILER-DAEMON: the null sender");
	us_message_free(msg);

	msg = parse("From a@b Mon Jan  1 00:00:00 2024\nReturn-Path: <c@d>\n\n");
	is_str(msg->envelope_sender, "c@d", "Return-Path wins over the From line");
	us_message_free(msg);

	msg = parse("Return-Path: MAILER-DAEMON@x.example (comment)\n\n");
	is_str(msg->envelope_sender, "MAILER-DAEMON@x.example", "Return-Path without brackets");
	us_message_free(msg);

	msg = parse("Subject: x\n\n");
	ok(msg->envelope_sender == NULL, "no Return-Path, no From line: unknown");
	us_message_free(msg);
}

static const char dsn[] =
	"Return-Path: <>\n"
	"From: MAILER-DAEMON@example.jp (Mail Delivery System)\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=Delivery-Status;\n"
	"\tboundary=\"BB\"\n"
	"\n"
	"This is a MIME-encapsulated message.\n"
	"\n"
	"--BB\n"
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"Votre message n'a pas pu =EAtre remis.\n"
	"\n"
	"--BB\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.example.jp\n"
	"Arrival-Date: Thu, 29 Apr 2013 23:45:41 +0900\n"
	"\n"
	"Final-Recipient: rfc822; one@example.org\n"
	"Original-Recipient: rfc822;orig@example.org\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Remote-MTA: dns; mx.example.org\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <one@example.org>:\n"
	"    user unknown\n"
	"\n"
	"Final-Recipient: rfc822; two@example.org\n"
	"Action: delayed\n"
	"Status: 4.4.1\n"
	"\n"
	"--BB\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Received: from client.example.jp\n"
	"\tby mx.example.jp (Postfix) with ESMTP id 1234\n"
	"Received: by client.example.jp\n"
	"Message-ID: <orig@example.jp>\n"
	"From: sender@example.jp\n"
	"Subject: hello\n"
	"Content-Type: multipart/mixed; boundary=\"IN\"\n"
	"\n"
	"--IN\n"
	"Content-Type: text/plain\n"
	"\n"
	"original text, not ours\n"
	"--IN\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Final-Recipient: rfc822; inner@example.org\n"
	"Action: failed\n"
	"--IN--\n"
	"\n"
	"--BB--\n";

static void test_dsn(void)
{
	struct us_message *msg = parse(dsn);

	is_str(msg->content_type, "multipart/report", "DSN: content type");
	is_str(msg->report_type, "delivery-status", "DSN: report type, lower case");
	ok(msg->has_delivery_status, "DSN: has delivery-status");
	ok(!msg->has_feedback_report && !msg->has_disposition_notification, "DSN: no other report parts");
	is_str(msg->part_types->str,
	       "multipart/report text/plain message/delivery-status message/rfc822 multipart/mixed text/plain message/delivery-status",
	       "DSN: every part, attached message's included, in order");
	is_str(us_headers_find(msg->dsn_reporting, "Reporting-MTA"), "dns; mx.example.jp", "DSN: Reporting-MTA");
	is_int(msg->dsn_reporting->len, 2, "DSN: two per-message fields");
	is_int(msg->dsn_recipients->len, 2, "DSN: two recipients (the attached message's report not counted)");
	const struct us_dsn_recipient *r = recipient(msg, 0);
	is_str(r->final_recipient, "rfc822; one@example.org", "DSN: Final-Recipient");
	is_str(r->original_recipient, "rfc822;orig@example.org", "DSN: Original-Recipient");
	is_str(r->action, "failed", "DSN: Action");
	is_str(r->status, "5.1.1", "DSN: Status");
	is_str(r->remote_mta, "dns; mx.example.org", "DSN: Remote-MTA");
	is_str(r->diagnostic_code, "smtp; 550 5.1.1 <one@example.org>: user unknown", "DSN: Diagnostic-Code unfolded, blanks squeezed");
	r = recipient(msg, 1);
	is_str(r->action, "delayed", "DSN: second recipient");
	ok(r->diagnostic_code == NULL && r->remote_mta == NULL, "DSN: absent fields NULL");
	is_int(msg->quoted->len, 1, "DSN: one quoted original");
	is_int(quoted(msg, 0)->source, US_QUOTE_MESSAGE, "DSN: from the message/rfc822 part");
	is_int(count_named(quoted(msg, 0)->headers, "Received"), 2, "DSN: quoted Received headers");
	is_str(quoted_header(msg, 0, "Message-ID"), "<orig@example.jp>", "DSN: quoted Message-ID");
	ok(quoted_header(msg, 0, "Content-Type") != NULL, "DSN: quoted Content-Type kept");
	is_str(((struct us_header *)g_ptr_array_index(quoted(msg, 0)->headers, 5))->name, "Content-Type",
	       "DSN: quoted headers in written order");
	/* The line break before a boundary belongs to the boundary (RFC 2046). */
	is_str(msg->body->str, "Votre message n'a pas pu \xc3\xaatre remis.\n", "DSN: body decoded from QP and Latin-1");
	ok(strstr(msg->body->str, "not ours") == NULL, "DSN: attached message's text not in the body");
	us_message_free(msg);
}

static void test_dsn_variants(void)
{
	/* No per-message group; fields in odd case; CRLF inside a base64 part. */
	struct us_message *msg = parse(
		"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
		"--B\nContent-Type: message/delivery-status\n\n"
		"final-recipient: rfc822; x@example.org\nACTION: failed\nstatus: 5.0.0\n"
		"\n \n\n"
		"Final-Recipient: rfc822; y@example.org\nAction: failed\nStatus: 5.2.2\n"
		"--B\nContent-Type: message/global-delivery-status\nContent-Transfer-Encoding: base64\n\n"
		"UmVwb3J0aW5nLU1UQTogZG5zOyBnLmV4YW1wbGUNCg0KRmluYWwtUmVjaXBpZW50OiB1dGYtODsgw6lAZXhhbXBsZS5vcmcNCkFjdGlvbjogZmFpbGVkDQo=\n"
		"--B--\n");

	is_int(msg->dsn_recipients->len, 3, "DSN variants: three recipients");
	is_int(msg->dsn_reporting->len, 0, "DSN variants: no per-message group");
	is_str(recipient(msg, 0)->action, "failed", "DSN variants: names case-insensitive");
	is_str(recipient(msg, 1)->status, "5.2.2", "DSN variants: white space line separates groups");
	is_str(recipient(msg, 2)->final_recipient, "utf-8; \xc3\xa9@example.org",
	       "DSN variants: message/global-delivery-status, base64, CRLF");
	ok(msg->has_delivery_status, "DSN variants: global counts as delivery-status");
	us_message_free(msg);

	/* A bare status part as the whole message (flanker's delayed-broken),
	 * its last line unterminated. */
	msg = parse("Content-Type: message/delivery-status\n\n"
		    "Reporting-MTA: dns; x.example\n\nFinal-Recipient: rfc822; z@example.org\nAction: delayed");
	ok(msg->has_delivery_status, "bare status part: flagged");
	is_str(us_headers_find(msg->dsn_reporting, "reporting-mta"), "dns; x.example", "bare status part: per-message field");
	is_str(recipient(msg, 0) ? recipient(msg, 0)->action : NULL, "delayed", "bare status part: unterminated last field");
	us_message_free(msg);
}

static void test_other_reports(void)
{
	struct us_message *msg = parse(
		"Content-Type: multipart/report; report-type=feedback-report; boundary=B\n\n"
		"--B\nContent-Type: text/plain\n\nThis is an abuse report\n"
		"--B\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\n"
		"--B\nContent-Type: text/rfc822-headers\n\n"
		"Received: from x by y\nFrom: a@example.com\nSubject: spam\n\nbody is ignored\n"
		"--B--\n");

	ok(msg->has_feedback_report, "ARF: has feedback-report");
	is_str(msg->report_type, "feedback-report", "ARF: report type");
	is_int(msg->quoted->len, 1, "ARF: quoted headers");
	is_int(quoted(msg, 0)->source, US_QUOTE_HEADERS, "ARF: from text/rfc822-headers");
	is_int(quoted(msg, 0)->headers->len, 3, "ARF: only the header block");
	us_message_free(msg);

	msg = parse("Content-Type: multipart/report; report-type=disposition-notification; boundary=B\n\n"
		    "--B\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n"
		    "--B--\n");
	ok(msg->has_disposition_notification, "MDN: has disposition-notification");
	ok(!msg->has_delivery_status, "MDN: not a DSN");
	us_message_free(msg);
}

static void test_quoted_variants(void)
{
	/* Encoded message/rfc822 (GMime leaves it a leaf part), an extra empty
	 * line before the attached header, an original pasted as a part. */
	struct us_message *msg = parse(
		"Content-Type: multipart/mixed; boundary=B\n\n"
		"--B\nContent-Type: text/plain\n\nbounce\n"
		"--B\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n"
		"Received: from a (=5B192.0.2.1=5D)\nSubject: one\n\nx\n"
		"--B\nContent-Type: message/rfc822\n\n\n"
		"Received: from b\nSubject: two\n\nx\n"
		"--B\n"
		"Received: from c\nMessage-ID: <pasted@example>\nSubject: three\n\nx\n"
		"--B--\n");

	is_int(msg->quoted->len, 3, "quoted variants: three originals");
	is_str(quoted_header(msg, 0, "Received"), "from a ([192.0.2.1])", "encoded message/rfc822 decoded");
	is_str(quoted_header(msg, 1, "Subject"), "two", "empty line before the attached header skipped");
	is_str(quoted_header(msg, 2, "Message-ID"), "<pasted@example>", "original pasted as a part's header");
	us_message_free(msg);
}

static void test_inline_quote(void)
{
	struct us_message *msg = parse(
		"From: MAILER-DAEMON@mx.example\nSubject: failure notice\n\n"
		"Hi. This is the qmail-send program at mx.example.\n"
		"<x@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
		"--- Below this line is a copy of the message.\n\n"
		"Return-Path: <s@example.jp>\n"
		"Received: (qmail 1 invoked by uid 1); 24 Apr 2013 00:00:00 +0900\n"
		"Subject: =?utf-8?b?w6l0w6k=?=\n"
		"\nbody\n");

	is_int(msg->quoted->len, 1, "inline: one block");
	is_int(quoted(msg, 0)->source, US_QUOTE_INLINE, "inline: source");
	is_str(quoted_header(msg, 0, "Subject"), "\xc3\xa9t\xc3\xa9", "inline: RFC 2047 decoded");
	us_message_free(msg);

	/* MIME originals come first. */
	msg = parse("Content-Type: multipart/mixed; boundary=B\n\n"
		    "--B\nContent-Type: text/plain\n\nMessage-ID: <inline@x>\n"
		    "--B\nContent-Type: message/rfc822\n\nMessage-ID: <mime@x>\n\n"
		    "--B--\n");
	is_int(msg->quoted->len, 2, "MIME and inline: two");
	is_int(quoted(msg, 0)->source, US_QUOTE_MESSAGE, "MIME first");
	is_int(quoted(msg, 1)->source, US_QUOTE_INLINE, "inline after");
	us_message_free(msg);
}

static void test_body_choice(void)
{
	struct us_message *msg = parse(
		"Content-Type: multipart/alternative; boundary=B\n\n"
		"--B\nContent-Type: text/html\n\n<p>html &amp; text</p>\n"
		"--B\nContent-Type: text/plain\n\nplain text\n"
		"--B--\n");
	is_str(msg->body->str, "plain text", "text/plain preferred over text/html");
	is_str(msg->part_types->str, "multipart/alternative text/html text/plain", "both parts listed");
	us_message_free(msg);

	msg = parse("Content-Type: text/html; charset=utf-8\n\n"
		    "<html><head><style>p { x: y }</style><script>var a = '<b>';</script></head>"
		    "<body><p>Delivery&nbsp;failed &lt;x@y&gt; &#233;&#x E9;</p>Received: from a<br>Message-ID: &lt;m@x&gt;<br>"
		    "</body></html>\n");
	ok(strstr(msg->body->str, "Delivery failed <x@y> \xc3\xa9") != NULL, "HTML only: tags stripped, entities decoded");
	ok(strstr(msg->body->str, "x: y") == NULL && strstr(msg->body->str, "var a") == NULL, "HTML: style and script dropped");
	is_int(msg->quoted->len, 1, "HTML: line breaks let inline quotes be found");
	is_str(quoted_header(msg, 0, "Message-ID"), "<m@x>", "HTML: quoted value decoded");
	us_message_free(msg);

	msg = parse("Content-Type: text/html\n\na<BR/>b</P>c<brx>d<H1 x>e<h7>f<b>g\n");
	is_str(msg->body->str, "a\nb\ncd\nefg\n", "HTML: block tags by name, any case, break lines; others do not");
	us_message_free(msg);

	msg = parse("Subject: one\n  two =?x\n\tthree\nX-A: =?utf-8?q?caf=C3=A9?=\n\nbody\n");
	is_str(us_message_header(msg, "Subject"), "one  two =?x\tthree", "headers: ASCII value unfolded, white space kept");
	is_str(us_message_header(msg, "X-A"), "caf\xc3\xa9", "headers: encoded word decoded");
	us_message_free(msg);

	msg = parse("Content-Type: text/plain; charset=iso-2022-jp\n\n\xe3\x81\x82\xe3\x81\x84\n");
	is_str(msg->body->str, "\xe3\x81\x82\xe3\x81\x84\n", "UTF-8 text labelled otherwise stays UTF-8");
	us_message_free(msg);

	msg = parse("Content-Type: text/plain\n\ncaf\xe9\n");
	is_str(msg->body->str, "caf\xc3\xa9\n", "8-bit text without charset: guessed, valid UTF-8");
	us_message_free(msg);

	msg = parse("Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: base64\n\n"
		    "gGxpbmUxDQpsaW5lMg0K\n");
	is_str(msg->body->str, "\xe2\x82\xac" "line1\nline2\n", "base64 windows-1252 with CRLF: converted, LF");
	us_message_free(msg);
}

static void test_body_cap(void)
{
	GString *big = g_string_new("Content-Type: text/plain; charset=utf-8\n\n");

	/* Three-byte characters, so a byte cap would split one. */
	while (big->len < US_BODY_LIMIT + 10000)
		g_string_append(big, "\xe2\x82\xac");
	struct us_message *msg = parse_len(big->str, big->len);
	ok(msg->body->len <= US_BODY_LIMIT && msg->body->len > US_BODY_LIMIT - 4, "body capped at US_BODY_LIMIT");
	ok(g_utf8_validate(msg->body->str, (gssize)msg->body->len, NULL), "body cut on a character boundary");
	us_message_free(msg);
	g_string_free(big, TRUE);
}

static void test_malformed(void)
{
	struct us_message *msg = parse_len("", 0);
	is_str(msg->content_type, "text/plain", "empty: text/plain");
	is_int(msg->headers->len, 0, "empty: no headers");
	is_int(msg->body->len, 0, "empty: no body");
	us_message_free(msg);

	msg = us_mime_parse(NULL, 0);
	ok(msg != NULL, "NULL data");
	us_message_free(msg);

	const char nul[] = "Subject: a\0b\nX-Other: c\n\nbody\0more\n";
	msg = parse_len(nul, sizeof(nul) - 1);
	ok(us_message_header(msg, "X-Other") != NULL, "NUL: headers after it parsed");
	ok(strstr(msg->body->str, "more") != NULL, "NUL: body text after it kept");
	ok(all_valid_utf8(msg), "NUL: all strings valid");
	us_message_free(msg);

	msg = parse("Subject: no separator\nFrom: x@y");
	is_str(us_message_header(msg, "From"), "x@y", "no separator, no final newline: headers");
	is_int(msg->body->len, 0, "no separator: empty body");
	us_message_free(msg);

	msg = parse("\nonly a body\n");
	is_int(msg->headers->len, 0, "leading blank line: no headers");
	is_str(msg->body->str, "only a body\n", "leading blank line: body");
	us_message_free(msg);

	msg = parse("\n   \nReturn-Path: <>\nSubject: saved with blank lines on top\n\nbody\n");
	is_int(msg->headers->len, 2, "stray blank lines before a header: header found");
	is_str(msg->envelope_sender, "", "stray blank lines: sender");
	is_str(msg->body->str, "body\n", "stray blank lines: body");
	us_message_free(msg);

	msg = parse("Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n");
	is_str(msg->content_type, "multipart/report", "report with no parts: type");
	ok(!msg->has_delivery_status, "report with no parts: no status part");
	is_int(msg->dsn_recipients->len, 0, "report with no parts: no recipients");
	us_message_free(msg);

	msg = parse("Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
		    "The boundary never comes.\nReceived: from a\nMessage-ID: <x@y>\n");
	ok(strstr(msg->body->str, "never comes") != NULL, "report without its boundary: prologue is the body");
	is_int(msg->quoted->len, 1, "report without its boundary: inline quote found in it");
	us_message_free(msg);

	msg = parse("Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n");
	ok(msg != NULL && all_valid_utf8(msg), "multipart without boundary parameter");
	us_message_free(msg);

	msg = parse("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
		    "SGVs*bG8g!d29y\xff\xfe" "bGQ\n=====\nAAAA\n");
	ok(all_valid_utf8(msg), "bad base64: valid result");
	us_message_free(msg);

	msg = parse("Subject: =?x-no-such-charset?q?caf=E9?=\n"
		    "Content-Type: text/plain; charset=x-no-such-charset\n\ncaf\xe9 \xff\xfe\n");
	ok(all_valid_utf8(msg), "unknown charset: valid UTF-8 everywhere");
	ok(strncmp(msg->body->str, "caf", 3) == 0, "unknown charset: text kept");
	us_message_free(msg);

	msg = parse("Content-Type: text/plain; charset=utf-16le\n\nabc\n");
	ok(all_valid_utf8(msg), "odd UTF-16 text: valid");
	us_message_free(msg);

	msg = parse("Subject: bad \xff\xfe bytes\nX-\xff: v\n\n");
	ok(all_valid_utf8(msg), "raw 8-bit header bytes: valid UTF-8");
	us_message_free(msg);
}

static void test_nesting(void)
{
	GString *s = g_string_new("From: a@b\nContent-Type: multipart/mixed; boundary=b0\n\n");
	int depth = 200;

	for (int i = 1; i < depth; i++)
		g_string_append_printf(s, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i - 1, i);
	g_string_append_printf(s, "--b%d\nContent-Type: text/plain\n\ndeep\n", depth - 1);
	for (int i = depth - 1; i >= 0; i--)
		g_string_append_printf(s, "--b%d--\n", i);
	struct us_message *msg = parse_len(s->str, s->len);
	ok(msg != NULL, "200-deep multiparts: parsed");
	ok(strstr(msg->part_types->str, "text/plain") == NULL, "200-deep: walk stops at its depth limit");
	us_message_free(msg);

	g_string_truncate(s, 0);
	for (int i = 0; i < 2000; i++)
		g_string_append(s, "Content-Type: message/rfc822\n\n");
	g_string_append(s, "Subject: inner\n\nbody\n");
	msg = parse_len(s->str, s->len);
	ok(msg != NULL && msg->quoted->len <= 1, "2000 nested messages: parsed, only the first is a quoted original");
	us_message_free(msg);

	g_string_assign(s, "Content-Type: multipart/mixed; boundary=B\n\n");
	for (int i = 0; i < 30000; i++)
		g_string_append_printf(s, "--B\nContent-Type: text/plain\n\npart %d\n", i);
	g_string_append(s, "--B--\n");
	gint64 start = g_get_monotonic_time();
	msg = parse_len(s->str, s->len);
	gint64 took = g_get_monotonic_time() - start;
	guint types = 0;
	for (const char *p = msg->part_types->str; *p; p++)
		types += *p == ' ';
	ok(types < 1000, "30000 parts: part list capped");
	ok(msg->truncated, "30000 parts: only a prefix given to GMime, flagged");
	ok(took < 5 * G_USEC_PER_SEC, "30000 parts: bounded time");
	us_message_free(msg);
	g_string_free(s, TRUE);
}

static void test_limits(void)
{
	GString *s = g_string_new("Subject: big\n\n");

	while (s->len <= US_SCAN_LIMIT + 100)
		g_string_append(s, "0123456789012345678901234567890123456789012345678901234567890123456789\n");
	struct us_message *msg = parse_len(s->str, s->len);
	ok(msg->truncated, "over US_SCAN_LIMIT: truncated");
	ok(msg->body->len <= US_BODY_LIMIT, "over US_SCAN_LIMIT: body capped");
	us_message_free(msg);
	g_string_free(s, TRUE);

	/* CR-only messages are one line to GMime unless normalised. */
	msg = parse("Return-Path: <a@b>\rSubject: mac\rContent-Type: text/plain\r\rline1\rline2\r");
	is_str(us_message_header(msg, "Subject"), "mac", "CR-only: headers");
	is_str(msg->body->str, "line1\nline2\n", "CR-only: body with LF");
	is_str(msg->envelope_sender, "a@b", "CR-only: envelope sender");
	us_message_free(msg);

	msg = parse("From x@y Mon Jan  1 00:00:00 2024\r\nSubject: dos\r\n\r\nline\r\n");
	is_str(us_message_header(msg, "Subject"), "dos", "CRLF with From line: headers");
	is_str(msg->envelope_sender, "x@y", "CRLF with From line: sender");
	is_str(msg->body->str, "line\n", "CRLF: body with LF");
	us_message_free(msg);
}

/* ---- corpus ---- */

static char *corpus_file(const char *rel, gsize *len)
{
	const char *top = getenv("TOP");
	char *path, *data = NULL;

	if (top == NULL)
		return NULL;
	path = g_build_filename(top, "..", "shared", "corpus", rel, NULL);
	if (!g_file_get_contents(path, &data, len, NULL))
		data = NULL;
	g_free(path);
	return data;
}

static struct us_message *corpus_parse(const char *rel)
{
	gsize len;
	char *data = corpus_file(rel, &len);
	struct us_message *msg;

	if (data == NULL)
		return NULL;
	msg = parse_len(data, len);
	g_free(data);
	return msg;
}

static bool same_headers(const GPtrArray *a, const GPtrArray *b)
{
	if (a->len != b->len)
		return false;
	for (guint i = 0; i < a->len; i++) {
		const struct us_header *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, i);
		if (strcmp(x->name, y->name) != 0 || strcmp(x->value, y->value) != 0)
			return false;
	}
	return true;
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool same_message(const struct us_message *a, const struct us_message *b)
{
	bool same = same_headers(a->headers, b->headers) && same_str(a->envelope_sender, b->envelope_sender) &&
		    same_str(a->content_type, b->content_type) && same_str(a->report_type, b->report_type) &&
		    strcmp(a->body->str, b->body->str) == 0 && strcmp(a->part_types->str, b->part_types->str) == 0 &&
		    same_headers(a->dsn_reporting, b->dsn_reporting) &&
		    a->dsn_recipients->len == b->dsn_recipients->len && a->quoted->len == b->quoted->len;

	for (guint i = 0; same && i < a->dsn_recipients->len; i++) {
		const struct us_dsn_recipient *x = recipient(a, i), *y = recipient(b, i);
		same = same_str(x->final_recipient, y->final_recipient) && same_str(x->action, y->action) &&
		       same_str(x->status, y->status) && same_str(x->diagnostic_code, y->diagnostic_code);
	}
	for (guint i = 0; same && i < a->quoted->len; i++)
		same = quoted(a, i)->source == quoted(b, i)->source &&
		       same_headers(quoted(a, i)->headers, quoted(b, i)->headers);
	return same;
}

static void skip(const char *what)
{
	char *text = g_strdup_printf("# skip %s (TOP not set or corpus missing)", what);
	ok(1, text);
	g_free(text);
}

static void test_corpus_postfix(void)
{
	struct us_message *msg = corpus_parse("sisimai-set-of-emails/maildir/bsd/lhost-postfix-04.eml");

	if (msg == NULL) {
		skip("Postfix bounce");
		return;
	}
	is_str(msg->content_type, "multipart/report", "Postfix: multipart/report");
	is_str(msg->report_type, "delivery-status", "Postfix: delivery-status");
	is_str(msg->envelope_sender, "", "Postfix: null sender");
	is_int(msg->dsn_recipients->len, 1, "Postfix: one recipient");
	const struct us_dsn_recipient *r = recipient(msg, 0);
	ok(r && r->status && r->status[0] == '5', "Postfix: Status 5.x.x");
	is_str(r ? r->action : NULL, "failed", "Postfix: Action failed");
	is_str(us_headers_find(msg->dsn_reporting, "Reporting-MTA"), "dns; mv-osn-hcb007.ocn.ad.jp", "Postfix: Reporting-MTA");
	ok(msg->quoted->len >= 1 && quoted(msg, 0)->source == US_QUOTE_MESSAGE, "Postfix: quoted original attached");
	is_int(msg->quoted->len ? count_named(quoted(msg, 0)->headers, "Received") : 0, 2, "Postfix: its Received headers");
	ok(g_utf8_validate(msg->body->str, -1, NULL) && strstr(msg->body->str, "550 5.1.1") != NULL,
	   "Postfix: ISO-2022-JP notification decoded");
	us_message_free(msg);
}

static void test_corpus_line_endings(void)
{
	static const char *const names[] = {
		"lhost-postfix-01.eml", "lhost-qmail-01.eml", "lhost-exim-01.eml", "arf-01.eml",
		"lhost-exchange2007-01.eml", "lhost-office365-01.eml", "rfc3834-01.eml",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *bsd = g_strconcat("sisimai-set-of-emails/maildir/bsd/", names[i], NULL);
		char *dos = g_strconcat("sisimai-set-of-emails/maildir/dos/", names[i], NULL);
		char *mac = g_strconcat("sisimai-set-of-emails/maildir/mac/", names[i], NULL);
		struct us_message *a = corpus_parse(bsd), *b = corpus_parse(dos), *c = corpus_parse(mac);
		char *what = g_strdup_printf("%s: LF, CRLF and CR-only parse the same", names[i]);

		if (a && b && c)
			ok(same_message(a, b) && same_message(a, c) && a->headers->len > 3, what);
		else
			skip(what);
		us_message_free(a);
		us_message_free(b);
		us_message_free(c);
		g_free(what);
		g_free(bsd);
		g_free(dos);
		g_free(mac);
	}
}

static void test_corpus_qmail(void)
{
	struct us_message *msg = corpus_parse("sisimai-set-of-emails/maildir/bsd/lhost-qmail-01.eml");

	if (msg == NULL) {
		skip("qmail bounce");
		return;
	}
	is_str(msg->content_type, "text/plain", "qmail: plain text");
	is_int(msg->quoted->len, 1, "qmail: one quoted block");
	ok(msg->quoted->len && quoted(msg, 0)->source == US_QUOTE_INLINE, "qmail: inline");
	is_str(quoted_header(msg, 0, "Message-ID"), "<000000000.9999999999999.JavaMail.postmaster@mailhub>", "qmail: quoted Message-ID");
	is_int(msg->quoted->len ? count_named(quoted(msg, 0)->headers, "Received") : 0, 3, "qmail: quoted Received headers");
	us_message_free(msg);
}

static void test_corpus_arf(void)
{
	struct us_message *msg = corpus_parse("sisimai-set-of-emails/maildir/bsd/arf-01.eml");

	if (msg == NULL) {
		skip("ARF report");
		return;
	}
	ok(msg->has_feedback_report, "ARF: has feedback-report");
	is_str(msg->report_type, "feedback-report", "ARF: report type");
	ok(!msg->has_delivery_status, "ARF: not a DSN");
	ok(msg->quoted->len >= 1, "ARF: the reported message is quoted");
	us_message_free(msg);
}

/* DSN groups are handed to GMime several at a time; each still gets what
 * GMime gives its header block alone: a block whose first line is not a
 * field (or is folded) gives none, a stray line inside one is skipped. */
static void test_dsn_groups_together(void)
{
	struct us_message *msg = parse(
		"From: MAILER-DAEMON@example.net\nMIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
		"--b\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.net\n\n"
		"Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.1.1\n\n"
		"not a field\nFinal-Recipient: rfc822; lost@example.org\nAction: failed\n\n"
		" folded first\nFinal-Recipient: rfc822; lost2@example.org\n\n"
		"Final-Recipient: rfc822; z@example.org\nAction: delayed\nstray line\nStatus: 4.4.1\n--b--\n");

	is_int(msg->dsn_recipients->len, 2, "DSN groups together: the two real recipients");
	is_str(recipient(msg, 0) ? recipient(msg, 0)->final_recipient : NULL, "rfc822; x@example.org",
	       "DSN groups together: first recipient");
	is_str(recipient(msg, 1) ? recipient(msg, 1)->status : NULL, "4.4.1",
	       "DSN groups together: the field after a stray line");
	is_int(msg->dsn_reporting->len, 1, "DSN groups together: one per-message field");
	us_message_free(msg);
}

/* One parser for many messages (us_mime_parse_with, as each scan thread
 * does) gives every message what a parser of its own gives, also after a
 * message that left GMime in the middle of something: an unclosed deep
 * nesting, a cut-off header, a DSN. */
static void test_parser_reuse(void)
{
	GString *deep = g_string_new("Content-Type: multipart/mixed; boundary=b0\n\n");
	for (int i = 1; i < 100; i++)
		g_string_append_printf(deep, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i - 1, i);
	const char *const messages[] = {
		deep->str,
		"From: a@b\nContent-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
		"--R\n\nYour mail was not delivered.\n--R\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; x@example.org\n"
		"Action: failed\nStatus: 5.1.1\n\n--R\nContent-Type: text/rfc822-headers\n\n"
		"Subject: =?utf-8?q?caf=C3=A9?=\nMessage-ID: <1@a>\n--R",
		"Subject: cut off\nX-Folded: one\n two",
		"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\r\nFrom: b@c\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nna=EFve =\r\ntext\r\n",
		"Content-Type: text/html; charset=big5\nContent-Transfer-Encoding: base64\n\nPHA+aGk8L3A+\n",
	};
	struct us_mime_parser *mp = us_mime_parser_new();
	unsigned differ = 0;

	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < G_N_ELEMENTS(messages); i++) {
			size_t len = strlen(messages[i]);
			char *copy = g_memdup2(messages[i], len);
			struct us_message *own = us_mime_parse(copy, len), *shared = us_mime_parse_with(mp, copy, len);
			if (!same_message(own, shared) || own->truncated != shared->truncated) {
				differ++;
				printf("# message %zu differs with a shared parser\n", i);
			}
			us_message_free(own);
			us_message_free(shared);
			g_free(copy);
		}
	is_int(differ, 0, "one parser for many messages: each parsed as with its own");
	us_mime_parser_free(mp);
	us_mime_parser_free(NULL);
	g_string_free(deep, TRUE);
}

static void test_corpus_all(void)
{
	const char *top = getenv("TOP");
	char *labels_path, *labels;
	unsigned parsed = 0, invalid = 0;

	if (top == NULL) {
		skip("whole corpus");
		return;
	}
	labels_path = g_build_filename(top, "..", "shared", "corpus", "labels.tsv", NULL);
	if (!g_file_get_contents(labels_path, &labels, NULL, NULL)) {
		g_free(labels_path);
		skip("whole corpus");
		return;
	}
	/* Every corpus message parses, with valid UTF-8 throughout, and one
	 * parser used for all of them in turn gives the same results. */
	struct us_mime_parser *mp = us_mime_parser_new();
	unsigned differ = 0;
	char **lines = g_strsplit(labels, "\n", -1);
	for (char **l = lines; *l; l++) {
		if (**l == '#' || **l == '\0')
			continue;
		char *tab = strchr(*l, '\t');
		if (tab)
			*tab = '\0';
		struct us_message *msg = corpus_parse(*l);
		if (msg == NULL)
			continue;
		parsed++;
		if (!all_valid_utf8(msg)) {
			invalid++;
			printf("# not valid UTF-8: %s\n", *l);
		}
		gsize len;
		char *data = corpus_file(*l, &len);
		struct us_message *shared = us_mime_parse_with(mp, data, len);
		if (!same_message(msg, shared)) {
			differ++;
			printf("# differs with a shared parser: %s\n", *l);
		}
		us_message_free(shared);
		g_free(data);
		us_message_free(msg);
	}
	us_mime_parser_free(mp);
	ok(parsed > 1000, "whole corpus: parsed");
	is_int(invalid, 0, "whole corpus: every string valid UTF-8");
	is_int(differ, 0, "whole corpus: one parser for all gives what one per message gives");
	g_strfreev(lines);
	g_free(labels);
	g_free(labels_path);
}

int main(void)
{
	us_mime_init();
	test_headers();
	test_envelope();
	test_dsn();
	test_dsn_variants();
	test_other_reports();
	test_quoted_variants();
	test_inline_quote();
	test_body_choice();
	test_body_cap();
	test_malformed();
	test_nesting();
	test_limits();
	test_corpus_postfix();
	test_corpus_line_endings();
	test_corpus_qmail();
	test_corpus_arf();
	test_dsn_groups_together();
	test_parser_reuse();
	test_corpus_all();
	us_mime_shutdown();
	return tap_done();
}
