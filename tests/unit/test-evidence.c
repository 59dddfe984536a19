/* test-evidence.c - every piece of provenance evidence and the precedence
 * between conflicting pieces (provenance.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "batv.h"
#include "provenance.h"
#include "recipient.h"
#include "storm.h"
#include "tap.h"

static char *tmpdir;

static struct us_list *make_list(const char *name, const char *const *keys)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	char *path = g_build_filename(tmpdir, name, NULL);
	struct us_list *list;

	for (; *keys; keys++)
		g_hash_table_insert(t, g_strdup(*keys), g_strdup(""));
	us_list_write(path, t, NULL);
	list = us_list_open(path, NULL);
	unlink(path);
	g_free(path);
	g_hash_table_unref(t);
	return list;
}

static struct us_message *bounce(const char *received, const char *msgid)
{
	struct us_message *msg = us_message_new();
	struct us_quoted *q = us_quoted_new(US_QUOTE_MESSAGE);

	g_ptr_array_add(msg->quoted, q);
	if (received)
		g_ptr_array_add(q->headers, us_header_new("Received", received));
	if (msgid)
		g_ptr_array_add(q->headers, us_header_new("Message-ID", msgid));
	g_ptr_array_add(q->headers, us_header_new("Subject", "hello"));
	return msg;
}

static void set_recipient(struct us_config *cfg, const char *addr)
{
	g_ptr_array_set_size(cfg->recipients, 0);
	if (addr)
		us_recipients_envelope(cfg->recipients, addr);
}

/* Decide; returns the provenance and leaves the piece lines joined by " | " in LINES. */
static enum us_provenance decide(const struct us_config *cfg, const struct us_message *msg, GString *lines)
{
	GString *ev = g_string_new(NULL);
	GPtrArray *pieces = g_ptr_array_new_with_free_func(g_free);
	enum us_provenance p = us_provenance_decide(cfg, msg, ev, pieces, NULL);

	g_string_assign(lines, ev->str);
	for (guint i = 0; i < pieces->len; i++)
		g_string_append_printf(lines, " | %s", (char *)g_ptr_array_index(pieces, i));
	g_ptr_array_unref(pieces);
	g_string_free(ev, TRUE);
	return p;
}

#define HAS(lines, text, what) ok(strstr((lines)->str, (text)) != NULL, what)

