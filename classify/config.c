/* config.c - read /etc/unscatter.conf ("key value" lines). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "batv.h"
#include "config.h"
#include "storm.h"

#define CONFIG_ERROR g_quark_from_static_string("unscatter-config")

struct us_config *us_config_new(void)
{
	struct us_config *cfg = g_new0(struct us_config, 1);

	cfg->relays = us_relays_new();
	cfg->domains = g_ptr_array_new_with_free_func(g_free);
	cfg->rules_dir = g_strdup(US_RULESDIR);
	cfg->unknown = US_UNKNOWN_BACKSCATTER;
	cfg->deadline_ms = US_DEFAULT_DEADLINE_MS;
	cfg->batv_keys = g_ptr_array_new_with_free_func(us_batv_key_free);
	cfg->batv_days = US_BATV_DEFAULT_DAYS;
	cfg->batv_domains = g_ptr_array_new_with_free_func(g_free);
	cfg->storm_limit = US_STORM_DEFAULT_LIMIT;
	cfg->storm_minutes = US_STORM_DEFAULT_MINUTES;
	cfg->recipients = g_ptr_array_new_with_free_func(us_recipient_free);
	return cfg;
}

void us_config_free(struct us_config *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->path);
	us_relays_free(cfg->relays);
	g_ptr_array_unref(cfg->domains);
	g_free(cfg->rules_dir);
	g_ptr_array_unref(cfg->batv_keys);
	g_ptr_array_unref(cfg->batv_domains);
	us_list_free(cfg->sent_ids);
	us_list_free(cfg->sent_from);
	us_list_free(cfg->valid_recipients);
	us_localparts_free(cfg->unlikely_localparts);
	g_free(cfg->state_dir);
	g_ptr_array_unref(cfg->recipients);
	g_free(cfg);
}

/* "5", "2.5", "2.5s" or "800ms" -> milliseconds; false if malformed. */
static bool parse_duration_ms(const char *text, unsigned *ms)
{
	char *end;
	double value;

	errno = 0;
	value = g_ascii_strtod(text, &end);
	if (end == text || errno != 0 || value <= 0)
		return false;
	if (strcmp(end, "ms") == 0)
		value /= 1000.0;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return false;
	if (value * 1000.0 > (double)G_MAXUINT)
		return false;
	*ms = (unsigned)(value * 1000.0 + 0.5);
	return *ms > 0;
}

