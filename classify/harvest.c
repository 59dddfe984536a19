/* harvest.c - the harvest subcommand: Sent folders and text lists into CDB lists. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include "harvest.h"
#include "mbox.h"
#include "input.h"
#include "lists.h"
#include "message.h"
#include "mime.h"

enum { OUT_IDS, OUT_FROM, OUT_VALID, OUT_COUNT };

static const char *const out_names[OUT_COUNT] = { "ids", "from", "valid" };

struct output {
	const char *path;	/* NULL: not wanted */
	GHashTable *table;	/* key -> value, both g_free */
	unsigned added;
};

struct harvest {
	struct output out[OUT_COUNT];
	bool quiet;
	unsigned messages;
};

static bool add_key(struct output *o, char *key, char *value)
{
	if (g_hash_table_contains(o->table, key)) {
		g_free(key);
		g_free(value);
		return false;
	}
	g_hash_table_insert(o->table, key, value ? value : g_strdup(""));
	o->added++;
	return true;
}

/* Take what we want from one message's header block. WANT says which outputs. */
static void harvest_message(struct harvest *h, const char *data, size_t len, const bool want[OUT_COUNT])
{
	struct us_layout layout;
	struct us_message *msg;

	us_input_layout(data, len, &layout);
	msg = us_mime_parse(data, layout.body_start);
	h->messages++;
	if (want[OUT_IDS]) {
		const char *v = us_message_header(msg, "Message-ID");
		GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
		if (v)
			us_list_msgids(v, strlen(v), ids);
		for (guint i = 0; i < ids->len; i++)
			add_key(&h->out[OUT_IDS], g_strdup(g_ptr_array_index(ids, i)), NULL);
		g_ptr_array_unref(ids);
	}
	if (want[OUT_FROM]) {
		static const char *const fields[] = { "From", "Sender", "Return-Path" };
		GPtrArray *addrs = g_ptr_array_new_with_free_func(g_free);
		for (size_t f = 0; f < G_N_ELEMENTS(fields); f++)
			us_mime_addresses(us_message_header(msg, fields[f]), addrs);
		for (guint i = 0; i < addrs->len; i++) {
			char *key = us_list_address_key(g_ptr_array_index(addrs, i));
			if (key)
				add_key(&h->out[OUT_FROM], key, NULL);
		}
		g_ptr_array_unref(addrs);
	}
	us_message_free(msg);
}

static bool message_outputs(const struct harvest *h, bool want[OUT_COUNT])
{
	bool any = false;

	for (int o = 0; o < OUT_COUNT; o++) {
		want[o] = o != OUT_VALID && h->out[o].path != NULL;
		any = any || want[o];
	}
	return any;
}

/* Maildir: every file in cur/ and new/ not yet recorded. */
static bool harvest_maildir(struct harvest *h, const char *dir)
{
	static const char *const subs[] = { "cur", "new" };
	bool found = false;

	for (size_t s = 0; s < G_N_ELEMENTS(subs); s++) {
		char *sub = g_build_filename(dir, subs[s], NULL);
		GDir *d = g_dir_open(sub, 0, NULL);
		const char *name;

		if (d == NULL) {
			g_free(sub);
			continue;
		}
		found = true;
		while ((name = g_dir_read_name(d)) != NULL) {
			if (name[0] == '.')
				continue;
			/* The unique part: flags after ":" change when mail is read. */
			char *meta = g_strdup_printf("%cm:%.*s", US_LIST_META, (int)strcspn(name, ":"), name);
			bool want[OUT_COUNT], any = false;
			message_outputs(h, want);
			for (int o = 0; o < OUT_COUNT; o++) {
				want[o] = want[o] && !g_hash_table_contains(h->out[o].table, meta);
				any = any || want[o];
			}
			char *path = g_build_filename(sub, name, NULL);
			GMappedFile *mf = any ? g_mapped_file_new(path, FALSE, NULL) : NULL;
			if (mf) {
				harvest_message(h, g_mapped_file_get_contents(mf), g_mapped_file_get_length(mf), want);
				g_mapped_file_unref(mf);
				for (int o = 0; o < OUT_COUNT; o++)
					if (want[o])
						g_hash_table_replace(h->out[o].table, g_strdup(meta), g_strdup(""));
			}
			g_free(path);
			g_free(meta);
		}
		g_dir_close(d);
		g_free(sub);
	}
	if (!found)
		fprintf(stderr, "unscatter harvest: %s: not a Maildir (no cur/ or new/)\n", dir);
	return found;
}

