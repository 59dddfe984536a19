/* tap.h - a minimal TAP producer for the unit tests (one header, no library).
 *
 *   ok(cond, "what");            one test point
 *   is_str(got, want, "what");   string equality, both shown on failure
 *   is_int(got, want, "what");
 *   return tap_done();           prints the plan; exit status 1 if any failed
 */
#ifndef UNSCATTER_TAP_H
#define UNSCATTER_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline int tap_ok(int cond, const char *what, const char *file, int line)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, what);
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	return cond;
}

#define ok(cond, what) tap_ok(!!(cond), (what), __FILE__, __LINE__)

#define is_str(got, want, what) do { \
	const char *tap_g_ = (got), *tap_w_ = (want); \
	int tap_same_ = (tap_g_ == NULL && tap_w_ == NULL) || \
		(tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0); \
	if (!tap_ok(tap_same_, (what), __FILE__, __LINE__)) \
		printf("#   got:  '%s'\n#   want: '%s'\n", tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)"); \
} while (0)

#define is_int(got, want, what) do { \
	long tap_g_ = (long)(got), tap_w_ = (long)(want); \
	if (!tap_ok(tap_g_ == tap_w_, (what), __FILE__, __LINE__)) \
		printf("#   got:  %ld\n#   want: %ld\n", tap_g_, tap_w_); \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
