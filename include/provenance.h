/* provenance.h - does an automated reply answer mail we really sent?
 *
 * Evidence in this version: the Received headers of the quoted original
 * (every struct us_quoted of the message) against our relays.
 *   ours    - a quoted Received header names one of our relays;
 *   forged  - quoted Received headers exist and none names our relays;
 *   unknown - no quoted original, or one without Received headers. */
#ifndef UNSCATTER_PROVENANCE_H
#define UNSCATTER_PROVENANCE_H

#include <glib.h>
#include "config.h"
#include "explain.h"
#include "message.h"
#include "verdict.h"

/* Decide provenance of MSG; writes a one-line reason to EVIDENCE. */
enum us_provenance us_provenance_decide(const struct us_config *cfg,
					const struct us_message *msg,
					GString *evidence,
					const struct us_explain *ex);

#endif
