/* fuzz.h - shared helpers of the libFuzzer targets in fuzz/ (one file each).
 *
 * Every fuzz/NAME.c defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize). The Makefile's pattern rules build it with clang and
 * libFuzzer into build-fuzz/fuzz/NAME ("make fuzz"; fuzz/run.sh runs it)
 * and, with fuzz/replay.c and the normal compiler, into $(BUILD)/tests/fuzz-NAME,
 * which tests/regress.t runs over tests/regress/NAME/ *. Two comment lines in
 * each file tell fuzz/run.sh how to run it:
 *   FUZZ-SEEDS: shell words ($TOP and $CORPUS are set, globs expand) naming
 *               seed files or folders (read whole)
 *   FUZZ-OPTIONS: extra libFuzzer options, e.g. -max_len=65536
 * FUZZ_TOP (the project folder) is defined by the Makefile. A new parser
 * (BATV tags, CDB list files, ...) gets its target as one new file here. */
#ifndef UNSCATTER_FUZZ_H
#define UNSCATTER_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A check that must hold: abort (a crash libFuzzer reports) if it does not. */
#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) { \
			g_printerr("%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* DATA as a NUL-terminated copy (g_free). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = g_malloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