static bool domain_valid(const char *d)
{
	if (*d == '\0' || *d == '.' || strchr(d, '.') == NULL)
		return false;
	for (const char *p = d; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

/* VALUE as a path: relative ones are relative to the config file's folder,
 * so a config can travel with its rules and lists; "~/" is $HOME. */
static char *config_path(const char *filename, const char *value)
{
	if (g_path_is_absolute(value))
		return g_strdup(value);
	if (strncmp(value, "~/", 2) == 0 && g_getenv("HOME"))
		return g_build_filename(g_getenv("HOME"), value + 2, NULL);
	char *dir = g_path_get_dirname(filename);
	char *path = g_build_filename(dir, value, NULL);
	g_free(dir);
	return path;
}

static bool parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!g_ascii_isdigit(*text))
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (*end || errno || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* A CDB list line: open it now, so an unreadable list stops start-up. */
static char *open_list(struct us_list **slot, const char *filename, const char *key,
		       const char *value)
{
	char *path = config_path(filename, value);
	GError *error = NULL;
	struct us_list *list = us_list_open(path, &error);

	g_free(path);
	if (list == NULL) {
		char *msg = g_strdup_printf("%s: %s", key, error->message);
		g_error_free(error);
		return msg;
	}
	us_list_free(*slot);
	*slot = list;
	return NULL;
}

/* The keys of provenance beyond relays. Returns NULL when applied, a new
 * message on error, or NOT_MINE if KEY is none of them. */
static char not_mine[] = "";
#define NOT_MINE not_mine
static char *apply_provenance_line(struct us_config *cfg, const char *filename,
				   const char *key, char **values, guint nvalues)
{
	if (strcmp(key, "batv-key") == 0) {
		unsigned number;
		if (nvalues != 2)
			return g_strdup("'batv-key' takes a key number 0-9 and a secret");
		if (!parse_uint(values[0], 0, 9, &number) || values[0][1] != '\0')
			return g_strdup_printf("batv-key '%s': the key number must be one digit 0-9", values[0]);
		if (strlen(values[1]) < 8)
			return g_strdup("batv-key: the secret must be at least 8 characters");
		for (guint i = 0; i < cfg->batv_keys->len; i++)
			if (((struct us_batv_key *)g_ptr_array_index(cfg->batv_keys, i))->number == number)
				return g_strdup_printf("batv-key %u is given twice", number);
		struct us_batv_key *k = g_new(struct us_batv_key, 1);
		k->number = number;
		k->secret = g_strdup(values[1]);
		g_ptr_array_add(cfg->batv_keys, k);
		return NULL;
	}
	if (strcmp(key, "batv-domain") == 0) {
		if (nvalues == 0)
			return g_strdup("'batv-domain' needs at least one domain");
		for (guint i = 0; i < nvalues; i++) {
			if (!domain_valid(values[i]))
				return g_strdup_printf("batv-domain '%s': not a domain name", values[i]);
			g_ptr_array_add(cfg->batv_domains, g_ascii_strdown(values[i], -1));
		}
		return NULL;
	}
	if (strcmp(key, "storm") == 0) {
		if (nvalues != 2 || !parse_uint(values[0], 1, US_STORM_MAX_LIMIT, &cfg->storm_limit) ||
		    !parse_uint(values[1], 1, US_STORM_MAX_MINUTES, &cfg->storm_minutes))
			return g_strdup_printf("'storm' takes a count 1-%u and minutes 1-%u, e.g. 'storm 20 10'",
					       US_STORM_MAX_LIMIT, US_STORM_MAX_MINUTES);
		return NULL;
	}
	if (strcmp(key, "batv-days") != 0 && strcmp(key, "sent-ids") != 0 &&
	    strcmp(key, "sent-from") != 0 && strcmp(key, "valid-recipients") != 0 &&
	    strcmp(key, "unlikely-localparts") != 0 && strcmp(key, "state-dir") != 0)
		return NOT_MINE;
	if (nvalues != 1)
		return g_strdup_printf("'%s' takes exactly one value", key);
	if (strcmp(key, "batv-days") == 0) {
		if (!parse_uint(values[0], 1, US_BATV_MAX_DAYS, &cfg->batv_days))
			return g_strdup_printf("batv-days '%s': expected 1-%u days", values[0], US_BATV_MAX_DAYS);
	} else if (strcmp(key, "sent-ids") == 0) {
		return open_list(&cfg->sent_ids, filename, key, values[0]);
	} else if (strcmp(key, "sent-from") == 0) {
		return open_list(&cfg->sent_from, filename, key, values[0]);
	} else if (strcmp(key, "valid-recipients") == 0) {
		return open_list(&cfg->valid_recipients, filename, key, values[0]);
	} else if (strcmp(key, "unlikely-localparts") == 0) {
		char *path = config_path(filename, values[0]);
		GError *error = NULL;
		struct us_localparts *lp = us_localparts_load(path, &error);
		g_free(path);
		if (lp == NULL) {
			char *msg = g_strdup_printf("unlikely-localparts: %s", error->message);
			g_error_free(error);
			return msg;
		}
		us_localparts_free(cfg->unlikely_localparts);
		cfg->unlikely_localparts = lp;
	} else {
		g_free(cfg->state_dir);
		cfg->state_dir = config_path(filename, values[0]);
	}
	return NULL;
}

/* Apply one "key value..." line; on error return a new message. */
static char *apply_line(struct us_config *cfg, const char *filename,
			char *key, char **values, guint nvalues)
{
	const char *reason;
	bool is_relay = strcmp(key, "relay") == 0;

	if (is_relay || strcmp(key, "domain") == 0) {
		if (nvalues == 0)
			return g_strdup_printf("'%s' needs at least one value", key);
		for (guint i = 0; i < nvalues; i++) {
			if (is_relay) {
				if (!us_relays_add(cfg->relays, values[i], &reason))
					return g_strdup_printf("relay '%s': %s", values[i], reason);
			} else {
				if (!domain_valid(values[i]))
					return g_strdup_printf("domain '%s': not a domain name", values[i]);
				g_ptr_array_add(cfg->domains, g_ascii_strdown(values[i], -1));
			}
		}
		return NULL;
	}
	char *problem = apply_provenance_line(cfg, filename, key, values, nvalues);
	if (problem != NOT_MINE)
		return problem;
	if (strcmp(key, "rules") != 0 && strcmp(key, "unknown") != 0 &&
	    strcmp(key, "deadline") != 0)
		return g_strdup_printf("unknown key '%s' (expected relay, domain, rules, unknown, deadline, "
				       "batv-key, batv-days, batv-domain, sent-ids, sent-from, valid-recipients, "
				       "unlikely-localparts, storm or state-dir)", key);
	if (nvalues != 1)
		return g_strdup_printf("'%s' takes exactly one value", key);

	const char *value = values[0];
	if (strcmp(key, "rules") == 0) {
		g_free(cfg->rules_dir);
		cfg->rules_dir = config_path(filename, value);
	} else if (strcmp(key, "unknown") == 0) {
		if (strcmp(value, "backscatter") == 0)
			cfg->unknown = US_UNKNOWN_BACKSCATTER;
		else if (strcmp(value, "genuine") == 0)
			cfg->unknown = US_UNKNOWN_GENUINE;
		else
			return g_strdup_printf("unknown '%s': expected backscatter or genuine", value);
	} else {
		unsigned ms;
		if (!parse_duration_ms(value, &ms))
			return g_strdup_printf("deadline '%s': expected seconds, e.g. 5, 2.5s or 800ms", value);
		if (ms > US_MAX_DEADLINE_MS)
			return g_strdup_printf("deadline '%s': at most %u ms (Dovecot kills filters at 10 s)",
					       value, US_MAX_DEADLINE_MS);
		cfg->deadline_ms = ms;
	}
	return NULL;
}

bool us_config_parse(struct us_config *cfg, const char *filename,
		     const char *text, size_t len, GError **error)
{
	unsigned lineno = 0;
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_start = p, *line_end = nl ? nl : end;
		char *line = g_strndup(p, (size_t)(line_end - p));
		char *problem = NULL;

		lineno++;
		p = nl ? nl + 1 : end;
		if (memchr(line_start, '\0', (size_t)(line_end - line_start)) != NULL)
			problem = g_strdup("NUL byte in line");
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		g_strstrip(line);
		if (problem == NULL && *line != '\0') {
			char **words = g_strsplit_set(line, " \t\r", -1);
			GPtrArray *values = g_ptr_array_new();
			for (char **w = words + 1; *w; w++)
				if (**w)
					g_ptr_array_add(values, *w);
			problem = apply_line(cfg, filename, words[0],
					     (char **)values->pdata, values->len);
			g_ptr_array_unref(values);
			g_strfreev(words);
		}
		g_free(line);
		if (problem) {
			g_set_error(error, CONFIG_ERROR, 1, "%s:%u: %s", filename, lineno, problem);
			g_free(problem);
			return false;
		}
	}
	return true;
}

bool us_config_load(struct us_config *cfg, const char *path, bool must_exist,
		    GError **error)
{
	char *text = NULL;
	gsize len = 0;
	GError *io = NULL;

	if (!g_file_get_contents(path, &text, &len, &io)) {
		bool missing = g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT);
		if (missing && !must_exist) {
			g_error_free(io);
			return true;
		}
		g_set_error(error, CONFIG_ERROR, 2, "%s: %s", path, io->message);
		g_error_free(io);
		return false;
	}
	bool ok = us_config_parse(cfg, path, text, len, error);
	if (ok) {
		g_free(cfg->path);
		cfg->path = g_strdup(path);
	}
	g_free(text);
	return ok;
}
