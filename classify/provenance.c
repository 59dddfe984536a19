/* provenance.c - relay evidence from the quoted original's Received headers. */
#include <string.h>
#include "provenance.h"

static const char *quote_source_name(enum us_quote_source source)
{
	switch (source) {
	case US_QUOTE_MESSAGE:
		return "attached message";
	case US_QUOTE_HEADERS:
		return "attached headers";
	case US_QUOTE_INLINE:
		return "inline quoted headers";
	}
	return "quoted headers";
}

enum us_provenance us_provenance_decide(const struct us_config *cfg,
					const struct us_message *msg,
					GString *evidence,
					const struct us_explain *ex)
{
	unsigned received_seen = 0;

	if (us_relays_count(cfg->relays) == 0) {
		/* Without relays nothing can be shown either way. */
		g_string_assign(evidence, "no relays configured");
		us_explain(ex, "provenance: unknown: no relays configured");
		return US_PROV_UNKNOWN;
	}

	for (guint q = 0; q < msg->quoted->len; q++) {
		const struct us_quoted *quoted = g_ptr_array_index(msg->quoted, q);
		for (guint h = 0; h < quoted->headers->len; h++) {
			const struct us_header *hdr = g_ptr_array_index(quoted->headers, h);
			const char *relay;

			if (g_ascii_strcasecmp(hdr->name, "Received") != 0)
				continue;
			received_seen++;
			if (us_relays_match_received(cfg->relays, hdr->value, &relay)) {
				g_string_printf(evidence, "relay %s in quoted Received (%s)",
						relay, quote_source_name(quoted->source));
				us_explain(ex, "provenance: ours: quoted Received names relay %s: %s",
					   relay, hdr->value);
				return US_PROV_OURS;
			}
			us_explain(ex, "provenance: quoted Received names none of our relays: %s",
				   hdr->value);
		}
	}
	if (received_seen > 0) {
		g_string_printf(evidence, "%u quoted Received header%s, none from our relays",
				received_seen, received_seen == 1 ? "" : "s");
		us_explain(ex, "provenance: forged: %s (%u relay entries configured)",
			   evidence->str, us_relays_count(cfg->relays));
		return US_PROV_FORGED;
	}
	if (msg->quoted->len > 0)
		g_string_assign(evidence, "quoted original has no Received headers");
	else
		g_string_assign(evidence, "no quoted original");
	us_explain(ex, "provenance: unknown: %s", evidence->str);
	return US_PROV_UNKNOWN;
}
