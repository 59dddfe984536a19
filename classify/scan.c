/* scan.c - `unscatter scan`: options, worker threads, output, refile (see scan.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include "classify.h"
#include "config.h"
#include "mime.h"
#include "refile.h"
#include "rules.h"
#include "scan.h"
#include "scanout.h"
#include "walk.h"

#define EXIT_INTERRUPTED 130
/* Files larger than this are mapped rather than read. */
#define MAP_THRESHOLD (1024 * 1024)
#define TOP_RULES 10

static const char scan_usage[] =
	"usage: unscatter scan [options] PATH...\n"
	"\n"
	"Classify every message of each PATH and print one line per message:\n"
	"PATH CLASS KIND PROVENANCE RULE, tab-separated (FILE:N is the N-th message\n"
	"of an mbox). PATH is a Maildir (cur/ and new/), an mbox file, a message file,\n"
	"or - to read file names from stdin. A summary goes to stderr at the end.\n"
	"\n"
	"  -c, --config FILE     configuration (default " US_DEFAULT_CONFIG ", optional)\n"
	"      --rules DIR       rule directory (overrides the config's 'rules')\n"
	"  -R, --recursive       Maildir++ sub-folders too; search other directories\n"
	"                        for Maildirs and message files\n"
	"  -0, --null            names read from stdin end with NUL, not newline\n"
	"      --no-mbox         every file is one message, even if it begins with 'From '\n"
	"      --json            JSON Lines instead of TSV\n"
	"  -j, --jobs N          worker threads (default: one per CPU)\n"
	"      --timeout SECS    give up on a message after SECS (default: the\n"
	"                        config's deadline); it is reported and left alone\n"
	"      --refile          move Maildir messages into a Maildir++ folder per class\n"
	"      --folder CLASS=.NAME  folder for CLASS (default .Backscatter, .Bounces,\n"
	"                        .AutoReplies, .Challenges, .VirusNotices, .Feedback;\n"
	"                        ordinary mail stays); CLASS= leaves CLASS in place\n"
	"      --split DIR       copy every message into DIR/CLASS (inputs unchanged)\n"
	"      --split-format F  mbox (default) or maildir\n"
	"  -n, --dry-run         with --refile or --split: show where messages would go\n"
	"  -q, --quiet           no summary and no progress\n"
	"  -h, --help            print this help and exit\n"
	"\n"
	"Exit status: 0 all done, 74 some message could not be read, classified in\n"
	"time, moved or copied (reported on stderr), 64 usage error, 78 configuration\n"
	"error, 130 interrupted.\n";

struct scan_options {
	const char *config_path;
	const char *rules_dir;
	bool recursive, null_names, no_mbox, json, refile, dry_run, quiet;
	guint jobs;
	double timeout;			/* seconds; < 0: the config's deadline */
	const char *folders[US_CLASS_COUNT];
	const char *split_dir;
	enum us_split_format split_format;
};

/* Set by the signal handler only, read by the main thread between messages. */
static volatile sig_atomic_t interrupted;

static void note_signal(int sig)
{
	interrupted = sig;
}

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_TIMED_OUT };

/* One message's work; written by its worker, read by the main thread
 * once the state is DONE or FAILED. */
struct job {
	_Atomic int state;
	_Atomic gint64 started;		/* g_get_monotonic_time() when it was taken */
	struct us_scan_result result;
	char *error;			/* FAILED: why */
};

struct scan;

struct worker {
	struct scan *scan;
	struct us_ruleset *rules;
	struct us_mime_parser *mime;	/* GMime parser, reused from message to message */
	GThread *thread;
	_Atomic guint current;		/* job being worked on, G_MAXUINT between jobs */
	char *buf;			/* read buffer, reused */
	size_t cap;
};

struct scan {
	const struct scan_options *opt;
	struct us_config *cfg;
	struct us_walk *walk;
	struct job *jobs;
	guint n;
	_Atomic guint next;		/* next job to take */
	_Atomic int stop;		/* workers take no more jobs */
	_Atomic guint waiting_for;	/* job the main thread waits for */
	_Atomic int fatal;		/* a configuration error stopped the scan */
	GMutex lock;
	GCond done;
	char *fatal_message;		/* under lock */
	GPtrArray *workers;		/* struct worker * */
};

