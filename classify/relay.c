/* relay.c - our outbound relays and matching them in Received headers. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "relay.h"

struct relay_glob {
	char *spec;
	GPatternSpec *pattern;
};

/* An address or range. inet_pton() rather than GInetAddressMask: setting
 * up the GObject classes of GIO's addresses took some 0.07 M instructions
 * of every run, 5 % of classifying an ordinary message, for a comparison
 * of a few bytes. */
struct relay_net {
	char *spec;
	int family;		/* AF_INET or AF_INET6 */
	guint8 bytes[16];	/* network byte order, zero past the prefix */
	unsigned prefix;	/* bits that must match */
};

/* TEXT as an address of FAMILY into BYTES (16 bytes); false if it is not. */
static bool parse_address(const char *text, int *family, guint8 *bytes)
{
	memset(bytes, 0, 16);
	*family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
	return inet_pton(*family, text, bytes) == 1;
}

static unsigned address_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

/* Whether every bit of BYTES (16) from bit PREFIX on is clear. */
static bool zero_past(const guint8 *bytes, unsigned prefix)
{
	for (unsigned bit = prefix; bit < 128; bit++)
		if (bytes[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

/* Whether the first PREFIX bits of A and B are equal. */
static bool prefix_equal(const guint8 *a, const guint8 *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (guint8)(0xFF << (8 - rest))) == 0;
}

struct us_relays {
	GHashTable *names;	/* lower-case host name -> spec as written */
	GPtrArray *globs;	/* struct relay_glob * */
	GPtrArray *nets;	/* struct relay_net * */
};

static void relay_glob_free(gpointer p)
{
	struct relay_glob *g = p;

	g_free(g->spec);
	g_pattern_spec_free(g->pattern);
	g_free(g);
}

static void relay_net_free(gpointer p)
{
	struct relay_net *n = p;

	g_free(n->spec);
	g_free(n);
}

struct us_relays *us_relays_new(void)
{
	struct us_relays *r = g_new0(struct us_relays, 1);

	r->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r->globs = g_ptr_array_new_with_free_func(relay_glob_free);
	r->nets = g_ptr_array_new_with_free_func(relay_net_free);
	return r;
}

void us_relays_free(struct us_relays *r)
{
	if (r == NULL)
		return;
	g_hash_table_unref(r->names);
	g_ptr_array_unref(r->globs);
	g_ptr_array_unref(r->nets);
	g_free(r);
}

unsigned us_relays_count(const struct us_relays *r)
{
	return g_hash_table_size(r->names) + r->globs->len + r->nets->len;
}

/* A host name or glob: letters, digits, '-', '.', '_' and the glob characters. */
static bool host_spec_valid(const char *spec, bool *is_glob)
{
	bool dot = false;

	*is_glob = false;
	for (const char *p = spec; *p; p++) {
		if (*p == '*' || *p == '?')
			*is_glob = true;
		else if (*p == '.')
			dot = true;
		else if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return false;
	}
	/* ".example.com" and "a..b" name no host: they would never match. */
	if (spec[0] == '.' || strstr(spec, "..") != NULL)
		return false;
	/* A bare word would match any single-label token ("localhost", "by"). */
	return dot || (*is_glob && spec[1] != '\0');
}

bool us_relays_add(struct us_relays *r, const char *spec, const char **reason)
{
	bool is_glob;

	if (*spec == '\0') {
		*reason = "empty relay";
		return false;
	}
	if (strchr(spec, ':') != NULL || g_ascii_isdigit(spec[0]) ||
	    strchr(spec, '/') != NULL) {
		/* Looks like an address or a range: it must parse as one, with
		 * a prefix length of 1-3 digits within the address and no bit
		 * set past it. Digits and dots that are no address may still
		 * be a host name ("0x7f.example"). */
		const char *slash = strchr(spec, '/');
		char *address = g_strndup(spec, slash ? (size_t)(slash - spec) : strlen(spec));
		struct relay_net net = { .spec = NULL };
		bool parsed = parse_address(address, &net.family, net.bytes);
		g_free(address);
		net.prefix = address_bits(net.family);
		if (parsed && slash != NULL) {
			size_t digits = strspn(slash + 1, "0123456789");
			parsed = digits > 0 && digits <= 3 && slash[1 + digits] == '\0' &&
				 (unsigned)atoi(slash + 1) <= net.prefix;
			if (parsed) {
				net.prefix = (unsigned)atoi(slash + 1);
				parsed = zero_past(net.bytes, net.prefix);
			}
		}
		if (parsed) {
			struct relay_net *n = g_new(struct relay_net, 1);
			*n = net;
			n->spec = g_strdup(spec);
			g_ptr_array_add(r->nets, n);
			return true;
		}
		if (slash != NULL || strchr(spec, ':') != NULL ||
		    strspn(spec, "0123456789.") == strlen(spec)) {
			*reason = "not a valid IP address or CIDR range";
			return false;
		}
	}
	if (!host_spec_valid(spec, &is_glob)) {
		*reason = "not a host name, host pattern, IP address or CIDR range";
		return false;
	}
	char *lower = g_ascii_strdown(spec, -1);
	if (is_glob) {
		struct relay_glob *g = g_new(struct relay_glob, 1);
		g->spec = g_strdup(spec);
		g->pattern = g_pattern_spec_new(lower);
		g_ptr_array_add(r->globs, g);
		g_free(lower);
	} else {
		g_hash_table_replace(r->names, lower, g_strdup(spec));
	}
	return true;
}

static const char *match_address(const struct us_relays *r, const char *token)
{
	const char *text = token;

	if (g_ascii_strncasecmp(text, "ipv6:", 5) == 0)
		text += 5;
	int family;
	guint8 bytes[16];

	if (!g_hostname_is_ip_address(text) || !parse_address(text, &family, bytes))
		return NULL;
	for (guint i = 0; i < r->nets->len; i++) {
		const struct relay_net *n = g_ptr_array_index(r->nets, i);
		if (n->family == family && prefix_equal(n->bytes, bytes, n->prefix))
			return n->spec;
	}
	return NULL;
}

static const char *match_host(const struct us_relays *r, char *token)
{
	size_t len = strlen(token);

	while (len > 0 && token[len - 1] == '.')	/* absolute names: "host.example." */
		token[--len] = '\0';
	if (strchr(token, '.') == NULL)
		return NULL;
	char *lower = g_ascii_strdown(token, -1);
	const char *found = g_hash_table_lookup(r->names, lower);
	for (guint i = 0; i < r->globs->len && found == NULL; i++) {
		const struct relay_glob *g = g_ptr_array_index(r->globs, i);
		if (g_pattern_spec_match_string(g->pattern, lower))
			found = g->spec;
	}
	g_free(lower);
	return found;
}

/* Tokens are split at white space and the punctuation Received headers use
 * around names and addresses: "from a.example (b.example [192.0.2.1]) by ...". */
#define RECEIVED_DELIMITERS " \t\r\n()[]<>;,='\"{}"

bool us_relays_match_received(const struct us_relays *r, const char *received,
			      const char **matched)
{
	if (us_relays_count(r) == 0)
		return false;
	char *copy = g_strdup(received);
	char *save = NULL;
	const char *found = NULL;

	for (char *tok = strtok_r(copy, RECEIVED_DELIMITERS, &save);
	     tok != NULL && found == NULL;
	     tok = strtok_r(NULL, RECEIVED_DELIMITERS, &save)) {
		if (strchr(tok, '@') != NULL)	/* an address ("for <u@example>"), not a host */
			continue;
		found = match_address(r, tok);
		if (found == NULL)
			found = match_host(r, tok);
	}
	g_free(copy);
	if (found != NULL)
		*matched = found;
	return found != NULL;
}
