/* quote.h - find original headers quoted inline in a text part.
 *
 * Bounces that do not attach the original (qmail, many Exchange and
 * Sendmail variants) copy its header lines into the body text, often after
 * a marker ("--- Below this line is a copy of the message.") and sometimes
 * indented or prefixed with "> ". This is our own small parser of such
 * blocks; it does not use GMime and is safe on any input. */
#ifndef UNSCATTER_QUOTE_H
#define UNSCATTER_QUOTE_H

#include <stddef.h>
#include <glib.h>

/* Scan TEXT (LEN bytes, LF line endings, any content) for blocks of quoted
 * header lines and append one struct us_quoted (source US_QUOTE_INLINE) per
 * block to OUT (a GPtrArray with us_quoted_free as its free function).
 * A block counts only if it looks like a real message header: it contains a
 * Received or Message-ID field, or at least three well-known header names.
 * Returns the number of blocks appended. */
unsigned us_quote_find_inline(const char *text, size_t len, GPtrArray *out);

#endif