/* ---- options ---- */

static bool parse_class(const char *name, size_t len, enum us_class *klass)
{
	for (int c = 0; c < US_CLASS_COUNT; c++) {
		const char *cn = us_class_name((enum us_class)c);
		if (strlen(cn) == len && strncmp(cn, name, len) == 0) {
			*klass = (enum us_class)c;
			return true;
		}
	}
	return false;
}

static int parse_scan_options(int argc, char **argv, struct scan_options *opt)
{
	enum { OPT_RULES = 256, OPT_NO_MBOX, OPT_JSON, OPT_TIMEOUT, OPT_REFILE, OPT_FOLDER,
	       OPT_SPLIT, OPT_SPLIT_FORMAT };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "recursive", no_argument, NULL, 'R' },
		{ "null", no_argument, NULL, '0' },
		{ "no-mbox", no_argument, NULL, OPT_NO_MBOX },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "jobs", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "refile", no_argument, NULL, OPT_REFILE },
		{ "folder", required_argument, NULL, OPT_FOLDER },
		{ "split", required_argument, NULL, OPT_SPLIT },
		{ "split-format", required_argument, NULL, OPT_SPLIT_FORMAT },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	for (int k = 0; k < US_CLASS_COUNT; k++)
		opt->folders[k] = us_refile_default_folder((enum us_class)k);
	opt->timeout = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:R0j:nqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opt->config_path = optarg; break;
		case OPT_RULES: opt->rules_dir = optarg; break;
		case 'R': opt->recursive = true; break;
		case '0': opt->null_names = true; break;
		case OPT_NO_MBOX: opt->no_mbox = true; break;
		case OPT_JSON: opt->json = true; break;
		case 'j': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 256) {
				fprintf(stderr, "unscatter scan: --jobs '%s': not a number from 1 to 256\n", optarg);
				return EX_USAGE;
			}
			opt->jobs = (guint)v;
			break;
		}
		case OPT_TIMEOUT:
			opt->timeout = g_ascii_strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(opt->timeout > 0) || opt->timeout > 86400) {
				fprintf(stderr, "unscatter scan: --timeout '%s': not a number of seconds\n", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_REFILE: opt->refile = true; break;
		case OPT_FOLDER: {
			const char *eq = strchr(optarg, '=');
			enum us_class klass;
			if (eq == NULL || !parse_class(optarg, (size_t)(eq - optarg), &klass)
			    || (eq[1] != '\0' && !us_refile_folder_valid(eq + 1))) {
				fprintf(stderr, "unscatter scan: --folder '%s': want CLASS=.NAME (a class name, "
					"a Maildir++ folder name beginning with '.', no '/') or CLASS=\n", optarg);
				return EX_USAGE;
			}
			opt->folders[klass] = eq + 1;
			break;
		}
		case OPT_SPLIT: opt->split_dir = optarg; break;
		case OPT_SPLIT_FORMAT:
			if (strcmp(optarg, "mbox") == 0) {
				opt->split_format = US_SPLIT_MBOX;
			} else if (strcmp(optarg, "maildir") == 0) {
				opt->split_format = US_SPLIT_MAILDIR;
			} else {
				fprintf(stderr, "unscatter scan: --split-format '%s': mbox or maildir\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'n': opt->dry_run = true; break;
		case 'q': opt->quiet = true; break;
		case 'h':
			fputs(scan_usage, stdout);
			return EX_OK;
		default:
			fputs(scan_usage, stderr);
			return EX_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "unscatter scan: no PATH given (use - to read names from stdin)\n");
		return EX_USAGE;
	}
	if (opt->refile && opt->split_dir) {
		fprintf(stderr, "unscatter scan: --refile and --split exclude each other\n");
		return EX_USAGE;
	}
	if (opt->dry_run && !opt->refile && !opt->split_dir) {
		fprintf(stderr, "unscatter scan: --dry-run goes with --refile or --split\n");
		return EX_USAGE;
	}
	return -1;
}

/* ---- workers ---- */

static void set_fatal(struct scan *s, const char *message)
{
	g_mutex_lock(&s->lock);
	if (s->fatal_message == NULL)
		s->fatal_message = g_strdup(message);
	atomic_store(&s->fatal, 1);
	atomic_store(&s->stop, 1);
	g_cond_broadcast(&s->done);
	g_mutex_unlock(&s->lock);
}

/* The bytes of a message file: in W's buffer, or mapped (*MAP, *MAP_LEN)
 * when large. Returns NULL with *ERROR (static or strerror) on failure. */
static const char *read_message(struct worker *w, const char *path, size_t *len, void **map,
				size_t *map_len, const char **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	const char *data = NULL;

	*map = NULL;
	if (fd < 0) {
		*error = g_strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*error = g_strerror(errno);
	} else if (S_ISDIR(st.st_mode)) {
		*error = g_strerror(EISDIR);
	} else if (!S_ISREG(st.st_mode)) {
		*error = "not a regular file";
	} else if (st.st_size > MAP_THRESHOLD) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			*error = g_strerror(errno);
		} else {
			*map = p;
			*map_len = (size_t)st.st_size;
			*len = (size_t)st.st_size;
			data = p;
		}
	} else {
		/* Read to the end, whatever the size said (the file may grow). */
		size_t got = 0;
		for (;;) {
			if (w->cap - got < 4096) {
				w->cap = w->cap ? w->cap * 2 : (size_t)st.st_size + 4096;
				w->buf = g_realloc(w->buf, w->cap);
			}
			ssize_t r = read(fd, w->buf + got, w->cap - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				*error = g_strerror(errno);
				break;
			}
			if (r == 0) {
				*len = got;
				data = w->buf;
				break;
			}
			got += (size_t)r;
		}
	}
	close(fd);
	return data;
}

