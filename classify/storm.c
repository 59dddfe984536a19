/* storm.c - bounce-storm counting in a locked state file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "storm.h"

#define STORM_HEADER "unscatter-storm 1\n"
/* A state file bigger than this is not ours: start afresh. */
#define STORM_MAX_BYTES (4u * 1024u * 1024u)

static void entry_free(gpointer p)
{
	struct us_storm_entry *e = p;

	g_free(e->who);
	g_array_unref(e->times);
	g_free(e);
}

static struct us_storm_entry *entry_new(const char *who)
{
	struct us_storm_entry *e = g_new(struct us_storm_entry, 1);

	e->who = g_strdup(who);
	e->times = g_array_new(FALSE, FALSE, sizeof(gint64));
	return e;
}

bool us_storm_key_ok(const char *who)
{
	size_t n = who ? strlen(who) : 0;

	if (n == 0 || n > 320)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)who[i] <= ' ' || (unsigned char)who[i] >= 0x7f)
			return false;
	return true;
}

/* One "WHO TIME..." line; NULL if malformed. */
static struct us_storm_entry *parse_line(char *line)
{
	char **words = g_strsplit(line, " ", -1);
	struct us_storm_entry *e = NULL;

	if (words[0] == NULL || !us_storm_key_ok(words[0]) || words[1] == NULL)
		goto out;
	e = entry_new(words[0]);
	for (char **w = words + 1; *w; w++) {
		char *end;
		gint64 t;

		errno = 0;
		t = g_ascii_strtoll(*w, &end, 10);
		if (**w == '\0' || *end != '\0' || errno != 0 || t < 0 ||
		    (e->times->len > 0 && t < g_array_index(e->times, gint64, e->times->len - 1)) ||
		    e->times->len > US_STORM_MAX_LIMIT) {
			entry_free(e);
			e = NULL;
			goto out;
		}
		g_array_append_val(e->times, t);
	}
out:
	g_strfreev(words);
	return e;
}

GPtrArray *us_storm_parse(const char *text, size_t len, bool *clean)
{
	GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	size_t hlen = sizeof STORM_HEADER - 1;
	bool ok = true;

	if (len == 0) {
		/* A new file. */
	} else if (len < hlen || memcmp(text, STORM_HEADER, hlen) != 0 ||
		   memchr(text, '\0', len) != NULL) {
		ok = false;
	} else {
		const char *p = text + hlen, *end = text + len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL) {
				ok = false;	/* truncated last line */
				break;
			}
			char *line = g_strndup(p, (size_t)(nl - p));
			struct us_storm_entry *e = parse_line(line);
			g_free(line);
			p = nl + 1;
			if (e == NULL || g_hash_table_contains(seen, e->who) ||
			    entries->len >= US_STORM_MAX_RECIPIENTS) {
				if (e)
					entry_free(e);
				ok = false;
				continue;
			}
			g_hash_table_add(seen, e->who);
			g_ptr_array_add(entries, e);
		}
	}
	g_hash_table_unref(seen);
	if (clean)
		*clean = ok;
	return entries;
}

char *us_storm_format(const GPtrArray *entries, size_t *len)
{
	GString *s = g_string_new(STORM_HEADER);

	for (guint i = 0; i < entries->len; i++) {
		const struct us_storm_entry *e = g_ptr_array_index(entries, i);
		if (e->times->len == 0)
			continue;
		g_string_append(s, e->who);
		for (guint j = 0; j < e->times->len; j++)
			g_string_append_printf(s, " %" G_GINT64_FORMAT, g_array_index(e->times, gint64, j));
		g_string_append_c(s, '\n');
	}
	if (len)
		*len = s->len;
	return g_string_free(s, FALSE);
}

/* Newest time of E, or -1. */
static gint64 newest(const struct us_storm_entry *e)
{
	return e->times->len ? g_array_index(e->times, gint64, e->times->len - 1) : -1;
}

