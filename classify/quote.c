/* quote.c - find original headers quoted inline in a text part.
 *
 * A block is a run of header lines that share one prefix (nothing, some
 * indentation, or "> "-style quoting), with continuation lines unfolded
 * into the header before them. It starts at any line that is a header
 * field after its prefix and ends at an empty line or at a line that is
 * neither a header nor a continuation under that prefix. Whether a block
 * is a quoted original is decided only when it is complete, by the names
 * it contains, so DSN fields (Final-Recipient, Action, Status, ...) and
 * stray "Note: ..." lines in the notification text are passed over. */
#include <string.h>
#include "message.h"
#include "quote.h"

/* Work caps: a hostile text may be nothing but header lines. */
#define MAX_BLOCKS 64
#define MAX_HEADERS_PER_BLOCK 500
#define MAX_NAME_LEN 76
#define MAX_VALUE_LEN (16u * 1024u)

/* Names that mark an original message's header (quote.h: three of them,
 * or Received / Message-ID alone). None is a DSN or ARF field name. */
static const char *const well_known[] = {
	"From", "To", "Subject", "Date", "Return-Path", "Message-ID", "Received",
	"MIME-Version", "Content-Type", "Cc", "Reply-To", "Delivered-To", "X-Mailer",
	"Sender", "In-Reply-To", "References", "User-Agent", "Content-Transfer-Encoding",
	"X-Original-To", "Bcc",
};

struct line {
	const char *p;		/* start of the line */
	size_t len;		/* without the line ending */
};

/* Length of the quoting prefix of LINE: leading blanks and '>' marks. */
static size_t prefix_len(const struct line *line)
{
	size_t i = 0;

	while (i < line->len && (line->p[i] == ' ' || line->p[i] == '\t' || line->p[i] == '>'))
		i++;
	return i;
}

/* RFC 5322 ftext: printable US-ASCII except the colon. */
static bool is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* If S (LEN bytes) is "Name: value" (optional blanks before the colon, the
 * obsolete form), set *NAME_LEN and *VALUE_AT and return true. Names start
 * with a letter, which keeps times ("12:30") and the like out. */
static bool parse_field(const char *s, size_t len, size_t *name_len, size_t *value_at)
{
	size_t i = 0;

	if (len == 0 || !g_ascii_isalpha(s[0]))
		return false;
	while (i < len && i <= MAX_NAME_LEN && is_ftext((unsigned char)s[i]))
		i++;
	if (i > MAX_NAME_LEN)
		return false;
	*name_len = i;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= len || s[i] != ':')
		return false;
	*value_at = i + 1;
	return true;
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* An owned UTF-8 copy of S (LEN bytes) with surrounding blanks removed;
 * invalid bytes are replaced, so any input gives a valid string. */
static char *clean_copy(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	/* NUL bytes become U+FFFD too, so nothing is cut short. */
	return g_utf8_make_valid(s, (gssize)len);
}

/* A block being collected. */
struct block {
	const char *prefix;	/* the first line's prefix */
	size_t prefix_len;
	size_t core_len;	/* the prefix without its trailing blanks */
	struct us_quoted *quoted;
	GString *value;		/* value of the header being unfolded */
	char *name;		/* its name */
};

static void block_flush_header(struct block *b)
{
	if (b->name == NULL)
		return;
	if (b->quoted->headers->len < MAX_HEADERS_PER_BLOCK) {
		char *value = clean_copy(b->value->str, b->value->len);
		struct us_header *h = g_new(struct us_header, 1);
		h->name = b->name;
		h->value = value;
		g_ptr_array_add(b->quoted->headers, h);
	} else {
		g_free(b->name);
	}
	b->name = NULL;
	g_string_truncate(b->value, 0);
}

static void block_add_field(struct block *b, const char *s, size_t len,
			    size_t name_len, size_t value_at)
{
	block_flush_header(b);
	b->name = clean_copy(s, name_len);
	g_string_append_len(b->value, s + value_at, (gssize)(len - value_at));
}

/* RFC 5322 unfolding: the line break goes, the continuation's leading
 * white space stays. */
static void block_add_continuation(struct block *b, const char *s, size_t len)
{
	if (b->value->len + len <= MAX_VALUE_LEN)
		g_string_append_len(b->value, s, (gssize)len);
}