static void run_job(struct worker *w, guint i)
{
	struct scan *s = w->scan;
	struct job *j = &s->jobs[i];
	const struct us_item *item = &g_array_index(s->walk->items, struct us_item, i);
	const char *data, *why = NULL;
	size_t len = 0, map_len = 0;
	void *map = NULL;
	int final = JOB_DONE;

	if (item->data) {
		data = item->data;
		len = item->length;
	} else {
		data = read_message(w, item->path, &len, &map, &map_len, &why);
	}
	if (data == NULL) {
		j->error = g_strdup(why);
		final = JOB_FAILED;
	} else {
		struct us_verdict v;
		GError *error = NULL;
		us_verdict_init(&v);
		if (us_classify(w->mime, s->cfg, w->rules, data, len, US_WANT_VERDICT, &v, NULL, &error)) {
			j->result.klass = v.klass;
			j->result.kind = v.kind;
			j->result.provenance = v.provenance;
			j->result.rule = us_scan_first_rule(&v);
		} else {
			set_fatal(s, error->message);
			g_error_free(error);
			final = JOB_FAILED;
			j->error = g_strdup("configuration error");
		}
		us_verdict_clear(&v);
	}
	if (map)
		munmap(map, map_len);
	int expected = JOB_RUNNING;
	if (!atomic_compare_exchange_strong(&j->state, &expected, final)) {
		/* The main thread gave up on this one; nobody reads it now. */
		g_free(j->error);
		j->error = NULL;
	}
	if (atomic_load(&s->waiting_for) == i) {
		g_mutex_lock(&s->lock);
		g_cond_broadcast(&s->done);
		g_mutex_unlock(&s->lock);
	}
}

static gpointer worker_main(gpointer data)
{
	struct worker *w = data;
	struct scan *s = w->scan;

	while (!atomic_load(&s->stop)) {
		guint i = atomic_fetch_add(&s->next, 1);
		if (i >= s->n)
			break;
		atomic_store(&w->current, i);
		atomic_store(&s->jobs[i].started, g_get_monotonic_time());
		atomic_store(&s->jobs[i].state, JOB_RUNNING);
		run_job(w, i);
		atomic_store(&w->current, G_MAXUINT);
	}
	return NULL;
}

