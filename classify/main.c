/* main.c - the unscatter command: options, deadline, modes, exit status.
 *
 * Exit statuses follow sysexits(3) for failures; the class codes 0-6 are
 * the verdict in exit-code mode (see unscatter(1)). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include "batv.h"
#include "classify.h"
#include "config.h"
#include "harvest.h"
#include "input.h"
#include "mime.h"
#include "output.h"
#include "recipient.h"
#include "reasons.h"
#include "rules.h"
#include "scan.h"

enum mode { MODE_EXIT_CODE, MODE_PASSTHROUGH, MODE_TERSE };

struct options {
	enum mode mode;
	bool explain;
	const char *config_path;	/* NULL: the default, which may be missing */
	const char *rules_dir;		/* overrides the config's "rules" */
	const char *lint_dir;		/* --lint-rules */
	const char *recipient;		/* -r: the envelope recipient */
};

static const char usage_text[] =
	"usage: unscatter [-c FILE] [-R DIR] [-r ADDR] [-p | -t] [-e] < message\n"
	"       unscatter --lint-rules DIR\n"
	"       unscatter scan|harvest|batv-sign ...   (see 'unscatter NAME --help')\n"
	"\n"
	"Classify one message: is it a bounce, auto-reply, challenge, virus notice\n"
	"or feedback report, and does it answer mail we really sent?\n"
	"\n"
	"  -c, --config FILE    configuration (default " US_DEFAULT_CONFIG ", optional)\n"
	"  -R, --rules DIR      rule directory (overrides the config's 'rules')\n"
	"  -r, --recipient ADDR envelope recipient (default: $RECIPIENT, $ORIGINAL_RECIPIENT,\n"
	"                       $ORIG_RECIPIENT, then X-Original-To, Delivered-To)\n"
	"  -p, --passthrough    write the message to stdout with X-Unscatter-* headers\n"
	"  -t, --terse          print 'CLASS KIND PROVENANCE [reason=... ...]' and exit 0\n"
	"  -e, --explain        explain every rule and piece of evidence on stderr\n"
	"      --lint-rules DIR check every rule file and reason table in DIR and exit\n"
	"  -V, --version        print the version and exit\n"
	"  -h, --help           print this help and exit\n"
	"\n"
	"Exit status without -p/-t (the verdict):\n"
	"  0 backscatter   automated reply to mail we did not send (junk it)\n"
	"  1 ordinary      ordinary mail\n"
	"  2 bounce        genuine bounce of our mail\n"
	"  3 autoreply     genuine auto-reply\n"
	"  4 challenge     genuine challenge-response request\n"
	"  5 virus         genuine virus-scanner notice\n"
	"  6 feedback      feedback (abuse complaint) report\n"
	"  64 usage error, 75 temporary failure (defer), 78 configuration error\n";

/* Async-signal-safe: the deadline or a termination signal means "try again later". */
static void die_tempfail(int sig)
{
	static const char deadline[] = "unscatter: deadline exceeded; deferring (exit 75)\n";
	static const char killed[] = "unscatter: terminated by a signal; deferring (exit 75)\n";

	if (sig == SIGALRM)
		(void)!write(STDERR_FILENO, deadline, sizeof deadline - 1);
	else
		(void)!write(STDERR_FILENO, killed, sizeof killed - 1);
	_exit(EX_TEMPFAIL);
}

