/* test-config.c - configuration parsing and its FILE:LINE errors. */
#include <string.h>
#include "config.h"
#include "tap.h"

/* Parse TEXT into a fresh config; returns the error message (g_free) or NULL. */
static char *parse(const char *text, struct us_config **out)
{
	struct us_config *cfg = us_config_new();
	GError *error = NULL;
	char *msg = NULL;

	if (!us_config_parse(cfg, "/etc/test.conf", text, strlen(text), &error)) {
		msg = g_strdup(error->message);
		g_error_free(error);
	}
	if (out)
		*out = cfg;
	else
		us_config_free(cfg);
	return msg;
}

static void check_error(const char *text, const char *want, const char *what)
{
	char *got = parse(text, NULL);
	is_str(got, want, what);
	g_free(got);
}

int main(void)
{
	struct us_config *cfg;
	char *err;

	cfg = us_config_new();
	is_int(cfg->deadline_ms, 5000, "default deadline is 5 s");
	is_int(cfg->unknown, US_UNKNOWN_BACKSCATTER, "unknown provenance defaults to backscatter");
	is_int(us_relays_count(cfg->relays), 0, "no relays by default");
	us_config_free(cfg);

	err = parse("# our setup\n"
		    "relay mail.example.com 192.0.2.0/24  # two at once\n"
		    "relay *.out.example.net\n"
		    "\n"
		    "domain Example.COM example.org\n"
		    "rules rules.d\n"
		    "unknown genuine\n"
		    "deadline 2.5s\n", &cfg);
	is_str(err, NULL, "a full config parses");
	is_int(us_relays_count(cfg->relays), 3, "three relay entries");
	is_int(cfg->domains->len, 2, "two domains");
	is_str(g_ptr_array_index(cfg->domains, 0), "example.com", "domains are lower-cased");
	is_str(cfg->rules_dir, "/etc/rules.d", "relative rules path resolved against the config's folder");
	is_int(cfg->unknown, US_UNKNOWN_GENUINE, "unknown genuine");
	is_int(cfg->deadline_ms, 2500, "deadline 2.5s");
	us_config_free(cfg);
	g_free(err);

	err = parse("deadline 800ms\nrules /usr/share/x\r\n", &cfg);
	is_str(err, NULL, "ms deadline and a CRLF line parse");
	is_int(cfg->deadline_ms, 800, "deadline 800ms");
	is_str(cfg->rules_dir, "/usr/share/x", "absolute rules path kept, CR stripped");
	us_config_free(cfg);
	g_free(err);

	check_error("relay a.example\nfrobnicate 1\n",
		    "/etc/test.conf:2: unknown key 'frobnicate' (expected relay, domain, rules, unknown, deadline, batv-key, batv-days, batv-domain, sent-ids, sent-from, valid-recipients, unlikely-localparts, storm or state-dir)",
		    "unknown key names file and line");
	check_error("relay 192.0.2.0/33\n",
		    "/etc/test.conf:1: relay '192.0.2.0/33': not a valid IP address or CIDR range",
		    "bad CIDR prefix");
	check_error("relay 300.1.2.3\n",
		    "/etc/test.conf:1: relay '300.1.2.3': not a valid IP address or CIDR range",
		    "bad IPv4 address");
	check_error("relay mail!example\n",
		    "/etc/test.conf:1: relay 'mail!example': not a host name, host pattern, IP address or CIDR range",
		    "bad host name");
	check_error("relay\n", "/etc/test.conf:1: 'relay' needs at least one value", "relay without value");
	check_error("unknown maybe\n",
		    "/etc/test.conf:1: unknown 'maybe': expected backscatter or genuine", "bad unknown policy");
	check_error("deadline 20\n",
		    "/etc/test.conf:1: deadline '20': at most 9000 ms (Dovecot kills filters at 10 s)",
		    "deadline over Dovecot's limit");
	check_error("deadline soon\n",
		    "/etc/test.conf:1: deadline 'soon': expected seconds, e.g. 5, 2.5s or 800ms", "bad deadline");
	check_error("rules a b\n", "/etc/test.conf:1: 'rules' takes exactly one value", "two rule dirs");
	check_error("domain localhost\n", "/etc/test.conf:1: domain 'localhost': not a domain name",
		    "domain without a dot");
	check_error("domain\n", "/etc/test.conf:1: 'domain' needs at least one value", "domain without value");
	check_error("unknown\n", "/etc/test.conf:1: 'unknown' takes exactly one value", "unknown without value");
	check_error("deadline 0\n",
		    "/etc/test.conf:1: deadline '0': expected seconds, e.g. 5, 2.5s or 800ms", "zero deadline");
	check_error("deadline inf\n",
		    "/etc/test.conf:1: deadline 'inf': expected seconds, e.g. 5, 2.5s or 800ms", "infinite deadline");
	check_error("deadline 0.0001\n",
		    "/etc/test.conf:1: deadline '0.0001': expected seconds, e.g. 5, 2.5s or 800ms",
		    "deadline that rounds to 0 ms");
	check_error("relay 2001:db8::/129\n",
		    "/etc/test.conf:1: relay '2001:db8::/129': not a valid IP address or CIDR range",
		    "IPv6 prefix over 128");
	{
		static const char nul[] = "\n\nrelay a.example\0x\n";
		GError *e = NULL;
		cfg = us_config_new();
		ok(!us_config_parse(cfg, "/etc/test.conf", nul, sizeof nul - 1, &e), "a NUL byte is an error");
		is_str(e ? e->message : NULL, "/etc/test.conf:3: NUL byte in line", "NUL byte named with its line");
		g_clear_error(&e);
		us_config_free(cfg);
	}

	/* Files. */
	cfg = us_config_new();
	GError *error = NULL;
	ok(us_config_load(cfg, "/nonexistent/unscatter.conf", false, &error),
	   "a missing default config is not an error");
	ok(!us_config_load(cfg, "/nonexistent/unscatter.conf", true, &error),
	   "a missing -c config is an error");
	ok(error && strstr(error->message, "/nonexistent/unscatter.conf: ") == error->message,
	   "the error names the file");
	g_clear_error(&error);
	us_config_free(cfg);

	/* Keys of provenance beyond relays. */
	cfg = us_config_new();
	is_int(cfg->batv_days, 7, "BATV window defaults to 7 days");
	ok(cfg->storm_limit == 20 && cfg->storm_minutes == 10, "storm defaults to 20 in 10 minutes");
	ok(cfg->state_dir == NULL && cfg->sent_ids == NULL, "no state dir, no lists by default");
	us_config_free(cfg);
	err = parse("batv-key 1 first-secret\nbatv-key 2 second-secret\nbatv-days 14\n"
		    "batv-domain Example.COM\nstorm 5 3\nstate-dir state\n", &cfg);
	ok(err == NULL && cfg->batv_keys->len == 2 && cfg->batv_days == 14, "two BATV keys, window 14");
	is_str(g_ptr_array_index(cfg->batv_domains, 0), "example.com", "batv-domain lower-cased");
	ok(cfg->storm_limit == 5 && cfg->storm_minutes == 3, "storm 5 3");
	is_str(cfg->state_dir, "/etc/state", "relative state-dir is relative to the config file");
	us_config_free(cfg);
	g_free(err);
	g_setenv("HOME", "/home/u", TRUE);
	err = parse("state-dir ~/.unscatter\n", &cfg);
	is_str(cfg->state_dir, "/home/u/.unscatter", "~/ is the home directory");
	us_config_free(cfg);
	g_free(err);
	check_error("batv-key 1 a-secret\nbatv-key 1 b-secret\n", "/etc/test.conf:2: batv-key 1 is given twice",
		    "a key number twice");
	check_error("batv-key 1 short\n", "/etc/test.conf:1: batv-key: the secret must be at least 8 characters",
		    "short secret");
	check_error("batv-key 1\n", "/etc/test.conf:1: 'batv-key' takes a key number 0-9 and a secret",
		    "secret missing");
	check_error("batv-days 0\n", "/etc/test.conf:1: batv-days '0': expected 1-365 days", "window of 0 days");
	check_error("storm 0 10\n", "/etc/test.conf:1: 'storm' takes a count 1-10000 and minutes 1-10080, e.g. 'storm 20 10'",
		    "storm of 0");
	check_error("sent-from /nonexistent/from.cdb\n",
		    "/etc/test.conf:1: sent-from: /nonexistent/from.cdb: No such file or directory",
		    "a missing list is an error at once");
	check_error("state-dir a b\n", "/etc/test.conf:1: 'state-dir' takes exactly one value", "one state dir");
	return tap_done();
}
