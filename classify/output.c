/* output.c - passthrough writing, our header fields, terse verdict. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "bounce.h"
#include "input.h"
#include "output.h"

/* Keep our fields well under the 998-byte line limit of RFC 5322. */
#define HEADER_VALUE_MAX 900
#define DETAIL_HEADERS_MAX 20
#define OUR_PREFIX "X-Unscatter-"

bool us_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* "Name: value" with control characters blanked (no header injection from
 * text the sender controls) and the value cut at HEADER_VALUE_MAX bytes on
 * a UTF-8 character boundary. */
static char *make_field(const char *name, const char *value)
{
	GString *s = g_string_new(name);
	size_t len = strlen(value);

	g_string_append(s, ": ");
	if (len > HEADER_VALUE_MAX) {
		const char *cut = g_utf8_find_prev_char(value, value + HEADER_VALUE_MAX + 1);
		len = cut ? (size_t)(cut - value) : HEADER_VALUE_MAX;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		g_string_append_c(s, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	if (len < strlen(value))
		g_string_append(s, "...");
	return g_string_free(s, FALSE);
}

GPtrArray *us_output_headers(const struct us_verdict *v)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(out, make_field(OUR_PREFIX "Class", us_class_name(v->klass)));
	g_ptr_array_add(out, make_field(OUR_PREFIX "Kind", us_kind_name(v->kind)));
	if (v->kind != US_KIND_NONE) {
		char *prov = g_strdup_printf("%s; %s", us_provenance_name(v->provenance),
					     v->provenance_evidence->str);
		g_ptr_array_add(out, make_field(OUR_PREFIX "Provenance", prov));
		g_free(prov);
	}
	if (v->hits->len > 0) {
		GString *names = g_string_new(NULL);
		for (guint i = 0; i < v->hits->len; i++) {
			const struct us_hit *hit = &g_array_index(v->hits, struct us_hit, i);
			g_string_append_printf(names, "%s%s", i ? ", " : "", hit->name);
		}
		g_ptr_array_add(out, make_field(OUR_PREFIX "Rules", names->str));
		g_string_free(names, TRUE);
	}
	for (guint i = 0; i < v->evidence->len; i++)
		g_ptr_array_add(out, make_field(OUR_PREFIX "Evidence", g_ptr_array_index(v->evidence, i)));
	if (v->bounce->len > 0) {
		/* Every distinct reason, the main recipient's first. */
		GPtrArray *names = g_ptr_array_new();
		g_ptr_array_add(names, us_bounce_main(v->bounce)->reason);
		for (guint i = 0; i < v->bounce->len; i++) {
			char *r = ((struct us_bounce_recipient *)g_ptr_array_index(v->bounce, i))->reason;
			if (!g_ptr_array_find_with_equal_func(names, r, g_str_equal, NULL))
				g_ptr_array_add(names, r);
		}
		g_ptr_array_add(names, NULL);
		char *list = g_strjoinv(", ", (char **)names->pdata);
		g_ptr_array_add(out, make_field(OUR_PREFIX "Reason", list));
		g_free(list);
		g_ptr_array_unref(names);
	}
	for (guint i = 0; i < v->details->len && i < DETAIL_HEADERS_MAX; i++)
		g_ptr_array_add(out, make_field(OUR_PREFIX "Recipient",
						g_ptr_array_index(v->details, i)));
	return out;
}

char *us_output_terse(const struct us_verdict *v)
{
	GString *s = g_string_new(NULL);
	const struct us_bounce_recipient *m = us_bounce_main(v->bounce);

	g_string_printf(s, "%s %s %s", us_class_name(v->klass),
			us_kind_name(v->kind), us_provenance_name(v->provenance));
	/* After the three fixed words: NAME=VALUE fields of the main recipient. */
	if (m) {
		g_string_append_printf(s, " reason=%s action=%s", m->reason, m->action);
		if (m->status)
			g_string_append_printf(s, " status=%s", m->status);
		if (m->code)
			g_string_append_printf(s, " code=%s", m->code);
		if (v->bounce->len > 1)
			g_string_append_printf(s, " recipients=%u", v->bounce->len);
	}
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

/* End of the physical line starting at P (after its line ending). */
static const char *line_end(const char *p, const char *end, bool cr_only)
{
	const char *nl = memchr(p, cr_only ? '\r' : '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

static bool is_our_field(const char *p, const char *end)
{
	size_t n = sizeof(OUR_PREFIX) - 1;

	return (size_t)(end - p) >= n && g_ascii_strncasecmp(p, OUR_PREFIX, n) == 0;
}

bool us_output_passthrough(int fd, const char *data, size_t len,
			   const GPtrArray *headers)
{
	struct us_layout layout;
	const char *end, *run, *p;
	bool cr_only, dropping = false;

	us_input_layout(data, len, &layout);
	cr_only = strcmp(layout.eol, "\r") == 0;
	end = data + layout.header_end;

	/* Copy runs of kept lines; leave out X-Unscatter-* fields and their
	 * continuation lines, so a sender cannot forge our verdict. */
	run = data;
	for (p = data + layout.from_line_end; p < end;) {
		const char *next = line_end(p, end, cr_only);
		bool continuation = *p == ' ' || *p == '\t';
		bool drop = continuation ? dropping : is_our_field(p, next);

		if (drop && !dropping && !us_write_all(fd, run, (size_t)(p - run)))
			return false;
		if (!drop && dropping)
			run = p;
		dropping = drop;
		p = next;
	}
	if (!dropping && !us_write_all(fd, run, (size_t)(end - run)))
		return false;
	if (layout.last_line_unterminated &&
	    !us_write_all(fd, layout.eol, strlen(layout.eol)))
		return false;

	GString *ours = g_string_new(NULL);
	for (guint i = 0; i < headers->len; i++) {
		g_string_append(ours, g_ptr_array_index(headers, i));
		g_string_append(ours, layout.eol);
	}
	bool ok = us_write_all(fd, ours->str, ours->len);
	g_string_free(ours, TRUE);
	return ok && us_write_all(fd, data + layout.header_end, len - layout.header_end);
}
