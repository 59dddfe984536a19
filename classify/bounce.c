/* bounce.c - bounce details: recipients, status codes, diagnostic, reason (see bounce.h). */
#include <string.h>
#include "bounce.h"

/* Caps: the header fields show at most 20 recipients; diagnostics are one line. */
#define MAX_RECIPIENTS 50
#define DIAG_MAX 1000
/* How much of the body text a message without usable fields is judged on. */
#define HEAD_MAX 3000
/* How much of the body text is searched for recipient lines. */
#define SCAN_MAX (64u * 1024u)

void us_bounce_recipient_free(gpointer p)
{
	struct us_bounce_recipient *r = p;

	if (r == NULL)
		return;
	g_free(r->address);
	g_free(r->action);
	g_free(r->status);
	g_free(r->code);
	g_free(r->diagnostic);
	g_free(r->reason);
	g_free(r->reason_where);
	g_free(r);
}

/* LEN bytes of TEXT on one line: control characters and runs of white
 * space become one space, cut at MAX bytes on a character boundary; NULL
 * if nothing is left. */
static char *one_line(const char *text, size_t len, size_t max)
{
	/* At most one byte out per byte in, and never more than MAX. */
	char *s = g_malloc((len < max ? len : max) + 1);
	size_t n = 0;

	for (size_t i = 0; i < len && n < max; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (n > 0 && s[n - 1] != ' ')
				s[n++] = ' ';
		} else {
			s[n++] = (char)c;
		}
	}
	if (n >= max) {
		const char *ok = NULL;
		/* Drop a character cut in half. */
		g_utf8_validate(s, (gssize)n, &ok);
		if (ok && ok < s + n)
			n = (size_t)(ok - s);
	}
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 0) {
		g_free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------------ */
/* Status codes by their shape */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits at P (at most MAX); returns how many. */
static size_t digits(const char *p, size_t max)
{
	size_t n = 0;

	while (n < max + 1 && is_digit(p[n]))
		n++;
	return n > max ? 0 : n;
}

/* "C.S.D" at P, C in 2/4/5, S and D of 1-3 digits, not part of a longer
 * dotted number; its length, or 0. */
static size_t enhanced_at(const char *text, const char *p)
{
	size_t s, d;

	if (p > text && (is_digit(p[-1]) || p[-1] == '.'))
		return 0;
	if ((p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
		return 0;
	if ((s = digits(p + 2, 3)) == 0 || p[2 + s] != '.')
		return 0;
	if ((d = digits(p + 3 + s, 3)) == 0)
		return 0;
	const char *end = p + 3 + s + d;
	if (*end == '.' ? is_digit(end[1]) : is_digit(*end))
		return 0;
	return (size_t)(end - p);
}

/* "550" at P, alone: before it the start, a blank, "(", ";", ":", "'",
 * "\"", "<", "#" or "="; after it the end, a blank, "-", ")" or "," . */
static bool basic_at(const char *text, const char *p)
{
	static const char before[] = " \t\n(;:'\"<#=[";
	static const char after[] = " \t\n-),.;'\"]";

	if (p > text && !strchr(before, p[-1]))
		return false;
	if ((p[0] != '2' && p[0] != '4' && p[0] != '5') || !is_digit(p[1]) || !is_digit(p[2]))
		return false;
	if (p[1] > '5')
		return false;
	return p[3] == '\0' || (strchr(after, p[3]) && !(p[3] == '.' && is_digit(p[4])));
}

void us_bounce_find_codes(const char *text, char **status, char **code)
{
	*status = NULL;
	*code = NULL;
	if (text == NULL)
		return;
	for (const char *p = text; *p && (*status == NULL || *code == NULL); p++) {
		if (!is_digit(*p))
			continue;
		size_t n;
		if (*status == NULL && *p != '2' && (n = enhanced_at(text, p)) > 0) {
			*status = g_strndup(p, n);
			p += n - 1;
		} else if (*code == NULL && *p != '2' && basic_at(text, p)) {
			*code = g_strndup(p, 3);
			p += 2;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Recipients */

/* "rfc822; user@example.com" or "<user@example.com>" -> "user@example.com". */
static char *bare_address(const char *field)
{
	const char *semi = strchr(field, ';');
	const char *p = field;

	if (semi && g_ascii_strncasecmp(field, "rfc822", 6) == 0)
		p = semi + 1;
	char *a = g_strstrip(g_strdup(p));
	size_t n = strlen(a);
	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		memmove(a, a + 1, n - 2);
		a[n - 2] = '\0';
	}
	char *line = one_line(a, strlen(a), 300);
	g_free(a);
	return line;
}

static char *trimmed(const char *s)
{
	return s ? one_line(s, strlen(s), DIAG_MAX) : NULL;
}

/* A recipient line found in the body text. */
struct found {
	char *address;
	size_t line_start, after;	/* offsets in the text */
};

struct scan {
	const char *text;
	GArray *found;		/* struct found */
	const char *to;		/* the bounce's To field: the original's sender, not a recipient */
};

/* Does ADDRESS occur in FIELD as a whole address (not "b@x" in "bob@x")? */
static bool names_address(const char *field, const char *address)
{
	size_t n = strlen(address);

	for (const char *p = field; p && (p = strcasestr(p, address)) != NULL; p++) {
		char before = p > field ? p[-1] : ' ', after = p[n];
		if (!g_ascii_isalnum(before) && !strchr("._%+-", before) &&
		    !g_ascii_isalnum(after) && !strchr(".-", after ? after : ' '))
			return true;
	}
	return false;
}

static void on_recipient(const char *addr, size_t len, size_t after, void *data)
{
	struct scan *sc = data;
	size_t start = (size_t)(addr - sc->text);
	struct found f;

	while (start > 0 && sc->text[start - 1] != '\n')
		start--;
	char *a = g_strndup(addr, len);
	f.address = bare_address(a);
	g_free(a);
	if (f.address == NULL || sc->found->len >= MAX_RECIPIENTS ||
	    (sc->to && names_address(sc->to, f.address))) {
		g_free(f.address);
		return;
	}
	for (guint i = 0; i < sc->found->len; i++) {
		if (g_ascii_strcasecmp(g_array_index(sc->found, struct found, i).address,
				       f.address) == 0) {
			g_free(f.address);
			return;
		}
	}
	f.line_start = start;
	f.after = after;
	g_array_append_val(sc->found, f);
}

/* Diagnostic of found recipient I: its line and the lines after it, up
 * to a blank line below them, the next recipient line, or DIAG_MAX. */
static char *found_diagnostic(const char *text, size_t len, const GArray *found, guint i)
{
	const struct found *f = &g_array_index(found, struct found, i);
	size_t stop = i + 1 < found->len ? g_array_index(found, struct found, i + 1).line_start : len;
	size_t end = f->after;

	if (stop < end)
		stop = len;
	/* The first blank line after some text below the recipient's own
	 * line ends it. */
	bool seen_text = false;
	const char *own_end = memchr(text + end, '\n', stop - end);
	if (own_end)
		end = (size_t)(own_end - text) + 1;
	while (end < stop && end - f->after < DIAG_MAX * 2) {
		const char *nl = memchr(text + end, '\n', stop - end);
		size_t line_end = nl ? (size_t)(nl - text) : stop;
		bool blank = true;
		for (size_t k = end; k < line_end; k++)
			if (text[k] != ' ' && text[k] != '\t' && text[k] != '\r')
				blank = false;
		if (blank && seen_text)
			break;
		seen_text = seen_text || !blank;
		end = nl ? line_end + 1 : stop;
	}
	return one_line(text + f->line_start, end - f->line_start, DIAG_MAX);
}


/* Is the word at P (N bytes) a reply code: "550", "550-5.7.1", "5.7.1",
 * "#5.7.1"? Multi-line replies repeat them inside the text. */
static bool is_code_word(const char *p, size_t n)
{
	const char *q = *p == '#' ? p + 1 : p;

	/* Every code starts with 2, 4 or 5: most words are no code. */
	if ((size_t)(q - p) >= n || (*q != '2' && *q != '4' && *q != '5'))
		return false;
	char *w = g_strndup(q, n - (size_t)(q - p));
	size_t len = strlen(w), e;
	bool code = false;

	if (len >= 3 && basic_at(w, w) && (len == 3 || w[3] == '-' || w[3] == ' '))
		code = len == 3 || ((e = enhanced_at(w, w + 4)) > 0 && 4 + e == len);
	else if ((e = enhanced_at(w, w)) > 0)
		code = e == len;
	g_free(w);
	return code;
}

/* TEXT with every word that contains "@" replaced by "@" (addresses say
 * nothing of the reason, and their local parts must not match a pattern:
 * "filtered@example.com"), and reply codes left out (their repetitions
 * split the text of multi-line replies). New string. */
static char *mask_addresses(const char *text)
{
	static const char stops[] = " \t<>()[]\"',;";
	GString *s = g_string_sized_new(strlen(text));

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, stops);
		if (n == 0) {
			g_string_append_c(s, *p++);
			continue;
		}
		if (memchr(p, '@', n))
			g_string_append_c(s, '@');
		else if (!is_code_word(p, n))
			g_string_append_len(s, p, (gssize)n);
		else if (p[n] == ' ' && (s->len == 0 || s->str[s->len - 1] == ' '))
			n++;	/* no double blank where the code was */
		p += n;
	}
	return g_string_free(s, FALSE);
}

/* Decide R's reason with RT, on TEXT (R's diagnostic, or a stand-in). */
static bool decide(struct us_reasons *rt, struct us_bounce_recipient *r, const char *text,
		   GError **error)
{
	char *masked = mask_addresses(text ? text : "");
	struct us_reason_query q = {
		.action = r->action, .status = r->status, .code = r->code, .text = masked,
	};
	const char *reason, *where;
	bool ok = us_reasons_decide(rt, &q, &reason, &where, error);

	g_free(masked);
	if (!ok)
		return false;
	r->reason = g_strdup(reason);
	r->reason_where = g_strdup(where);
	return true;
}

static void explain_recipient(const struct us_explain *ex, const struct us_bounce_recipient *r)
{
	char *line = us_bounce_line(r);

	us_explain(ex, "bounce: %s (%s, reason from %s)", line,
		   r->from_text ? "from the body text" : "from the delivery-status fields",
		   r->reason_where ? r->reason_where : "no table line");
	g_free(line);
}

/* What the body text says: its recipient lines, their diagnostics, and
 * whether it is a delay warning. */
struct text_info {
	GPtrArray *addresses;	/* char *, owned */
	GPtrArray *diagnostics;	/* char * or NULL, owned, parallel */
	bool delay;
};

static gint by_line_start(gconstpointer a, gconstpointer b)
{
	const struct found *x = a, *y = b;

	return x->line_start < y->line_start ? -1 : x->line_start > y->line_start;
}

/* The first mention in the notice (LEN bytes of the body) of each address
 * of MSG's delivery-status fields, in text order. */
static void find_dsn_addresses(const struct us_message *msg, size_t len, struct scan *sc)
{
	char *notice = g_strndup(msg->body->str, len);

	for (guint i = 0; i < msg->dsn_recipients->len && i < MAX_RECIPIENTS; i++) {
		const struct us_dsn_recipient *d = g_ptr_array_index(msg->dsn_recipients, i);
		const char *who = d->final_recipient ? d->final_recipient : d->original_recipient;
		char *address = who ? bare_address(who) : NULL;
		const char *at = address ? strcasestr(notice, address) : NULL;

		if (at)
			on_recipient(msg->body->str + (at - notice), strlen(address),
				     (size_t)(at - notice) + strlen(address), sc);
		g_free(address);
	}
	g_array_sort(sc->found, by_line_start);
	g_free(notice);
}

static bool read_text(struct us_reasons *rt, const struct us_message *msg, size_t len,
		      const char *head, struct text_info *ti, GError **error)
{
	struct scan sc = { msg->body->str, g_array_new(FALSE, FALSE, sizeof(struct found)),
			   us_message_header(msg, "To") };
	const char *subject = us_message_header(msg, "Subject");
	char *delay_text = g_strdup_printf("%s\n%s", subject ? subject : "", head ? head : "");
	bool ok;

	ti->addresses = g_ptr_array_new_with_free_func(g_free);
	ti->diagnostics = g_ptr_array_new_with_free_func(g_free);
	if (msg->dsn_recipients->len > 0) {
		/* The fields name the recipients and their action: only look
		 * for where the notice mentions them. */
		find_dsn_addresses(msg, len, &sc);
		ok = true;
	} else {
		ok = us_reasons_find_recipients(rt, msg->body->str, len, on_recipient, &sc, error) &&
		     us_reasons_is_delay(rt, delay_text, strlen(delay_text), &ti->delay, error);
	}
	for (guint i = 0; i < sc.found->len; i++) {
		g_ptr_array_add(ti->addresses, g_array_index(sc.found, struct found, i).address);
		g_ptr_array_add(ti->diagnostics, found_diagnostic(msg->body->str, len, sc.found, i));
	}
	g_array_unref(sc.found);
	g_free(delay_text);
	return ok;
}

static void text_info_clear(struct text_info *ti)
{
	g_ptr_array_unref(ti->addresses);
	g_ptr_array_unref(ti->diagnostics);
}

/* The body text's diagnostic for ADDRESS, or NULL. */
static const char *text_diagnostic(const struct text_info *ti, const char *address)
{
	for (guint i = 0; address && i < ti->addresses->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(ti->addresses, i), address) == 0)
			return g_ptr_array_index(ti->diagnostics, i);
	return NULL;
}

/* Recipients of the RFC 3464 fields. Their reason is decided on the
 * Diagnostic-Code together with what the body text says of the same
 * address (the SMTP command a reply answered, say), or on the body
 * text's start when there is neither. */
static bool from_fields(struct us_reasons *rt, const struct us_message *msg, const char *head,
			const struct text_info *ti, GPtrArray *out, const struct us_explain *ex,
			GError **error)
{
	for (guint i = 0; i < msg->dsn_recipients->len && i < MAX_RECIPIENTS; i++) {
		const struct us_dsn_recipient *d = g_ptr_array_index(msg->dsn_recipients, i);
		struct us_bounce_recipient *r = g_new0(struct us_bounce_recipient, 1);
		const char *who = d->final_recipient ? d->final_recipient : d->original_recipient;
		char *status = NULL;

		g_ptr_array_add(out, r);
		r->address = who ? bare_address(who) : NULL;
		r->action = d->action ? g_ascii_strdown(d->action, -1) : g_strdup("failed");
		r->diagnostic = trimmed(d->diagnostic_code);
		const char *said = text_diagnostic(ti, r->address);
		us_bounce_find_codes(r->diagnostic ? r->diagnostic : said, &status, &r->code);
		if (d->status) {
			/* The field's code, of any class ("2.0.0" for a delivered recipient). */
			char *field = trimmed(d->status);
			size_t n = field ? enhanced_at(field, field) : 0;
			if (n > 0)
				r->status = g_strndup(field, n);
			g_free(field);
		}
		if (r->status == NULL) {
			r->status = status;
			status = NULL;
		}
		g_free(status);
		/* A lone recipient's story is the whole notice; with several,
		 * the notice may tell of another. */
		bool alone = msg->dsn_recipients->len == 1;
		char *text = g_strjoin(" ", r->diagnostic ? r->diagnostic : "", said ? said : "",
				       alone ? head : "", NULL);
		bool ok = decide(rt, r, text, error);
		g_free(text);
		if (!ok)
			return false;
		explain_recipient(ex, r);
	}
	return true;
}

/* Recipients named in the body text; one without address if there is none. */
static bool from_text(struct us_reasons *rt, const char *head, const struct text_info *ti,
		      GPtrArray *out, const struct us_explain *ex, GError **error)
{
	for (guint i = 0; i == 0 || i < ti->addresses->len; i++) {
		struct us_bounce_recipient *r = g_new0(struct us_bounce_recipient, 1);

		g_ptr_array_add(out, r);
		r->from_text = true;
		r->action = g_strdup(ti->delay ? "delayed" : "failed");
		if (i < ti->addresses->len) {
			r->address = g_strdup(g_ptr_array_index(ti->addresses, i));
			r->diagnostic = g_strdup(g_ptr_array_index(ti->diagnostics, i));
		}
		us_bounce_find_codes(r->diagnostic ? r->diagnostic : head, &r->status, &r->code);
		if (!decide(rt, r, r->diagnostic ? r->diagnostic : head, error))
			return false;
		/* Nothing in its own lines: what the notice as a whole says. */
		if (r->diagnostic && strcmp(r->reason, "undefined") == 0) {
			g_clear_pointer(&r->reason, g_free);
			g_clear_pointer(&r->reason_where, g_free);
			if (!decide(rt, r, head, error))
				return false;
		}
		explain_recipient(ex, r);
	}
	return true;
}

bool us_bounce_analyse(struct us_reasons *rt, const struct us_message *msg,
		       GPtrArray *out, const struct us_explain *ex, GError **error)
{
	size_t len = msg->body->len < SCAN_MAX ? msg->body->len : SCAN_MAX;
	struct text_info ti;
	char *head;

	/* The notice: the body text before a copy of the original. */
	len = us_reasons_notice_length(rt, msg->body->str, len, error);
	if (len == (size_t)-1)
		return false;
	head = one_line(msg->body->str, len, HEAD_MAX);
	bool ok = read_text(rt, msg, len, head, &ti, error);

	if (ok && msg->dsn_recipients->len > 0)
		ok = from_fields(rt, msg, head, &ti, out, ex, error);
	else if (ok)
		ok = from_text(rt, head, &ti, out, ex, error);
	text_info_clear(&ti);
	g_free(head);
	return ok;
}

char *us_bounce_line(const struct us_bounce_recipient *r)
{
	GString *s = g_string_new(r->address ? r->address : "(unknown recipient)");

	g_string_append_printf(s, " action=%s", r->action);
	if (r->status)
		g_string_append_printf(s, " status=%s", r->status);
	if (r->code)
		g_string_append_printf(s, " code=%s", r->code);
	if (r->reason)
		g_string_append_printf(s, " reason=%s", r->reason);
	if (r->diagnostic)
		g_string_append_printf(s, " diagnostic=%s", r->diagnostic);
	return g_string_free(s, FALSE);
}

const struct us_bounce_recipient *us_bounce_main(const GPtrArray *list)
{
	static const char *const order[] = { "failed", "delayed" };

	if (list == NULL || list->len == 0)
		return NULL;
	for (unsigned k = 0; k < G_N_ELEMENTS(order); k++)
		for (guint i = 0; i < list->len; i++) {
			const struct us_bounce_recipient *r = g_ptr_array_index(list, i);
			if (strcmp(r->action, order[k]) == 0)
				return r;
		}
	return g_ptr_array_index(list, 0);
}
