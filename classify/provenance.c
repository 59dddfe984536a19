/* provenance.c - every piece of provenance evidence, and their precedence. */
#include <string.h>
#include <time.h>
#include "batv.h"
#include "lists.h"
#include "provenance.h"
#include "recipient.h"
#include "storm.h"

/* Longest a delivery waits for the storm state lock. */
#define STORM_LOCK_WAIT_MS 2000u

struct piece {
	const char *name;
	enum us_provenance says;
	GString *reason;
};

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

/* Relay evidence from the quoted original's Received headers. */
static enum us_provenance check_relays(const struct us_config *cfg, const struct us_message *msg,
				       GString *reason, const struct us_explain *ex)
{
	unsigned received_seen = 0;

	if (us_relays_count(cfg->relays) == 0) {
		/* Without relays nothing can be shown either way. */
		g_string_assign(reason, "no relays configured");
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
				g_string_printf(reason, "relay %s in quoted Received (%s)",
						relay, quote_source_name(quoted->source));
				us_explain(ex, "provenance: quoted Received names relay %s: %s",
					   relay, hdr->value);
				return US_PROV_OURS;
			}
			us_explain(ex, "provenance: quoted Received names none of our relays: %s",
				   hdr->value);
		}
	}
	if (received_seen > 0) {
		g_string_printf(reason, "%u quoted Received header%s, none from our relays",
				received_seen, received_seen == 1 ? "" : "s");
		return US_PROV_FORGED;
	}
	g_string_assign(reason, msg->quoted->len > 0 ? "quoted original has no Received headers"
						     : "no quoted original");
	return US_PROV_UNKNOWN;
}

static enum us_provenance check_sent_ids(const struct us_config *cfg, const struct us_message *msg,
					 GString *reason)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *where = g_ptr_array_new();
	enum us_provenance says = US_PROV_UNKNOWN;
	static const char *const own[] = { "In-Reply-To", "References" };

	for (guint q = 0; q < msg->quoted->len; q++) {
		const struct us_quoted *quoted = g_ptr_array_index(msg->quoted, q);
		const char *v = us_headers_find(quoted->headers, "Message-ID");
		for (unsigned n = v ? us_list_msgids(v, strlen(v), ids) : 0; n > 0; n--)
			g_ptr_array_add(where, "quoted Message-ID");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(own); i++) {
		const char *v = us_message_header(msg, own[i]);
		for (unsigned n = v ? us_list_msgids(v, strlen(v), ids) : 0; n > 0; n--)
			g_ptr_array_add(where, (gpointer)own[i]);
	}
	for (guint i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);
		if (us_list_contains(cfg->sent_ids, id, strlen(id))) {
			g_string_printf(reason, "%s <%s> is in sent-ids", (char *)g_ptr_array_index(where, i), id);
			says = US_PROV_OURS;
			break;
		}
	}
	if (says == US_PROV_UNKNOWN) {
		if (ids->len)
			g_string_printf(reason, "%u Message-ID%s looked up, none in sent-ids",
					ids->len, ids->len == 1 ? "" : "s");
		else
			g_string_assign(reason, "no quoted Message-ID, In-Reply-To or References");
	}
	g_ptr_array_unref(where);
	g_ptr_array_unref(ids);
	return says;
}

static bool in_domains(const GPtrArray *domains, const char *address)
{
	const char *at = strrchr(address, '@');

	for (guint i = 0; at && i < domains->len; i++)
		if (g_ascii_strcasecmp(at + 1, g_ptr_array_index(domains, i)) == 0)
			return true;
	return false;
}

static enum us_provenance check_batv(const struct us_config *cfg, const GPtrArray *recipients,
				     GString *reason)
{
	time_t now = time(NULL);

	for (guint i = 0; i < recipients->len; i++) {
		const struct us_recipient *r = g_ptr_array_index(recipients, i);
		enum us_batv_result res = us_batv_verify(cfg->batv_keys, cfg->batv_days, r->address, now, NULL);
		if (res == US_BATV_UNTAGGED)
			continue;
		g_string_printf(reason, "prvs tag of %s (%s) is %s", r->address, r->source,
				us_batv_result_name(res));
		if (res == US_BATV_VALID)
			g_string_append_printf(reason, " (window %u days)", cfg->batv_days);
		return res == US_BATV_VALID ? US_PROV_OURS : US_PROV_FORGED;
	}
	if (recipients->len == 0) {
		g_string_assign(reason, "recipient not known (no -r, RECIPIENT, X-Original-To or Delivered-To)");
		return US_PROV_UNKNOWN;
	}
	const struct us_recipient *first = g_ptr_array_index(recipients, 0);
	if (in_domains(cfg->batv_domains, first->address)) {
		g_string_printf(reason, "%s (%s) has no prvs tag, but its domain tags every sender",
				first->address, first->source);
		return US_PROV_FORGED;
	}
	g_string_printf(reason, "%s (%s) has no prvs tag", first->address, first->source);
	return US_PROV_UNKNOWN;
}

static enum us_provenance check_valid(const struct us_config *cfg, const char *key, GString *reason)
{
	const char *at = strrchr(key, '@');

	if (us_list_contains(cfg->valid_recipients, key, strlen(key)) ||
	    us_list_contains(cfg->valid_recipients, key, (size_t)(at - key))) {
		g_string_printf(reason, "%s is a valid recipient", key);
		return US_PROV_UNKNOWN;
	}
	g_string_printf(reason, "%s is not in valid-recipients", key);
	return US_PROV_FORGED;
}

static enum us_provenance check_localpart(const struct us_config *cfg, const char *key, GString *reason)
{
	const char *at = strrchr(key, '@');
	const char *name = us_localparts_match(cfg->unlikely_localparts, key, (size_t)(at - key));