/* Does the finished block look like a real message header (quote.h)? */
static bool block_accepted(const struct us_quoted *q)
{
	bool seen[G_N_ELEMENTS(well_known)] = { false };
	unsigned distinct = 0;

	for (guint i = 0; i < q->headers->len; i++) {
		const struct us_header *h = g_ptr_array_index(q->headers, i);
		if (g_ascii_strcasecmp(h->name, "Received") == 0 ||
		    g_ascii_strcasecmp(h->name, "Message-ID") == 0)
			return true;
		for (size_t k = 0; k < G_N_ELEMENTS(well_known); k++) {
			if (!seen[k] && g_ascii_strcasecmp(h->name, well_known[k]) == 0) {
				seen[k] = true;
				distinct++;
			}
		}
	}
	return distinct >= 3;
}

/* Start a block at LINE if it is a header line after its prefix. */
static bool block_start(struct block *b, const struct line *line)
{
	size_t pre = prefix_len(line), name_len, value_at;

	if (!parse_field(line->p + pre, line->len - pre, &name_len, &value_at))
		return false;
	b->prefix = line->p;
	b->prefix_len = pre;
	b->core_len = pre;
	while (b->core_len > 0 && (b->prefix[b->core_len - 1] == ' ' || b->prefix[b->core_len - 1] == '\t'))
		b->core_len--;
	b->quoted = us_quoted_new(US_QUOTE_INLINE);
	block_add_field(b, line->p + pre, line->len - pre, name_len, value_at);
	return true;
}

/* Add LINE to the open block; false when the line ends the block. */
static bool block_continue(struct block *b, const struct line *line)
{
	const char *s = line->p;
	size_t len = line->len, name_len, value_at;

	/* The same quoting, at least up to the blanks after the last '>':
	 * ">\tby host" continues a "> Received:" header. */
	if (len < b->core_len || memcmp(s, b->prefix, b->core_len) != 0)
		return false;
	if (len >= b->prefix_len && memcmp(s, b->prefix, b->prefix_len) == 0) {
		s += b->prefix_len;
		len -= b->prefix_len;
	} else {
		s += b->core_len;
		len -= b->core_len;
	}
	if (is_blank(s, len))
		return false;
	if (s[0] == ' ' || s[0] == '\t') {
		block_add_continuation(b, s, len);
		return true;
	}
	if (parse_field(s, len, &name_len, &value_at)) {
		block_add_field(b, s, len, name_len, value_at);
		return true;
	}
	return false;
}

/* Close the open block: keep it in OUT if accepted. Returns 1 if kept. */
static unsigned block_end(struct block *b, GPtrArray *out)
{
	unsigned kept = 0;

	block_flush_header(b);
	if (block_accepted(b->quoted)) {
		g_ptr_array_add(out, b->quoted);
		kept = 1;
	} else {
		us_quoted_free(b->quoted);
	}
	b->quoted = NULL;
	return kept;
}

/* The line at *POS; advances *POS past its LF. A CR before the LF is not
 * part of the line, in case the caller passed CRLF text after all. */
static bool read_line(const char *text, size_t len, size_t *pos, struct line *line)
{
	if (*pos >= len)
		return false;
	const char *start = text + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - start) : len - *pos;

	*pos += nl ? n + 1 : n;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	line->p = start;
	line->len = n;
	return true;
}

unsigned us_quote_find_inline(const char *text, size_t len, GPtrArray *out)
{
	struct block b = { 0 };
	struct line line;
	size_t pos = 0;
	unsigned found = 0;

	if (text == NULL || out == NULL)
		return 0;
	b.value = g_string_new(NULL);
	while (found < MAX_BLOCKS && read_line(text, len, &pos, &line)) {
		if (b.quoted != NULL && block_continue(&b, &line))
			continue;
		if (b.quoted != NULL)
			found += block_end(&b, out);
		/* The line that ended a block may start the next one. */
		if (found < MAX_BLOCKS)
			block_start(&b, &line);
	}
	if (b.quoted != NULL) {
		if (found < MAX_BLOCKS)
			found += block_end(&b, out);
		else {
			block_flush_header(&b);
			us_quoted_free(b.quoted);
		}
	}
	g_string_free(b.value, TRUE);
	return found;
}
