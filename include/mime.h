/* mime.h - the only module that touches GMime: raw bytes in, struct us_message out.
 *
 * us_mime_init() must be called once before the first parse (it calls
 * g_mime_init); us_mime_shutdown() at exit is optional. */
#ifndef UNSCATTER_MIME_H
#define UNSCATTER_MIME_H

#include <stddef.h>
#include <glib.h>
#include "message.h"

void us_mime_init(void);
void us_mime_shutdown(void);

/* Parse DATA (LEN bytes, one message; a leading mbox "From " line, CRLF or
 * CR-only line endings are accepted; at most US_SCAN_LIMIT bytes are looked
 * at). Never fails: malformed input yields whatever could be recovered.
 * Returns a new message the caller frees with us_message_free(). DATA is
 * only borrowed for the duration of the call. */
struct us_message *us_mime_parse(const char *data, size_t len);

/* The same with a parser made once and used for many messages, one after
 * the other (one per thread): a new GMime parser costs about 20,000
 * instructions, some 3 % of a parse. */
struct us_mime_parser;
struct us_mime_parser *us_mime_parser_new(void);
void us_mime_parser_free(struct us_mime_parser *mp);	/* NULL is fine */
struct us_message *us_mime_parse_with(struct us_mime_parser *mp, const char *data, size_t len);

/* The addr-specs of an address-list header value (From, Sender, To...),
 * groups flattened, appended to OUT (g_free'd strings). Returns how many. */
unsigned us_mime_addresses(const char *value, GPtrArray *out);

#endif
