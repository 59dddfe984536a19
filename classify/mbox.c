/* mbox.c - mbox framing with GMime's mbox parser (see mbox.h). */
#include <string.h>
#include <unistd.h>
#include <gmime/gmime.h>
#include "mbox.h"

bool us_mbox_sniff(const char *data, gsize len)
{
	return len >= 5 && memcmp(data, "From ", 5) == 0;
}

/* The start of the line after the one byte P of DATA is in, or LEN. */
static gsize line_after(const char *data, gsize len, gsize p)
{
	const char *nl = memchr(data + p, '\n', len - p);

	return nl ? (gsize)(nl - data) + 1 : len;
}

gsize us_mbox_next_from(const char *data, gsize len, gsize from)
{
	gsize p = from;

	/* From the start of the line that FROM is in, or the next one. */
	if (p > 0 && p < len && data[p - 1] != '\n')
		p = line_after(data, len, p);
	for (; p < len; p = line_after(data, len, p))
		if (len - p >= 5 && memcmp(data + p, "From ", 5) == 0)
			return p;
	return len;
}

/* Frames messages with GMime from offset FROM on, appending their spans;
 * returns where GMime could not build a message (its "From " line), or
 * SIZE when it got to the end. */
static goffset frame_from(int fd, goffset from, goffset size, GArray *spans)
{
	int copy = dup(fd);
	goffset stop = size;

	if (copy < 0)
		return size;
	/* The stream owns (and closes) the duplicate; FD stays the caller's.
	 * Offsets are the file's, the bounds only limit what is read. */
	GMimeStream *stream = g_mime_stream_fs_new_with_bounds(copy, from, size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	goffset done = from;

	g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
	while (!g_mime_parser_eos(parser)) {
		GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
		/* After a message is built, the marker is its own "From " line
		 * and the parser stands at the next one (or the end). When one
		 * cannot be built, GMime stays where it is for good. */
		gint64 start = g_mime_parser_get_mbox_marker_offset(parser);
		gint64 end = g_mime_parser_tell(parser);
		if (msg == NULL || start < done || end <= start) {
			stop = start >= done ? start : done;
			g_clear_object(&msg);
			break;
		}
		g_object_unref(msg);
		struct us_mbox_span span = { start, (gsize)(end - start) };
		g_array_append_val(spans, span);
		done = end;
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return stop;
}

guint us_mbox_split(int fd, const char *data, goffset size, GArray *spans)
{
	guint before = spans->len;
	goffset from = 0;

	while (from < size) {
		goffset stop = frame_from(fd, from, size, spans);
		if (stop >= size)
			break;
		/* A message GMime cannot build (e.g. its first line is only
		 * blanks) is still one: it runs to the next "From " line, and
		 * framing goes on from there. */
		goffset next = (goffset)us_mbox_next_from(data, (gsize)size, (gsize)stop + 1);
		struct us_mbox_span span = { stop, (gsize)(next - stop) };
		g_array_append_val(spans, span);
		from = next;
	}
	return spans->len - before;
}