	if (name) {
		g_string_printf(reason, "local part of %s is unlikely: %s", key, name);
		return US_PROV_FORGED;
	}
	g_string_printf(reason, "local part of %s matches none of %u unlikely patterns", key,
			us_localparts_count(cfg->unlikely_localparts));
	return US_PROV_UNKNOWN;
}

static enum us_provenance check_sent_from(const struct us_config *cfg, const char *key, GString *reason)
{
	if (us_list_contains(cfg->sent_from, key, strlen(key))) {
		g_string_printf(reason, "we have sent from %s", key);
		return US_PROV_UNKNOWN;
	}
	g_string_printf(reason, "we never sent from %s", key);
	return US_PROV_FORGED;
}

static enum us_provenance check_storm(const struct us_config *cfg, const char *key, GString *reason,
				      const struct us_explain *ex)
{
	GString *problem = g_string_new(NULL), *note = g_string_new(NULL);
	unsigned count = 0;
	enum us_provenance says = US_PROV_UNKNOWN;

	if (!us_storm_key_ok(key)) {
		g_string_printf(reason, "recipient not usable as a storm key");
	} else if (!us_storm_update(cfg->state_dir, key, (gint64)time(NULL), cfg->storm_limit,
				    cfg->storm_minutes, STORM_LOCK_WAIT_MS, &count, problem, note)) {
		/* Never fails delivery: the evidence is just missing. */
		g_string_printf(reason, "state not available: %s", problem->str);
	} else {
		g_string_printf(reason, "%u automated repl%s to %s in %u minutes (limit %u)",
				count, count == 1 ? "y" : "ies", key, cfg->storm_minutes, cfg->storm_limit);
		if (count > cfg->storm_limit)
			says = US_PROV_FORGED;
	}
	if (note->len)
		us_explain(ex, "provenance: storm: %s", note->str);
	g_string_free(problem, TRUE);
	g_string_free(note, TRUE);
	return says;
}

static void add_piece(GArray *pieces, const char *name, enum us_provenance says, GString *reason)
{
	struct piece p = { name, says, reason };
	g_array_append_val(pieces, p);
}

enum us_provenance us_provenance_decide(const struct us_config *cfg,
					const struct us_message *msg,
					GString *evidence, GPtrArray *lines,
					const struct us_explain *ex)
{
	GArray *pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
	GPtrArray *recipients = us_recipients_collect(cfg->recipients, msg);
	enum us_provenance result = US_PROV_UNKNOWN;
	GString *r;
	char *key = NULL;

	for (guint i = 0; i < recipients->len; i++) {
		const struct us_recipient *rc = g_ptr_array_index(recipients, i);
		us_explain(ex, "provenance: recipient %s (from %s)", rc->address, rc->source);
	}
	if (recipients->len > 0)
		key = us_list_address_key(((struct us_recipient *)g_ptr_array_index(recipients, 0))->address);

	if (cfg->sent_ids) {
		r = g_string_new(NULL);
		add_piece(pieces, "sent-ids", check_sent_ids(cfg, msg, r), r);
	}
	r = g_string_new(NULL);
	add_piece(pieces, "relays", check_relays(cfg, msg, r, ex), r);
	struct piece relay_piece = g_array_index(pieces, struct piece, pieces->len - 1);
	if (cfg->batv_keys->len > 0 || cfg->batv_domains->len > 0) {
		r = g_string_new(NULL);
		add_piece(pieces, "batv", check_batv(cfg, recipients, r), r);
	}
	bool ours_domain = key && (cfg->domains->len == 0 || in_domains(cfg->domains, key));
	if (ours_domain && cfg->valid_recipients) {
		r = g_string_new(NULL);
		add_piece(pieces, "valid-recipients", check_valid(cfg, key, r), r);
	}
	if (ours_domain && cfg->unlikely_localparts) {
		r = g_string_new(NULL);
		add_piece(pieces, "localpart", check_localpart(cfg, key, r), r);
	}
	if (ours_domain && cfg->sent_from) {
		r = g_string_new(NULL);
		add_piece(pieces, "sent-from", check_sent_from(cfg, key, r), r);
	}
	if (cfg->state_dir && key) {
		r = g_string_new(NULL);
		add_piece(pieces, "storm", check_storm(cfg, key, r, ex), r);
	}

	const struct piece *decider = NULL;
	for (guint i = 0; i < pieces->len; i++) {
		const struct piece *p = &g_array_index(pieces, struct piece, i);
		const char *says = p->says == US_PROV_UNKNOWN ? "none" : us_provenance_name(p->says);
		us_explain(ex, "provenance: %s: %s: %s", p->name, says, p->reason->str);
		if (lines)
			g_ptr_array_add(lines, g_strdup_printf("%s %s; %s", p->name, says, p->reason->str));
		if (decider == NULL && p->says != US_PROV_UNKNOWN)
			decider = p;
	}
	if (decider) {
		result = decider->says;
		g_string_assign(evidence, decider->reason->str);
		us_explain(ex, "provenance: %s, decided by %s (order: sent-ids, relays, batv, "
			   "valid-recipients, localpart, sent-from, storm)",
			   us_provenance_name(result), decider->name);
	} else {
		g_string_assign(evidence, relay_piece.reason->str);
		us_explain(ex, "provenance: unknown: no piece of evidence decides");
	}
	for (guint i = 0; i < pieces->len; i++)
		g_string_free(g_array_index(pieces, struct piece, i).reason, TRUE);
	g_array_unref(pieces);
	g_ptr_array_unref(recipients);
	g_free(key);
	return result;
}
