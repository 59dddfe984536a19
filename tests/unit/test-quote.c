/* test-quote.c - inline quoted header blocks (quote.c). */
#include <string.h>
#include "message.h"
#include "quote.h"
#include "tap.h"

/* Blocks found in TEXT; the caller unrefs the array. */
static GPtrArray *find(const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(us_quoted_free);

	us_quote_find_inline(text, strlen(text), out);
	return out;
}

static const struct us_header *header_at(const GPtrArray *out, guint block, guint i)
{
	const struct us_quoted *q = g_ptr_array_index(out, block);

	return i < q->headers->len ? g_ptr_array_index(q->headers, i) : NULL;
}

static guint block_len(const GPtrArray *out, guint block)
{
	return block < out->len ? ((const struct us_quoted *)g_ptr_array_index(out, block))->headers->len : 0;
}

static void test_qmail(void)
{
	GPtrArray *out = find(
		"Hi. This is the qmail-send program at mx4.example.jp.\n"
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
		"\n"
		"<kijitora@example.ne.jp>:\n"
		"Sorry, no SMTP connection got far enough; most progress was RCPT TO response; remote host 192.0.2.32 said: 550 Unknown user\n"
		"\n"
		"--- Below this line is a copy of the message.\n"
		"\n"
		"Return-Path: <nekochan@example.jp>\n"
		"Received: (qmail 10000 invoked by uid 999); 24 Apr 2013 00:00:00 +0900\n"
		"Received: from relay13.example.co.jp (HELO rr41.out.example.co.jp) (192.0.2.4)\n"
		"  by mx4s.example.jp with SMTP; 24 Apr 2013 00:00:00 +0900\n"
		"Message-ID: <000000000.9999999999999.JavaMail.postmaster@mailhub>\n"
		"From: Nyanko <nekochan@example.jp>\n"
		"Subject: Message\n"
		"\n"
		"neko\n");

	is_int(out->len, 1, "qmail: one block");
	is_int(block_len(out, 0), 6, "qmail: six headers");
	const struct us_quoted *q = g_ptr_array_index(out, 0);
	is_int(q->source, US_QUOTE_INLINE, "qmail: source inline");
	is_str(header_at(out, 0, 0)->name, "Return-Path", "qmail: first name");
	is_str(header_at(out, 0, 0)->value, "<nekochan@example.jp>", "qmail: first value");
	is_str(header_at(out, 0, 2)->value,
	       "from relay13.example.co.jp (HELO rr41.out.example.co.jp) (192.0.2.4)  by mx4s.example.jp with SMTP; 24 Apr 2013 00:00:00 +0900",
	       "qmail: continuation unfolded (line break removed, white space kept)");
	is_str(header_at(out, 0, 5)->name, "Subject", "qmail: last header");
	g_ptr_array_unref(out);
}

static void test_exim(void)
{
	GPtrArray *out = find(
		"  kijitora@example.ed.jp\n"
		"    SMTP error from remote mail server after MAIL FROM:<shironeko@example.jp> SIZE=1543:\n"
		"    host mx.example.jp [192.0.2.20]: 550 5.7.0 <shironeko@example.jp>... Please use the smtp server of your ISP.\n"
		"\n"
		"------ This is a copy of the message, including all the headers. ------\n"
		"\n"
		"Return-path: <shironeko@example.jp>\n"
		"Received: from localhost ([127.0.0.1])\n"
		"\tby e1.example.org with smtp (Exim 4.72)\n"
		"\t(envelope-from <shironeko@example.jp>)\n"
		"Date: Fri, 01 Oct 2010 19:15:19 +0900\n"
		"From: shironeko@example.jp\n"
		"\n"
		"data\n");

	is_int(out->len, 1, "exim: one block");
	is_int(block_len(out, 0), 4, "exim: four headers");
	is_str(header_at(out, 0, 1)->value,
	       "from localhost ([127.0.0.1])\tby e1.example.org with smtp (Exim 4.72)\t(envelope-from <shironeko@example.jp>)",
	       "exim: tab continuations unfolded");
	g_ptr_array_unref(out);
}

