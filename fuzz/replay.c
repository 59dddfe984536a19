/* fuzz/replay.c - a main() for replaying inputs through a fuzz target
 * without libFuzzer (gcc, normal or sanitizer build): "fuzz-NAME FILE..."
 * runs LLVMFuzzerTestOneInput on each file and exits 0 if none crashed.
 * tests/regress.t uses it to run the inputs kept in tests/regress/. */
#include <stdio.h>
#include <string.h>
#include "fuzz.h"

/* Targets without an initializer get this one (libFuzzer treats the
 * symbol as weak in the same way). */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		char *data;
		gsize len;
		GError *error = NULL;

		if (!g_file_get_contents(argv[i], &data, &len, &error)) {
			fprintf(stderr, "%s\n", error->message);
			return 2;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		g_free(data);
	}
	return 0;
}
