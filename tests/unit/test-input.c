/* test-input.c - reading the message and its raw layout. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "input.h"
#include "tap.h"

/* Layout of a string literal (no NUL counted). */
static struct us_layout layout_of(const char *s)
{
	struct us_layout l;

	us_input_layout(s, strlen(s), &l);
	return l;
}

static void test_layout_lf(void)
{
	const char *m = "Subject: a\nFrom: b\n  folded\n\nbody\n";
	struct us_layout l = layout_of(m);

	is_int(l.from_line_end, 0, "LF: no From line");
	is_int(l.header_end, strlen("Subject: a\nFrom: b\n  folded\n"), "LF: header ends before the blank line");
	is_int(l.body_start, l.header_end + 1, "LF: body after the blank line");
	is_str(l.eol, "\n", "LF: eol");
	ok(!l.last_line_unterminated, "LF: terminated");
}

static void test_layout_crlf(void)
{
	const char *m = "Subject: a\r\nFrom: b\r\n\r\nbody\r\n";
	struct us_layout l = layout_of(m);

	is_int(l.header_end, strlen("Subject: a\r\nFrom: b\r\n"), "CRLF: header end");
	is_int(l.body_start, l.header_end + 2, "CRLF: body start");
	is_str(l.eol, "\r\n", "CRLF: eol");
}

static void test_layout_cr(void)
{
	const char *m = "Subject: a\rFrom: b\r\rbody\r";
	struct us_layout l = layout_of(m);

	is_int(l.header_end, strlen("Subject: a\rFrom: b\r"), "CR-only: header end");
	is_int(l.body_start, l.header_end + 1, "CR-only: body start");
	is_str(l.eol, "\r", "CR-only: eol");
}

static void test_layout_from_line(void)
{
	const char *m = "From MAILER-DAEMON Thu Jan  1 00:00:00 2024\nSubject: a\n\nx\n";
	struct us_layout l = layout_of(m);
	size_t from = strlen("From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n");

	is_int(l.from_line_end, from, "From line: its end");
	is_int(l.header_end, from + strlen("Subject: a\n"), "From line: header end");

	l = layout_of("From x@y Thu Jan  1 00:00:00 2024\r\nSubject: a\r\n\r\n");
	is_str(l.eol, "\r\n", "From line with CRLF: eol");
	is_int(l.body_start, strlen("From x@y Thu Jan  1 00:00:00 2024\r\nSubject: a\r\n\r\n"),
	       "From line with CRLF: body start at the end");

	l = layout_of("From x@y Thu Jan  1 00:00:00 2024\n");
	is_int(l.from_line_end, strlen("From x@y Thu Jan  1 00:00:00 2024\n"), "only a From line: its end");
	is_int(l.header_end, l.from_line_end, "only a From line: empty header");

	l = layout_of("From: x@y\n\n");
	is_int(l.from_line_end, 0, "\"From:\" is a header, not an mbox line");

	/* us_input_from_line_end gives the layout's from_line_end. */
	const char *const cases[] = {
		m, "From x@y Thu Jan  1 00:00:00 2024\r\nSubject: a\r\n\r\n",
		"From x@y\rSubject: a\r\r", "From x@y no line end", "From: x@y\n\n", "From", "",
	};
	unsigned differ = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		differ += us_input_from_line_end(cases[i], strlen(cases[i])) != layout_of(cases[i]).from_line_end;
	is_int(differ, 0, "us_input_from_line_end: the layout's from_line_end");
	is_int(us_input_from_line_end(NULL, 0), 0, "us_input_from_line_end: no data");
}

static void test_layout_edges(void)
{
	struct us_layout l = layout_of("");

	is_int(l.header_end, 0, "empty input: header end 0");
	is_int(l.body_start, 0, "empty input: body start 0");
	is_str(l.eol, "\n", "empty input: LF by default");
	ok(!l.last_line_unterminated, "empty input: nothing unterminated");

	l = layout_of("Subject: a\nFrom: b\n");
	is_int(l.header_end, strlen("Subject: a\nFrom: b\n"), "no separator: all header");
	is_int(l.body_start, l.header_end, "no separator: body start == header end");
	ok(!l.last_line_unterminated, "no separator: last line terminated");

	l = layout_of("Subject: a\r\nFrom: b");
	is_int(l.header_end, strlen("Subject: a\r\nFrom: b"), "unterminated: all header");
	ok(l.last_line_unterminated, "unterminated: flagged");
	is_str(l.eol, "\r\n", "unterminated: eol from the first line");

	l = layout_of("Subject: a");
	ok(l.last_line_unterminated, "one unterminated line");
	is_str(l.eol, "\n", "one unterminated line: LF by default");

	l = layout_of("\nbody\n");
	is_int(l.header_end, 0, "leading blank line: empty header");
	is_int(l.body_start, 1, "leading blank line: body after it");

	l = layout_of("\r\nbody\r\n");
	is_str(l.eol, "\r\n", "leading CRLF blank line: eol");
	is_int(l.body_start, 2, "leading CRLF blank line: body start");

	/* A CRLF blank line in an LF header still ends it. */
	l = layout_of("Subject: a\nFrom: b\r\n\r\nbody\n");
	is_int(l.header_end, strlen("Subject: a\nFrom: b\r\n"), "mixed endings: header end");
	is_str(l.eol, "\n", "mixed endings: eol of the first line");

	/* A header line that only looks blank is not the separator. */
	l = layout_of("Subject: a\n \nFrom: b\n\n");
	is_int(l.header_end, strlen("Subject: a\n \nFrom: b\n"), "white space line is not the separator");

	const char nul[] = "Subject: a\0b\n\nbody";
	us_input_layout(nul, sizeof(nul) - 1, &l);
	is_int(l.header_end, strlen("Subject: a") + 3, "NUL in header: scanned as a byte");
}

