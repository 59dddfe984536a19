/* recipient.c - candidate recipient addresses; unlikely local-part patterns (TRE). */
#include <stdlib.h>
#include <string.h>
#include <tre/tre.h>
#include "recipient.h"

#define RECIPIENT_ERROR g_quark_from_static_string("unscatter-recipient")

void us_recipient_free(gpointer r)
{
	struct us_recipient *rc = r;

	if (rc == NULL)
		return;
	g_free(rc->address);
	g_free(rc);
}

static bool address_char(char c)
{
	return (unsigned char)c > ' ' && c != 0x7f && c != '<' && c != '>' && c != ',' &&
	       c != ';' && c != '(' && c != ')';
}

char *us_recipient_clean(const char *text)
{
	const char *s, *e, *at;

	if (text == NULL)
		return NULL;
	/* "Name <addr>" or "<addr>": what is inside the last pair of brackets. */
	const char *lt = strrchr(text, '<');
	if (lt && strchr(lt, '>')) {
		s = lt + 1;
		e = strchr(s, '>');
	} else {
		/* "rfc822; addr" (DSN style) or a bare address. */
		const char *semi = strrchr(text, ';');
		s = semi ? semi + 1 : text;
		e = s + strlen(s);
	}
	while (s < e && g_ascii_isspace(*s))
		s++;
	while (e > s && g_ascii_isspace(e[-1]))
		e--;
	at = g_strrstr_len(s, e - s, "@");
	if (at == NULL || at == s || at + 1 >= e || e - s > 512)
		return NULL;
	for (const char *q = s; q < e; q++)
		if (!address_char(*q))
			return NULL;
	return g_strndup(s, (size_t)(e - s));
}

static void add_candidate(GPtrArray *out, const char *source, const char *text)
{
	char *address = us_recipient_clean(text);

	if (address == NULL)
		return;
	for (guint i = 0; i < out->len; i++) {
		const struct us_recipient *r = g_ptr_array_index(out, i);
		if (g_ascii_strcasecmp(r->address, address) == 0) {
			g_free(address);
			return;
		}
	}
	struct us_recipient *r = g_new(struct us_recipient, 1);
	r->source = source;
	r->address = address;
	g_ptr_array_add(out, r);
}

void us_recipients_from_env(GPtrArray *out)
{
	static const char *const vars[] = { "RECIPIENT", "ORIGINAL_RECIPIENT", "ORIG_RECIPIENT" };

	for (size_t i = 0; i < G_N_ELEMENTS(vars); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			add_candidate(out, vars[i], v);
	}
}

void us_recipients_envelope(GPtrArray *out, const char *option)
{
	if (option)
		add_candidate(out, "-r", option);
	us_recipients_from_env(out);
}

GPtrArray *us_recipients_collect(const GPtrArray *envelope, const struct us_message *msg)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(us_recipient_free);

	for (guint i = 0; envelope && i < envelope->len; i++) {
		const struct us_recipient *r = g_ptr_array_index(envelope, i);
		add_candidate(out, r->source, r->address);
	}
	add_candidate(out, "X-Original-To", us_message_header(msg, "X-Original-To"));
	add_candidate(out, "Delivered-To", us_message_header(msg, "Delivered-To"));
	return out;
}

struct pattern {
	char *name;
	regex_t re;
};

struct us_localparts {
	GArray *patterns;	/* struct pattern */
};

static void pattern_clear(gpointer p)
{
	struct pattern *pt = p;

	g_free(pt->name);
	tre_regfree(&pt->re);
}

void us_localparts_free(struct us_localparts *lp)
{
	if (lp == NULL)
		return;
	g_array_unref(lp->patterns);
	g_free(lp);
}

unsigned us_localparts_count(const struct us_localparts *lp)
{
	return lp ? lp->patterns->len : 0;
}

struct us_localparts *us_localparts_parse(const char *filename, const char *text, size_t len,
					  GError **error)
{
	struct us_localparts *lp = g_new(struct us_localparts, 1);
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	lp->patterns = g_array_new(FALSE, FALSE, sizeof(struct pattern));
	g_array_set_clear_func(lp->patterns, pattern_clear);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = g_strndup(p, (size_t)((nl ? nl : end) - p));
		char *problem = NULL;

		lineno++;
		if (memchr(p, '\0', (size_t)((nl ? nl : end) - p)))
			problem = g_strdup("NUL byte in line");
		p = nl ? nl + 1 : end;
		g_strstrip(line);
		if (problem == NULL && *line && *line != '#') {
			char *sp = line + strcspn(line, " \t");
			char *re = sp;
			while (*re == ' ' || *re == '\t')
				re++;
			*sp = '\0';
			if (*re == '\0') {
				problem = g_strdup_printf("pattern '%s' has no regex (expected NAME REGEX)", line);
			} else {
				struct pattern pt;
				int rc = tre_regcomp(&pt.re, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
				if (rc != REG_OK) {
					char msg[256];
					tre_regerror(rc, &pt.re, msg, sizeof msg);
					problem = g_strdup_printf("pattern '%s': bad regex: %s", line, msg);
				} else {
					pt.name = g_strdup(line);
					g_array_append_val(lp->patterns, pt);
				}
			}
		}
		g_free(line);
		if (problem) {
			g_set_error(error, RECIPIENT_ERROR, 1, "%s:%u: %s", filename, lineno, problem);
			g_free(problem);
			us_localparts_free(lp);
			return NULL;
		}
	}
	return lp;
}

struct us_localparts *us_localparts_load(const char *path, GError **error)
{
	char *text;
	gsize len;
	GError *io = NULL;

	if (!g_file_get_contents(path, &text, &len, &io)) {
		g_set_error(error, RECIPIENT_ERROR, 2, "%s", io->message);
		g_error_free(io);
		return NULL;
	}
	struct us_localparts *lp = us_localparts_parse(path, text, len, error);
	g_free(text);
	return lp;
}

const char *us_localparts_match(const struct us_localparts *lp, const char *local, size_t len)
{
	for (guint i = 0; lp && i < lp->patterns->len; i++) {
		const struct pattern *pt = &g_array_index(lp->patterns, struct pattern, i);
		if (tre_regnexec(&pt->re, local, len, 0, NULL, 0) == REG_OK)
			return pt->name;
	}
	return NULL;
}
