/* mime.c - the only module that touches GMime: raw bytes in, struct us_message out.
 *
 * Ownership: every GMime object made here is unreffed before us_mime_parse
 * returns; the caller's bytes are only borrowed (the GMime streams read
 * them in place, see struct borrowed). What is looked at, and what not:
 *
 *   - headers, content type, part list: of the whole tree;
 *   - body text, DSN fields, the has_* flags, quoted originals: of the
 *     message's own parts only, not of parts inside an attached message
 *     (a forwarded bounce is not a bounce, and the original a bounce
 *     quotes is the attached message itself, not what that one attaches). */
#include <string.h>
#include <gmime/gmime.h>
#include "input.h"
#include "mime.h"
#include "quote.h"

/* Work caps for hostile input (GMime has its own nesting limit too). */
#define MAX_DEPTH 64
#define MAX_PARTS 1000
#define MAX_QUOTED_MIME 32
#define MAX_DSN_RECIPIENTS 1000
#define MAX_DSN_GROUPS (2 * MAX_DSN_RECIPIENTS)
/* Lines of DSN fields looked at (a recipient takes 4 to 8), and per-message
 * fields kept: each costs GMime parsing and memory. */
#define MAX_DSN_LINES (10 * MAX_DSN_RECIPIENTS)
#define MAX_DSN_REPORTING 100
/* Only MAX_PARTS parts are looked at, each after a delimiter line (and a
 * multipart's close delimiter); GMime builds each part it finds (about
 * 2 KB of memory each), so more would cost memory but tell nothing. */
#define MAX_DELIMITER_LINES (2 * MAX_PARTS)
/* GMime keeps about 700 bytes per header line: header lines it is given
 * in all (the message's, its parts', attached messages'), and in one
 * header block parsed on its own (text/rfc822-headers, a DSN group). */
#define MAX_HEADER_LINES 3000
#define MAX_BLOCK_HEADER_LINES 1000

void us_mime_init(void)
{
	/* g_mime_init() costs about 0.1 ms (charset tables, type registry);
	 * nothing in it is worth turning off. */
	g_mime_init();
}

void us_mime_shutdown(void)
{
	g_mime_shutdown();
}

/* ---- strings ---- */

/* Is S (LEN bytes) all ASCII (no byte >= 0x80)? Eight bytes at a time:
 * this runs over every header value and most of the text. */
static bool is_ascii_len(const char *s, size_t len)
{
	const guint64 high = G_GUINT64_CONSTANT(0x8080808080808080);
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;
		memcpy(&w, s + i, 8);
		if (w & high)
			return false;
	}
	for (; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* Is S (LEN bytes) valid UTF-8 (and free of NULs, as g_utf8_validate
 * wants)? The ASCII test is a good deal cheaper and decides most text. */
static bool is_utf8(const char *s, size_t len)
{
	return (is_ascii_len(s, len) && memchr(s, '\0', len) == NULL) ||
	       g_utf8_validate_len(s, len, NULL);
}

/* An owned copy of S (LEN bytes) without surrounding ASCII white space
 * (what g_strstrip removes) and, when DROP_EOL, without any CR or LF
 * (what g_mime_utils_header_unfold removes, besides the blanks at either
 * end): the two applied one after the other, in one copy. */
static char *strip_copy(const char *s, size_t len, bool drop_eol)
{
	const char *end = s + len;
	char *copy, *out;

	while (s < end && g_ascii_isspace(*s))
		s++;
	while (end > s && g_ascii_isspace(end[-1]))
		end--;
	len = (size_t)(end - s);
	const char *nl = drop_eol ? memchr(s, '\n', len) : NULL;
	bool cr = drop_eol && memchr(s, '\r', len) != NULL;
	if (nl == NULL && !cr)
		return g_strndup(s, len);
	out = copy = g_malloc(len + 1);
	if (cr) {
		for (; s < end; s++)
			if (*s != '\r' && *s != '\n')
				*out++ = *s;
	} else {
		/* Folded lines: copied a line at a time. */
		for (; nl != NULL; s = nl + 1, nl = memchr(s, '\n', (size_t)(end - s))) {
			memcpy(out, s, (size_t)(nl - s));
			out += nl - s;
		}
		memcpy(out, s, (size_t)(end - s));
		out += end - s;
	}
	*out = '\0';
	return copy;
}

/* An owned copy of S (LEN bytes, -1 = NUL-terminated) that is valid UTF-8
 * (invalid bytes and NULs become U+FFFD) with surrounding blanks removed. */
static char *clean_utf8(const char *s, gssize len)
{
	size_t n = len < 0 ? strlen(s) : (size_t)len;

	if (is_utf8(s, n))
		return strip_copy(s, n, false);
	return g_strstrip(g_utf8_make_valid(s, len));
}

/* Like clean_utf8 but every run of white space (folds included) becomes
 * one space: DSN fields are compared and printed, never written back. */
static char *squeeze_utf8(const char *s)
{
	char *copy = clean_utf8(s, -1);
	char *out = copy;
	bool blank = false;

	for (const char *p = copy; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			blank = true;
			continue;
		}
		if (blank && out != copy)
			*out++ = ' ';
		blank = false;
		*out++ = *p;
	}
	*out = '\0';
	return copy;
}

/* TEXT (NUL-terminated, any bytes) as valid UTF-8 text: GMime's 8-bit
 * guesser for what is not UTF-8 already. */
static char *clean_utf8_text(const char *text)
{
	char *guess;

	if (g_utf8_validate(text, -1, NULL))
		return g_strdup(text);
	guess = g_mime_utils_decode_8bit(NULL, text, strlen(text));
	if (guess != NULL && g_utf8_validate(guess, -1, NULL))
		return guess;
	g_free(guess);
	return g_utf8_make_valid(text, -1);
}

/* Append TEXT (LEN bytes, valid UTF-8) to OUT without letting OUT grow
 * past LIMIT bytes; the cut falls on a character boundary. */
