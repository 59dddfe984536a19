/* test-storm.c - storm state: parsing (also of damaged files), counting in a sliding window. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "storm.h"
#include "tap.h"

static GPtrArray *parse(const char *text, bool *clean)
{
	return us_storm_parse(text, strlen(text), clean);
}

int main(void)
{
	bool clean;
	GPtrArray *e;
	char *text;
	size_t len;

	e = parse("", &clean);
	ok(clean && e->len == 0, "empty file: clean, no entries");
	is_int(us_storm_record(e, "a@example.com", 1000, 20, 10), 1, "first reply counts 1");
	is_int(us_storm_record(e, "a@example.com", 1010, 20, 10), 2, "second counts 2");
	is_int(us_storm_record(e, "b@example.com", 1020, 20, 10), 1, "other recipient counted apart");
	text = us_storm_format(e, &len);
	is_str(text, "unscatter-storm 1\na@example.com 1000 1010\nb@example.com 1020\n", "file format");
	g_ptr_array_unref(e);
	e = us_storm_parse(text, len, &clean);
	ok(clean && e->len == 2, "format parses back");
	g_free(text);
	/* 10 minutes later the first two have left the window. */
	is_int(us_storm_record(e, "a@example.com", 1000 + 600, 20, 10), 2, "time 1000 left the 10-minute window");
	is_int(us_storm_record(e, "a@example.com", 1010 + 601, 20, 10), 2, "1010 too; 1600 is in");
	is_int(us_storm_record(e, "c@example.com", 3000, 20, 10), 1, "much later");
	is_int(e->len, 1, "entries with nothing left in the window are dropped");
	g_ptr_array_unref(e);

	/* Only LIMIT + 1 times are kept: the count saturates above the limit. */
	e = parse("", NULL);
	unsigned n = 0;
	for (int i = 0; i < 30; i++)
		n = us_storm_record(e, "a@example.com", 5000 + i, 20, 10);
	is_int(n, 21, "count saturates at limit + 1");
	g_ptr_array_unref(e);

	/* Damaged files: keep what parses, never fail. */
	e = parse("garbage\n", &clean);
	ok(!clean && e->len == 0, "wrong header: everything dropped");
	g_ptr_array_unref(e);
	e = parse("unscatter-storm 1\na@x 10 20\nb@x 30", &clean);
	ok(!clean && e->len == 1, "truncated last line dropped, earlier kept");
	g_ptr_array_unref(e);
	e = parse("unscatter-storm 1\na@x 10 zz\nb@x 30\nc@x 20 10\na@x 5\n\n", &clean);
	ok(!clean && e->len == 2, "bad number, times out of order, empty line: dropped");
	ok(strcmp(((struct us_storm_entry *)g_ptr_array_index(e, 0))->who, "b@x") == 0 &&
	   strcmp(((struct us_storm_entry *)g_ptr_array_index(e, 1))->who, "a@x") == 0,
	   "the good lines are kept (a later good line of a dropped recipient too)");
	g_ptr_array_unref(e);
	e = parse("unscatter-storm 1\na@x 10\na@x 20\n", &clean);
	ok(!clean && e->len == 1, "a recipient twice: the first line wins");
	g_ptr_array_unref(e);
	const char nul[] = "unscatter-storm 1\na@x 1\0 2\n";
	e = us_storm_parse(nul, sizeof nul - 1, &clean);
	ok(!clean && e->len == 0, "NUL bytes: started afresh");
	g_ptr_array_unref(e);
	e = parse("unscatter-storm", &clean);
	ok(!clean && e->len == 0, "truncated header");
	g_ptr_array_unref(e);

	/* Clock stepping back keeps times ascending. */
	e = parse("", NULL);
	us_storm_record(e, "a@x", 2000, 20, 10);
	is_int(us_storm_record(e, "a@x", 1990, 20, 10), 2, "clock stepped back: still counted");
	text = us_storm_format(e, &len);
	is_str(text, "unscatter-storm 1\na@x 2000 2000\n", "and stored in order");
	g_free(text);
	g_ptr_array_unref(e);

	/* Keys. */
	ok(us_storm_key_ok("a@example.com"), "address is a key");
	ok(!us_storm_key_ok("a b@example.com"), "no spaces");
	ok(!us_storm_key_ok(""), "not empty");
	ok(!us_storm_key_ok("\xc3\xa9@x"), "ASCII only");

	/* The file: made with its folder, counted across calls, repaired. */
	char *dir = g_dir_make_tmp("test-storm-XXXXXX", NULL);
	char *state = g_build_filename(dir, "state", NULL);
	char *file = g_build_filename(state, US_STORM_FILE, NULL);
	GString *problem = g_string_new(NULL), *note = g_string_new(NULL);
	unsigned count = 0;
	ok(us_storm_update(state, "a@x", 100, 20, 10, 1000, &count, problem, note) && count == 1,
	   "state dir and file are made");
	ok(us_storm_update(state, "a@x", 101, 20, 10, 1000, &count, problem, note) && count == 2,
	   "second update counts 2");
	g_file_set_contents(file, "unscatter-storm 1\na@x 100 1", -1, NULL);
	ok(us_storm_update(state, "a@x", 102, 20, 10, 1000, &count, problem, note) && count == 1,
	   "truncated file: started afresh for that line");
	ok(strstr(note->str, "damaged") != NULL, "and says so");
	g_string_truncate(note, 0);
	char *back;
	g_file_get_contents(file, &back, NULL, NULL);
	is_str(back, "unscatter-storm 1\na@x 102\n", "file repaired");
	g_free(back);
	/* Another delivery holds the lock and never lets go: give up in time. */
	int pipefd[2];
	ok(pipe(pipefd) == 0, "pipe");
	pid_t child = fork();
	if (child == 0) {
		int fd = open(file, O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		char c = fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
		(void)!write(pipefd[1], &c, 1);
		pause();
		_exit(0);
	}
	char c = 0;
	(void)!read(pipefd[0], &c, 1);
	gint64 t0 = g_get_monotonic_time();
	g_string_truncate(problem, 0);
	ok(c == 'y' && !us_storm_update(state, "a@x", 103, 20, 10, 200, &count, problem, note),
	   "state locked by another process: no count");
	ok(strstr(problem->str, "cannot lock") != NULL, "the problem says so");
	ok(g_get_monotonic_time() - t0 < 2 * G_USEC_PER_SEC, "and it gave up after the wait (200 ms), not later");
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	ok(us_storm_update(state, "a@x", 104, 20, 10, 200, &count, problem, note) && count == 2,
	   "once released, counting goes on");
	close(pipefd[0]);
	close(pipefd[1]);
	unlink(file);
	rmdir(state);
	g_file_set_contents(state, "a file, not a folder", -1, NULL);
	ok(!us_storm_update(state, "a@x", 103, 20, 10, 1000, &count, problem, note) && problem->len > 0,
	   "state dir is a file: a problem, reported");
	unlink(state);
	rmdir(dir);
	g_string_free(problem, TRUE);
	g_string_free(note, TRUE);
	g_free(file);
	g_free(state);
	g_free(dir);
	return tap_done();
}
