/* fuzz/input.c - the raw input layout (us_input_layout) and passthrough
 * output (us_output_passthrough) on any bytes:
 *  - the layout's offsets are ordered and the separator is one line ending;
 *  - the output keeps the leading From line and the whole body byte for byte;
 *  - when the header has no X-Unscatter-* text, the output is exactly the
 *    input with our fields inserted at the end of the header block;
 *  - and parsing the output's layout again finds our fields inside the header.
 * FUZZ-SEEDS: $CORPUS $TOP/samples
 * FUZZ-OPTIONS: -max_len=65536 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "input.h"
#include "output.h"
#include "fuzz.h"

static GPtrArray *headers;
static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	headers = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(headers, g_strdup("X-Unscatter-Class: ordinary"));
	g_ptr_array_add(headers, g_strdup("X-Unscatter-Kind: none"));
	memfd = memfd_create("fuzz-passthrough", 0);
	FUZZ_ASSERT(memfd >= 0);
	return 0;
}

static bool is_eol(const char *s, size_t len)
{
	return (len == 1 && (*s == '\n' || *s == '\r')) || (len == 2 && memcmp(s, "\r\n", 2) == 0);
}

/* What passthrough wrote, as a new string (g_free), its length in *LEN. */
static char *written(size_t *len)
{
	off_t end = lseek(memfd, 0, SEEK_CUR);
	char *out = g_malloc((size_t)end + 1);

	FUZZ_ASSERT(pread(memfd, out, (size_t)end, 0) == end);
	*len = (size_t)end;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *)bytes;
	struct us_layout l, l2;

	us_input_layout(data, size, &l);
	FUZZ_ASSERT(l.from_line_end <= l.header_end);
	FUZZ_ASSERT(l.header_end <= l.body_start && l.body_start <= size);
	FUZZ_ASSERT(!strcmp(l.eol, "\n") || !strcmp(l.eol, "\r\n") || !strcmp(l.eol, "\r"));
	FUZZ_ASSERT(l.body_start == l.header_end ||
		    is_eol(data + l.header_end, l.body_start - l.header_end));

	FUZZ_ASSERT(ftruncate(memfd, 0) == 0 && lseek(memfd, 0, SEEK_SET) == 0);
	FUZZ_ASSERT(us_output_passthrough(memfd, data, size, headers));
	size_t olen;
	char *out = written(&olen);

	GString *ours = g_string_new(NULL);
	for (guint i = 0; i < headers->len; i++)
		g_string_append_printf(ours, "%s%s", (char *)g_ptr_array_index(headers, i), l.eol);
	size_t body = size - l.header_end;
	FUZZ_ASSERT(olen >= l.from_line_end + ours->len + body);
	FUZZ_ASSERT(memcmp(out, data, l.from_line_end) == 0);
	FUZZ_ASSERT(memcmp(out + olen - body, data + l.header_end, body) == 0);

	/* (g_ascii_strdown would stop at a NUL byte.) */
	char *hdr = g_malloc(l.header_end + 1);
	for (size_t i = 0; i < l.header_end; i++)
		hdr[i] = g_ascii_tolower(data[i]);
	bool has_ours = memmem(hdr, l.header_end, "x-unscatter-", 12) != NULL;
	g_free(hdr);
	size_t added = l.last_line_unterminated ? strlen(l.eol) : 0;
	if (!has_ours) {
		FUZZ_ASSERT(olen == size + added + ours->len);
		FUZZ_ASSERT(memcmp(out, data, l.header_end) == 0);
		FUZZ_ASSERT(memcmp(out + l.header_end, l.eol, added) == 0);
		FUZZ_ASSERT(memcmp(out + l.header_end + added, ours->str, ours->len) == 0);

		/* Our fields are inside the output's header block. */
		us_input_layout(out, olen, &l2);
		FUZZ_ASSERT(l2.header_end == l.header_end + added + ours->len);
	}
	g_string_free(ours, TRUE);
	g_free(out);
	return 0;
}