static void append_capped(GString *out, const char *text, size_t len, size_t limit)
{
	if (out->len >= limit)
		return;
	size_t room = limit - out->len;
	if (len > room) {
		len = room;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	g_string_append_len(out, text, (gssize)len);
}

/* Replace NULs in place: they would end every C string early. */
static void replace_nuls(guint8 *data, size_t len)
{
	guint8 *end = data + len;

	if (len == 0)
		return;
	while ((data = memchr(data, '\0', (size_t)(end - data))) != NULL)
		*data++ = ' ';
}

/* ---- borrowed streams ---- */

/* A GMime memory stream over bytes we do not own and must not copy: the
 * GByteArray takes the pointer and gives it back (g_byte_array_steal)
 * when the stream is gone. The stream is not the array's owner, and its
 * bounds keep GMime from ever growing (reallocating) the array. */
struct borrowed {
	GByteArray *array;
	GMimeStream *stream;
};

static GMimeStream *borrowed_open(struct borrowed *b, const char *data, size_t len)
{
	/* GLib never writes through the pointer: the array is only read. */
	b->array = g_byte_array_new_take((guint8 *)data, len);
	b->stream = g_mime_stream_mem_new();
	g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(b->stream), b->array);
	g_mime_stream_set_bounds(b->stream, 0, (gint64)len);
	return b->stream;
}

/* Call only after every object parsed from the stream has been unreffed. */
static void borrowed_close(struct borrowed *b)
{
	g_object_unref(b->stream);
	g_byte_array_steal(b->array, NULL);
	g_byte_array_unref(b->array);
}

/* One GMime parser for every entity parsed, re-initialised for each:
 * a new GMimeParser costs some 20,000 instructions (its 4 KB read buffer
 * is a large allocation, which makes malloc sort every small block freed
 * since the last one), re-initialising it about 1,500. Between parses it
 * holds IDLE, an empty stream of its own, so that it keeps no reference
 * to borrowed bytes. */
struct us_mime_parser {
	GMimeParser *parser;
	GMimeStream *idle;
};

struct us_mime_parser *us_mime_parser_new(void)
{
	struct us_mime_parser *mp = g_new(struct us_mime_parser, 1);

	mp->idle = g_mime_stream_mem_new();
	mp->parser = g_mime_parser_new_with_stream(mp->idle);
	return mp;
}

void us_mime_parser_free(struct us_mime_parser *mp)
{
	if (mp == NULL)
		return;
	g_object_unref(mp->parser);
	g_object_unref(mp->idle);
	g_free(mp);
}

/* Parse STREAM (over borrowed bytes) as one MIME entity. Parsing it as a
 * part rather than a message keeps every top-level header in one list in
 * order, and skips GMime's eager parsing of address headers. Re-initialising
 * resets all of the parser's state but its settings, which are set here. */
static GMimeObject *parse_entity(struct us_mime_parser *mp, GMimeStream *stream)
{
	GMimeObject *obj;

	g_mime_parser_init_with_stream(mp->parser, stream);
	g_mime_parser_set_format(mp->parser, GMIME_FORMAT_MESSAGE);
	obj = g_mime_parser_construct_part(mp->parser, NULL);
	g_mime_parser_init_with_stream(mp->parser, mp->idle);
	return obj;
}

/* ---- headers ---- */

/* The value of H, unfolded, decoded, valid UTF-8 and stripped (owned).
 * g_mime_header_get_value() unfolds the raw value and runs GMime's
 * RFC 2047 decoder over it, which costs some thousand instructions a
 * field even when there is nothing to decode. An ASCII value without
 * "=?" has no encoded word and no 8-bit text, so the decoder would give
 * it back unchanged: only the unfolding is applied then, GMime's
 * (g_mime_utils_header_unfold: blanks at either end dropped, every CR
 * and LF removed) done in the same copy as the stripping (the two agree
 * on all 97,000 such fields of the corpus). */
static char *header_value(GMimeHeader *h)
{
	const char *raw = g_mime_header_get_raw_value(h);
	const char *value;

	if (raw != NULL) {
		size_t n = strlen(raw);
		if (is_ascii_len(raw, n) && strstr(raw, "=?") == NULL) {
			return strip_copy(raw, n, true);
		}
	}
	value = g_mime_header_get_value(h);
	return clean_utf8(value ? value : "", -1);
}

/* clean_utf8(NAME, -1) for a field name, which is short and nearly always
 * plain ASCII without blanks around it: then a plain copy. */
static char *field_name(const char *name)
{
	size_t n = strlen(name);

	if (!is_ascii_len(name, n) || n == 0 || g_ascii_isspace(name[0]) || g_ascii_isspace(name[n - 1]))
		return clean_utf8(name, -1);
	return g_memdup2(name, n + 1);
}

static void append_header(GPtrArray *out, GMimeHeader *h)
{
	const char *name = g_mime_header_get_name(h);
	struct us_header *copy = g_new(struct us_header, 1);

	copy->name = field_name(name ? name : "");
	copy->value = header_value(h);
	g_ptr_array_add(out, copy);
}

static void append_header_list(GPtrArray *out, GMimeHeaderList *list)
{
	int n = list ? g_mime_header_list_get_count(list) : 0;

	for (int i = 0; i < n; i++)
		append_header(out, g_mime_header_list_get_header_at(list, i));
}

/* A GMimeMessage keeps Content-* fields in its body part's list and the
 * rest in its own; merge the two by stream offset to get the order as
 * written. */
static void append_message_headers(GPtrArray *out, GMimeMessage *message)
{
	GMimeObject *body = g_mime_message_get_mime_part(message);
	GMimeHeaderList *a = g_mime_object_get_header_list(GMIME_OBJECT(message));
	GMimeHeaderList *b = body ? g_mime_object_get_header_list(body) : NULL;
	int na = a ? g_mime_header_list_get_count(a) : 0;
	int nb = b ? g_mime_header_list_get_count(b) : 0;
	int i = 0, j = 0;

	while (i < na || j < nb) {
		GMimeHeader *ha = i < na ? g_mime_header_list_get_header_at(a, i) : NULL;
		GMimeHeader *hb = j < nb ? g_mime_header_list_get_header_at(b, j) : NULL;

		if (hb == NULL || (ha != NULL && g_mime_header_get_offset(ha) <= g_mime_header_get_offset(hb))) {
			append_header(out, ha);
			i++;
		} else {
			append_header(out, hb);
			j++;
		}
	}
}

/* The bytes of the header block at the start of TEXT (LEN bytes) that
 * parse_header_block gives GMime: after a "From " line, up to the end of
 * the header, at most MAX_BLOCK_HEADER_LINES lines (*LINES of them).
 * Returns the length, 0 for none. */
static size_t header_block_range(const char *text, size_t len, const char **start, unsigned *lines)
{
	struct us_layout layout;

	*lines = 0;
	us_input_layout(text, len, &layout);
	if (layout.header_end <= layout.from_line_end)
		return 0;
	const char *stop = text + layout.header_end, *p = text + layout.from_line_end;
	*start = p;
	for (; p < stop && *lines < MAX_BLOCK_HEADER_LINES; (*lines)++) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		p = nl ? nl + 1 : stop;
	}
	return (size_t)(p - *start);
}