unsigned us_storm_record(GPtrArray *entries, const char *who, gint64 now,
			 unsigned limit, unsigned minutes)
{
	gint64 oldest_kept = now - (gint64)minutes * 60;
	struct us_storm_entry *mine = NULL;

	for (guint i = entries->len; i-- > 0;) {
		struct us_storm_entry *e = g_ptr_array_index(entries, i);
		guint drop = 0;
		while (drop < e->times->len && g_array_index(e->times, gint64, drop) <= oldest_kept)
			drop++;
		if (drop)
			g_array_remove_range(e->times, 0, drop);
		if (strcmp(e->who, who) == 0)
			mine = e;
		else if (e->times->len == 0)
			g_ptr_array_remove_index(entries, i);
	}
	if (mine == NULL) {
		if (entries->len >= US_STORM_MAX_RECIPIENTS) {
			guint victim = 0;
			for (guint i = 1; i < entries->len; i++)
				if (newest(g_ptr_array_index(entries, i)) <
				    newest(g_ptr_array_index(entries, victim)))
					victim = i;
			g_ptr_array_remove_index(entries, victim);
		}
		mine = entry_new(who);
		g_ptr_array_add(entries, mine);
	}
	/* Clocks may step back: keep the times ascending. */
	if (now < newest(mine))
		now = newest(mine);
	g_array_append_val(mine->times, now);
	if (mine->times->len > limit + 1)
		g_array_remove_range(mine->times, 0, mine->times->len - (limit + 1));
	return mine->times->len;
}

/* Take a write lock on FD, polling for at most WAIT_MS. */
static bool lock_file(int fd, unsigned wait_ms)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	gint64 deadline = g_get_monotonic_time() + (gint64)wait_ms * 1000;
	unsigned pause_us = 200;

	for (;;) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return true;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			return false;
		if (g_get_monotonic_time() >= deadline) {
			errno = ETIMEDOUT;
			return false;
		}
		g_usleep(pause_us);
		if (pause_us < 5000)
			pause_us *= 2;
	}
}

static bool read_fd(int fd, GString *out)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			return true;
		g_string_append_len(out, buf, n);
		if (out->len > STORM_MAX_BYTES)
			return true;
	}
}

static bool write_at_start(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, text + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return ftruncate(fd, (off_t)len) == 0;
}

bool us_storm_update(const char *state_dir, const char *who, gint64 now,
		     unsigned limit, unsigned minutes, unsigned wait_ms,
		     unsigned *count, GString *problem, GString *note)
{
	char *path = g_build_filename(state_dir, US_STORM_FILE, NULL);
	GString *text = g_string_new(NULL);
	bool ok = false, clean;
	int fd = -1;

	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_string_printf(problem, "state dir %s: %s", state_dir, g_strerror(errno));
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		g_string_printf(problem, "%s: %s", path, g_strerror(errno));
		goto out;
	}
	if (!lock_file(fd, wait_ms)) {
		g_string_printf(problem, "%s: cannot lock: %s", path, g_strerror(errno));
		goto out;
	}
	if (!read_fd(fd, text)) {
		g_string_printf(problem, "%s: %s", path, g_strerror(errno));
		goto out;
	}
	GPtrArray *entries = us_storm_parse(text->str, text->len, &clean);
	if (!clean)
		g_string_assign(note, "state file was damaged; kept what was readable");
	*count = us_storm_record(entries, who, now, limit, minutes);
	size_t len;
	char *out_text = us_storm_format(entries, &len);
	if (!write_at_start(fd, out_text, len))
		/* The count is still right for this delivery; the file is repaired next time. */
		g_string_printf(note, "%s: could not be rewritten: %s", path, g_strerror(errno));
	g_free(out_text);
	g_ptr_array_unref(entries);
	ok = true;
out:
	if (fd >= 0)
		close(fd);	/* releases the lock */
	g_string_free(text, TRUE);
	g_free(path);
	return ok;
}
