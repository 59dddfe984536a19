/* test-bounce.c - bounce details (bounce.c): status codes by shape,
 * recipients from RFC 3464 fields and from text, reasons, output lines. */
#include <locale.h>
#include <string.h>
#include "bounce.h"
#include "mime.h"
#include "tap.h"

static void codes(const char *text, const char *want_status, const char *want_code, const char *what)
{
	char *status, *code;
	char *w1 = g_strdup_printf("%s: enhanced", what), *w2 = g_strdup_printf("%s: basic", what);

	us_bounce_find_codes(text, &status, &code);
	is_str(status, want_status, w1);
	is_str(code, want_code, w2);
	g_free(status);
	g_free(code);
	g_free(w1);
	g_free(w2);
}

static void find_codes(void)
{
	codes("smtp; 550 5.1.1 <a@example.com>: User unknown", "5.1.1", "550", "Diagnostic-Code");
	codes("550-5.7.26 Unauthenticated email", "5.7.26", "550", "continuation dash");
	codes("Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1", NULL, "qmail '#' code");
	codes("host 192.0.2.250 said: 452 too many", NULL, "452", "an IP address is no code");
	codes("version 5.1.1.3 and 5.12", NULL, NULL, "dotted numbers are no codes");
	codes("on 2010-04-29 at 12:34:56 port 5500", NULL, NULL, "dates, times, long numbers");
	codes("421 4.4.2 Connection timed out", "4.4.2", "421", "temporary failure");
	codes("delivered: 250 2.0.0 Ok", NULL, NULL, "success codes are not searched in text");
	codes(NULL, NULL, NULL, "no text");
}

static struct us_reasons *table(void)
{
	static const char text[] =
		"reason userunknown no such user\n"
		"reason mailboxfull full\n"
		"reason filtered refused\n"
		"reason delivered ok\n"
		"end /^Received:/\n"
		"recipient /^<([^>]+)>:/\n"
		"delay /will keep trying/i\n"
		"action delivered delivered\n"
		"text mailboxfull /mailbox (is )?full/i\n"
		"text filtered /filtered/i\n"
		"status 5.1.1 userunknown\n"
		"text userunknown /no mailbox here/i\n";
	struct us_reasons *rt = us_reasons_new();
	GError *error = NULL;

	ok(us_reasons_parse(rt, "t.reasons", text, strlen(text), &error), "test table parses");
	g_clear_error(&error);
	return rt;
}

static GPtrArray *analyse(struct us_reasons *rt, const char *raw)
{
	struct us_message *msg = us_mime_parse(raw, strlen(raw));
	GPtrArray *out = g_ptr_array_new_with_free_func(us_bounce_recipient_free);
	GError *error = NULL;

	ok(us_bounce_analyse(rt, msg, out, NULL, &error), "analysed");
	g_clear_error(&error);
	us_message_free(msg);
	return out;
}

static const struct us_bounce_recipient *nth(const GPtrArray *list, guint i)
{
	static const struct us_bounce_recipient none = { .action = (char *)"-", .reason = (char *)"-" };

	return i < list->len ? g_ptr_array_index(list, i) : &none;
}

static const char dsn[] =
	"From: MAILER-DAEMON@example.org\n"
	"To: sender@example.com\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
	"\n"
	"--B\n"
	"Content-Type: text/plain\n"
	"\n"
	"<one@example.net>: host mx.example.net said: 550 5.1.1 mailbox is full (in reply to RCPT TO command)\n"
	"--B\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mail.example.org\n"
	"\n"
	"Final-Recipient: rfc822; one@example.net\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <one@example.net>: recipient unknown\n"
	"\n"
	"Final-Recipient: rfc822; <filtered@example.net>\n"
	"Action: delayed\n"
	"Status: 4.4.1\n"
	"\n"
	"Final-Recipient: rfc822; three@example.net\n"
	"Action: delivered\n"
	"Status: 2.0.0\n"
	"--B--\n";

