/* explain.h - the --explain trace: a sink that may be switched off.
 *
 * A NULL sink or one with out == NULL discards everything, so callers
 * never need to test whether explaining is on. */
#ifndef UNSCATTER_EXPLAIN_H
#define UNSCATTER_EXPLAIN_H

#include <stdio.h>

struct us_explain {
	FILE *out;	/* borrowed; NULL = silent */
};

/* printf-style line to the sink; a newline is added. */
void us_explain(const struct us_explain *ex, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
