/* config.c - read /etc/unscatter.conf ("key value" lines). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

#define CONFIG_ERROR g_quark_from_static_string("unscatter-config")

struct us_config *us_config_new(void)
{
	struct us_config *cfg = g_new0(struct us_config, 1);

	cfg->relays = us_relays_new();
	cfg->domains = g_ptr_array_new_with_free_func(g_free);
	cfg->rules_dir = g_strdup(US_RULESDIR);
	cfg->unknown = US_UNKNOWN_BACKSCATTER;
	cfg->deadline_ms = US_DEFAULT_DEADLINE_MS;
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
	if (strcmp(key, "rules") != 0 && strcmp(key, "unknown") != 0 &&
	    strcmp(key, "deadline") != 0)
		return g_strdup_printf("unknown key '%s' (expected relay, domain, rules, unknown or deadline)", key);
	if (nvalues != 1)
		return g_strdup_printf("'%s' takes exactly one value", key);

	const char *value = values[0];
	if (strcmp(key, "rules") == 0) {
		g_free(cfg->rules_dir);
		if (g_path_is_absolute(value)) {
			cfg->rules_dir = g_strdup(value);
		} else {
			/* Relative to the config file, so a config can travel with its rules. */
			char *dir = g_path_get_dirname(filename);
			cfg->rules_dir = g_build_filename(dir, value, NULL);
			g_free(dir);
		}
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
