/* test-provenance.c - ours / forged / unknown from quoted Received headers,
 * and the class each combination gives. */
#include "classify.h"
#include "provenance.h"
#include "tap.h"

static struct us_quoted *quote(struct us_message *msg, enum us_quote_source source)
{
	struct us_quoted *q = us_quoted_new(source);
	g_ptr_array_add(msg->quoted, q);
	return q;
}

static void add(struct us_quoted *q, const char *name, const char *value)
{
	g_ptr_array_add(q->headers, us_header_new(name, value));
}

static enum us_provenance decide(const struct us_config *cfg, const struct us_message *msg,
				 GString *evidence)
{
	g_string_truncate(evidence, 0);
	return us_provenance_decide(cfg, msg, evidence, NULL, NULL);
}

int main(void)
{
	struct us_config *cfg = us_config_new();
	GString *ev = g_string_new(NULL);
	struct us_message *msg = us_message_new();
	const char *reason;

	is_int(decide(cfg, msg, ev), US_PROV_UNKNOWN, "no relays configured: unknown");
	is_str(ev->str, "no relays configured", "evidence says why");
	us_relays_add(cfg->relays, "relay.example.com", &reason);

	is_int(decide(cfg, msg, ev), US_PROV_UNKNOWN, "no quoted original: unknown");
	is_str(ev->str, "no quoted original", "evidence: no quoted original");

	struct us_quoted *q = quote(msg, US_QUOTE_HEADERS);
	add(q, "From", "alice@example.com");
	add(q, "Subject", "hello");
	is_int(decide(cfg, msg, ev), US_PROV_UNKNOWN, "quoted original without Received: unknown");
	is_str(ev->str, "quoted original has no Received headers", "evidence: no Received");

	add(q, "Received", "from bot.example.org (bot.example.org [203.0.113.5]) by mx.remote.example.net");
	add(q, "Received", "from x.example.net by y.example.net");
	is_int(decide(cfg, msg, ev), US_PROV_FORGED, "Received headers, none ours: forged");
	is_str(ev->str, "2 quoted Received headers, none from our relays", "evidence counts them");

	struct us_quoted *inl = quote(msg, US_QUOTE_INLINE);
	add(inl, "Received", "from relay.example.com (relay.example.com [192.0.2.1]) by mx.remote.example.net");
	is_int(decide(cfg, msg, ev), US_PROV_OURS, "any quoted Received naming our relay: ours");
	is_str(ev->str, "relay relay.example.com in quoted Received (inline quoted headers)",
	       "evidence names relay and where it was found");

	/* Classes. */
	is_int(us_class_for(cfg, US_KIND_DSN, US_PROV_OURS), US_CLASS_BOUNCE, "dsn + ours = bounce");
	is_int(us_class_for(cfg, US_KIND_DSN, US_PROV_FORGED), US_CLASS_BACKSCATTER, "dsn + forged = backscatter");
	is_int(us_class_for(cfg, US_KIND_AUTOREPLY, US_PROV_UNKNOWN), US_CLASS_BACKSCATTER,
	       "unknown = backscatter by default");
	cfg->unknown = US_UNKNOWN_GENUINE;
	is_int(us_class_for(cfg, US_KIND_AUTOREPLY, US_PROV_UNKNOWN), US_CLASS_AUTOREPLY,
	       "unknown = genuine when configured");
	is_int(us_class_for(cfg, US_KIND_CHALLENGE, US_PROV_FORGED), US_CLASS_BACKSCATTER,
	       "forged stays backscatter under 'unknown genuine'");
	is_int(us_class_for(cfg, US_KIND_VIRUS, US_PROV_OURS), US_CLASS_VIRUS, "virus + ours = virus");
	is_int(us_class_for(cfg, US_KIND_FEEDBACK, US_PROV_FORGED), US_CLASS_FEEDBACK,
	       "feedback reports are feedback whatever their provenance");
	is_int(us_class_for(cfg, US_KIND_NONE, US_PROV_FORGED), US_CLASS_ORDINARY, "no kind = ordinary");

	us_message_free(msg);
	g_string_free(ev, TRUE);
	us_config_free(cfg);
	return tap_done();
}
