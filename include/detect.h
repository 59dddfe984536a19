/* detect.h - what kind of automated message is it?
 *
 * Structural evidence comes from the MIME structure (RFC 3464 / 6533
 * delivery-status reports, RFC 5965 feedback reports); everything textual
 * comes from the rules. Scores are summed per kind; the kind with the
 * highest total at or above US_RULE_THRESHOLD wins, none means ordinary mail. */
#ifndef UNSCATTER_DETECT_H
#define UNSCATTER_DETECT_H

#include <glib.h>
#include "explain.h"
#include "message.h"
#include "verdict.h"

/* Append the structural hits for MSG (static names such as "mime-dsn") to HITS. */
void us_detect_structure(const struct us_message *msg, GArray *hits,
			 const struct us_explain *ex);

/* Sum HITS per kind and return the winner (US_KIND_NONE if none reaches the threshold). */
enum us_kind us_detect_kind(const GArray *hits, const struct us_explain *ex);

#endif
