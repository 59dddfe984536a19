/* message.c - lifetime and lookups of the plain-data parsed message. */
#include <string.h>
#include "message.h"

struct us_header *us_header_new(const char *name, const char *value)
{
	struct us_header *h = g_new(struct us_header, 1);

	h->name = g_strdup(name);
	h->value = g_strdup(value);
	return h;
}

void us_header_free(gpointer header)
{
	struct us_header *h = header;

	if (h == NULL)
		return;
	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

struct us_quoted *us_quoted_new(enum us_quote_source source)
{
	struct us_quoted *q = g_new(struct us_quoted, 1);

	q->source = source;
	q->headers = g_ptr_array_new_with_free_func(us_header_free);
	return q;
}

void us_quoted_free(gpointer quoted)
{
	struct us_quoted *q = quoted;

	if (q == NULL)
		return;
	g_ptr_array_unref(q->headers);
	g_free(q);
}

void us_dsn_recipient_free(gpointer recipient)
{
	struct us_dsn_recipient *r = recipient;

	if (r == NULL)
		return;
	g_free(r->final_recipient);
	g_free(r->original_recipient);
	g_free(r->action);
	g_free(r->status);
	g_free(r->diagnostic_code);
	g_free(r->remote_mta);
	g_free(r);
}

struct us_message *us_message_new(void)
{
	struct us_message *msg = g_new0(struct us_message, 1);

	msg->headers = g_ptr_array_new_with_free_func(us_header_free);
	/* RFC 2045 section 5.2: a message without Content-Type is text/plain,
	 * which keeps the "never NULL" promise without a special case. */
	msg->content_type = g_strdup("text/plain");
	msg->body = g_string_new(NULL);
	msg->part_types = g_string_new(NULL);
	msg->dsn_reporting = g_ptr_array_new_with_free_func(us_header_free);
	msg->dsn_recipients = g_ptr_array_new_with_free_func(us_dsn_recipient_free);
	msg->quoted = g_ptr_array_new_with_free_func(us_quoted_free);
	return msg;
}

void us_message_free(struct us_message *msg)
{
	if (msg == NULL)
		return;
	g_ptr_array_unref(msg->headers);
	g_free(msg->envelope_sender);
	g_free(msg->content_type);
	g_free(msg->report_type);
	g_string_free(msg->body, TRUE);
	g_string_free(msg->part_types, TRUE);
	g_ptr_array_unref(msg->dsn_reporting);
	g_ptr_array_unref(msg->dsn_recipients);
	g_ptr_array_unref(msg->quoted);
	g_free(msg);
}

const char *us_headers_find(const GPtrArray *headers, const char *name)
{
	if (headers == NULL || name == NULL)
		return NULL;
	for (guint i = 0; i < headers->len; i++) {
		const struct us_header *h = g_ptr_array_index(headers, i);
		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

const char *us_message_header(const struct us_message *msg, const char *name)
{
	return msg ? us_headers_find(msg->headers, name) : NULL;
}