/* Parse the header block at the start of TEXT (LEN bytes, borrowed) with
 * GMime and append its fields to OUT. Only the header block is handed to
 * GMime, so a body after it (some MTAs send whole messages as
 * text/rfc822-headers) costs nothing. */
static void parse_header_block(struct us_mime_parser *mp, const char *text, size_t len, GPtrArray *out)
{
	struct borrowed b;
	const char *start;
	unsigned lines;
	size_t n = header_block_range(text, len, &start, &lines);

	if (n == 0)
		return;
	GMimeObject *obj = parse_entity(mp, borrowed_open(&b, start, n));
	if (obj != NULL) {
		append_header_list(out, g_mime_object_get_header_list(obj));
		g_object_unref(obj);
	}
	borrowed_close(&b);
}

/* Does TEXT (LEN bytes) start with a field name of letters, digits and
 * hyphens, right before its colon? GMime takes such a first line of a
 * header block for a field, whatever came before it, so that header blocks
 * starting so can be parsed as one (a block that does not may make GMime
 * see no header at all, alone, or skip its first line, after another). */
static bool starts_with_plain_field(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && (g_ascii_isalnum(text[i]) || text[i] == '-'))
		i++;
	return i > 0 && i < len && text[i] == ':';
}

/* The address in a Return-Path or mbox "From " sender: "<a@b>" -> "a@b",
 * "<>" -> "" (the null sender), "a@b (comment)" -> "a@b". */
static char *sender_address(const char *value)
{
	const char *lt = strchr(value, '<');
	const char *gt = lt ? strchr(lt + 1, '>') : NULL;

	if (gt != NULL)
		return clean_utf8(lt + 1, gt - lt - 1);
	while (*value == ' ' || *value == '\t')
		value++;
	return clean_utf8(value, (gssize)strcspn(value, " \t\r\n"));
}

/* The sender of a leading mbox "From sender date" line (LINE_LEN bytes,
 * line ending included).
 * MTAs write "MAILER-DAEMON" there for the null sender (Postfix local(8),
 * Sendmail), so that one means "". */
static char *from_line_sender(const char *line, size_t line_len)
{
	char *tmp = g_strndup(line + 5, line_len - 5);
	char *sender = sender_address(tmp);

	g_free(tmp);
	if (g_ascii_strcasecmp(sender, "MAILER-DAEMON") == 0) {
		g_free(sender);
		sender = g_strdup("");
	}
	return sender;
}

/* ---- part content ---- */

/* Bytes of a part's content: borrowed (from the message, or from the
 * GMime tree, valid as long as it is) or owned (OWNED, g_free'd by
 * bytes_free). DATA is never NULL. */
struct bytes {
	const char *data;
	size_t len;
	char *owned;
};

static void bytes_free(struct bytes *b)
{
	g_free(b->owned);
	b->owned = NULL;
}

static void bytes_take(struct bytes *b, char *owned, size_t len)
{
	g_free(b->owned);
	b->data = b->owned = owned;
	b->len = len;
}

/* The bytes written to the memory stream MEM, which is unreffed. */
static void take_stream(struct bytes *b, GMimeStream *mem)
{
	GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	size_t len = array->len;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	g_byte_array_append(array, (const guint8 *)"", 1);	/* data never NULL */
	bytes_take(b, (char *)g_byte_array_free(array, FALSE), len);
}

/* The bytes of the memory stream STREAM between its bounds, in place. */
static bool stream_bytes(GMimeStream *stream, const char **data, size_t *len)
{
	if (stream == NULL || !GMIME_IS_STREAM_MEM(stream))
		return false;
	GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	gint64 start = stream->bound_start, end = stream->bound_end;

	if (array == NULL || start < 0)
		return false;
	if (end < 0 || end > (gint64)array->len)
		end = array->len;
	*data = array->len > 0 ? (const char *)array->data : "";
	*data += start < end ? start : 0;
	*len = start < end ? (size_t)(end - start) : 0;
	return true;
}

/* The transfer-decoded content of PART (no charset conversion). GMime
 * keeps a part's content as a bounded memory stream over the message's
 * own bytes: content without a transfer encoding is used in place, base64
 * and quoted-printable are decoded in one step into one buffer (what
 * g_mime_data_wrapper_write_to_stream does through filter streams, chunk
 * by chunk); anything else goes through GMime's data wrapper. */
static void part_bytes(GMimePart *part, struct bytes *b)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentEncoding encoding = content ? g_mime_data_wrapper_get_encoding(content)
						: GMIME_CONTENT_ENCODING_DEFAULT;
	const char *raw;
	size_t raw_len;

	*b = (struct bytes){ .data = "" };
	if (content == NULL)
		return;
	if (stream_bytes(g_mime_data_wrapper_get_stream(content), &raw, &raw_len)) {
		switch (encoding) {
		case GMIME_CONTENT_ENCODING_DEFAULT:
		case GMIME_CONTENT_ENCODING_7BIT:
		case GMIME_CONTENT_ENCODING_8BIT:
		case GMIME_CONTENT_ENCODING_BINARY:
			b->data = raw;
			b->len = raw_len;
			return;
		case GMIME_CONTENT_ENCODING_BASE64:
		case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE: {
			GMimeEncoding state;
			g_mime_encoding_init_decode(&state, encoding);
			char *out = g_malloc(g_mime_encoding_outlen(&state, raw_len) + 1);
			size_t n = g_mime_encoding_step(&state, raw, raw_len, out);
			n += g_mime_encoding_flush(&state, raw + raw_len, 0, out + n);
			out[n] = '\0';
			bytes_take(b, out, n);
			return;
		}
		default:
			break;
		}
	}
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, out);
	take_stream(b, out);
}

/* The content of PART with LF line endings (base64 content decodes to
 * whatever the sender had). */
static void part_lf_bytes(GMimePart *part, struct bytes *b)
{
	size_t n;
	char *lf;

	part_bytes(part, b);
	lf = us_input_normalize_eol(b->data, b->len, b->len, &n);
	if (lf != NULL)
		bytes_take(b, lf, n);
}

static bool charset_is_utf8_or_ascii(const char *charset)
{
	return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0 ||
	       g_ascii_strcasecmp(charset, "us-ascii") == 0 || g_ascii_strcasecmp(charset, "ascii") == 0;
}

