/* scanout.h - what `unscatter scan` prints: one line per message, a summary.
 *
 * TSV (default): PATH, CLASS, KIND, PROVENANCE, RULE separated by tabs,
 * and with --refile or --split a sixth field DEST (where the message was
 * moved or copied, "-" if nowhere). PATH is the file, or FILE:N for the
 * N-th message (from 1) of an mbox FILE. RULE is the first rule (or
 * structural detector) of the winning kind that fired, "-" for ordinary
 * mail. In PATH and DEST a backslash, tab, newline and carriage return
 * are written as \\, \t, \n and \r, so every line is one record.
 *
 * JSON Lines (--json): one object per message with the members "path"
 * (as above), "class", "kind", "provenance", "rule" (null for none),
 * for mbox messages "mbox" (the file), "message" (N) and "offset" (byte
 * offset of its "From " line), and with --refile or --split "dest" (null
 * for nowhere). A file name that is not valid UTF-8 has its bad bytes
 * replaced by U+FFFD in JSON. */
#ifndef UNSCATTER_SCANOUT_H
#define UNSCATTER_SCANOUT_H

#include <stdbool.h>
#include <stdio.h>
#include <glib.h>
#include "verdict.h"
#include "walk.h"

/* The verdict of one message, as the scan keeps it. */
struct us_scan_result {
	enum us_class klass;
	enum us_kind kind;
	enum us_provenance provenance;
	const char *rule;	/* borrowed from a ruleset or static; NULL for none */
};

/* The rule reported for V: its first hit of the winning kind, or NULL. */
const char *us_scan_first_rule(const struct us_verdict *v);

/* "FILE" or "FILE:N" for ITEM (new string, g_free). */
char *us_scan_item_name(const struct us_item *item);

/* Append the output line for ITEM (ending in "\n") to OUT. DEST is only
 * written when WITH_DEST is true (NULL: nowhere). */
void us_scan_format(GString *out, bool json, const struct us_item *item,
		    const struct us_scan_result *r, bool with_dest, const char *dest);

/* Counts for the summary. */
struct us_tally {
	guint messages;
	guint per_class[US_CLASS_COUNT];
	guint per_kind[US_KIND_COUNT];
	GHashTable *rules;	/* rule name (borrowed) -> count (GUINT_TO_POINTER) */
};

void us_tally_init(struct us_tally *t);
void us_tally_clear(struct us_tally *t);
void us_tally_add(struct us_tally *t, const struct us_scan_result *r);

/* The summary table: counts per class and kind, the TOP most frequent
 * rules, the time taken and the rate. */
void us_tally_print(const struct us_tally *t, FILE *out, double seconds, guint threads,
		    guint top);

#endif
