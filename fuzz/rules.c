/* fuzz/rules.c - the rules engine on any rule text: us_ruleset_parse, then
 * evaluation (literal prefilter, lazy TRE compilation, matching) and
 * us_ruleset_lint. The input is rule text, optionally followed by a NUL
 * byte and a message to evaluate against (rule text cannot contain NUL);
 * without one, the rules are evaluated against the messages in samples/.
 * Errors must be "fuzz.rules:LINE: ...".
 * FUZZ-SEEDS: $TOP/rules
 * FUZZ-OPTIONS: -max_len=16384 -timeout=20 */
#include <stdio.h>
#include <string.h>
#include "mime.h"
#include "rules.h"
#include "fuzz.h"

static GPtrArray *samples;	/* struct us_message * */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = {
		"backscatter-dsn.eml", "genuine-bounce.eml", "ordinary.eml",
		"out-of-office.eml", "qmail-backscatter.eml",
	};

	(void)argc;
	(void)argv;
	us_mime_init();
	samples = g_ptr_array_new_with_free_func((GDestroyNotify)us_message_free);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *path = g_build_filename(FUZZ_TOP, "samples", names[i], NULL);
		char *text;
		gsize len;
		if (!g_file_get_contents(path, &text, &len, NULL)) {
			fprintf(stderr, "fuzz/rules: cannot read %s\n", path);
			exit(1);
		}
		g_ptr_array_add(samples, us_mime_parse(text, len));
		g_free(text);
		g_free(path);
	}
	return 0;
}

static void evaluate(struct us_ruleset *rs, const struct us_message *msg)
{
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(struct us_hit));
	GError *error = NULL;

	if (!us_ruleset_evaluate(rs, msg, hits, NULL, &error)) {
		FUZZ_ASSERT(error && g_str_has_prefix(error->message, "fuzz.rules:"));
		g_error_free(error);
	}
	for (guint i = 0; i < hits->len; i++) {
		const struct us_hit *h = &g_array_index(hits, struct us_hit, i);
		FUZZ_ASSERT(us_ruleset_describe(rs, h->name) != NULL);
	}
	g_array_unref(hits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t rules_len = nul ? (size_t)(nul - data) : size;
	struct us_ruleset *rs = us_ruleset_new();
	GError *error = NULL;

	if (!us_ruleset_parse(rs, "fuzz.rules", (const char *)data, rules_len, &error)) {
		FUZZ_ASSERT(error && g_str_has_prefix(error->message, "fuzz.rules:"));
		FUZZ_ASSERT(us_ruleset_count(rs) == 0);
		g_error_free(error);
		us_ruleset_free(rs);
		return 0;
	}
	if (nul) {
		struct us_message *msg = us_mime_parse((const char *)nul + 1, size - rules_len - 1);
		evaluate(rs, msg);
		us_message_free(msg);
	} else {
		for (guint i = 0; i < samples->len; i++)
			evaluate(rs, g_ptr_array_index(samples, i));
	}
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	unsigned n = us_ruleset_lint(rs, problems);
	FUZZ_ASSERT(n == problems->len);
	for (guint i = 0; i < problems->len; i++)
		FUZZ_ASSERT(g_str_has_prefix(g_ptr_array_index(problems, i), "fuzz.rules:"));
	g_ptr_array_unref(problems);
	us_ruleset_free(rs);
	return 0;
}
