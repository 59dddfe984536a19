/* fuzz/batv.c - BATV tags: us_batv_parse on any local part, and
 * us_batv_verify of any address; an address signed with our key verifies
 * as valid and gives back the address it was made from.
 * FUZZ-SEEDS: $TOP/fuzz/seeds/batv
 * FUZZ-OPTIONS: -max_len=1024 */
#include <string.h>
#include "batv.h"
#include "fuzz.h"

static GPtrArray *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct us_batv_key *k = g_new(struct us_batv_key, 1);

	(void)argc;
	(void)argv;
	k->number = 3;
	k->secret = g_strdup("fuzz secret");
	keys = g_ptr_array_new_with_free_func(us_batv_key_free);
	g_ptr_array_add(keys, k);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *local = (const char *)data;
	struct us_batv_tag tag;
	time_t now = 1764547200;	/* 2025-12-01 */

	if (us_batv_parse(local, size, &tag)) {
		FUZZ_ASSERT(tag.key <= 9 && tag.day <= 999 && strlen(tag.hash) == 6);
		FUZZ_ASSERT(tag.loc_core >= local && tag.loc_core + tag.loc_core_len <= local + size);
	}

	char *address = fuzz_strndup(data, size);
	char *untagged = NULL;
	enum us_batv_result r = us_batv_verify(keys, US_BATV_DEFAULT_DAYS, address, now, &untagged);
	FUZZ_ASSERT(r <= US_BATV_EXPIRED && untagged != NULL);
	g_free(untagged);

	char *signed_addr = us_batv_sign(g_ptr_array_index(keys, 0), us_batv_day(now) + 1, address);
	if (signed_addr != NULL) {
		untagged = NULL;
		r = us_batv_verify(keys, US_BATV_DEFAULT_DAYS, signed_addr, now, &untagged);
		FUZZ_ASSERT(r == US_BATV_VALID);
		FUZZ_ASSERT(strcmp(untagged, address) == 0);
		g_free(untagged);
		g_free(signed_addr);
	}
	g_free(address);
	return 0;
}