static void test_indented(void)
{
	/* fml / Exchange style: every line indented; continuations deeper. */
	GPtrArray *out = find(
		"The original message follows:\n"
		"\n"
		"   From owner-neko@example.co.jp  Thu Apr 29 23:34:45 2017\n"
		"   Return-Path: <owner-neko@example.co.jp>\n"
		"   Received: from r0.example.net (203.0.113.225) by\n"
		"    r0.example.net (203.0.113.225) with ShadowRedundancy\n"
		"   Received: from neko.example.org (unknown [192.0.2.1])\n"
		"   \tby smtp.example.org (Postfix) with ESMTP id EEEEEEEEE222\n"
		"   To: <nyaan@example.org>\n"
		"   Subject: Nyaan\n"
		"   \n"
		"   body text\n");

	is_int(out->len, 1, "indented: one block (the mbox From line is not a header)");
	is_int(block_len(out, 0), 5, "indented: five headers");
	is_str(header_at(out, 0, 1)->value, "from r0.example.net (203.0.113.225) by r0.example.net (203.0.113.225) with ShadowRedundancy",
	       "indented: deeper line is a continuation, prefix stripped");
	is_str(header_at(out, 0, 2)->value, "from neko.example.org (unknown [192.0.2.1])\tby smtp.example.org (Postfix) with ESMTP id EEEEEEEEE222",
	       "indented: prefix + tab continuation");
	g_ptr_array_unref(out);
}

static void test_gt_quoted(void)
{
	GPtrArray *out = find(
		"> Return-Path: <shironeko@example.jp>\n"
		"> Received: from mx.example.org ([192.0.2.10])\n"
		">\t(authenticated bits=0)\n"
		"> \tby mx.example.jp (8.14.3/8.14.3) with ESMTP id n3S2AbIG029209\n"
		"> Message-Id: <6D736808@example.jp>\n"
		">\n"
		"> body\n"
		"\n"
		">> From: a@example.com\n"
		">> To: b@example.com\n"
		">> Subject: nested\n");

	is_int(out->len, 2, "\"> \": two blocks");
	is_int(block_len(out, 0), 3, "\"> \": three headers");
	is_str(header_at(out, 0, 1)->value,
	       "from mx.example.org ([192.0.2.10])\t(authenticated bits=0)\tby mx.example.jp (8.14.3/8.14.3) with ESMTP id n3S2AbIG029209",
	       "\"> \": \">\\t\" and \"> \\t\" both continue");
	is_str(header_at(out, 0, 2)->name, "Message-Id", "\"> \": name as written");
	is_int(block_len(out, 1), 3, "\">> \": second block");
	is_str(header_at(out, 1, 2)->value, "nested", "\">> \": prefix stripped");
	g_ptr_array_unref(out);
}

static void test_rejected(void)
{
	GPtrArray *out = find(
		"Reporting-MTA: dns; mx.example.jp\n"
		"Arrival-Date: Thu, 29 Apr 2013 23:45:41 +0900\n"
		"\n"
		"Final-Recipient: rfc822; r@example.jp\n"
		"Original-Recipient: rfc822;kijitora@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Remote-MTA: dns; mx.example.org\n"
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
		"\n"
		"Your message\n"
		"\n"
		"  To:      recipient\n"
		"  Subject: Some test message\n"
		"  Sent:    Wed, 15 Feb 2006 03:53:57 -0500\n"
		"\n"
		"Note: this is text\n"
		"12:30 a time, not a header\n"
		"http://example.com/ a link\n");

	is_int(out->len, 0, "DSN fields, a two-name summary, notes: no block");
	g_ptr_array_unref(out);
}

static void test_acceptance(void)
{
	GPtrArray *out = find("Message-ID: <abc@example.com>\n");
	is_int(out->len, 1, "a lone Message-ID counts");
	g_ptr_array_unref(out);

	out = find("Received: from x by y\n");
	is_int(out->len, 1, "a lone Received counts");
	g_ptr_array_unref(out);

	out = find("-----Original Message-----\nFrom: A\nSent: Monday\nTo: B\nSubject: C\n\nhello\n");
	is_int(out->len, 1, "three well-known names count (Outlook reply header)");
	g_ptr_array_unref(out);

	out = find("From: A\nTo: B\nX-Other: C\n");
	is_int(out->len, 0, "two well-known names do not");
	g_ptr_array_unref(out);

	out = find("From: A\nFROM: A\nfrom: A\n");
	is_int(out->len, 0, "the same name three times does not");
	g_ptr_array_unref(out);

	out = find("Subject : obsolete form\nDate: today\nTo: x\n");
	is_int(out->len, 1, "blanks before the colon (obsolete syntax)");
	is_str(header_at(out, 0, 0)->name, "Subject", "obsolete form: name without blanks");
	g_ptr_array_unref(out);
}

