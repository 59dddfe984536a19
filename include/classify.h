/* classify.h - one message in, one verdict out: the path shared by every mode. */
#ifndef UNSCATTER_CLASSIFY_H
#define UNSCATTER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "config.h"
#include "explain.h"
#include "rules.h"
#include "verdict.h"

/* Classify DATA (LEN raw bytes). V must have been us_verdict_init()ed; it
 * is filled in. Returns false with ERROR only for configuration problems
 * (a rule whose regex does not compile); bad mail never fails. */
bool us_classify(const struct us_config *cfg, struct us_ruleset *rules,
		 const char *data, size_t len, struct us_verdict *v,
		 const struct us_explain *ex, GError **error);

/* The class for KIND and PROV under CFG's unknown-provenance policy. */
enum us_class us_class_for(const struct us_config *cfg, enum us_kind kind,
			   enum us_provenance prov);

#endif