/* UTF-16 and UTF-32 text may look like anything. */
static bool charset_is_wide(const char *charset)
{
	return g_ascii_strncasecmp(charset, "utf-16", 6) == 0 || g_ascii_strncasecmp(charset, "utf-32", 6) == 0 ||
	       g_ascii_strncasecmp(charset, "ucs", 3) == 0 || g_ascii_strncasecmp(charset, "unicode", 7) == 0;
}

/* Charsets in which every ASCII byte stands for itself and every other
 * character takes 8-bit bytes only: text in them without an 8-bit byte
 * converts to itself. (Not so: UTF-7, ISO-2022-*, HZ, UTF-16/32; nor
 * Shift_JIS and Big5-HKSCS, whose iconv tables move a few ASCII bytes.) */
static bool charset_is_ascii_superset(const char *charset)
{
	static const char *const prefixes[] = {
		"iso-8859-", "iso8859-", "iso_8859-", "windows-125", "cp125", "koi8-",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_ascii_strncasecmp(charset, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* DATA (LEN bytes, from CHARSET, when known to iconv) converted to UTF-8
 * into B; false for a charset iconv does not know. */
static bool convert_charset(const char *data, size_t len, const char *charset, struct bytes *b)
{
	GMimeFilter *filter = g_mime_filter_charset_new(charset, "UTF-8");

	if (filter == NULL)
		return false;	/* an unknown charset */

	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeStream *filtered = g_mime_stream_filter_new(mem);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), filter);
	g_mime_stream_write(filtered, data, len);
	g_mime_stream_flush(filtered);
	g_object_unref(filtered);
	g_object_unref(filter);
	take_stream(b, mem);
	return true;
}

/* The text of PART as valid UTF-8 with LF line endings and without NULs,
 * into T (NUL-terminated when owned; borrowed text is not).
 * The declared charset is used when iconv knows it. Text without one,
 * with an unknown one, or labelled ASCII/UTF-8 is either valid UTF-8
 * already or goes through GMime's 8-bit guesser (fallback charsets).
 * Text without NULs and CRs that is ASCII in a charset that keeps ASCII as
 * it is, or UTF-8 (labelled so, or 8-bit and not labelled UTF-16/32), is
 * all of that as it stands: most text, used in place. */
static void part_text(GMimePart *part, struct bytes *t)
{
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	struct bytes bytes;
	bool converted = false;
	bool guessed = false;	/* text from GMime's guesser, not checked yet */
	char *text, *lf, *data;
	size_t n;

	part_bytes(part, &bytes);
	if (bytes.len == 0) {
		*t = bytes;
		return;
	}
	bool plain_label = charset == NULL || charset_is_utf8_or_ascii(charset);
	bool wide = !plain_label && charset_is_wide(charset);
	bool ascii = is_ascii_len(bytes.data, bytes.len);
	/* 8-bit text that is valid UTF-8 is UTF-8 whatever its label says
	 * (but UTF-16/32, which may look like anything): other 8-bit charsets
	 * almost never validate, and mislabelled UTF-8 is common (e.g.
	 * "iso-2022-jp" on UTF-8 text). */
	bool utf8 = !ascii && !wide && g_utf8_validate_len(bytes.data, bytes.len, NULL);
	bool nul = memchr(bytes.data, '\0', bytes.len) != NULL;

	/* Text that would be neither converted nor changed after. */
	if (((ascii && (plain_label || charset_is_ascii_superset(charset))) || utf8) && !nul &&
	    memchr(bytes.data, '\r', bytes.len) == NULL) {
		*t = bytes;
		return;
	}
	if (!plain_label && !utf8)
		converted = convert_charset(bytes.data, bytes.len, charset, &bytes);
	if (bytes.owned == NULL) {
		char *copy = g_malloc(bytes.len + 1);
		memcpy(copy, bytes.data, bytes.len);
		copy[bytes.len] = '\0';
		bytes_take(&bytes, copy, bytes.len);
	}
	/* After conversion: UTF-16 text has NULs before it. */
	data = bytes.owned;
	n = bytes.len;
	replace_nuls((guint8 *)data, n);
	if (n == 0)
		text = g_strdup("");
	else if (!converted && !nul && !wide ? ascii || utf8 : is_utf8(data, n))	/* known unless changed */
		text = g_strndup(data, n);
	else if (!converted)
		guessed = (text = g_mime_utils_decode_8bit(NULL, data, n)) != NULL;
	else
		text = NULL;
	if (text == NULL)
		text = g_utf8_make_valid(data, (gssize)n);
	bytes_free(&bytes);

	/* The other branches made valid UTF-8 already. */
	if (guessed && !g_utf8_validate(text, -1, NULL)) {
		char *valid = g_utf8_make_valid(text, -1);
		g_free(text);
		text = valid;
	}
	lf = us_input_normalize_eol(text, strlen(text), G_MAXSIZE, &n);
	if (lf != NULL) {
		g_free(text);
		text = lf;
	}
	*t = (struct bytes){ .data = text, .len = strlen(text), .owned = text };
}

/* ---- HTML, crudely ---- */

/* Does the tag TAG (LEN bytes after '<') start with NAME as a whole word? */
static bool tag_is(const char *tag, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len > 0 && tag[0] == '/') {
		tag++;
		len--;
	}
	return len >= n && g_ascii_strncasecmp(tag, name, n) == 0 &&
	       (len == n || !g_ascii_isalnum(tag[n]));
}

/* Tags after which the rendered text starts a new line: those whose
 * name (the letters and digits after '<' or '</') is one of these. */
static bool tag_breaks_line(const char *tag, size_t len)
{
#define NAME(s) { s, sizeof s - 1 }
	static const struct { const char *name; size_t len; } breaking[] = {
		NAME("br"), NAME("p"), NAME("div"), NAME("tr"), NAME("li"), NAME("h1"), NAME("h2"),
		NAME("h3"), NAME("h4"), NAME("h5"), NAME("h6"), NAME("table"), NAME("blockquote"),
		NAME("pre"), NAME("hr"), NAME("title"), NAME("ul"), NAME("ol"), NAME("dd"), NAME("dt"),
	};
#undef NAME
	size_t n = 0;

	if (len > 0 && tag[0] == '/') {
		tag++;
		len--;
	}
	while (n < len && g_ascii_isalnum(tag[n]))
		n++;
	if (n == 0 || n > 10)
		return false;
	char first = g_ascii_tolower(tag[0]);
	for (size_t i = 0; i < G_N_ELEMENTS(breaking); i++)
		if (breaking[i].len == n && breaking[i].name[0] == first &&
		    g_ascii_strncasecmp(tag, breaking[i].name, n) == 0)
			return true;
	return false;
}

