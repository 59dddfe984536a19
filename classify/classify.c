/* classify.c - the shared path: parse, detect, provenance, class. */
#include "bounce.h"
#include "classify.h"
#include "detect.h"
#include "mime.h"
#include "provenance.h"
#include "reasons.h"

enum us_class us_class_for(const struct us_config *cfg, enum us_kind kind,
			   enum us_provenance prov)
{
	static const enum us_class genuine[US_KIND_COUNT] = {
		[US_KIND_NONE] = US_CLASS_ORDINARY,
		[US_KIND_DSN] = US_CLASS_BOUNCE,
		[US_KIND_AUTOREPLY] = US_CLASS_AUTOREPLY,
		[US_KIND_CHALLENGE] = US_CLASS_CHALLENGE,
		[US_KIND_VIRUS] = US_CLASS_VIRUS,
		[US_KIND_FEEDBACK] = US_CLASS_FEEDBACK,
	};

	/* Ordinary mail and complaints about our mail are routed by kind alone. */
	if (kind == US_KIND_NONE || kind == US_KIND_FEEDBACK)
		return genuine[kind];
	if (prov == US_PROV_OURS)
		return genuine[kind];
	if (prov == US_PROV_FORGED)
		return US_CLASS_BACKSCATTER;
	return cfg->unknown == US_UNKNOWN_GENUINE ? genuine[kind] : US_CLASS_BACKSCATTER;
}

/* Bounce details (bounce.h), and one X-Unscatter-Recipient line each. */
static bool add_bounce_details(const struct us_config *cfg, struct us_ruleset *rules,
			       const struct us_message *msg, struct us_verdict *v,
			       const struct us_explain *ex, GError **error)
{
	/* Only bounces pay for reading the reason tables, once per ruleset. */
	struct us_reasons *rt = us_ruleset_reasons(rules, cfg->rules_dir, error);

	if (rt == NULL)
		return false;
	if (us_reasons_files(rt) == 0)
		us_explain(ex, "bounce: no .reasons file in %s; every reason is undefined", cfg->rules_dir);
	if (!us_bounce_analyse(rt, msg, v->bounce, ex, error))
		return false;
	for (guint i = 0; i < v->bounce->len; i++)
		g_ptr_array_add(v->details, us_bounce_line(g_ptr_array_index(v->bounce, i)));
	return true;
}

bool us_classify(struct us_mime_parser *mp, const struct us_config *cfg, struct us_ruleset *rules,
		 const char *data, size_t len, unsigned want, struct us_verdict *v,
		 const struct us_explain *ex, GError **error)
{
	struct us_message *msg = mp ? us_mime_parse_with(mp, data, len) : us_mime_parse(data, len);
	bool ok = true;

	us_explain(ex, "message: %zu bytes, %s%s%s, %u quoted original%s%s", len,
		   msg->content_type,
		   msg->report_type ? " report-type=" : "",
		   msg->report_type ? msg->report_type : "",
		   msg->quoted->len, msg->quoted->len == 1 ? "" : "s",
		   msg->truncated ? ", only the start examined" : "");
	us_detect_structure(msg, v->hits, ex);
	if (!us_ruleset_evaluate(rules, msg, v->hits, ex, error)) {
		ok = false;
		goto out;
	}
	v->kind = us_detect_kind(v->hits, ex);
	if (v->kind != US_KIND_NONE)
		v->provenance = us_provenance_decide(cfg, msg, v->provenance_evidence,
						     v->evidence, ex);
	if (v->kind == US_KIND_DSN && (want & US_WANT_BOUNCE_DETAILS) &&
	    !add_bounce_details(cfg, rules, msg, v, ex, error)) {
		ok = false;
		goto out;
	}
	v->klass = us_class_for(cfg, v->kind, v->provenance);
	us_explain(ex, "verdict: class %s (kind %s, provenance %s%s%s%s)",
		   us_class_name(v->klass), us_kind_name(v->kind),
		   us_provenance_name(v->provenance),
		   v->provenance_evidence->len ? ": " : "", v->provenance_evidence->str,
		   v->kind != US_KIND_NONE && v->provenance == US_PROV_UNKNOWN
			   ? (cfg->unknown == US_UNKNOWN_GENUINE ? "; unknown counts as genuine"
								  : "; unknown counts as backscatter")
			   : "");
out:
	us_message_free(msg);
	return ok;
}
