/* harvest.h - `unscatter harvest`: build the sent-ids, sent-from and
 * valid-recipients CDB lists (lists.h) from Sent folders and text lists.
 *
 *   unscatter harvest [--ids F.cdb] [--from F.cdb] [--valid F.cdb]
 *                     [--ids-list FILE] [--from-list FILE] [--valid-list FILE]
 *                     [--replace] [-q] [SOURCE...]
 *
 * SOURCE is a Maildir (a folder with cur/ or new/) or an mbox file (a file
 * that is not an mbox counts as one message). From each message: its
 * Message-ID into --ids, its From, Sender and Return-Path addresses into
 * --from. Text lists ("-" = stdin) add one entry per line.
 *
 * Incremental: each output remembers (bookkeeping keys, see lists.h) the
 * Maildir messages and the mbox byte offset it has read, so a rerun reads
 * only what is new; --replace starts every output empty instead. Every
 * output is rewritten atomically (temp file in its folder + rename). */
#ifndef UNSCATTER_HARVEST_H
#define UNSCATTER_HARVEST_H

#include <stddef.h>
#include <glib.h>

/* Call FN with the start and length of each message of an mbox (TEXT, LEN
 * bytes): messages begin at "From " lines at the start or after "\n".
 * Text before the first "From " line is skipped. Returns the count. Pure. */
typedef void (*us_mbox_message_fn)(const char *msg, size_t len, size_t offset, void *data);
unsigned us_harvest_split_mbox(const char *text, size_t len, us_mbox_message_fn fn, void *data);

/* The subcommand; returns an exit status. */
int us_harvest_main(int argc, char **argv);

#endif