unsigned us_harvest_split_mbox(const char *text, size_t len, us_mbox_message_fn fn, void *data)
{
	unsigned n = 0;

	for (size_t start = us_mbox_next_from(text, len, 0); start < len; n++) {
		size_t end = us_mbox_next_from(text, len, start + 1);
		fn(text + start, end - start, start, data);
		start = end;
	}
	return n;
}

struct mbox_pass {
	struct harvest *h;
	size_t from[OUT_COUNT];	/* per output: offset already read (SIZE_MAX = not wanted) */
};

static void mbox_message(const char *msg, size_t len, size_t offset, void *data)
{
	struct mbox_pass *mp = data;
	bool want[OUT_COUNT], any = false;

	for (int o = 0; o < OUT_COUNT; o++) {
		want[o] = mp->from[o] != SIZE_MAX && offset >= mp->from[o];
		any = any || want[o];
	}
	if (any)
		harvest_message(mp->h, msg, len, want);
}

static bool harvest_file(struct harvest *h, const char *path)
{
	GError *error = NULL;
	GMappedFile *mf = g_mapped_file_new(path, FALSE, &error);
	struct stat st = { 0 };

	if (mf == NULL) {
		fprintf(stderr, "unscatter harvest: %s\n", error->message);
		g_error_free(error);
		return false;
	}
	const char *text = g_mapped_file_get_contents(mf);
	size_t len = g_mapped_file_get_length(mf);
	if (len < 5 || memcmp(text, "From ", 5) != 0) {
		bool want[OUT_COUNT];
		if (message_outputs(h, want) && len > 0)
			harvest_message(h, text, len, want);
		g_mapped_file_unref(mf);
		return true;
	}
	/* mbox: resume where each output stopped, if it is still the same file
	 * (same device and inode, not shorter than then). */
	char *abs = g_canonicalize_filename(path, NULL);
	char *meta = g_strdup_printf("%cb:%s", US_LIST_META, abs);
	char *stamp;
	struct mbox_pass mp = { h, { 0 } };
	bool want[OUT_COUNT];

	if (stat(path, &st) != 0)
		memset(&st, 0, sizeof st);	/* then the next run reads it all again */
	message_outputs(h, want);
	for (int o = 0; o < OUT_COUNT; o++) {
		const char *old = want[o] ? g_hash_table_lookup(h->out[o].table, meta) : NULL;
		unsigned long long dev, ino, off;
		mp.from[o] = want[o] ? 0 : SIZE_MAX;
		if (old && sscanf(old, "%llu:%llu:%llu", &dev, &ino, &off) == 3 &&
		    dev == (unsigned long long)st.st_dev && ino == (unsigned long long)st.st_ino && off <= len)
			mp.from[o] = (size_t)off;
	}
	us_harvest_split_mbox(text, len, mbox_message, &mp);
	stamp = g_strdup_printf("%llu:%llu:%zu", (unsigned long long)st.st_dev,
				(unsigned long long)st.st_ino, len);
	for (int o = 0; o < OUT_COUNT; o++)
		if (want[o])
			g_hash_table_replace(h->out[o].table, g_strdup(meta), g_strdup(stamp));
	g_free(stamp);
	g_free(meta);
	g_free(abs);
	g_mapped_file_unref(mf);
	return true;
}

struct list_pass {
	struct output *out;
	int kind;
	unsigned rejected;
};

