/* scan.h - `unscatter scan`: batch classification of Maildirs, mbox files
 * and message files (man page: unscatter(1), section SCAN).
 *
 * The walk (walk.h) lists the messages first; then worker threads, one
 * ruleset each (a ruleset caches compiled regexes and is not shared),
 * classify them through us_classify(), the same path as one-shot mode.
 * The main thread alone prints, refiles and splits, in the order of the
 * list, and watches the clock: a message that takes longer than the
 * per-message cap is reported and left where it is, and a fresh worker
 * takes over. SIGINT, SIGTERM and SIGHUP are only noted by the main
 * thread (workers block them) and looked at between two messages, so an
 * interrupted refile leaves every message in exactly one place. */
#ifndef UNSCATTER_SCAN_H
#define UNSCATTER_SCAN_H

/* The subcommand: ARGV[0] is "scan". Returns the exit status: 0 when
 * every message was classified (and moved or copied as asked), 74 when
 * some could not be read, classified in time, moved or copied (each was
 * reported on stderr), 64 usage, 78 configuration, 130 interrupted. */
int us_scan_main(int argc, char **argv);

#endif
