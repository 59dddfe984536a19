/* batv.c - BATV prvs tags: parse, sign, verify; the batv-sign subcommand. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include "batv.h"
#include "config.h"

void us_batv_key_free(gpointer key)
{
	struct us_batv_key *k = key;

	if (k == NULL)
		return;
	g_free(k->secret);
	g_free(k);
}

static int hex_value(char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

bool us_batv_parse(const char *local, size_t len, struct us_batv_tag *out)
{
	/* "prvs=" + 10 + "=" + at least one character of loc-core. */
	if (local == NULL || len < 17 || g_ascii_strncasecmp(local, "prvs=", 5) != 0)
		return false;
	const char *v = local + 5;
	if (!g_ascii_isdigit(v[0]) || !g_ascii_isdigit(v[1]) || !g_ascii_isdigit(v[2]) ||
	    !g_ascii_isdigit(v[3]) || v[10] != '=')
		return false;
	for (int i = 4; i < 10; i++)
		if (hex_value(v[i]) < 0)
			return false;
	out->key = (unsigned)(v[0] - '0');
	out->day = (unsigned)((v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0'));
	memcpy(out->hash, v + 4, 6);
	out->hash[6] = '\0';
	out->loc_core = v + 11;
	out->loc_core_len = len - 16;
	return true;
}

unsigned us_batv_day(time_t now)
{
	if (now < 0)
		now = 0;
	return (unsigned)((now / 86400) % 1000);
}

void us_batv_hash(const char *secret, unsigned key, unsigned day,
		  const char *address, size_t len, char out[7])
{
	GHmac *hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));
	char source[5];
	guint8 digest[20];
	gsize digest_len = sizeof digest;

	g_snprintf(source, sizeof source, "%u%03u", key % 10, day % 1000);
	g_hmac_update(hmac, (const guchar *)source, 4);
	g_hmac_update(hmac, (const guchar *)address, (gssize)len);
	g_hmac_get_digest(hmac, digest, &digest_len);
	g_hmac_unref(hmac);
	g_snprintf(out, 7, "%02x%02x%02x", digest[0], digest[1], digest[2]);
}

char *us_batv_sign(const struct us_batv_key *key, unsigned day, const char *address)
{
	const char *at = strrchr(address, '@');
	char hash[7];

	if (at == NULL || at == address)
		return NULL;
	us_batv_hash(key->secret, key->number, day, address, strlen(address), hash);
	return g_strdup_printf("prvs=%u%03u%s=%s", key->number % 10, day % 1000, hash, address);
}

const char *us_batv_result_name(enum us_batv_result r)
{
	switch (r) {
	case US_BATV_UNTAGGED: return "untagged";
	case US_BATV_VALID: return "valid";
	case US_BATV_BAD_HASH: return "bad-hash";
	case US_BATV_UNKNOWN_KEY: return "unknown-key";
	case US_BATV_EXPIRED: return "expired";
	}
	return "?";
}

enum us_batv_result us_batv_verify(const GPtrArray *keys, unsigned days,
				   const char *address, time_t now, char **untagged)
{
	const char *at = strrchr(address, '@');
	struct us_batv_tag tag;
	enum us_batv_result result = US_BATV_UNKNOWN_KEY;

	if (untagged)
		*untagged = NULL;
	if (at == NULL || !us_batv_parse(address, (size_t)(at - address), &tag)) {
		if (untagged)
			*untagged = g_strdup(address);
		return US_BATV_UNTAGGED;
	}
	/* The hash covers "loc-core@domain", i.e. everything after the tag. */
	const char *plain = tag.loc_core;
	size_t plain_len = strlen(plain);
	for (guint i = 0; keys && i < keys->len; i++) {
		const struct us_batv_key *k = g_ptr_array_index(keys, i);
		char want[7];

		if (k->number != tag.key)
			continue;
		us_batv_hash(k->secret, k->number, tag.day, plain, plain_len, want);
		if (g_ascii_strcasecmp(want, tag.hash) != 0) {
			result = US_BATV_BAD_HASH;
			continue;
		}
		/* Days from today to the expiry day, modulo the 1000-day wrap. */
		unsigned ahead = (tag.day + 1000 - us_batv_day(now)) % 1000;
		result = ahead <= days ? US_BATV_VALID : US_BATV_EXPIRED;
		break;
	}
	if (untagged)
		*untagged = g_strdup(plain);
	return result;
}