/* Decode the entity at S (LEN bytes, S[0] == '&') into OUT; returns the
 * bytes used, 0 if it is not one we know (the '&' is then kept). */
static size_t decode_entity(const char *s, size_t len, GString *out)
{
	static const struct { const char *name; const char *text; } named[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
		{ "&apos;", "'" }, { "&nbsp;", " " },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(named); i++) {
		size_t n = strlen(named[i].name);
		if (len >= n && g_ascii_strncasecmp(s, named[i].name, n) == 0) {
			g_string_append(out, named[i].text);
			return n;
		}
	}
	if (len >= 4 && s[1] == '#') {
		bool hex = s[2] == 'x' || s[2] == 'X';
		size_t i = hex ? 3 : 2;
		gunichar c = 0;

		for (; i < len && i < 12 && g_ascii_isxdigit(s[i]); i++) {
			if (!hex && !g_ascii_isdigit(s[i]))
				break;
			c = c * (hex ? 16 : 10) + (gunichar)(hex ? g_ascii_xdigit_value(s[i]) : g_ascii_digit_value(s[i]));
		}
		if (i < len && s[i] == ';' && c != 0 && g_unichar_validate(c)) {
			g_string_append_unichar(out, c);
			return i + 1;
		}
	}
	return 0;
}

/* Where the element NAME (script, style: not text) that was opened just
 * before AT is closed: the "</NAME" tag, or the end of S. */
static size_t skip_element(const char *s, size_t len, size_t at, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = at; i + n + 2 <= len; i++)
		if (s[i] == '<' && s[i + 1] == '/' && g_ascii_strncasecmp(s + i + 2, name, n) == 0)
			return i;
	return len;
}

/* Text of HTML (LEN bytes, valid UTF-8): tags dropped, block tags turned
 * into line breaks, the common entities decoded. Crude, but enough for
 * rules and for finding header lines quoted in an HTML-only bounce. */
static void html_to_text(const char *s, size_t len, GString *out)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '<') {
			const char *gt = memchr(s + i, '>', len - i);
			if (gt == NULL)
				break;
			const char *tag = s + i + 1;
			size_t tag_len = (size_t)(gt - tag);
			i = (size_t)(gt - s) + 1;
			if (tag_breaks_line(tag, tag_len))
				g_string_append_c(out, '\n');
			else if (tag[0] != '/' && (tag_is(tag, tag_len, "script") || tag_is(tag, tag_len, "style")))
				i = skip_element(s, len, i, tag_is(tag, tag_len, "script") ? "script" : "style");
			continue;
		}
		if (s[i] == '&') {
			size_t used = decode_entity(s + i, len - i, out);
			if (used > 0) {
				i += used;
				continue;
			}
		}
		/* Text up to the next tag or entity, as it is. */
		size_t j = i + 1;
		while (j < len && s[j] != '<' && s[j] != '&')
			j++;
		g_string_append_len(out, s + i, (gssize)(j - i));
		i = j;
	}
}

/* ---- the walk over the MIME tree ---- */

struct walk {
	struct us_mime_parser *mp;
	struct us_message *msg;
	GString *plain;		/* text of the own text/plain parts */
	bool saw_plain;
	GPtrArray *html;	/* own text/html parts (borrowed), used if no text/plain */
	unsigned parts;
};

/* Append TEXT to the collected body text, one part per line at least. */
static void add_text_len(GString *body, const char *text, size_t len)
{
	if (body->len > 0 && body->str[body->len - 1] != '\n')
		append_capped(body, "\n", 1, US_BODY_LIMIT);
	append_capped(body, text, len, US_BODY_LIMIT);
}

static void add_text(GString *body, const char *text)
{
	add_text_len(body, text, strlen(text));
}

static bool is_type(const char *type, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(type, list[i]) == 0)
			return true;
	return false;
}

static bool is_headers_type(const char *type)
{
	static const char *const types[] = {
		"text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header",
		"message/rfc822-header", "message/global-headers",
	};

	return is_type(type, types, G_N_ELEMENTS(types));
}