static void set_timer_ms(unsigned ms)
{
	struct itimerval t = { 0 };

	t.it_value.tv_sec = ms / 1000;
	t.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &t, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void install_signals(void)
{
	struct sigaction sa = { 0 };

	/* A reader that goes away must give EPIPE (-> exit 75), not kill us silently. */
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = die_tempfail;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	enum { OPT_LINT = 256 };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'R' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "passthrough", no_argument, NULL, 'p' },
		{ "terse", no_argument, NULL, 't' },
		{ "explain", no_argument, NULL, 'e' },
		{ "lint-rules", required_argument, NULL, OPT_LINT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:R:r:pteVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opt->config_path = optarg; break;
		case 'R': opt->rules_dir = optarg; break;
		case 'r': opt->recipient = optarg; break;
		case 'p':
		case 't':
			if (opt->mode != MODE_EXIT_CODE) {
				fprintf(stderr, "unscatter: -p and -t exclude each other\n");
				return EX_USAGE;
			}
			opt->mode = c == 'p' ? MODE_PASSTHROUGH : MODE_TERSE;
			break;
		case 'e': opt->explain = true; break;
		case OPT_LINT: opt->lint_dir = optarg; break;
		case 'V':
			printf("unscatter %s\n", US_VERSION);
			return EX_OK;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "unscatter: unexpected argument '%s' (the message is read from stdin)\n",
			argv[optind]);
		return EX_USAGE;
	}
	return -1;
}

/* Subcommands ("unscatter NAME ARGS..."): each runs as a program of its own
 * with argv[0] = NAME and returns an exit status. Modules add theirs here. */
struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	bool writes_stdout;	/* its results go to standard output */
};

static const struct subcommand subcommands[] = {
	{ "harvest", us_harvest_main, false },
	{ "batv-sign", us_batv_sign_main, true },
	{ "scan", us_scan_main, true },
	{ NULL, NULL, false },
};

static const struct subcommand *find_subcommand(const char *name)
{
	for (const struct subcommand *s = subcommands; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static int lint_rules(const char *dir)
{
	struct us_ruleset *rs = us_ruleset_new();
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	int status = EX_OK;

	if (!us_ruleset_load_dir(rs, dir, &error)) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		status = EX_CONFIG;
	} else if (us_ruleset_lint(rs, problems) + us_reasons_lint_dir(dir, problems) > 0) {
		for (guint i = 0; i < problems->len; i++)
			fprintf(stderr, "%s\n", (char *)g_ptr_array_index(problems, i));
		status = EX_CONFIG;
	} else {
		printf("%s: %zu rules, all valid\n", dir, us_ruleset_count(rs));
	}
	g_ptr_array_unref(problems);
	us_ruleset_free(rs);
	return status;
}

/* Deliver the verdict in the chosen mode; returns the exit status. */
static int emit(const struct options *opt, const GByteArray *raw, const struct us_verdict *v)
{
	bool ok = true;

	switch (opt->mode) {
	case MODE_EXIT_CODE:
		return (int)v->klass;
	case MODE_TERSE: {
		char *line = us_output_terse(v);
		ok = us_write_all(STDOUT_FILENO, line, strlen(line));
		g_free(line);
		break;
	}
	case MODE_PASSTHROUGH: {
		GPtrArray *headers = us_output_headers(v);
		ok = us_output_passthrough(STDOUT_FILENO, (const char *)raw->data, raw->len, headers);
		g_ptr_array_unref(headers);
		break;
	}
	}
	/* Only a successful close proves the reader has everything. */
	if (close(STDOUT_FILENO) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "unscatter: writing the output failed: %s; deferring (exit 75)\n",
			g_strerror(errno));
		return EX_TEMPFAIL;
	}
	return EX_OK;
}

/* Standard descriptors the caller left closed get /dev/null, before any
 * file is opened: else the first file opened (the rule cache, a state
 * file) would take the descriptor and be read as the message or written
 * as the output. Returns which were closed, bit N for descriptor N. */
static unsigned guard_standard_fds(void)
{
	unsigned closed = 0;

	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		closed |= 1u << fd;
		/* The lower ones are open by now, so this takes FD. */
		int null = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
		if (null >= 0 && null != fd)
			close(null);
	}
	return closed;
}

