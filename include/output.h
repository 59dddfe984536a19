/* output.h - passthrough writing and header text.
 *
 * Passthrough writes the raw message with incoming X-Unscatter-* fields
 * removed and ours added at the end of the header block, in the header's
 * own line ending; every other byte is written as it came. */
#ifndef UNSCATTER_OUTPUT_H
#define UNSCATTER_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "verdict.h"

/* Our header fields for V, each "Name: value" without line ending, values
 * made safe (no control characters, folded under 998 bytes). Returns a new
 * GPtrArray of g_free'd strings. */
GPtrArray *us_output_headers(const struct us_verdict *v);

/* Write DATA (LEN bytes) to FD with HEADERS added as described above.
 * Returns false with errno set on any write error. Does not close FD. */
bool us_output_passthrough(int fd, const char *data, size_t len,
			   const GPtrArray *headers);

/* "CLASS KIND PROVENANCE\n" into a new string (g_free). */
char *us_output_terse(const struct us_verdict *v);

/* Write all of BUF to FD, retrying on EINTR and short writes. */
bool us_write_all(int fd, const void *buf, size_t len);

#endif