static void list_entry(const char *entry, size_t len, void *data)
{
	struct list_pass *lp = data;
	char *text = g_strndup(entry, len);

	if (lp->kind == OUT_IDS) {
		GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
		if (us_list_msgids(text, len, ids) == 0)
			lp->rejected++;
		for (guint i = 0; i < ids->len; i++)
			add_key(lp->out, g_strdup(g_ptr_array_index(ids, i)), NULL);
		g_ptr_array_unref(ids);
	} else {
		char *key = us_list_address_key(text);
		/* valid-recipients may also list bare local parts. */
		if (key == NULL && lp->kind == OUT_VALID && strchr(text, '@') == NULL &&
		    strpbrk(text, " \t<>") == NULL)
			key = g_ascii_strdown(text, -1);
		if (key)
			add_key(lp->out, key, NULL);
		else
			lp->rejected++;
	}
	g_free(text);
}

static bool harvest_list(struct harvest *h, int kind, const char *path)
{
	char *text = NULL;
	gsize len = 0;
	GError *error = NULL;
	struct list_pass lp = { &h->out[kind], kind, 0 };

	if (strcmp(path, "-") == 0) {
		GByteArray *raw = us_input_read_fd(0, &error);
		if (raw) {
			len = raw->len;
			text = (char *)g_byte_array_free(raw, FALSE);
		}
	} else {
		g_file_get_contents(path, &text, &len, &error);
	}
	if (error) {
		fprintf(stderr, "unscatter harvest: %s: %s\n", path, error->message);
		g_error_free(error);
		return false;
	}
	us_list_parse_text(text, len, list_entry, &lp);
	if (lp.rejected)
		fprintf(stderr, "unscatter harvest: %s: %u line%s skipped (not a %s)\n", path, lp.rejected,
			lp.rejected == 1 ? "" : "s", kind == OUT_IDS ? "Message-ID" : "address");
	g_free(text);
	return true;
}

static const char harvest_usage[] =
	"usage: unscatter harvest [--ids F.cdb] [--from F.cdb] [--valid F.cdb]\n"
	"                         [--ids-list FILE] [--from-list FILE] [--valid-list FILE]\n"
	"                         [--replace] [-q] [SOURCE...]\n"
	"\n"
	"Build the CDB lists of unscatter.conf(5): sent-ids (Message-IDs we sent),\n"
	"sent-from (addresses we send from) and valid-recipients.\n"
	"SOURCE is a Sent folder: a Maildir or an mbox file. Each run adds only what\n"
	"is new since the last one; every list is replaced atomically.\n"
	"\n"
	"      --ids F.cdb        write Message-IDs of the SOURCE messages to F.cdb\n"
	"      --from F.cdb       write their From/Sender/Return-Path addresses to F.cdb\n"
	"      --valid F.cdb      write valid recipients (from --valid-list) to F.cdb\n"
	"      --ids-list FILE    add one Message-ID per line (\"-\" = stdin), e.g. from MTA logs\n"
	"      --from-list FILE   add one address per line\n"
	"      --valid-list FILE  add one address or bare local part per line\n"
	"      --replace          start each list empty instead of adding to it\n"
	"  -q, --quiet            no summary on stderr\n"
	"  -h, --help             print this help and exit\n"
	"\n"
	"Exit status: 0 done, 64 usage error, 66 a source cannot be read,\n"
	"65 an existing list is not a CDB, 73 a list cannot be written.\n";

