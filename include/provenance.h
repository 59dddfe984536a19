/* provenance.h - does an automated reply answer mail we really sent?
 *
 * Each piece of evidence says ours, forged or nothing (unknown), and is
 * reported on its own (--explain, X-Unscatter-Evidence). Pieces, in order
 * of precedence - the first that says ours or forged decides:
 *   1. sent-ids   ours: a Message-ID of a quoted original, or the reply's
 *                 In-Reply-To / References, is in the sent-ids list;
 *   2. relays     ours: a quoted Received header names one of our relays;
 *                 forged: quoted Received headers exist, none ours;
 *   3. batv       ours: a recipient carries a valid prvs tag of our keys;
 *                 forged: a bad, expired or unknown-key tag, or an
 *                 untagged recipient in a batv-domain;
 *   4. valid-recipients  forged: the recipient is not in the list;
 *   5. localpart  forged: the recipient's local part matches an
 *                 unlikely-localparts pattern;
 *   6. sent-from  forged: we never sent from the recipient address;
 *   7. storm      forged: more than N automated replies to the recipient
 *                 in the last T minutes (counted for every automated reply).
 * Evidence about the very message we sent (1, 2) beats evidence about the
 * envelope address (3: a tag can be replayed within its window), which
 * beats what we know about the address (4-6), which beats rate (7).
 * Checks 4-6 apply only to recipients in our "domain"s (all, if none is
 * configured). Recipient sources: see recipient.h. */
#ifndef UNSCATTER_PROVENANCE_H
#define UNSCATTER_PROVENANCE_H

#include <glib.h>
#include "config.h"
#include "explain.h"
#include "message.h"
#include "verdict.h"

/* Decide provenance of MSG. EVIDENCE gets the deciding piece's reason (or,
 * when nothing decides, the relay check's). PIECES (may be NULL) gets one
 * line per piece that was checked, "NAME ours|forged|none; reason" (g_free'd
 * strings). Storm counting (state file) happens here. */
enum us_provenance us_provenance_decide(const struct us_config *cfg,
					const struct us_message *msg,
					GString *evidence, GPtrArray *pieces,
					const struct us_explain *ex);

#endif
