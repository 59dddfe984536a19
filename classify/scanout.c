/* scanout.c - output lines and summary of `unscatter scan` (see scanout.h). */
#include <string.h>
#include "scanout.h"

const char *us_scan_first_rule(const struct us_verdict *v)
{
	if (v->kind == US_KIND_NONE)
		return NULL;
	for (guint i = 0; i < v->hits->len; i++) {
		const struct us_hit *h = &g_array_index(v->hits, struct us_hit, i);
		if (h->kind == v->kind && h->score > 0)
			return h->name;
	}
	return NULL;
}

char *us_scan_item_name(const struct us_item *item)
{
	if (item->mbox_index == 0)
		return g_strdup(item->path);
	return g_strdup_printf("%s:%u", item->path, item->mbox_index);
}

static void tsv_field(GString *out, const char *s)
{
	if (s == NULL) {
		g_string_append_c(out, '-');
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\\': g_string_append(out, "\\\\"); break;
		case '\t': g_string_append(out, "\\t"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		default: g_string_append_c(out, *s);
		}
	}
}

static void json_string(GString *out, const char *s)
{
	if (s == NULL) {
		g_string_append(out, "null");
		return;
	}
	char *valid = g_utf8_validate(s, -1, NULL) ? NULL : g_utf8_make_valid(s, -1);
	g_string_append_c(out, '"');
	for (const char *p = valid ? valid : s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c == '\n')
			g_string_append(out, "\\n");
		else if (c == '\t')
			g_string_append(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
	g_free(valid);
}

static void json_member(GString *out, const char *name, const char *value)
{
	g_string_append_printf(out, ",\"%s\":", name);
	json_string(out, value);
}

void us_scan_format(GString *out, bool json, const struct us_item *item,
		    const struct us_scan_result *r, bool with_dest, const char *dest)
{
	char *name = us_scan_item_name(item);

	if (json) {
		g_string_append(out, "{\"path\":");
		json_string(out, name);
		json_member(out, "class", us_class_name(r->klass));
		json_member(out, "kind", us_kind_name(r->kind));
		json_member(out, "provenance", us_provenance_name(r->provenance));
		json_member(out, "rule", r->rule);
		if (item->mbox_index) {
			json_member(out, "mbox", item->path);
			g_string_append_printf(out, ",\"message\":%u,\"offset\":%" G_GINT64_FORMAT,
					       item->mbox_index, (gint64)item->offset);
		}
		if (with_dest)
			json_member(out, "dest", dest);
		g_string_append(out, "}\n");
	} else {
		tsv_field(out, name);
		g_string_append_printf(out, "\t%s\t%s\t%s\t", us_class_name(r->klass),
				       us_kind_name(r->kind), us_provenance_name(r->provenance));
		tsv_field(out, r->rule);
		if (with_dest) {
			g_string_append_c(out, '\t');
			tsv_field(out, dest);
		}
		g_string_append_c(out, '\n');
	}
	g_free(name);
}

void us_tally_init(struct us_tally *t)
{
	memset(t, 0, sizeof *t);
	t->rules = g_hash_table_new(g_str_hash, g_str_equal);
}

void us_tally_clear(struct us_tally *t)
{
	g_hash_table_unref(t->rules);
	t->rules = NULL;
}

void us_tally_add(struct us_tally *t, const struct us_scan_result *r)
{
	t->messages++;
	t->per_class[r->klass]++;
	t->per_kind[r->kind]++;
	if (r->rule) {
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(t->rules, r->rule));
		g_hash_table_insert(t->rules, (gpointer)r->rule, GUINT_TO_POINTER(n + 1));
	}
}

struct rule_count {
	const char *name;
	guint count;
};

static int by_count(gconstpointer a, gconstpointer b)
{
	const struct rule_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

void us_tally_print(const struct us_tally *t, FILE *out, double seconds, guint threads,
		    guint top)
{
	GArray *rules = g_array_new(FALSE, FALSE, sizeof(struct rule_count));
	GHashTableIter iter;
	gpointer key, value;

	fprintf(out, "%-14s %8s\n", "class", "messages");
	for (int c = 0; c < US_CLASS_COUNT; c++)
		fprintf(out, "%-14s %8u\n", us_class_name((enum us_class)c), t->per_class[c]);
	fprintf(out, "%-14s %8s\n", "kind", "messages");
	for (int k = 0; k < US_KIND_COUNT; k++)
		fprintf(out, "%-14s %8u\n", us_kind_name((enum us_kind)k), t->per_kind[k]);
	g_hash_table_iter_init(&iter, t->rules);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		struct rule_count rc = { key, GPOINTER_TO_UINT(value) };
		g_array_append_val(rules, rc);
	}
	g_array_sort(rules, by_count);
	if (rules->len > 0)
		fprintf(out, "%-40s %8s\n", "top rules (first of the verdict)", "messages");
	for (guint i = 0; i < rules->len && i < top; i++) {
		const struct rule_count *rc = &g_array_index(rules, struct rule_count, i);
		fprintf(out, "%-40s %8u\n", rc->name, rc->count);
	}
	fprintf(out, "%u messages in %.3f s: %.0f messages/s with %u thread%s\n", t->messages,
		seconds, seconds > 0 ? t->messages / seconds : 0.0, threads, threads == 1 ? "" : "s");
	g_array_unref(rules);
}
