/* config.h - /etc/unscatter.conf: "key value" lines, "#" comments.
 *
 * The configuration is the program's only global state; it is built once
 * at start-up and then read-only. Errors are reported as
 * "FILE:LINE: what is wrong" before any mail is touched. */
#ifndef UNSCATTER_CONFIG_H
#define UNSCATTER_CONFIG_H

#include <stdbool.h>
#include <glib.h>
#include "relay.h"

/* What an automated reply with no provenance evidence becomes. */
enum us_unknown_policy {
	US_UNKNOWN_BACKSCATTER = 0,	/* as SpamAssassin VBounce does */
	US_UNKNOWN_GENUINE
};

struct us_config {
	char *path;			/* file it was read from, or NULL for built-in defaults */
	struct us_relays *relays;	/* "relay" lines, owned */
	GPtrArray *domains;		/* "domain" lines, lower case, owned char * */
	char *rules_dir;		/* "rules" (relative paths resolved against the file's folder) */
	enum us_unknown_policy unknown;	/* "unknown" */
	unsigned deadline_ms;		/* "deadline", e.g. "5", "2.5s", "800ms" */
};

#ifndef US_SYSCONFDIR
#define US_SYSCONFDIR "/etc"
#endif
#ifndef US_RULESDIR
#define US_RULESDIR "/usr/local/share/unscatter/rules"
#endif
#define US_DEFAULT_CONFIG US_SYSCONFDIR "/unscatter.conf"
#define US_DEFAULT_DEADLINE_MS 5000u
/* Longest deadline accepted: Dovecot kills (and panics on) filters at 10 s. */
#define US_MAX_DEADLINE_MS 9000u

/* A new config holding the defaults; free with us_config_free(). */
struct us_config *us_config_new(void);
void us_config_free(struct us_config *cfg);

/* Apply TEXT (LEN bytes) read from FILENAME on top of CFG. On the first
 * error returns false with ERROR "FILENAME:LINE: what is wrong". */
bool us_config_parse(struct us_config *cfg, const char *filename,
		     const char *text, size_t len, GError **error);

/* Read and apply the file PATH. If MUST_EXIST is false, a missing file
 * is not an error (the defaults stay). */
bool us_config_load(struct us_config *cfg, const char *path, bool must_exist,
		    GError **error);

#endif
