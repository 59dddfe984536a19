/* runmany.c - median wall time of a command run many times, each with its
 * standard input from a file and its output to /dev/null (a benchmark
 * helper, not part of unscatter).
 *
 *   runmany N INPUT COMMAND [ARG...]
 *
 * Prints "median_ms p10_ms p90_ms" of N runs (fork + exec + wait each),
 * after one untimed warm-up run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run(const char *input, char **argv)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open(input, O_RDONLY), out = open("/dev/null", O_WRONLY);
		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	double *t;

	if (argc < 4 || n < 1) {
		fprintf(stderr, "usage: runmany N INPUT COMMAND [ARG...]\n");
		return 2;
	}
	if ((t = calloc((size_t)n, sizeof *t)) == NULL)
		return 2;
	if (run(argv[2], argv + 3) >= 126) {
		fprintf(stderr, "runmany: %s: cannot run\n", argv[3]);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		run(argv[2], argv + 3);
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("%.3f %.3f %.3f\n", t[n / 2], t[n / 10], t[n * 9 / 10]);
	free(t);
	return 0;
}
