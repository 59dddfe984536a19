/* fuzz/quote.c - us_quote_find_inline (inline quoted headers) on any text:
 * every header it returns has a non-empty name and both are valid UTF-8.
 * FUZZ-SEEDS: $CORPUS $TOP/samples
 * FUZZ-OPTIONS: -max_len=65536 */
#include <string.h>
#include "message.h"
#include "quote.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(us_quoted_free);
	unsigned n = us_quote_find_inline((const char *)data, size, out);

	FUZZ_ASSERT(n == out->len);
	for (guint i = 0; i < out->len; i++) {
		const struct us_quoted *q = g_ptr_array_index(out, i);
		FUZZ_ASSERT(q->source == US_QUOTE_INLINE);
		FUZZ_ASSERT(q->headers->len > 0);
		for (guint j = 0; j < q->headers->len; j++) {
			const struct us_header *h = g_ptr_array_index(q->headers, j);
			FUZZ_ASSERT(h->name && *h->name && h->value);
			FUZZ_ASSERT(g_utf8_validate(h->name, -1, NULL));
			FUZZ_ASSERT(g_utf8_validate(h->value, -1, NULL));
		}
	}
	g_ptr_array_unref(out);
	return 0;
}