/* A recipient's DSN field NAME: where it goes in R, or NULL. */
static char **recipient_field(struct us_dsn_recipient *r, const char *name)
{
	static const struct { const char *name; size_t offset; } fields[] = {
		{ "Final-Recipient", G_STRUCT_OFFSET(struct us_dsn_recipient, final_recipient) },
		{ "Original-Recipient", G_STRUCT_OFFSET(struct us_dsn_recipient, original_recipient) },
		{ "Action", G_STRUCT_OFFSET(struct us_dsn_recipient, action) },
		{ "Status", G_STRUCT_OFFSET(struct us_dsn_recipient, status) },
		{ "Diagnostic-Code", G_STRUCT_OFFSET(struct us_dsn_recipient, diagnostic_code) },
		{ "Remote-MTA", G_STRUCT_OFFSET(struct us_dsn_recipient, remote_mta) },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
		if (g_ascii_strcasecmp(name, fields[i].name) == 0)
			return G_STRUCT_MEMBER_P(r, fields[i].offset);
	return NULL;
}

/* The recipient described by FIELDS (struct us_header *), or NULL when
 * none of them is a per-recipient field. The first of each field counts. */
static struct us_dsn_recipient *recipient_from(const GPtrArray *fields)
{
	struct us_dsn_recipient *r = g_new0(struct us_dsn_recipient, 1);
	bool any = false;

	for (guint i = 0; i < fields->len; i++) {
		const struct us_header *h = g_ptr_array_index(fields, i);
		char **slot = recipient_field(r, h->name);
		if (slot != NULL && *slot == NULL) {
			*slot = squeeze_utf8(h->value);
			any = true;
		}
	}
	if (!any) {
		us_dsn_recipient_free(r);
		return NULL;
	}
	return r;
}

/* One group of DSN fields: a recipient, or (before any recipient) more
 * per-message fields. Taking "has a per-recipient field" rather than
 * "is not the first group" copes with reports that leave out the
 * per-message group. */
static void dsn_group(struct us_message *msg, GPtrArray *fields)
{
	struct us_dsn_recipient *r = recipient_from(fields);

	if (r != NULL) {
		if (msg->dsn_recipients->len < MAX_DSN_RECIPIENTS)
			g_ptr_array_add(msg->dsn_recipients, r);
		else
			us_dsn_recipient_free(r);
	} else if (msg->dsn_recipients->len == 0) {
		for (guint i = 0; i < fields->len && msg->dsn_reporting->len < MAX_DSN_REPORTING; i++) {
			const struct us_header *h = g_ptr_array_index(fields, i);
			char *value = squeeze_utf8(h->value);
			g_ptr_array_add(msg->dsn_reporting, us_header_new(h->name, value));
			g_free(value);
		}
	}
}

/* DSN groups whose header blocks GMime parses in one go. */
struct dsn_batch {
	GString *text;		/* the blocks, one after the other */
	GArray *ends;		/* size_t: where each block ends in TEXT */
	unsigned lines;
};

/* Parse the groups of BATCH with GMime at once (one entity, one parser
 * run, instead of one per group: GMime builds a part object around every
 * header block) and hand each its own fields, by their offsets. */
static void dsn_batch_flush(struct walk *w, struct dsn_batch *batch)
{
	guint n = batch->ends->len;
	struct borrowed b;

	if (n == 0)
		return;
	GPtrArray **fields = g_new(GPtrArray *, n);
	for (guint g = 0; g < n; g++)
		fields[g] = g_ptr_array_new_with_free_func(us_header_free);
	GMimeObject *obj = parse_entity(w->mp, borrowed_open(&b, batch->text->str, batch->text->len));
	GMimeHeaderList *list = obj ? g_mime_object_get_header_list(obj) : NULL;
	int count = list ? g_mime_header_list_get_count(list) : 0;
	guint g = 0;
	for (int i = 0; i < count; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		gint64 at = g_mime_header_get_offset(h);
		while (g + 1 < n && at >= (gint64)g_array_index(batch->ends, size_t, g))
			g++;
		append_header(fields[g], h);
	}
	if (obj != NULL)
		g_object_unref(obj);
	borrowed_close(&b);
	for (g = 0; g < n; g++) {
		dsn_group(w->msg, fields[g]);
		g_ptr_array_unref(fields[g]);
	}
	g_free(fields);
	g_string_truncate(batch->text, 0);
	g_array_set_size(batch->ends, 0);
	batch->lines = 0;
}

/* The group of DSN fields TEXT (LEN bytes, no empty line in it): into
 * BATCH when its header block can be parsed with others (it starts with a
 * plain field and ends with a line ending, and the batch stays within
 * MAX_BLOCK_HEADER_LINES lines, as one block alone does), else on its own. */
static void dsn_add_group(struct walk *w, struct dsn_batch *batch, const char *text, size_t len)
{
	const char *start;
	unsigned lines;
	size_t n = header_block_range(text, len, &start, &lines);

	if (n == 0) {
		dsn_batch_flush(w, batch);
		return;
	}
	if (!starts_with_plain_field(start, n) || start[n - 1] != '\n') {
		GPtrArray *fields = g_ptr_array_new_with_free_func(us_header_free);
		dsn_batch_flush(w, batch);
		parse_header_block(w->mp, text, len, fields);
		dsn_group(w->msg, fields);
		g_ptr_array_unref(fields);
		return;
	}
	if (batch->lines + lines > MAX_BLOCK_HEADER_LINES)
		dsn_batch_flush(w, batch);
	g_string_append_len(batch->text, start, (gssize)n);
	g_array_append_val(batch->ends, batch->text->len);
	batch->lines += lines;
}

/* The end of the group of lines starting at POS: the next line that is
 * empty or only white space, or the end of TEXT. */
static size_t group_end(const char *text, size_t len, size_t pos, size_t *next)
{
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t i = pos;

		while (i < end && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (i == end) {
			*next = nl ? end + 1 : len;
			return pos;
		}
		pos = nl ? end + 1 : len;
	}
	*next = len;
	return len;
}

/* A message/(global-)delivery-status part (RFC 3464 / 6533): groups of
 * header-like fields separated by empty lines, parsed by GMime (several
 * groups at a time where that gives each the same fields). */
static void parse_dsn(struct walk *w, GMimePart *part)
{
	struct bytes bytes;
	const char *text;
	size_t pos = 0, next;
	unsigned groups = 0, lines = 0;

	struct dsn_batch batch = {
		.text = g_string_new(NULL),
		.ends = g_array_new(FALSE, FALSE, sizeof(size_t)),
	};

	part_lf_bytes(part, &bytes);
	text = bytes.data;
	while (pos < bytes.len && groups < MAX_DSN_GROUPS && lines < MAX_DSN_LINES) {
		size_t end = group_end(text, bytes.len, pos, &next);
		if (end > pos) {
			dsn_add_group(w, &batch, text + pos, end - pos);
			groups++;
			for (const char *p = text + pos; p < text + end; lines++) {
				const char *nl = memchr(p, '\n', (size_t)(text + end - p));
				p = nl ? nl + 1 : text + end;
			}
		}
		pos = next;
	}
	dsn_batch_flush(w, &batch);
	g_string_free(batch.text, TRUE);
	g_array_unref(batch.ends);
	bytes_free(&bytes);
}

static void add_quoted(struct us_message *msg, struct us_quoted *q)
{
	if (q->headers->len > 0 && msg->quoted->len < MAX_QUOTED_MIME)
		g_ptr_array_add(msg->quoted, q);
	else
		us_quoted_free(q);
}

/* The header block of the content of PART as a quoted original from
 * SOURCE. Empty lines before it are skipped: some MTAs put one too many
 * after the part's own header. */
static void quote_part_content(struct walk *w, GMimePart *part, enum us_quote_source source)
{
	struct bytes bytes;
	struct us_quoted *q = us_quoted_new(source);
	size_t skip = 0;

	part_lf_bytes(part, &bytes);
	while (skip < bytes.len && bytes.data[skip] == '\n')
		skip++;
	if (skip < bytes.len)
		parse_header_block(w->mp, bytes.data + skip, bytes.len - skip, q->headers);
	bytes_free(&bytes);
	add_quoted(w->msg, q);
}

/* Types whose content is a whole message, when GMime left them a leaf
 * part: encoded message/rfc822 (which RFC 2046 forbids, so GMime does
 * not parse it) and message/partial (Bigfoot sends the original so). */
static bool is_message_leaf_type(const char *type)
{
	static const char *const types[] = {
		"message/rfc822", "message/global", "message/partial",
	};

	return is_type(type, types, G_N_ELEMENTS(types));
}

/* A leaf part of the message's own structure. */
static void own_leaf(struct walk *w, GMimePart *part, const char *type)
{
	static const char *const dsn_types[] = {
		"message/delivery-status", "message/global-delivery-status",
	};
	struct us_message *msg = w->msg;

	if (strcmp(type, "text/plain") == 0) {
		w->saw_plain = true;
		if (w->plain->len < US_BODY_LIMIT) {
			struct bytes text;
			part_text(part, &text);
			add_text_len(w->plain, text.data, text.len);
			bytes_free(&text);
		}
	} else if (strcmp(type, "text/html") == 0) {
		g_ptr_array_add(w->html, part);
	} else if (is_type(type, dsn_types, G_N_ELEMENTS(dsn_types))) {
		msg->has_delivery_status = true;
		parse_dsn(w, part);
	} else if (strcmp(type, "message/feedback-report") == 0) {
		msg->has_feedback_report = true;
	} else if (strcmp(type, "message/disposition-notification") == 0) {
		msg->has_disposition_notification = true;
	} else if (is_headers_type(type)) {
		quote_part_content(w, part, US_QUOTE_HEADERS);
	} else if (is_message_leaf_type(type)) {
		quote_part_content(w, part, US_QUOTE_MESSAGE);
	}
}

/* Some MTAs paste the original right after a boundary line, so that its
 * header becomes the part's MIME header. A Received field has no business
 * in a MIME part header, so one there marks such an original. */
static void quote_pasted_original(struct us_message *msg, GMimeObject *part)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(part);

	if (list == NULL || !g_mime_header_list_contains(list, "Received"))
		return;
	struct us_quoted *q = us_quoted_new(US_QUOTE_MESSAGE);
	append_header_list(q->headers, list);
	add_quoted(msg, q);
}

