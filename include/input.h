/* input.h - read a message and describe its raw byte layout.
 *
 * The raw bytes are kept untouched for passthrough; the layout says where
 * the header block ends and which line ending it uses, so that headers can
 * be added and removed without changing a single other byte. */
#ifndef UNSCATTER_INPUT_H
#define UNSCATTER_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Read all of FD into a new GByteArray (caller frees with
 * g_byte_array_unref). Returns NULL and sets ERROR on a read error. */
GByteArray *us_input_read_fd(int fd, GError **error);

struct us_layout {
	size_t from_line_end;	/* end of a leading mbox "From " line (0 if none) */
	size_t header_end;	/* end of the last header line, line ending included;
				 * the block ends only at an empty line (or the end) */
	size_t body_start;	/* after the blank separator line; == header_end when there is none */
	const char *eol;	/* "\n", "\r\n" or "\r": the header block's line ending (static) */
	bool last_line_unterminated;	/* the header block ends without a line ending (no body) */
};

/* Describe DATA (LEN bytes). Never fails. */
void us_input_layout(const char *data, size_t len, struct us_layout *out);
/* Its from_line_end alone, without going through the header. */
size_t us_input_from_line_end(const char *data, size_t len);

/* If DATA contains CR-only or CRLF line endings, return a copy of its first
 * LIMIT bytes with every line ending turned into LF (caller g_free()s it,
 * *OUT_LEN set); otherwise NULL (use DATA as it is). */
char *us_input_normalize_eol(const char *data, size_t len, size_t limit, size_t *out_len);

#endif
