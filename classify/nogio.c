/* nogio.c - keeps GIO's file and mount code out of a static link.
 *
 * g_mime_init() registers every GMime stream type, GMimeStreamGIO among
 * them, and so links its object file, which needs GIO's GFile, which in
 * turn brings the local file system code, unix mounts, and with them
 * libmount, libblkid, libselinux and libpcre2: four shared objects and
 * some 900 symbol relocations, bound eagerly, on every run (0.76 M of
 * the 1.3 M instructions of "unscatter --version", about 0.5 ms).
 *
 * unscatter never makes a GIO stream. This definition stands in for
 * GMime's, so the archive member is never linked; g_mime_init() ignores
 * what it returns. Were anything ever to use GMimeStreamGIO, the member
 * would be linked for it and the duplicate definition would fail the
 * link: the trade cannot go wrong silently. Only linked with LINK=static
 * (Makefile); against a shared libgmime it would override GMime's own. */
#include <gmime/gmime.h>

GType g_mime_stream_gio_get_type(void)
{
	return G_TYPE_NONE;
}