static const char qmail[] =
	"From: MAILER-DAEMON@example.org\n"
	"To: sender@example.com\n"
	"Subject: failure notice\n"
	"\n"
	"Hi. This is the qmail-send program at example.org.\n"
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	"\n"
	"<gone@example.net>:\n"
	"Sorry, no mailbox here by that name. (#5.1.1)\n"
	"\n"
	"<full@example.net>:\n"
	"192.0.2.1 said: 552 Mailbox is full\n"
	"\n"
	"--- Below this line is a copy of the message.\n"
	"\n"
	"Received: from x by y\n"
	"<sender@example.com>: not a recipient, the original's sender\n"
	"<late@example.net>: after the end of the notice\n";

static void from_fields(void)
{
	struct us_reasons *rt = table();
	GPtrArray *list = analyse(rt, dsn);

	is_int(list->len, 3, "DSN: one entry per recipient");
	is_str(nth(list, 0)->address, "one@example.net", "DSN: rfc822; prefix removed");
	is_str(nth(list, 0)->status, "5.1.1", "DSN: Status field");
	is_str(nth(list, 0)->code, "550", "DSN: basic code from the diagnostic");
	is_str(nth(list, 0)->reason, "mailboxfull", "DSN: reason decided with the body text said of the same address");
	ok(!nth(list, 0)->from_text, "DSN: from the fields");
	is_str(nth(list, 1)->address, "filtered@example.net", "DSN: angle brackets removed");
	is_str(nth(list, 1)->action, "delayed", "DSN: delayed keeps its action");
	is_str(nth(list, 1)->reason, "undefined", "DSN: an address never decides the reason (filtered@)");
	is_str(nth(list, 2)->status, "2.0.0", "DSN: a success status is kept");
	is_str(nth(list, 2)->reason, "delivered", "DSN: action line");
	ok(us_bounce_main(list) == nth(list, 0), "main recipient: the first failed one");

	char *line = us_bounce_line(nth(list, 0));
	is_str(line, "one@example.net action=failed status=5.1.1 code=550 reason=mailboxfull "
	       "diagnostic=smtp; 550 5.1.1 <one@example.net>: recipient unknown", "detail line");
	g_free(line);
	line = us_bounce_line(nth(list, 1));
	is_str(line, "filtered@example.net action=delayed status=4.4.1 reason=undefined", "detail line, unknown parts left out");
	g_free(line);
	g_ptr_array_unref(list);
	us_reasons_free(rt);
}

static void from_text(void)
{
	struct us_reasons *rt = table();
	GPtrArray *list = analyse(rt, qmail);

	is_int(list->len, 2, "text: the notice's recipients, not the original's sender, nothing after its end");
	is_str(nth(list, 0)->address, "gone@example.net", "text: first recipient");
	is_str(nth(list, 0)->status, "5.1.1", "text: '#5.1.1'");
	ok(nth(list, 0)->code == NULL, "text: no basic code");
	is_str(nth(list, 0)->reason, "userunknown", "text: reason from its own lines");
	is_str(nth(list, 0)->diagnostic, "<gone@example.net>: Sorry, no mailbox here by that name. (#5.1.1)",
	       "text: the diagnostic ends at the blank line");
	is_str(nth(list, 1)->code, "552", "text: second recipient's basic code");
	is_str(nth(list, 1)->reason, "mailboxfull", "text: second recipient's reason");
	is_str(nth(list, 1)->action, "failed", "text: failed unless a delay line matches");
	ok(nth(list, 0)->from_text, "text: marked as from the text");
	g_ptr_array_unref(list);

	list = analyse(rt, "From: MAILER-DAEMON@example.org\nTo: Bob <bob@example.com>\n"
		       "Subject: failure notice\n\n<b@example.com>:\nSorry, no mailbox here by that name.\n");
	is_str(nth(list, 0)->address, "b@example.com",
	       "text: an address inside the To field's address is still a recipient");
	g_ptr_array_unref(list);

	list = analyse(rt, "From: MAILER-DAEMON@example.org\nSubject: Warning\n\n"
		       "Delivery to <w@example.net> is delayed; we will keep trying.\n");
	is_int(list->len, 1, "delay: one entry without address (no recipient line matched)");
	ok(nth(list, 0)->address == NULL, "delay: no address");
	is_str(nth(list, 0)->action, "delayed", "delay: a delay line makes the action delayed");
	g_ptr_array_unref(list);
	us_reasons_free(rt);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	us_mime_init();
	find_codes();
	from_fields();
	from_text();
	us_mime_shutdown();
	return tap_done();
}