/* A new worker with its own ruleset, signals blocked. */
static bool start_worker(struct scan *s, GError **error)
{
	struct worker *w = g_new0(struct worker, 1);
	sigset_t all, old;

	w->scan = s;
	w->rules = us_ruleset_new();
	atomic_init(&w->current, G_MAXUINT);
	if (!us_ruleset_load_dir(w->rules, s->cfg->rules_dir, error)) {
		us_ruleset_free(w->rules);
		g_free(w);
		return false;
	}
	w->mime = us_mime_parser_new();
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	w->thread = g_thread_try_new("scan", worker_main, w, error);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w->thread == NULL) {
		us_mime_parser_free(w->mime);
		us_ruleset_free(w->rules);
		g_free(w);
		return false;
	}
	g_ptr_array_add(s->workers, w);
	return true;
}

/* ---- the main thread ---- */

struct progress {
	bool on;
	gint64 start, last;
};

static void show_progress(struct progress *p, guint done, guint total, bool final)
{
	gint64 now = g_get_monotonic_time();

	if (!p->on || (!final && now - p->last < 200000))
		return;
	p->last = now;
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	double secs = (now - p->start) / 1e6;
	double rate = secs > 0 ? done / secs : 0;
	fprintf(stderr, "\r\033[K%u/%u messages, %.0f/s, ETA %.0f s", done, total, rate,
		rate > 0 ? (total - done) / rate : 0.0);
	fflush(stderr);
}

/* Wait until job I is finished, or given up on. False if the scan must stop. */
static bool wait_for(struct scan *s, guint i, gint64 cap_us, struct progress *p, guint *timeouts)
{
	struct job *j = &s->jobs[i];

	atomic_store(&s->waiting_for, i);
	for (;;) {
		int state = atomic_load(&j->state);
		if (state >= JOB_DONE)
			return true;
		if (interrupted || atomic_load(&s->fatal))
			return false;
		gint64 now = g_get_monotonic_time();
		if (state == JOB_RUNNING && now - atomic_load(&j->started) > cap_us) {
			int expected = JOB_RUNNING;
			if (atomic_compare_exchange_strong(&j->state, &expected, JOB_TIMED_OUT)) {
				char *name = us_scan_item_name(&g_array_index(s->walk->items, struct us_item, i));
				GError *error = NULL;
				fprintf(stderr, "unscatter scan: %s: not classified within %.3g s; left alone\n",
					name, cap_us / 1e6);
				g_free(name);
				(*timeouts)++;
				/* Its worker may never come back: another one takes over. */
				if (!start_worker(s, &error)) {
					set_fatal(s, error->message);
					g_error_free(error);
					return false;
				}
				return true;
			}
			continue;
		}
		/* Wake for the progress line, and when the cap runs out. */
		gint64 until = now + 100000;
		if (state == JOB_RUNNING && atomic_load(&j->started) + cap_us + 1 < until)
			until = atomic_load(&j->started) + cap_us + 1;
		g_mutex_lock(&s->lock);
		if (atomic_load(&j->state) < JOB_DONE && !atomic_load(&s->fatal))
			g_cond_wait_until(&s->done, &s->lock, until);
		g_mutex_unlock(&s->lock);
		show_progress(p, i, s->n, false);
	}
}

/* The bytes of ITEM for a split copy (new, g_free), or NULL with ERROR. */
static char *item_bytes(const struct us_item *item, gsize *len, GError **error)
{
	char *data = NULL;

	if (item->data) {
		*len = item->length;
		return g_memdup2(item->data, item->length);
	}
	if (!g_file_get_contents(item->path, &data, len, error))
		return NULL;
	return data;
}

struct actions {
	struct us_refile *refile;
	struct us_split *split;
	guint moved, failed;
};

/* Refile or split ITEM as asked; *DEST is where it went (new string or NULL). */
static bool act(struct scan *s, struct actions *a, const struct us_item *item,
		const struct us_scan_result *r, char **dest)
{
	GError *error = NULL;
	bool ok = true;

	*dest = NULL;
	if (a->refile && item->folder >= 0) {
		const struct us_folder *f = g_ptr_array_index(s->walk->folders, item->folder);
		ok = us_refile_move(a->refile, f, item->path, r->klass, dest, &error);
	} else if (a->split) {
		gsize len = 0;
		char *data = item_bytes(item, &len, &error);
		ok = data && us_split_write(a->split, item, data, len, r->klass, dest, &error);
		g_free(data);
	}
	if (!ok) {
		char *name = us_scan_item_name(item);
		fprintf(stderr, "unscatter scan: %s: %s\n", name, error->message);
		g_free(name);
		g_error_free(error);
		a->failed++;
	} else if (*dest) {
		a->moved++;
	}
	return ok;
}

