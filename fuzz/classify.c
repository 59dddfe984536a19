/* fuzz/classify.c - the whole classification of one message (MIME parse,
 * structural detection, the shipped rules, provenance, class) and the
 * passthrough output of the verdict, as one run of "unscatter -p" does
 * (with --explain to /dev/null for inputs of odd length).
 * FUZZ-SEEDS: $CORPUS $TOP/samples
 * FUZZ-OPTIONS: -max_len=262144 -timeout=20 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "classify.h"
#include "mime.h"
#include "output.h"
#include "fuzz.h"

static struct us_config *cfg;
static struct us_ruleset *rules;
static int devnull;
static struct us_explain explain;	/* to /dev/null: the --explain paths run too */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char conf[] = "rules " FUZZ_TOP "/rules\n"
				   "relay mail.example.com *.out.example.com 192.0.2.0/24 2001:db8::/32\n"
				   "domain example.com\n"
				   "batv-key 3 fuzz-secret\n";
	GError *error = NULL;

	(void)argc;
	(void)argv;
	cfg = us_config_new();
	rules = us_ruleset_new();
	if (!us_config_parse(cfg, "fuzz.conf", conf, sizeof conf - 1, &error) ||
	    !us_ruleset_load_dir(rules, cfg->rules_dir, &error)) {
		fprintf(stderr, "fuzz/classify: %s\n", error->message);
		exit(1);
	}
	us_mime_init();
	devnull = open("/dev/null", O_WRONLY);
	explain.out = fopen("/dev/null", "w");
	FUZZ_ASSERT(devnull >= 0 && explain.out != NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct us_verdict v;
	GError *error = NULL;

	us_verdict_init(&v);
	/* The shipped rules compile, so bad mail must never fail. */
	FUZZ_ASSERT(us_classify(NULL, cfg, rules, (const char *)data, size, US_WANT_BOUNCE_DETAILS, &v,
				size % 2 ? &explain : NULL, &error));
	FUZZ_ASSERT(v.klass >= 0 && v.klass < US_CLASS_COUNT);
	FUZZ_ASSERT(v.kind >= 0 && v.kind < US_KIND_COUNT);

	GPtrArray *headers = us_output_headers(&v);
	for (guint i = 0; i < headers->len; i++) {
		const char *h = g_ptr_array_index(headers, i);
		FUZZ_ASSERT(strlen(h) < 998);
		for (const char *p = h; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	FUZZ_ASSERT(us_output_passthrough(devnull, (const char *)data, size, headers));
	g_ptr_array_unref(headers);
	us_verdict_clear(&v);
	return 0;
}
