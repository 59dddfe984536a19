/* lists.h - the lists of what we sent and who we are, as tinycdb files.
 *
 * Three lists, each a CDB whose keys are the entries (values unused, ""):
 *   sent-ids          Message-IDs we sent, without angle brackets, as written;
 *   sent-from         addresses we send from, lower case, without BATV tags;
 *   valid-recipients  our valid recipients: "local@domain" or a bare "local"
 *                     (valid in every domain of ours), lower case.
 * Keys starting with "\001" are bookkeeping of `unscatter harvest` (what it
 * has already read) and never match an entry.
 *
 * Files are opened once (mmap by tinycdb) and replaced only atomically
 * (us_list_write: temp file in the same folder, fsync, rename), so a
 * running delivery keeps reading the old version.
 *
 * Ownership: struct us_list owns its file descriptor and mapping. */
#ifndef UNSCATTER_LISTS_H
#define UNSCATTER_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* Bookkeeping keys start with this byte. */
#define US_LIST_META '\001'

struct us_list;

/* Open the CDB at PATH. NULL with ERROR "PATH: reason" if it cannot be
 * read or is not a CDB. */
struct us_list *us_list_open(const char *path, GError **error);
void us_list_free(struct us_list *list);
const char *us_list_path(const struct us_list *list);
/* Number of entries (bookkeeping keys not counted). Reads the whole file:
 * not for the delivery path, where opening and looking up stay O(1). */
unsigned us_list_count(const struct us_list *list);

/* Is KEY (LEN bytes) an entry? */
bool us_list_contains(const struct us_list *list, const char *key, size_t len);

/* All keys and values of the CDB at PATH into TABLE (char * -> char *,
 * g_free both). A missing file is an empty list. */
bool us_list_read_all(const char *path, GHashTable *table, GError **error);

/* Write TABLE (char * -> char *) as a CDB to PATH atomically: a temporary
 * file in the same folder, fsync, rename over PATH. */
bool us_list_write(const char *path, GHashTable *table, GError **error);

/* Called for each entry of a text list. */
typedef void (*us_list_entry_fn)(const char *entry, size_t len, void *data);

/* Parse a text list (TEXT, LEN bytes, any content): one entry per line,
 * surrounding white space and CR removed, empty lines and lines starting
 * with "#" skipped, lines with a NUL or bytes below 0x20 inside skipped.
 * Calls FN per entry; returns the number of entries. Pure. */
unsigned us_list_parse_text(const char *text, size_t len, us_list_entry_fn fn, void *data);

/* Every "<id>" in a Message-ID / In-Reply-To / References value (VALUE,
 * LEN bytes, any content), without the brackets, appended to OUT
 * (g_free'd strings). A value without brackets counts as one id when it is
 * a single token containing "@". Returns how many were appended. Pure. */
unsigned us_list_msgids(const char *value, size_t len, GPtrArray *out);

/* The key for an address: lower case, without BATV tag and angle brackets;
 * NULL if ADDRESS is not local@domain. g_free. */
char *us_list_address_key(const char *address);

#endif
