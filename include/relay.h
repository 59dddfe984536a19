/* relay.h - our outbound relays: host names, host globs, IP addresses, CIDR.
 *
 * Matching is what SpamAssassin's whitelist_bounce_relays does, made exact:
 * a Received header names a relay when one of its host-name tokens equals
 * (or glob-matches, "*" and "?") a listed name, case-insensitively, or one
 * of its IP address tokens lies in a listed address or range. */
#ifndef UNSCATTER_RELAY_H
#define UNSCATTER_RELAY_H

#include <stdbool.h>
#include <glib.h>

struct us_relays;

/* A new empty list; free with us_relays_free(). */
struct us_relays *us_relays_new(void);
void us_relays_free(struct us_relays *relays);

/* Add one entry: "mail.example.com", "*.example.com", "192.0.2.1",
 * "2001:db8::1", "192.0.2.0/24". Returns false with a static reason in
 * *REASON if SPEC is none of those. */
bool us_relays_add(struct us_relays *relays, const char *spec, const char **reason);

/* Number of entries. */
unsigned us_relays_count(const struct us_relays *relays);

/* If the text of a Received header (RECEIVED, UTF-8) names a listed relay,
 * return true and set *MATCHED to the entry's spec (borrowed). */
bool us_relays_match_received(const struct us_relays *relays, const char *received,
			      const char **matched);

#endif