/* A multipart without parts (its boundary never occurs, as in some
 * anonymised or broken reports) has all its text in the prologue. */
static void own_empty_multipart(struct walk *w, GMimeMultipart *mp)
{
	const char *prologue = g_mime_multipart_get_prologue(mp);

	if (prologue == NULL || w->plain->len >= US_BODY_LIMIT)
		return;
	char *text = clean_utf8_text(prologue);
	w->saw_plain = true;
	add_text(w->plain, text);
	g_free(text);
}

/* "type/subtype" of OBJ, lower case, valid UTF-8 and without blanks (it
 * goes into a space-separated list). */
static char *object_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *subtype = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
	/* What g_mime_content_type_get_mime_type() gives, without its printf. */
	char *raw = type && subtype ? g_strconcat(type, "/", subtype, NULL)
		    : ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	char *lower = clean_utf8(raw, -1);

	g_free(raw);
	for (char *p = lower; *p; p++)
		*p = g_ascii_isspace(*p) ? '_' : g_ascii_tolower(*p);
	return lower;
}

static void walk(struct walk *w, GMimeObject *obj, unsigned depth, bool attached);

static void walk_message_part(struct walk *w, GMimeMessagePart *mp, unsigned depth, bool attached)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;

	if (inner == NULL)
		return;
	if (!attached) {
		GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(inner));
		if (list != NULL && g_mime_header_list_get_count(list) > 0) {
			struct us_quoted *q = us_quoted_new(US_QUOTE_MESSAGE);
			append_message_headers(q->headers, inner);
			add_quoted(w->msg, q);
		} else if (body != NULL && GMIME_IS_PART(body)) {
			/* An empty line before the header made it all body. */
			quote_part_content(w, GMIME_PART(body), US_QUOTE_MESSAGE);
		}
	}
	walk(w, body, depth + 1, true);
}

/* Visit OBJ and its children in tree order. ATTACHED: inside an attached
 * message, where only the part list is collected. */
static void walk(struct walk *w, GMimeObject *obj, unsigned depth, bool attached)
{
	if (obj == NULL || depth > MAX_DEPTH || w->parts >= MAX_PARTS)
		return;
	w->parts++;

	char *type = object_type(obj);
	if (w->msg->part_types->len > 0)
		g_string_append_c(w->msg->part_types, ' ');
	g_string_append(w->msg->part_types, type);

	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		if (n == 0 && !attached)
			own_empty_multipart(w, mp);
		for (int i = 0; i < n && w->parts < MAX_PARTS; i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1, attached);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		walk_message_part(w, GMIME_MESSAGE_PART(obj), depth, attached);
	} else if (GMIME_IS_PART(obj) && !attached) {
		if (depth > 0)
			quote_pasted_original(w->msg, obj);
		own_leaf(w, GMIME_PART(obj), type);
	}
	g_free(type);
}

/* The body text: the text/plain parts, or failing those the text/html ones. */
static void finish_body(struct walk *w)
{
	GString *body = w->msg->body;

	if (w->saw_plain) {
		if (body->len > 0) {
			g_string_append_len(body, w->plain->str, (gssize)w->plain->len);
			return;
		}
		/* The text collected is the body as it is: no copy. */
		w->msg->body = w->plain;
		w->plain = body;
		return;
	}
	for (guint i = 0; i < w->html->len && body->len < US_BODY_LIMIT; i++) {
		struct bytes html;
		part_text(g_ptr_array_index(w->html, i), &html);
		GString *text = g_string_new(NULL);
		html_to_text(html.data, html.len, text);
		add_text(body, text->str);
		g_string_free(text, TRUE);
		bytes_free(&html);
	}
}

/* Inline-quoted headers in the body text; their values may still hold
 * RFC 2047 encoded words, which only GMime decodes. */
static void find_inline_quotes(struct us_message *msg)
{
	guint first = msg->quoted->len;

	us_quote_find_inline(msg->body->str, msg->body->len, msg->quoted);
	for (guint q = first; q < msg->quoted->len; q++) {
		struct us_quoted *quoted = g_ptr_array_index(msg->quoted, q);
		for (guint i = 0; i < quoted->headers->len; i++) {
			struct us_header *h = g_ptr_array_index(quoted->headers, i);
			if (strstr(h->value, "=?") == NULL)
				continue;
			char *decoded = g_mime_utils_header_decode_text(NULL, h->value);
			g_free(h->value);
			h->value = clean_utf8(decoded, -1);
			g_free(decoded);
		}
	}
}

/* Everything but the headers, from the top-level entity TOP. */
static void fill_from_tree(struct us_mime_parser *mp, struct us_message *msg, GMimeObject *top)
{
	struct walk w = {
		.mp = mp,
		.msg = msg,
		.plain = g_string_new(NULL),
		.html = g_ptr_array_new(),
	};
	GMimeContentType *ct = g_mime_object_get_content_type(top);

	g_free(msg->content_type);
	msg->content_type = object_type(top);
	if (ct != NULL && g_mime_content_type_is_type(ct, "multipart", "report")) {
		const char *report_type = g_mime_content_type_get_parameter(ct, "report-type");
		if (report_type != NULL) {
			char *valid = clean_utf8(report_type, -1);
			msg->report_type = g_ascii_strdown(valid, -1);
			g_free(valid);
		}
	}
	walk(&w, top, 0, false);
	finish_body(&w);
	g_string_free(w.plain, TRUE);
	g_ptr_array_unref(w.html);
}