static struct us_config *load_config(const struct scan_options *opt)
{
	struct us_config *cfg = us_config_new();
	GError *error = NULL;

	if (!us_config_load(cfg, opt->config_path ? opt->config_path : US_DEFAULT_CONFIG,
			    opt->config_path != NULL, &error)) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		us_config_free(cfg);
		return NULL;
	}
	if (opt->rules_dir) {
		g_free(cfg->rules_dir);
		cfg->rules_dir = g_strdup(opt->rules_dir);
	}
	return cfg;
}

static void install_scan_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = note_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Emit every job in order; returns how many were emitted. */
static guint emit_all(struct scan *s, struct actions *a, struct us_tally *tally, guint *errors,
		      guint *timeouts, bool *write_failed)
{
	const struct scan_options *opt = s->opt;
	double cap = opt->timeout > 0 ? opt->timeout : s->cfg->deadline_ms / 1000.0;
	struct progress p = { isatty(STDERR_FILENO) && !opt->quiet, g_get_monotonic_time(), 0 };
	bool with_dest = a->refile || a->split;
	GString *line = g_string_sized_new(256);
	guint i;

	for (i = 0; i < s->n; i++) {
		/* A signal is looked at between two messages, never during a move. */
		if (interrupted || !wait_for(s, i, (gint64)(cap * 1e6), &p, timeouts))
			break;
		struct job *j = &s->jobs[i];
		const struct us_item *item = &g_array_index(s->walk->items, struct us_item, i);
		int state = atomic_load(&j->state);
		if (state == JOB_FAILED) {
			if (!atomic_load(&s->fatal)) {
				char *name = us_scan_item_name(item);
				fprintf(stderr, "unscatter scan: %s: %s\n", name, j->error);
				g_free(name);
				(*errors)++;
			}
			continue;
		}
		if (state != JOB_DONE)
			continue;	/* timed out: reported already */
		char *dest = NULL;
		us_tally_add(tally, &j->result);
		act(s, a, item, &j->result, &dest);
		g_string_truncate(line, 0);
		us_scan_format(line, opt->json, item, &j->result, with_dest, dest);
		g_free(dest);
		if (fwrite(line->str, 1, line->len, stdout) != line->len) {
			*write_failed = true;
			i++;
			break;
		}
		show_progress(&p, i + 1, s->n, false);
	}
	show_progress(&p, i, s->n, true);
	g_string_free(line, TRUE);
	return i;
}

