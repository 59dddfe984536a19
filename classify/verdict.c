/* verdict.c - names of kinds, provenances and classes; verdict lifetime. */
#include <string.h>
#include "bounce.h"
#include "verdict.h"

static const char *const kind_names[US_KIND_COUNT] = {
	[US_KIND_NONE] = "none",
	[US_KIND_DSN] = "dsn",
	[US_KIND_AUTOREPLY] = "autoreply",
	[US_KIND_CHALLENGE] = "challenge",
	[US_KIND_VIRUS] = "virus",
	[US_KIND_FEEDBACK] = "feedback",
};

static const char *const provenance_names[US_PROV_COUNT] = {
	[US_PROV_UNKNOWN] = "unknown",
	[US_PROV_OURS] = "ours",
	[US_PROV_FORGED] = "forged",
};

static const char *const class_names[US_CLASS_COUNT] = {
	[US_CLASS_BACKSCATTER] = "backscatter",
	[US_CLASS_ORDINARY] = "ordinary",
	[US_CLASS_BOUNCE] = "bounce",
	[US_CLASS_AUTOREPLY] = "autoreply",
	[US_CLASS_CHALLENGE] = "challenge",
	[US_CLASS_VIRUS] = "virus",
	[US_CLASS_FEEDBACK] = "feedback",
};

const char *us_kind_name(enum us_kind kind)
{
	return (unsigned)kind < US_KIND_COUNT ? kind_names[kind] : "?";
}

const char *us_provenance_name(enum us_provenance prov)
{
	return (unsigned)prov < US_PROV_COUNT ? provenance_names[prov] : "?";
}

const char *us_class_name(enum us_class klass)
{
	return (unsigned)klass < US_CLASS_COUNT ? class_names[klass] : "?";
}

bool us_kind_from_name(const char *name, enum us_kind *kind)
{
	for (unsigned i = 0; i < US_KIND_COUNT; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*kind = (enum us_kind)i;
			return true;
		}
	}
	return false;
}

void us_verdict_init(struct us_verdict *v)
{
	v->kind = US_KIND_NONE;
	v->provenance = US_PROV_UNKNOWN;
	v->klass = US_CLASS_ORDINARY;
	v->provenance_evidence = g_string_new(NULL);
	v->hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	v->details = g_ptr_array_new_with_free_func(g_free);
	v->evidence = g_ptr_array_new_with_free_func(g_free);
	v->bounce = g_ptr_array_new_with_free_func(us_bounce_recipient_free);
}

void us_verdict_clear(struct us_verdict *v)
{
	g_string_free(v->provenance_evidence, TRUE);
	g_array_unref(v->hits);
	g_ptr_array_unref(v->details);
	g_ptr_array_unref(v->evidence);
	v->evidence = NULL;
	g_ptr_array_unref(v->bounce);
	v->bounce = NULL;
	v->provenance_evidence = NULL;
	v->hits = NULL;
	v->details = NULL;
}