/* Does the header line S (N bytes) give a type GMime parses as an attached
 * message (message/rfc822, message/news, message/global)? */
static bool is_message_type_line(const char *s, size_t n)
{
	static const char *const types[] = { "message/rfc822", "message/news", "message/global" };
	static const char field[] = "content-type:";
	size_t i = sizeof field - 1;

	if (n < i || g_ascii_strncasecmp(s, field, i) != 0)
		return false;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (size_t k = 0; k < G_N_ELEMENTS(types); k++) {
		size_t t = strlen(types[k]);
		if (n - i >= t && g_ascii_strncasecmp(s + i, types[k], t) == 0 &&
		    (n - i == t || s[i + t] == ';' || s[i + t] == ' ' || s[i + t] == '\t'))
			return true;
	}
	return false;
}

/* How much of DATA (LEN bytes, LF line endings) to give GMime: all of it
 * unless it has more than MAX_DELIMITER_LINES lines starting with "--"
 * (every MIME part needs one) or more than MAX_HEADER_LINES header lines,
 * then up to the first line over the limit. GMime builds every part and
 * header it finds (a few microseconds and about 2 KB per part, 700 bytes
 * per header line) and checks each line against every open boundary, so
 * without this a 4 MB message of empty or nested parts takes seconds and
 * one of short header lines 250 MB. This is a work estimate, not MIME
 * parsing: header lines are those at the start, after any "--" line (a
 * part's header may follow) and, after a header naming an attached
 * message type, of the next block too. */
static size_t gmime_limit(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	unsigned delimiters = 0, header_lines = 0;
	bool header = true, message_follows = false;

	/* Neither limit can be passed by a message of fewer lines than the
	 * smaller one: most messages, found by a cheap count of line ends. */
	unsigned line_ends = 0;
	for (const char *q = data; q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		if (++line_ends >= MIN(MAX_DELIMITER_LINES, MAX_HEADER_LINES))
			break;
	if (line_ends < MIN(MAX_DELIMITER_LINES, MAX_HEADER_LINES))
		return len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n >= 2 && p[0] == '-' && p[1] == '-') {
			if (++delimiters > MAX_DELIMITER_LINES)
				return (size_t)(p - data);
			header = true;
			message_follows = false;
		} else if (n == 0) {
			header = header && message_follows;
			message_follows = false;
		} else if (header) {
			if (++header_lines > MAX_HEADER_LINES)
				return (size_t)(p - data);
			if (is_message_type_line(p, n))
				message_follows = true;
		}
		p = nl ? nl + 1 : end;
	}
	return len;
}

/* Parse DATA (LEN bytes, LF line endings, no "From " line) into MSG. */
static void parse_bytes(struct us_mime_parser *mp, struct us_message *msg, const char *data, size_t len)
{
	size_t limit = gmime_limit(data, len);
	struct borrowed b;
	GMimeObject *top;

	if (limit < len)
		msg->truncated = true;
	if (limit == 0)
		return;
	top = parse_entity(mp, borrowed_open(&b, data, limit));
	if (top != NULL) {
		append_header_list(msg->headers, g_mime_object_get_header_list(top));
		fill_from_tree(mp, msg, top);
		g_object_unref(top);
	}
	borrowed_close(&b);
}

/* Does TEXT (LEN bytes) start with a header field name and its colon? */
static bool starts_with_field(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && text[i] > ' ' && text[i] < 127 && text[i] != ':')
		i++;
	return i > 0 && i < len && text[i] == ':';
}

/* Bytes of empty or white space lines at the start of TEXT (LEN bytes,
 * LF endings) that stand before a header. Strictly such a message has an
 * empty header and all of it is body, but messages saved with a stray
 * blank line on top exist, and their header is what tells what they are. */
static size_t stray_blank_lines(const char *text, size_t len)
{
	size_t pos = 0;

	for (;;) {
		size_t i = pos;
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (i >= len || text[i] != '\n')
			break;
		pos = i + 1;
	}
	return pos > 0 && starts_with_field(text + pos, len - pos) ? pos : 0;
}

struct us_message *us_mime_parse(const char *data, size_t len)
{
	struct us_mime_parser *mp = us_mime_parser_new();
	struct us_message *msg = us_mime_parse_with(mp, data, len);

	us_mime_parser_free(mp);
	return msg;
}

struct us_message *us_mime_parse_with(struct us_mime_parser *mp, const char *data, size_t len)
{
	struct us_message *msg = us_message_new();
	size_t lf_len = 0;
	char *lf;
	const char *buf;

	if (data == NULL)
		len = 0;
	msg->truncated = len > US_SCAN_LIMIT;
	/* GMime copes with CRLF but takes a CR-only message for one line;
	 * LF everywhere also keeps decoded text and our own scanners simple. */
	lf = us_input_normalize_eol(data, len, US_SCAN_LIMIT, &lf_len);
	buf = lf ? lf : data;
	if (lf == NULL)
		lf_len = len < US_SCAN_LIMIT ? len : US_SCAN_LIMIT;

	/* A leading mbox "From " line is not a header; GMime's message format
	 * does not expect it, so it is skipped here. */
	size_t from_line_end = us_input_from_line_end(buf, lf_len);
	if (from_line_end > 0)
		msg->envelope_sender = from_line_sender(buf, from_line_end);
	size_t start = from_line_end + stray_blank_lines(buf + from_line_end, lf_len - from_line_end);
	parse_bytes(mp, msg, buf + start, lf_len - start);

	const char *return_path = us_message_header(msg, "Return-Path");
	if (return_path != NULL) {
		g_free(msg->envelope_sender);
		msg->envelope_sender = sender_address(return_path);
	}
	find_inline_quotes(msg);
	g_free(lf);
	return msg;
}

static void add_mailboxes(InternetAddressList *list, GPtrArray *out, int depth)
{
	int n = list ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && depth < 4; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
			if (addr && *addr)
				g_ptr_array_add(out, g_strdup(addr));
		} else if (INTERNET_ADDRESS_IS_GROUP(a)) {
			add_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)),
				      out, depth + 1);
		}
	}
}

unsigned us_mime_addresses(const char *value, GPtrArray *out)
{
	guint before = out->len;
	InternetAddressList *list = value ? internet_address_list_parse(NULL, value) : NULL;

	add_mailboxes(list, out, 0);
	if (list)
		g_object_unref(list);
	return out->len - before;
}
