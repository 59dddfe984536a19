/* storm.h - bounce storms: many automated replies to one recipient at once.
 *
 * When more than LIMIT automated replies to one recipient arrive within
 * MINUTES minutes, that recipient is under a storm (typically a spam run
 * forging the address), and automated replies to it whose provenance is
 * otherwise unknown count as backscatter until the rate falls.
 *
 * State: one small text file, STATE_DIR/storm:
 *   unscatter-storm 1
 *   RECIPIENT TIME TIME ...       one line per recipient, Unix times
 * Every delivery locks it (fcntl write lock, waiting at most a bounded
 * time), reads it, records its own reply, drops what left the window, and
 * rewrites it in place, so concurrent deliveries neither lose counts nor
 * corrupt it. A missing, truncated or corrupt file is started afresh; no
 * state problem ever fails a delivery (the evidence is then just absent).
 *
 * Ownership: entries and their arrays belong to the GPtrArray returned by
 * us_storm_parse. */
#ifndef UNSCATTER_STORM_H
#define UNSCATTER_STORM_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#define US_STORM_DEFAULT_LIMIT 20u
#define US_STORM_DEFAULT_MINUTES 10u
#define US_STORM_MAX_LIMIT 10000u
#define US_STORM_MAX_MINUTES (7u * 24u * 60u)
/* Recipients tracked at most; the least recently seen are dropped. */
#define US_STORM_MAX_RECIPIENTS 1000u
#define US_STORM_FILE "storm"

struct us_storm_entry {
	char *who;		/* recipient key: printable ASCII, no white space */
	GArray *times;		/* gint64 Unix times, ascending */
};

/* Parse state file text (any bytes). Lines that do not parse are dropped;
 * if the first line is not the format header everything is dropped.
 * *CLEAN (may be NULL) says whether all of it was well-formed. Returns a
 * new array of struct us_storm_entry * (free with g_ptr_array_unref). Pure. */
GPtrArray *us_storm_parse(const char *text, size_t len, bool *clean);

/* The text of ENTRIES in the state file format (g_free). */
char *us_storm_format(const GPtrArray *entries, size_t *len);

/* Record one automated reply to WHO at NOW: drop times older than MINUTES
 * from every entry, add NOW to WHO's, keep at most LIMIT + 1 of them.
 * Returns the number of replies to WHO within the window, this one included. */
unsigned us_storm_record(GPtrArray *entries, const char *who, gint64 now,
			 unsigned limit, unsigned minutes);

/* Is WHO usable as a recipient key (1-320 printable ASCII, no space)? */
bool us_storm_key_ok(const char *who);

/* Lock, read, record, write STATE_DIR/storm (the folder is made if
 * missing). Returns true with *COUNT set, or false with a reason in
 * PROBLEM (the caller ignores the storm then). NOTE gets a remark such as
 * "state file was corrupt, started afresh" (may stay empty). */
bool us_storm_update(const char *state_dir, const char *who, gint64 now,
		     unsigned limit, unsigned minutes, unsigned wait_ms,
		     unsigned *count, GString *problem, GString *note);

#endif
