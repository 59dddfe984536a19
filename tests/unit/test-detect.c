/* test-detect.c - structural hits, the per-kind score sum, and names. */
#include <string.h>
#include "detect.h"
#include "tap.h"

static void hit(GArray *hits, const char *name, enum us_kind kind, int score)
{
	struct us_hit h = { name, kind, score };
	g_array_append_val(hits, h);
}

int main(void)
{
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	struct us_message *msg = us_message_new();

	us_detect_structure(msg, hits, NULL);
	is_int(hits->len, 0, "plain text: no structural hit");
	is_int(us_detect_kind(hits, NULL), US_KIND_NONE, "no hits: no kind");

	g_free(msg->content_type);
	msg->content_type = g_strdup("multipart/report");
	msg->report_type = g_strdup("delivery-status");
	us_detect_structure(msg, hits, NULL);
	is_int(hits->len, 1, "multipart/report delivery-status: one hit");
	is_str(g_array_index(hits, struct us_hit, 0).name, "mime-delivery-status", "named mime-delivery-status");
	is_int(us_detect_kind(hits, NULL), US_KIND_DSN, "which alone makes a DSN");

	g_array_set_size(hits, 0);
	g_free(msg->report_type);
	msg->report_type = g_strdup("disposition-notification");
	msg->has_disposition_notification = true;
	us_detect_structure(msg, hits, NULL);
	is_int(hits->len, 0, "a read receipt (MDN) is not a DSN");

	g_array_set_size(hits, 0);
	g_free(msg->content_type);
	msg->content_type = g_strdup("multipart/mixed");
	msg->has_delivery_status = true;
	us_detect_structure(msg, hits, NULL);
	is_int(us_detect_kind(hits, NULL), US_KIND_DSN, "a delivery-status part inside multipart/mixed");

	g_array_set_size(hits, 0);
	msg->has_delivery_status = false;
	msg->has_feedback_report = true;
	us_detect_structure(msg, hits, NULL);
	is_int(us_detect_kind(hits, NULL), US_KIND_FEEDBACK, "a feedback-report part: feedback");

	g_array_set_size(hits, 0);
	hit(hits, "a", US_KIND_AUTOREPLY, 60);
	is_int(us_detect_kind(hits, NULL), US_KIND_NONE, "60 is below the threshold");
	hit(hits, "b", US_KIND_AUTOREPLY, 40);
	is_int(us_detect_kind(hits, NULL), US_KIND_AUTOREPLY, "60 + 40 reaches it");
	hit(hits, "c", US_KIND_AUTOREPLY, -50);
	is_int(us_detect_kind(hits, NULL), US_KIND_NONE, "a negative score takes it back");

	g_array_set_size(hits, 0);
	hit(hits, "mime-delivery-status", US_KIND_DSN, 100);
	hit(hits, "boxbe", US_KIND_CHALLENGE, 200);
	is_int(us_detect_kind(hits, NULL), US_KIND_CHALLENGE, "the highest total wins (challenge sent as a DSN)");
	hit(hits, "more-dsn", US_KIND_DSN, 100);
	is_int(us_detect_kind(hits, NULL), US_KIND_DSN, "a tie goes to the kind listed first");

	/* Names round-trip. */
	for (unsigned k = 0; k < US_KIND_COUNT; k++) {
		enum us_kind back;
		ok(us_kind_from_name(us_kind_name((enum us_kind)k), &back) && back == k, us_kind_name((enum us_kind)k));
	}
	enum us_kind dummy;
	ok(!us_kind_from_name("bounce", &dummy), "'bounce' is a class, not a kind");
	is_str(us_class_name(US_CLASS_BACKSCATTER), "backscatter", "class 0 is backscatter");
	is_str(us_provenance_name(US_PROV_FORGED), "forged", "provenance name");

	us_message_free(msg);
	g_array_unref(hits);
	return tap_done();
}
