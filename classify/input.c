/* input.c - read a message and describe its raw byte layout.
 *
 * This is byte scanning for passthrough, not MIME parsing: the header block
 * ends at the first empty line, as it does for GMime (which skips stray
 * non-header lines inside the header rather than ending it there). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "input.h"

/* First read size; doubled up to READ_CHUNK_MAX so big messages take few
 * calls while small ones do not allocate much. */
#define READ_CHUNK_MIN (64u * 1024u)
#define READ_CHUNK_MAX (4u * 1024u * 1024u)

GByteArray *us_input_read_fd(int fd, GError **error)
{
	GByteArray *buf = g_byte_array_new();
	size_t chunk = READ_CHUNK_MIN;

	for (;;) {
		size_t used = buf->len;

		/* GByteArray lengths are guint. */
		if (used > G_MAXUINT - chunk) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
				    "read: message larger than %u bytes", G_MAXUINT - (guint)chunk);
			g_byte_array_unref(buf);
			return NULL;
		}
		g_byte_array_set_size(buf, (guint)(used + chunk));
		ssize_t n = read(fd, buf->data + used, chunk);
		if (n < 0) {
			int saved = errno;
			g_byte_array_set_size(buf, (guint)used);
			if (saved == EINTR)
				continue;
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
				    "read: %s", g_strerror(saved));
			g_byte_array_unref(buf);
			return NULL;
		}
		g_byte_array_set_size(buf, (guint)(used + (size_t)n));
		if (n == 0)
			return buf;
		if ((size_t)n == chunk && chunk < READ_CHUNK_MAX)
			chunk *= 2;
	}
}

/* The line ending that ends the line starting at POS: the first CR or LF
 * decides ("\r\n", "\r" or "\n"); NULL when the data ends first. */
static const char *eol_at(const char *data, size_t len, size_t pos)
{
	for (size_t i = pos; i < len; i++) {
		if (data[i] == '\n')
			return "\n";
		if (data[i] == '\r')
			return i + 1 < len && data[i + 1] == '\n' ? "\r\n" : "\r";
	}
	return NULL;
}

/* One line of the header block under the block's line ending EOL: its
 * content is [pos, *content_end), the next line starts at *next.
 * Returns false when the line has no line ending (end of data). With LF
 * endings a CR before the LF is not content, so a CRLF blank line in an
 * LF header still ends the header (as it does for a parser); with CR-only
 * endings an LF right after the CR belongs to the ending. */
static bool next_line(const char *data, size_t len, size_t pos, bool cr_only,
		      size_t *content_end, size_t *next)
{
	const char *hit = memchr(data + pos, cr_only ? '\r' : '\n', len - pos);

	if (hit == NULL) {
		*content_end = *next = len;
		return false;
	}
	size_t at = (size_t)(hit - data);
	*next = at + 1;
	if (cr_only) {
		if (*next < len && data[*next] == '\n')
			(*next)++;
	} else if (at > pos && data[at - 1] == '\r') {
		at--;
	}
	*content_end = at;
	return true;
}

size_t us_input_from_line_end(const char *data, size_t len)
{
	size_t content_end, next;

	if (data == NULL || len < 5 || memcmp(data, "From ", 5) != 0)
		return 0;
	const char *from_eol = eol_at(data, len, 0);
	next_line(data, len, 0, from_eol && strcmp(from_eol, "\r") == 0, &content_end, &next);
	return next;
}

void us_input_layout(const char *data, size_t len, struct us_layout *out)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	out->eol = "\n";
	if (data == NULL)
		len = 0;

	/* A leading mbox "From " line (procmail and maildrop pass it on). */
	out->from_line_end = pos = us_input_from_line_end(data, len);
	if (pos > 0) {
		const char *from_eol = eol_at(data, len, 0);
		if (from_eol)
			out->eol = from_eol;
	}

	const char *eol = eol_at(data, len, pos);
	if (eol)
		out->eol = eol;
	bool cr_only = strcmp(out->eol, "\r") == 0;

	while (pos < len) {
		size_t content_end, next;
		bool terminated = next_line(data, len, pos, cr_only, &content_end, &next);

		if (content_end == pos && terminated) {
			/* The empty separator line (or an empty header when it
			 * is the first line). */
			out->header_end = pos;
			out->body_start = next;
			return;
		}
		if (!terminated) {
			/* A lone CR ending an LF or CRLF header is an empty line
			 * cut short: adding a line ending after it would make it
			 * the separator, with our fields below it. */
			if (!cr_only && len - pos == 1 && data[pos] == '\r') {
				out->header_end = pos;
				out->body_start = len;
				return;
			}
			out->last_line_unterminated = true;
		}
		pos = next;
	}
	/* No separator line: the whole input is header. */
	out->header_end = out->body_start = len;
}

char *us_input_normalize_eol(const char *data, size_t len, size_t limit, size_t *out_len)
{
	size_t n = len < limit ? len : limit;

	if (data == NULL || n == 0 || memchr(data, '\r', n) == NULL)
		return NULL;

	char *copy = g_malloc(n + 1);
	const char *p = data, *end = data + n, *cr;
	size_t o = 0;
	/* A line at a time: the bytes up to the next CR as they are. */
	while ((cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		memcpy(copy + o, p, (size_t)(cr - p));
		o += (size_t)(cr - p);
		/* CRLF and a lone CR both become one LF. */
		copy[o++] = '\n';
		p = cr + 1 < end && cr[1] == '\n' ? cr + 2 : cr + 1;
	}
	memcpy(copy + o, p, (size_t)(end - p));
	o += (size_t)(end - p);
	copy[o] = '\0';
	*out_len = o;
	return copy;
}
