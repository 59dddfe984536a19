/* fuzz/config.c - us_config_parse on any text: it either accepts or gives
 * "FILE:LINE: ..." with a line number inside the text.
 * FUZZ-SEEDS: $TOP/samples/unscatter.conf $TOP/fuzz/seeds/config
 * FUZZ-OPTIONS: -max_len=4096 */
#include <string.h>
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct us_config *cfg = us_config_new();
	GError *error = NULL;

	if (!us_config_parse(cfg, "/etc/fuzz.conf", (const char *)data, size, &error)) {
		FUZZ_ASSERT(error != NULL);
		FUZZ_ASSERT(g_str_has_prefix(error->message, "/etc/fuzz.conf:"));
		unsigned long line = strtoul(error->message + strlen("/etc/fuzz.conf:"), NULL, 10);
		unsigned long lines = 1;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		FUZZ_ASSERT(line >= 1 && line <= lines);
		g_error_free(error);
	} else {
		FUZZ_ASSERT(error == NULL);
		FUZZ_ASSERT(cfg->deadline_ms > 0 && cfg->deadline_ms <= US_MAX_DEADLINE_MS);
		FUZZ_ASSERT(cfg->rules_dir != NULL);
	}
	us_config_free(cfg);
	return 0;
}