static void test_block_ends(void)
{
	GPtrArray *out = find(
		"Received: from a\n"
		"this line is neither a header nor a continuation\n"
		"  so this indented line is no continuation of anything\n"
		"Message-ID: <second@example.com>\n"
		"To: x\n");

	is_int(out->len, 2, "a non-header line ends the block; the next header starts one");
	is_int(block_len(out, 0), 1, "first block: one header");
	is_str(header_at(out, 1, 0)->value, "<second@example.com>", "second block: its header");
	g_ptr_array_unref(out);

	out = find("Received: from a\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n");
	is_int(block_len(out, 0), 2, "CRLF text tolerated");
	is_str(header_at(out, 0, 1)->value, "<x@y>", "CRLF: no CR in values");
	g_ptr_array_unref(out);

	out = find("Received: from a");
	is_int(block_len(out, 0), 1, "unterminated last line");
	g_ptr_array_unref(out);
}

static void test_hostile(void)
{
	const char bad[] = "Received: from \xff\xfe x\0y\nSubject: caf\xe9\n";
	GPtrArray *out = g_ptr_array_new_with_free_func(us_quoted_free);

	us_quote_find_inline(bad, sizeof(bad) - 1, out);
	is_int(out->len, 1, "invalid UTF-8 and NUL: block found");
	ok(g_utf8_validate(header_at(out, 0, 0)->value, -1, NULL), "invalid UTF-8: value made valid");
	ok(strstr(header_at(out, 0, 0)->value, "y") != NULL, "NUL: the rest of the value kept");
	g_ptr_array_unref(out);

	/* Thousands of blocks and one enormous block: capped. */
	GString *many = g_string_new(NULL);
	for (int i = 0; i < 5000; i++)
		g_string_append_printf(many, "Received: from h%d\n\n", i);
	out = g_ptr_array_new_with_free_func(us_quoted_free);
	unsigned n = us_quote_find_inline(many->str, many->len, out);
	is_int(n, out->len, "return value is the number appended");
	ok(out->len > 0 && out->len <= 64, "number of blocks capped");
	g_ptr_array_unref(out);

	g_string_truncate(many, 0);
	g_string_append(many, "Received: x\n");
	for (int i = 0; i < 100000; i++)
		g_string_append(many, "\tcontinued continued continued\n");
	for (int i = 0; i < 10000; i++)
		g_string_append_printf(many, "X-H%d: v\n", i);
	out = g_ptr_array_new_with_free_func(us_quoted_free);
	us_quote_find_inline(many->str, many->len, out);
	is_int(out->len, 1, "huge block: one");
	ok(strlen(header_at(out, 0, 0)->value) <= 17 * 1024, "huge block: value length capped");
	ok(block_len(out, 0) <= 500, "huge block: header count capped");
	g_ptr_array_unref(out);
	g_string_free(many, TRUE);

	out = g_ptr_array_new_with_free_func(us_quoted_free);
	is_int(us_quote_find_inline("", 0, out), 0, "empty text");
	is_int(us_quote_find_inline(NULL, 0, out), 0, "NULL text");
	const char *odd = ">\n> \n>>\n:\n: x\n-: y\n";
	is_int(us_quote_find_inline(odd, strlen(odd), out), 0, "prefix-only and colon lines");
	g_ptr_array_unref(out);

	/* The length is respected: nothing after LEN is read. */
	char *exact = g_memdup2("Received: x\nMessage-ID: <y>", 12);
	out = g_ptr_array_new_with_free_func(us_quoted_free);
	us_quote_find_inline(exact, 12, out);
	is_int(block_len(out, 0), 1, "LEN respected");
	g_ptr_array_unref(out);
	g_free(exact);
}

int main(void)
{
	test_qmail();
	test_exim();
	test_indented();
	test_gt_quoted();
	test_rejected();
	test_acceptance();
	test_block_ends();
	test_hostile();
	return tap_done();
}
