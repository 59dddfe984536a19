/* batv.h - BATV "prvs" envelope-sender tags (draft-levine-smtp-batv-01).
 *
 * A signed envelope sender looks like prvs=KDDDSSSSSS=local@domain:
 *   K       key number, one digit 0-9 (key rotation: several keys valid at once);
 *   DDD     expiry day: days since 1970-01-01 (UTC), modulo 1000, three digits;
 *   SSSSSS  the first three bytes, in hex, of HMAC-SHA1 keyed with the secret
 *           of key K over the hash source "KDDD" followed by the untagged
 *           address local@domain (GLib's GHmac).
 * A tag is valid while its expiry day is today or at most DAYS days ahead
 * (DAYS is the validity window, "batv-days"; day numbers wrap at 1000).
 * Verification compares the hex case-insensitively.
 *
 * Ownership: this module owns no state; keys belong to the config. */
#ifndef UNSCATTER_BATV_H
#define UNSCATTER_BATV_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <glib.h>

#define US_BATV_DEFAULT_DAYS 7u
#define US_BATV_MAX_DAYS 365u

/* One "batv-key N SECRET" line. */
struct us_batv_key {
	unsigned number;	/* 0-9 */
	char *secret;		/* owned */
};
void us_batv_key_free(gpointer key);

/* A parsed tag. LOC_CORE points into the text given to us_batv_parse. */
struct us_batv_tag {
	unsigned key;		/* K */
	unsigned day;		/* DDD */
	char hash[7];		/* SSSSSS as written, NUL-terminated */
	const char *loc_core;	/* the untagged local part (borrowed) */
	size_t loc_core_len;
};

/* Parse LOCAL (LEN bytes, a local part without "@domain"; any bytes) as
 * "prvs=KDDDSSSSSS=loc-core" (the "prvs" case-insensitively). Returns false
 * when it is not such a tag. Pure: no allocation, no global state. */
bool us_batv_parse(const char *local, size_t len, struct us_batv_tag *out);

/* Today's day number (NOW in UTC, days since the epoch, modulo 1000). */
unsigned us_batv_day(time_t now);

/* The six lower-case hex digits for key number KEY with SECRET, expiry day
 * DAY and the untagged address ADDRESS (LEN bytes) into OUT. */
void us_batv_hash(const char *secret, unsigned key, unsigned day,
		  const char *address, size_t len, char out[7]);

/* "prvs=KDDDSSSSSS=local@domain" for ADDRESS signed with KEY, expiring on
 * day DAY; NULL if ADDRESS has no "@" or an empty local part. g_free. */
char *us_batv_sign(const struct us_batv_key *key, unsigned day, const char *address);

enum us_batv_result {
	US_BATV_UNTAGGED = 0,	/* no prvs tag */
	US_BATV_VALID,		/* tag made with one of our keys, not expired */
	US_BATV_BAD_HASH,	/* key known, hash wrong */
	US_BATV_UNKNOWN_KEY,	/* key number not configured */
	US_BATV_EXPIRED		/* hash right, day outside the window */
};
const char *us_batv_result_name(enum us_batv_result r);

/* Check ADDRESS ("local@domain") against KEYS (struct us_batv_key *) with a
 * window of DAYS days at time NOW. If UNTAGGED is not NULL it receives the
 * address without its tag (g_free; a copy of ADDRESS when untagged). */
enum us_batv_result us_batv_verify(const GPtrArray *keys, unsigned days,
				   const char *address, time_t now, char **untagged);

/* "unscatter batv-sign [-c FILE] [-k N] [-d DAYS] ADDRESS": print the tagged address. */
int us_batv_sign_main(int argc, char **argv);

#endif