int us_harvest_main(int argc, char **argv)
{
	enum { OPT_IDS = 256, OPT_FROM, OPT_VALID, OPT_IDS_LIST, OPT_FROM_LIST, OPT_VALID_LIST, OPT_REPLACE };
	static const struct option longopts[] = {
		{ "ids", required_argument, NULL, OPT_IDS },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "valid", required_argument, NULL, OPT_VALID },
		{ "ids-list", required_argument, NULL, OPT_IDS_LIST },
		{ "from-list", required_argument, NULL, OPT_FROM_LIST },
		{ "valid-list", required_argument, NULL, OPT_VALID_LIST },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct harvest h = { 0 };
	GPtrArray *lists[OUT_COUNT];
	bool replace = false;
	int c, status = EX_OK;

	for (int o = 0; o < OUT_COUNT; o++)
		lists[o] = g_ptr_array_new();
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IDS: h.out[OUT_IDS].path = optarg; break;
		case OPT_FROM: h.out[OUT_FROM].path = optarg; break;
		case OPT_VALID: h.out[OUT_VALID].path = optarg; break;
		case OPT_IDS_LIST: g_ptr_array_add(lists[OUT_IDS], optarg); break;
		case OPT_FROM_LIST: g_ptr_array_add(lists[OUT_FROM], optarg); break;
		case OPT_VALID_LIST: g_ptr_array_add(lists[OUT_VALID], optarg); break;
		case OPT_REPLACE: replace = true; break;
		case 'q': h.quiet = true; break;
		case 'h':
			fputs(harvest_usage, stdout);
			status = EX_OK;
			goto done;
		default:
			fputs(harvest_usage, stderr);
			status = EX_USAGE;
			goto done;
		}
	}
	for (int o = 0; o < OUT_COUNT; o++) {
		if (lists[o]->len > 0 && h.out[o].path == NULL) {
			fprintf(stderr, "unscatter harvest: --%s-list needs --%s\n", out_names[o], out_names[o]);
			status = EX_USAGE;
			goto done;
		}
	}
	if (!h.out[OUT_IDS].path && !h.out[OUT_FROM].path && !h.out[OUT_VALID].path) {
		fprintf(stderr, "unscatter harvest: name at least one of --ids, --from, --valid\n");
		status = EX_USAGE;
		goto done;
	}
	if (optind < argc && !h.out[OUT_IDS].path && !h.out[OUT_FROM].path) {
		fprintf(stderr, "unscatter harvest: Sent folders feed --ids and --from only\n");
		status = EX_USAGE;
		goto done;
	}

	us_mime_init();
	for (int o = 0; o < OUT_COUNT; o++) {
		GError *error = NULL;
		h.out[o].table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		if (h.out[o].path && !replace && !us_list_read_all(h.out[o].path, h.out[o].table, &error)) {
			fprintf(stderr, "unscatter harvest: %s\n", error->message);
			g_error_free(error);
			status = EX_DATAERR;
		}
	}
	for (int o = 0; o < OUT_COUNT && status == EX_OK; o++)
		for (guint i = 0; i < lists[o]->len; i++)
			if (!harvest_list(&h, o, g_ptr_array_index(lists[o], i)))
				status = EX_NOINPUT;
	for (int i = optind; i < argc && status == EX_OK; i++) {
		struct stat st;
		bool ok;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "unscatter harvest: %s: %s\n", argv[i], g_strerror(errno));
			ok = false;
		} else {
			ok = S_ISDIR(st.st_mode) ? harvest_maildir(&h, argv[i]) : harvest_file(&h, argv[i]);
		}
		if (!ok)
			status = EX_NOINPUT;
	}
	/* Nothing is written unless every source was read: a half-read run
	 * must not record the unread mail as harvested. */
	for (int o = 0; o < OUT_COUNT && status == EX_OK; o++) {
		GError *error = NULL;
		if (h.out[o].path == NULL)
			continue;
		if (!us_list_write(h.out[o].path, h.out[o].table, &error)) {
			fprintf(stderr, "unscatter harvest: %s\n", error->message);
			g_error_free(error);
			status = EX_CANTCREAT;
			break;
		}
		if (!h.quiet) {
			unsigned entries = 0;
			GHashTableIter it;
			gpointer k;
			g_hash_table_iter_init(&it, h.out[o].table);
			while (g_hash_table_iter_next(&it, &k, NULL))
				if (*(const char *)k != US_LIST_META)
					entries++;
			fprintf(stderr, "unscatter harvest: %s: %u entries, %u new\n", h.out[o].path,
				entries, h.out[o].added);
		}
	}
	if (!h.quiet && status == EX_OK)
		fprintf(stderr, "unscatter harvest: %u messages read\n", h.messages);
	for (int o = 0; o < OUT_COUNT; o++)
		if (h.out[o].table)
			g_hash_table_unref(h.out[o].table);
	us_mime_shutdown();
done:
	for (int o = 0; o < OUT_COUNT; o++)
		g_ptr_array_unref(lists[o]);
	return status;
}
