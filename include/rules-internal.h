/* rules-internal.h - hooks into the rules engine for the unit tests only;
 * the program does not use them. */
#ifndef UNSCATTER_RULES_INTERNAL_H
#define UNSCATTER_RULES_INTERNAL_H

#include <stdbool.h>
#include "rules.h"

/* With REFERENCE true, us_ruleset_evaluate() works like a plain regex
 * engine: no literal scan, every rule a candidate, and every condition
 * decided by compiling and running its whole regex (no exact-literal
 * shortcut, no split into alternatives). Outcomes (hits, errors aside)
 * must be the same either way; the tests compare them. */
void us_ruleset_set_reference(struct us_ruleset *rs, bool reference);

/* How many regexes RS has handed to TRE to compile so far (whole ones,
 * alternatives, failures included; each at most once). */
unsigned us_ruleset_compilations(const struct us_ruleset *rs);

/* How many body regex matches of RS were decided on the stretches
 * around their literals (rules.c, "Windows") rather than on the body. */
unsigned us_ruleset_windowed(const struct us_ruleset *rs);

/* Whether RS was loaded from a rule cache (rulecache.h) rather than by
 * parsing its files. */
bool us_ruleset_cached(const struct us_ruleset *rs);

#endif