static const char sign_usage[] =
	"usage: unscatter batv-sign [-c FILE] [-k N] [-d DAYS] ADDRESS\n"
	"\n"
	"Print ADDRESS with a BATV prvs tag (draft-levine-smtp-batv-01), made with\n"
	"a 'batv-key' of the configuration, as the outbound MTA should sign it; then\n"
	"the tag's verdict when a bounce to it arrives now.\n"
	"\n"
	"  -c, --config FILE  configuration (default " US_DEFAULT_CONFIG ")\n"
	"  -k, --key N        key number to sign with (default: the last batv-key line)\n"
	"  -d, --days DAYS    days until the tag expires (default: the config's batv-days)\n"
	"  -h, --help         print this help and exit\n";

int us_batv_sign_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = US_DEFAULT_CONFIG;
	long key_number = -1, days = -1;
	char *end;
	int c, status = EX_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:k:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'k':
			key_number = strtol(optarg, &end, 10);
			if (*end || end == optarg || key_number < 0 || key_number > 9) {
				fprintf(stderr, "unscatter batv-sign: -k '%s': expected a key number 0-9\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*end || end == optarg || days < 0 || days > (long)US_BATV_MAX_DAYS) {
				fprintf(stderr, "unscatter batv-sign: -d '%s': expected 0-%u days\n",
					optarg, US_BATV_MAX_DAYS);
				return EX_USAGE;
			}
			break;
		case 'h':
			fputs(sign_usage, stdout);
			return EX_OK;
		default:
			fputs(sign_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(sign_usage, stderr);
		return EX_USAGE;
	}

	struct us_config *cfg = us_config_new();
	GError *error = NULL;
	const struct us_batv_key *key = NULL;
	const char *address = argv[optind];

	if (!us_config_load(cfg, config_path, true, &error)) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		us_config_free(cfg);
		return EX_CONFIG;
	}
	for (guint i = 0; i < cfg->batv_keys->len; i++) {
		const struct us_batv_key *k = g_ptr_array_index(cfg->batv_keys, i);
		if (key_number < 0 || (unsigned)key_number == k->number)
			key = k;
	}
	if (key == NULL) {
		if (key_number < 0)
			fprintf(stderr, "unscatter batv-sign: %s has no batv-key line\n", config_path);
		else
			fprintf(stderr, "unscatter batv-sign: %s has no batv-key %ld\n", config_path, key_number);
		status = EX_CONFIG;
	} else {
		time_t now = time(NULL);
		unsigned window = days >= 0 ? (unsigned)days : cfg->batv_days;
		char *signed_addr = us_batv_sign(key, (us_batv_day(now) + window) % 1000, address);

		if (signed_addr == NULL) {
			fprintf(stderr, "unscatter batv-sign: '%s' is not local@domain\n", address);
			status = EX_USAGE;
		} else {
			enum us_batv_result r = us_batv_verify(cfg->batv_keys, cfg->batv_days,
							       signed_addr, now, NULL);
			printf("%s\n", signed_addr);
			fprintf(stderr, "unscatter batv-sign: key %u, expires on day %03u (in %u days); "
				"a bounce to it now: %s\n", key->number,
				(us_batv_day(now) + window) % 1000, window, us_batv_result_name(r));
			if (fflush(stdout) != 0)
				status = EX_IOERR;
		}
		g_free(signed_addr);
	}
	us_config_free(cfg);
	return status;
}
