/* fuzz/mbox.c - mbox framing: us_mbox_split of any file that begins with
 * "From " covers it whole, in order, with messages that each begin at a
 * "From " line; us_mbox_next_from finds the first such line at or after
 * an offset, and harvest's splitter agrees with the framing on where
 * messages may begin.
 * FUZZ-SEEDS: $TOP/fuzz/seeds/mbox $TOP/tests/regress/mbox
 * FUZZ-OPTIONS: -max_len=65536 */
#include <stdio.h>
#include <unistd.h>
#include "harvest.h"
#include "mbox.h"
#include "mime.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	us_mime_init();
	return 0;
}

static void count_message(const char *msg, size_t len, size_t offset, void *data)
{
	(void)len;
	(void)offset;
	FUZZ_ASSERT(memcmp(msg, "From ", 5) == 0);
	(*(unsigned *)data)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	/* us_mbox_next_from: a "From " line start at or after every offset. */
	for (size_t from = 0; from <= size; from += 1 + from / 4) {
		gsize at = us_mbox_next_from(text, size, from);
		FUZZ_ASSERT(at <= size);
		if (at < size)
			FUZZ_ASSERT(at >= from && memcmp(text + at, "From ", 5) == 0 &&
				    (at == 0 || text[at - 1] == '\n'));
	}
	unsigned lines = 0;
	us_harvest_split_mbox(text, size, count_message, &lines);

	if (!us_mbox_sniff(text, size))
		return 0;
	FILE *f = tmpfile();
	if (f == NULL)
		return 0;
	if (fwrite(data, 1, size, f) != size || fflush(f) != 0) {
		fclose(f);
		return 0;
	}
	GArray *spans = g_array_new(FALSE, FALSE, sizeof(struct us_mbox_span));
	guint n = us_mbox_split(fileno(f), text, (goffset)size, spans);
	FUZZ_ASSERT(n == spans->len && n > 0);
	goffset expect = 0;
	for (guint i = 0; i < spans->len; i++) {
		const struct us_mbox_span *s = &g_array_index(spans, struct us_mbox_span, i);
		/* Contiguous from the start, each at a "From " line. */
		FUZZ_ASSERT(s->offset == expect && s->length > 0);
		FUZZ_ASSERT(memcmp(text + s->offset, "From ", 5) == 0);
		FUZZ_ASSERT(s->offset == 0 || text[s->offset - 1] == '\n');
		expect = s->offset + (goffset)s->length;
	}
	FUZZ_ASSERT(expect == (goffset)size);
	/* Every message GMime frames begins at a line harvest's splitter
	 * also starts one at: never more messages than "From " lines. */
	FUZZ_ASSERT(n <= lines);
	g_array_unref(spans);
	fclose(f);
	return 0;
}