int main(void)
{
	struct us_config *cfg = us_config_new();
	GString *l = g_string_new(NULL);
	const char *reason;
	const char *ours_rcvd = "from mail.example.com (mail.example.com [192.0.2.1]) by mx.remote.example.net";
	const char *spam_rcvd = "from bot.example.org (bot.example.org [203.0.113.5]) by mx.remote.example.net";
	struct us_message *msg;

	unsetenv("RECIPIENT");
	unsetenv("ORIGINAL_RECIPIENT");
	unsetenv("ORIG_RECIPIENT");
	tmpdir = g_dir_make_tmp("test-evidence-XXXXXX", NULL);
	us_relays_add(cfg->relays, "mail.example.com", &reason);
	g_ptr_array_add(cfg->domains, g_strdup("example.com"));
	struct us_batv_key *key = g_new(struct us_batv_key, 1);
	key->number = 3;
	key->secret = g_strdup("evidence-secret");
	g_ptr_array_add(cfg->batv_keys, key);
	unsigned today = us_batv_day(time(NULL));
	char *tagged = us_batv_sign(key, (today + 5) % 1000, "alice@example.com");
	char *badtag = g_strdup(tagged);
	badtag[10] = badtag[10] == '0' ? '1' : '0';	/* one hex digit of the hash */

	/* BATV alone. */
	msg = bounce(NULL, NULL);
	set_recipient(cfg, tagged);
	is_int(decide(cfg, msg, l), US_PROV_OURS, "valid tag, nothing else: ours");
	HAS(l, "batv ours; prvs tag of", "piece line for batv");
	HAS(l, "relays none; quoted original has no Received headers", "relay piece reported too");
	set_recipient(cfg, badtag);
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "bad tag: forged");
	HAS(l, "is bad-hash", "says why");
	set_recipient(cfg, "alice@example.com");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "untagged, domain does not tag everything: unknown");
	g_ptr_array_add(cfg->batv_domains, g_strdup("example.com"));
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "untagged in a batv-domain: forged");
	HAS(l, "has no prvs tag, but its domain tags every sender", "says why");
	set_recipient(cfg, "alice@other.example.net");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "untagged elsewhere: unknown");
	/* The tag found in a header (X-Original-To) counts like -r. */
	set_recipient(cfg, NULL);
	g_ptr_array_add(msg->headers, us_header_new("X-Original-To", tagged));
	is_int(decide(cfg, msg, l), US_PROV_OURS, "tag in X-Original-To: ours");
	us_message_free(msg);

	/* Conflicts between BATV and relays: relays win either way. */
	msg = bounce(spam_rcvd, NULL);
	set_recipient(cfg, tagged);
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "valid tag but quoted relays not ours: forged (replayed tag)");
	HAS(l, "batv ours", "the batv piece still says ours");
	HAS(l, "relays forged", "the relay piece says forged");
	us_message_free(msg);
	msg = bounce(ours_rcvd, NULL);
	set_recipient(cfg, badtag);
	is_int(decide(cfg, msg, l), US_PROV_OURS, "bad tag but quoted relay ours: ours");
	us_message_free(msg);

	/* sent-ids beats relays. */
	static const char *const ids[] = { "20261201.1234@mail.example.com", NULL };
	cfg->sent_ids = make_list("ids.cdb", ids);
	msg = bounce(spam_rcvd, "<20261201.1234@mail.example.com>");
	set_recipient(cfg, "alice@example.com");
	is_int(decide(cfg, msg, l), US_PROV_OURS, "quoted Message-ID we sent beats foreign relays");
	HAS(l, "quoted Message-ID <20261201.1234@mail.example.com> is in sent-ids", "says which id");
	us_message_free(msg);
	msg = bounce(NULL, "<other@bot.example.org>");
	g_ptr_array_add(msg->headers, us_header_new("In-Reply-To", "<20261201.1234@mail.example.com>"));
	set_recipient(cfg, "alice@other.example.net");
	is_int(decide(cfg, msg, l), US_PROV_OURS, "auto-reply In-Reply-To one of ours: ours");
	HAS(l, "In-Reply-To <20261201.1234@mail.example.com>", "says where");
	us_message_free(msg);
	msg = bounce(NULL, "<other@bot.example.org>");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "unknown id: no evidence (the list may be incomplete)");
	HAS(l, "sent-ids none; 1 Message-ID looked up, none in sent-ids", "sent-ids piece");
	us_message_free(msg);

	/* Recipient checks: only forged, and below BATV. */
	static const char *const valid[] = { "alice@example.com", "postmaster", NULL };
	static const char *const from[] = { "alice@example.com", "bob@example.com", NULL };
	cfg->valid_recipients = make_list("valid.cdb", valid);
	cfg->sent_from = make_list("from.cdb", from);
	g_ptr_array_set_size(cfg->batv_domains, 0);
	msg = bounce(NULL, NULL);
	set_recipient(cfg, "mallory@example.com");
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "recipient not valid: forged");
	HAS(l, "valid-recipients forged; mallory@example.com is not in valid-recipients", "valid piece");
	HAS(l, "sent-from forged; we never sent from mallory@example.com", "sent-from piece");
	set_recipient(cfg, "Postmaster@Example.com");
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "bare local part valid, but we never sent from it: forged");
	HAS(l, "valid-recipients none; postmaster@example.com is a valid recipient", "bare local part matches");
	set_recipient(cfg, "bob@example.com");
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "we sent from bob, but bob is not a valid recipient");
	set_recipient(cfg, "alice@example.com");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "valid and sent from: no evidence");
	set_recipient(cfg, "mallory@elsewhere.example.net");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "not one of our domains: recipient checks skipped");
	ok(strstr(l->str, "valid-recipients") == NULL, "and not reported");
	char *tagged_mallory = us_batv_sign(key, (today + 5) % 1000, "mallory@example.com");
	set_recipient(cfg, tagged_mallory);
	is_int(decide(cfg, msg, l), US_PROV_OURS, "valid tag beats 'not a valid recipient' (we signed it)");
	g_free(tagged_mallory);
	us_message_free(msg);

	/* Unlikely local parts. */
	const char pat[] = "ends-in-digits [0-9]$\n";
	cfg->unlikely_localparts = us_localparts_parse("pat", pat, sizeof pat - 1, NULL);
	us_list_free(cfg->valid_recipients);
	cfg->valid_recipients = NULL;
	us_list_free(cfg->sent_from);
	cfg->sent_from = NULL;
	msg = bounce(NULL, NULL);
	set_recipient(cfg, "alice1984@example.com");
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "unlikely local part: forged");
	HAS(l, "localpart forged; local part of alice1984@example.com is unlikely: ends-in-digits", "names the pattern");
	us_message_free(msg);
	msg = bounce(ours_rcvd, NULL);
	is_int(decide(cfg, msg, l), US_PROV_OURS, "but our relay in the quoted original wins");
	us_message_free(msg);

	/* Storms: every automated reply counts; only unknown ones turn forged. */
	cfg->state_dir = g_build_filename(tmpdir, "state", NULL);
	cfg->storm_limit = 2;
	us_localparts_free(cfg->unlikely_localparts);
	cfg->unlikely_localparts = NULL;
	msg = bounce(NULL, NULL);
	set_recipient(cfg, "carol@example.com");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "storm: 1st reply unknown");
	HAS(l, "storm none; 1 automated reply to carol@example.com in 10 minutes (limit 2)", "storm piece");
	us_message_free(msg);
	msg = bounce(ours_rcvd, NULL);
	is_int(decide(cfg, msg, l), US_PROV_OURS, "storm: 2nd reply, from our relay: ours");
	us_message_free(msg);
	msg = bounce(NULL, NULL);
	is_int(decide(cfg, msg, l), US_PROV_FORGED, "storm: 3rd reply with unknown provenance: forged");
	HAS(l, "3 automated replies to carol@example.com", "count shown");
	us_message_free(msg);
	msg = bounce(ours_rcvd, NULL);
	is_int(decide(cfg, msg, l), US_PROV_OURS, "storm: a provably genuine bounce still gets through");
	us_message_free(msg);
	msg = bounce(NULL, NULL);
	set_recipient(cfg, "dave@example.com");
	is_int(decide(cfg, msg, l), US_PROV_UNKNOWN, "storm is per recipient");
	us_message_free(msg);
	char *storm = g_build_filename(cfg->state_dir, US_STORM_FILE, NULL);
	unlink(storm);
	rmdir(cfg->state_dir);
	g_free(storm);

	g_free(tagged);
	g_free(badtag);
	rmdir(tmpdir);
	g_free(tmpdir);
	g_string_free(l, TRUE);
	us_config_free(cfg);
	return tap_done();
}