int main(int argc, char **argv)
{
	struct options opt = { .mode = MODE_EXIT_CODE };
	struct us_config *cfg = NULL;
	struct us_ruleset *rules = NULL;
	GByteArray *raw = NULL;
	GError *error = NULL;
	struct us_verdict verdict;
	struct us_explain explain = { NULL };
	double start = now_ms();
	unsigned closed_fds = guard_standard_fds();
	int status;

	/* UTF-8 matching in TRE (case folding of non-ASCII text) needs a UTF-8 ctype. */
	setlocale(LC_CTYPE, "C.UTF-8");
	install_signals();
	set_timer_ms(US_DEFAULT_DEADLINE_MS);

	if (argc > 1) {
		const struct subcommand *sub = find_subcommand(argv[1]);
		if (sub) {
			/* A subcommand sets its own deadline (batch work may run long). */
			set_timer_ms(0);
			if (sub->writes_stdout && closed_fds & 1u << STDOUT_FILENO) {
				fprintf(stderr, "unscatter %s: standard output is closed\n", sub->name);
				return EX_IOERR;
			}
			return sub->run(argc - 1, argv + 1);
		}
	}

	status = parse_options(argc, argv, &opt);
	if (status >= 0)
		return status;
	if (opt.lint_dir)
		return lint_rules(opt.lint_dir);
	if (opt.explain)
		explain.out = stderr;

	cfg = us_config_new();
	if (!us_config_load(cfg, opt.config_path ? opt.config_path : US_DEFAULT_CONFIG,
			    opt.config_path != NULL, &error)) {
		fprintf(stderr, "%s\n", error->message);
		status = EX_CONFIG;
		goto out;
	}
	double elapsed = now_ms() - start;
	set_timer_ms(elapsed < cfg->deadline_ms ? cfg->deadline_ms - (unsigned)elapsed : 1);
	us_recipients_envelope(cfg->recipients, opt.recipient);
	if (opt.rules_dir) {
		g_free(cfg->rules_dir);
		cfg->rules_dir = g_strdup(opt.rules_dir);
	}
	us_explain(&explain, "config: %s; %u relay entries; rules %s; unknown provenance counts as %s; deadline %u ms",
		   cfg->path ? cfg->path : "(none, built-in defaults)", us_relays_count(cfg->relays),
		   cfg->rules_dir, cfg->unknown == US_UNKNOWN_GENUINE ? "genuine" : "backscatter",
		   cfg->deadline_ms);

	rules = us_ruleset_new();
	if (!us_ruleset_load_dir(rules, cfg->rules_dir, &error)) {
		fprintf(stderr, "%s\n", error->message);
		status = EX_CONFIG;
		goto out;
	}

	/* A closed stdin is no message; a closed stdout cannot take one. */
	bool no_input = closed_fds & 1u << STDIN_FILENO;
	bool no_output = opt.mode != MODE_EXIT_CODE && closed_fds & 1u << STDOUT_FILENO;
	if (no_input || no_output) {
		fprintf(stderr, "unscatter: standard %s is closed; deferring (exit 75)\n",
			no_input ? "input" : "output");
		status = EX_TEMPFAIL;
		goto out;
	}
	raw = us_input_read_fd(STDIN_FILENO, &error);
	if (raw == NULL) {
		fprintf(stderr, "unscatter: reading the message: %s; deferring (exit 75)\n", error->message);
		status = EX_TEMPFAIL;
		goto out;
	}

	us_mime_init();
	us_verdict_init(&verdict);
	/* Exit-code mode shows no bounce details, unless explaining. */
	unsigned want = opt.mode != MODE_EXIT_CODE || opt.explain ? US_WANT_BOUNCE_DETAILS
								   : US_WANT_VERDICT;
	if (!us_classify(NULL, cfg, rules, (const char *)raw->data, raw->len, want, &verdict,
			 &explain, &error)) {
		fprintf(stderr, "%s\n", error->message);
		status = EX_CONFIG;
	} else {
		status = emit(&opt, raw, &verdict);
	}
	us_verdict_clear(&verdict);
	us_mime_shutdown();
out:
	/* Success is final only here: no deadline may turn it into 75 afterwards. */
	set_timer_ms(0);
	g_clear_error(&error);
	if (raw)
		g_byte_array_unref(raw);
	us_ruleset_free(rules);
	us_config_free(cfg);
	return status;
}
