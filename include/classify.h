/* classify.h - one message in, one verdict out: the path shared by every mode. */
#ifndef UNSCATTER_CLASSIFY_H
#define UNSCATTER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "config.h"
#include "explain.h"
#include "mime.h"
#include "rules.h"
#include "verdict.h"

/* What us_classify() works out besides the verdict (kind, provenance,
 * class, hits, evidence), which it always gives. */
enum us_classify_want {
	US_WANT_VERDICT = 0,
	/* For bounces, each recipient's status, diagnostic and reason
	 * (v->bounce, v->details): the costly part of a bounce, needed only
	 * where it is shown (headers, terse fields, --explain). */
	US_WANT_BOUNCE_DETAILS = 1 << 0
};

/* Classify DATA (LEN raw bytes), parsed with MP (see mime.h: one per
 * thread, kept from one message to the next; NULL = a new one for this
 * message); WANT is a set of enum us_classify_want.
 * V must have been us_verdict_init()ed; it is filled in. Returns false
 * with ERROR only for configuration problems (a rule or reason-table
 * regex that does not compile); bad mail never fails. */
bool us_classify(struct us_mime_parser *mp, const struct us_config *cfg, struct us_ruleset *rules,
		 const char *data, size_t len, unsigned want, struct us_verdict *v,
		 const struct us_explain *ex, GError **error);

/* The class for KIND and PROV under CFG's unknown-provenance policy. */
enum us_class us_class_for(const struct us_config *cfg, enum us_kind kind,
			   enum us_provenance prov);

#endif
