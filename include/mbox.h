/* mbox.h - where the messages of an mbox file begin and end.
 *
 * The framing is GMime's (GMimeParser in GMIME_FORMAT_MBOX): a message
 * starts at a line beginning with "From " and runs to the next such line
 * or the end of the file. Only the framing is taken from GMime; each
 * message is then classified from its raw bytes (its "From " line
 * included) by the shared path, as if it had come on standard input.
 * Like mime.c, this module touches GMime; nothing else does. */
#ifndef UNSCATTER_MBOX_H
#define UNSCATTER_MBOX_H

#include <stdbool.h>
#include <glib.h>

/* One message of an mbox: bytes [offset, offset + length) of the file. */
struct us_mbox_span {
	goffset offset;
	gsize length;
};

/* True if the LEN bytes at DATA begin like an mbox file ("From "). */
bool us_mbox_sniff(const char *data, gsize len);

/* Offset of the first line at or after byte FROM of DATA (LEN bytes) that
 * begins with "From ", or LEN: the line FROM is in counts only if FROM is
 * its start. */
gsize us_mbox_next_from(const char *data, gsize len, gsize from);

/* Append the span of every message of the mbox open on FD (read from its
 * start; FD is not closed), whose SIZE bytes are also mapped at DATA, to
 * SPANS (a GArray of struct us_mbox_span). Where GMime cannot build a
 * message, that message runs to the next "From " line and GMime frames
 * the rest from there, so no part of the file is left out. Returns the
 * number of spans appended. */
guint us_mbox_split(int fd, const char *data, goffset size, GArray *spans);

#endif
