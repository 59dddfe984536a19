/* detect.c - structural evidence and the per-kind score sum. */
#include <string.h>
#include "detect.h"
#include "rules.h"

static void add_hit(GArray *hits, const char *name, enum us_kind kind, int score)
{
	struct us_hit hit = { .name = name, .kind = kind, .score = score };

	g_array_append_val(hits, hit);
}

void us_detect_structure(const struct us_message *msg, GArray *hits,
			 const struct us_explain *ex)
{
	bool report = strcmp(msg->content_type, "multipart/report") == 0;

	/* RFC 3464 / RFC 6533: the report type, or the status part itself
	 * (some MTAs send the part inside multipart/mixed). */
	if ((report && msg->report_type != NULL &&
	     (strcmp(msg->report_type, "delivery-status") == 0 ||
	      strcmp(msg->report_type, "global-delivery-status") == 0)) ||
	    msg->has_delivery_status) {
		add_hit(hits, "mime-delivery-status", US_KIND_DSN, US_RULE_THRESHOLD);
		us_explain(ex, "structure: delivery-status report (RFC 3464), %u recipient%s",
			   msg->dsn_recipients->len, msg->dsn_recipients->len == 1 ? "" : "s");
	}
	/* RFC 5965 ARF. */
	if ((report && msg->report_type != NULL &&
	     strcmp(msg->report_type, "feedback-report") == 0) ||
	    msg->has_feedback_report) {
		add_hit(hits, "mime-feedback-report", US_KIND_FEEDBACK, US_RULE_THRESHOLD);
		us_explain(ex, "structure: feedback report (RFC 5965)");
	}
}

enum us_kind us_detect_kind(const GArray *hits, const struct us_explain *ex)
{
	int total[US_KIND_COUNT] = { 0 };
	enum us_kind best = US_KIND_NONE;

	for (guint i = 0; i < hits->len; i++) {
		const struct us_hit *hit = &g_array_index(hits, struct us_hit, i);
		total[hit->kind] += hit->score;
	}
	for (unsigned k = US_KIND_NONE + 1; k < US_KIND_COUNT; k++) {
		if (total[k] != 0)
			us_explain(ex, "score: %s %d", us_kind_name((enum us_kind)k), total[k]);
		/* Ties go to the kind listed first (dsn before autoreply ...). */
		if (total[k] >= US_RULE_THRESHOLD &&
		    (best == US_KIND_NONE || total[k] > total[best]))
			best = (enum us_kind)k;
	}
	us_explain(ex, "kind: %s (threshold %d)", us_kind_name(best), US_RULE_THRESHOLD);
	return best;
}