int us_scan_main(int argc, char **argv)
{
	struct scan_options opt = { 0 };
	struct scan s = { 0 };
	struct actions a = { 0 };
	struct us_tally tally;
	GError *error = NULL;
	guint errors = 0, timeouts = 0, emitted = 0;
	bool write_failed = false, detached = false;
	int status = parse_scan_options(argc, argv, &opt);

	if (status >= 0)
		return status;
	install_scan_signals();
	s.opt = &opt;
	s.cfg = load_config(&opt);
	if (s.cfg == NULL)
		return EX_CONFIG;
	/* Load one ruleset now, so that a bad rule file stops us before any work. */
	struct us_ruleset *probe = us_ruleset_new();
	if (!us_ruleset_load_dir(probe, s.cfg->rules_dir, &error)) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
		us_ruleset_free(probe);
		us_config_free(s.cfg);
		return EX_CONFIG;
	}
	us_ruleset_free(probe);

	us_mime_init();
	gint64 start = g_get_monotonic_time();
	s.walk = us_walk_new(opt.recursive, opt.no_mbox);
	for (int i = optind; i < argc && !interrupted; i++) {
		if (strcmp(argv[i], "-") == 0)
			us_walk_list(s.walk, stdin, opt.null_names ? '\0' : '\n');
		else
			us_walk_path(s.walk, argv[i]);
	}
	errors = s.walk->errors;
	s.n = s.walk->items->len;
	s.jobs = g_new0(struct job, s.n ? s.n : 1);
	s.workers = g_ptr_array_new();
	g_mutex_init(&s.lock);
	g_cond_init(&s.done);
	atomic_init(&s.waiting_for, G_MAXUINT);
	if (opt.refile)
		a.refile = us_refile_new(opt.folders, opt.dry_run);
	if (opt.split_dir)
		a.split = us_split_new(opt.split_dir, opt.split_format, opt.dry_run);

	guint jobs = opt.jobs ? opt.jobs : g_get_num_processors();
	if (jobs > s.n)
		jobs = s.n ? s.n : 1;
	for (guint i = 0; i < jobs && s.n > 0; i++) {
		if (!start_worker(&s, &error)) {
			fprintf(stderr, "unscatter scan: %s\n", error->message);
			g_clear_error(&error);
			if (s.workers->len == 0) {
				status = EX_OSERR;
				break;
			}
		}
	}
	us_tally_init(&tally);
	if (s.workers->len > 0 && !interrupted)
		emitted = emit_all(&s, &a, &tally, &errors, &timeouts, &write_failed);

	/* Stop the workers; join those not stuck in a message we gave up on. */
	atomic_store(&s.stop, 1);
	for (guint i = 0; i < s.workers->len; i++) {
		struct worker *w = g_ptr_array_index(s.workers, i);
		guint cur = atomic_load(&w->current);
		/* After a signal, do not wait for a slow message to finish either. */
		if (cur != G_MAXUINT && (interrupted || atomic_load(&s.jobs[cur].state) == JOB_TIMED_OUT)) {
			detached = true;
			continue;
		}
		g_thread_join(w->thread);
		w->thread = NULL;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		write_failed = true;
	if (a.split && !us_split_free(a.split, &error)) {
		fprintf(stderr, "unscatter scan: %s\n", error->message);
		g_clear_error(&error);
		a.failed++;
	}
	double secs = (g_get_monotonic_time() - start) / 1e6;
	if (atomic_load(&s.fatal)) {
		fprintf(stderr, "%s\n", s.fatal_message);
		status = EX_CONFIG;
	} else if (write_failed) {
		fprintf(stderr, "unscatter scan: writing the output failed: %s\n", g_strerror(errno));
		status = EX_IOERR;
	} else if (interrupted) {
		fprintf(stderr, "unscatter scan: interrupted after %u of %u messages; the rest is untouched\n",
			emitted, s.n);
		status = EXIT_INTERRUPTED;
	} else if (status < 0) {
		status = errors || timeouts || a.failed ? EX_IOERR : EX_OK;
	}
	if (!opt.quiet) {
		us_tally_print(&tally, stderr, secs, s.workers->len, TOP_RULES);
		if (errors || timeouts)
			fprintf(stderr, "%u unreadable, %u not classified in time\n", errors, timeouts);
		if (a.refile || a.split)
			fprintf(stderr, "%u %s%s, %u failed\n", a.moved,
				opt.dry_run ? "would be " : "",
				a.refile ? "moved" : "copied", a.failed);
	}
	us_tally_clear(&tally);
	if (detached) {
		/* A worker is still inside a message: do not free what it uses. */
		fflush(stderr);
		_exit(status);
	}
	for (guint i = 0; i < s.workers->len; i++) {
		struct worker *w = g_ptr_array_index(s.workers, i);
		us_ruleset_free(w->rules);
		us_mime_parser_free(w->mime);
		g_free(w->buf);
		g_free(w);
	}
	g_ptr_array_unref(s.workers);
	for (guint i = 0; i < s.n; i++)
		g_free(s.jobs[i].error);
	g_free(s.jobs);
	g_free(s.fatal_message);
	g_mutex_clear(&s.lock);
	g_cond_clear(&s.done);
	us_refile_free(a.refile);
	us_walk_free(s.walk);
	us_config_free(s.cfg);
	us_mime_shutdown();
	return status;
}