static void test_normalize(void)
{
	size_t n = 99;
	char *out;

	ok(us_input_normalize_eol("a\nb\n", 4, 100, &n) == NULL, "LF only: NULL");
	is_int(n, 99, "LF only: length untouched");

	out = us_input_normalize_eol("a\r\nb\r\n", 6, 100, &n);
	is_str(out, "a\nb\n", "CRLF to LF");
	is_int(n, 4, "CRLF to LF: length");
	g_free(out);

	out = us_input_normalize_eol("a\rb\r\rc", 6, 100, &n);
	is_str(out, "a\nb\n\nc", "CR-only to LF");
	g_free(out);

	out = us_input_normalize_eol("a\r\nb\rc\n", 7, 100, &n);
	is_str(out, "a\nb\nc\n", "mixed to LF");
	g_free(out);

	out = us_input_normalize_eol("ab\r\ncd\r\n", 8, 3, &n);
	is_str(out, "ab\n", "limit: only the first bytes, CR at the cut still one LF");
	is_int(n, 3, "limit: length");
	g_free(out);

	ok(us_input_normalize_eol("ab\ncd\r\n", 7, 3, &n) == NULL, "CR only beyond the limit: NULL");
	ok(us_input_normalize_eol("", 0, 100, &n) == NULL, "empty: NULL");

	const char nul[] = "a\0b\r\n";
	out = us_input_normalize_eol(nul, 5, 100, &n);
	is_int(n, 4, "NUL kept: length");
	ok(out && memcmp(out, "a\0b\n", 4) == 0, "NUL kept: bytes");
	g_free(out);
}

static GByteArray *read_string_through_pipe(const char *s, size_t len, GError **error)
{
	int fds[2];
	GByteArray *got;

	if (pipe(fds) != 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		/* Write in pieces, with pauses, so reads return short. */
		for (size_t off = 0; off < len;) {
			size_t n = len - off < 7000 ? len - off : 7000;
			if (write(fds[1], s + off, n) < 0)
				_exit(1);
			off += n;
			if (off < len)
				usleep(1000);
		}
		_exit(0);
	}
	close(fds[1]);
	got = us_input_read_fd(fds[0], error);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return got;
}

static void test_read(void)
{
	GError *error = NULL;
	GByteArray *got = read_string_through_pipe("Subject: x\n\nbody\n", 17, &error);

	ok(got != NULL && error == NULL, "read small: ok");
	ok(got && got->len == 17 && memcmp(got->data, "Subject: x\n\nbody\n", 17) == 0, "read small: bytes");
	if (got)
		g_byte_array_unref(got);

	size_t big_len = 1000 * 1000 + 3;
	char *big = g_malloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)(i * 7 + i / 1000);
	got = read_string_through_pipe(big, big_len, &error);
	ok(got && got->len == big_len && memcmp(got->data, big, big_len) == 0, "read 1 MB in short reads");
	if (got)
		g_byte_array_unref(got);
	g_free(big);

	got = read_string_through_pipe("", 0, &error);
	ok(got && got->len == 0, "read empty input");
	if (got)
		g_byte_array_unref(got);

	got = us_input_read_fd(-1, &error);
	ok(got == NULL, "read error: NULL");
	ok(error != NULL && strstr(error->message, "read") != NULL, "read error: message set");
	g_clear_error(&error);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal without SA_RESTART makes read(2) fail with EINTR; that must be
 * retried, not reported. */
static void test_read_eintr(void)
{
	struct sigaction sa = { 0 }, old;
	struct itimerval tick = { { 0, 2000 }, { 0, 2000 } }, off = { { 0, 0 }, { 0, 0 } };
	int fds[2];
	GError *error = NULL;

	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, &old);
	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		usleep(50 * 1000);
		if (write(fds[1], "late\n", 5) != 5)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	setitimer(ITIMER_REAL, &tick, NULL);
	GByteArray *got = us_input_read_fd(fds[0], &error);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	ok(got && error == NULL, "EINTR: read goes on");
	ok(got && got->len == 5 && memcmp(got->data, "late\n", 5) == 0, "EINTR: all bytes");
	if (got)
		g_byte_array_unref(got);
	g_clear_error(&error);
}

int main(void)
{
	test_layout_lf();
	test_layout_crlf();
	test_layout_cr();
	test_layout_from_line();
	test_layout_edges();
	test_normalize();
	test_read();
	test_read_eintr();
	return tap_done();
}
