/* mbox.c - mbox framing with GMime's mbox parser (see mbox.h). */
#include <string.h>
#include <unistd.h>
#include <gmime/gmime.h>
#include "mbox.h"

bool us_mbox_sniff(const char *data, gsize len)
{
	return len >= 5 && memcmp(data, "From ", 5) == 0;
}

guint us_mbox_split(int fd, goffset file_size, GArray *spans)
{
	int copy = dup(fd);
	guint n = 0;

	if (copy < 0)
		return 0;
	/* The stream owns (and closes) the duplicate; FD stays the caller's. */
	GMimeStream *stream = g_mime_stream_fs_new_with_bounds(copy, 0, file_size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);

	g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
	while (!g_mime_parser_eos(parser)) {
		GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
		if (msg == NULL)
			break;
		/* After a message is built, the marker is its own "From " line
		 * and the parser stands at the next one (or the end). */
		gint64 start = g_mime_parser_get_mbox_marker_offset(parser);
		gint64 end = g_mime_parser_tell(parser);
		g_object_unref(msg);
		if (start < 0 || end <= start)
			break;
		struct us_mbox_span span = { start, (gsize)(end - start) };
		g_array_append_val(spans, span);
		n++;
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return n;
}
