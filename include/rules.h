/* rules.h - detection rules: load, prefilter, match.
 *
 * Rules are data (rules/ *.rules, format in man/unscatter-rules.5):
 *
 *   # comment
 *   rule NAME                      start of a rule; NAME unique over all files
 *       kind KIND                  dsn | autoreply | challenge | virus | feedback
 *       describe TEXT              one line, required
 *       score N                    integer, may be negative; default 100
 *       header NAME =~ /RE/FLAGS   some top-level header NAME matches
 *       header NAME !~ /RE/FLAGS   no top-level header NAME matches (also true when absent)
 *       body =~ /RE/FLAGS          the decoded body text (struct us_message.body)
 *       sender =~ /RE/FLAGS        the envelope sender ("" = null sender; false when unknown)
 *       parts =~ /RE/FLAGS         the space-separated list of every part's type/subtype
 *
 * All conditions of a rule must hold for it to fire. FLAGS: i (ignore case),
 * m (^ and $ match at line breaks). RE is a POSIX extended regex (TRE);
 * "\/" stands for "/". Text is UTF-8.
 *
 * Speed: a one-shot run must not compile every regex. Loading only parses
 * the files and extracts from each regex the literal strings one of which
 * any match must contain; evaluation scans each field once for all
 * literals, so only rules whose literals were all found are candidates.
 * For those, a regex that is nothing but literal text and alternation
 * (with flag i) is decided by the scan alone and never compiled, "^$" is
 * decided by looking, a long alternation is split and only the
 * alternatives whose literals occur are compiled (with TRE), and equal
 * regexes on the same field are analysed and matched once. A regex with no
 * usable literal is always a candidate, so rules should contain fixed
 * text. Only --lint-rules (us_ruleset_lint) compiles everything.
 *
 * Ownership: the ruleset owns every rule, string and compiled regex;
 * struct us_hit names point into it. */
#ifndef UNSCATTER_RULES_H
#define UNSCATTER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "explain.h"
#include "message.h"
#include "verdict.h"

/* Sum of scores at which a kind counts as detected. */
#define US_RULE_THRESHOLD 100

struct us_ruleset;

/* A new empty ruleset; free with us_ruleset_free(). */
struct us_ruleset *us_ruleset_new(void);
void us_ruleset_free(struct us_ruleset *rs);

/* Parse TEXT (LEN bytes) and add its rules. FILENAME is used in errors
 * (it is copied). On error, returns false,
 * sets ERROR to "FILENAME:LINE: what is wrong" and adds no rule of TEXT. */
bool us_ruleset_parse(struct us_ruleset *rs, const char *filename,
		      const char *text, size_t len, GError **error);

/* Load every file ending in ".rules" in DIR, in name order. On error,
 * returns false with ERROR as above (or "DIR: reason"). */
bool us_ruleset_load_dir(struct us_ruleset *rs, const char *dir, GError **error);

/* Number of rules loaded. */
size_t us_ruleset_count(const struct us_ruleset *rs);

/* Compile every regex now (for --lint-rules and tests). Appends one
 * "FILE:LINE: message" string per problem to PROBLEMS (a GPtrArray with
 * g_free as free function) and returns how many it appended. */
unsigned us_ruleset_lint(struct us_ruleset *rs, GPtrArray *problems);

/* What in regex RE (valid to TRE) does not do what it says, as a static
 * message, or NULL: a character class under a bound, which TRE 0.8
 * matches as any character, or "{,n}". Linting reports it as a problem. */
const char *us_rules_regex_pitfall(const char *re);

/* Evaluate every rule against MSG and append a struct us_hit to HITS (a
 * GArray of struct us_hit) for each rule that fires, in file order.
 * Regexes are compiled on first use. Returns false and sets ERROR
 * ("FILE:LINE: bad regex: ...") if a regex it needed does not compile. */
bool us_ruleset_evaluate(struct us_ruleset *rs, const struct us_message *msg,
			 GArray *hits, const struct us_explain *ex, GError **error);

/* The reason tables (reasons.h) of DIR, the directory RS was loaded
 * from: read on the first call and kept by RS, which owns them. Returns
 * NULL with ERROR ("FILE:LINE: what") if they do not parse; a directory
 * with no .reasons file gives an empty table. */
struct us_reasons;
struct us_reasons *us_ruleset_reasons(struct us_ruleset *rs, const char *dir, GError **error);

/* The "/RE/FLAGS" syntax every file of a rule directory shares: sets
 * *REGEX (new string, g_free; "\/" turned into "/", other escapes kept for
 * TRE; the first unescaped "/" ends RE) and *CFLAGS (REG_EXTENDED, plus
 * REG_ICASE for i, REG_NEWLINE for m) and returns NULL, or returns a new
 * message saying what is wrong (g_free). */
char *us_rules_parse_regex(const char *spec, char **regex, int *cflags);

/* Every data file of a rule directory (rules, reason tables) is read the
 * same way. us_rules_dir_list: the names of DIR's files ending in SUFFIX,
 * in byte order (a new GPtrArray of g_free'd strings), or NULL with ERROR
 * "DIR: reason" in DOMAIN. us_rules_dir_parse: read each of NAMES in DIR
 * and give its text to PARSE (which reports its own errors), stopping at
 * the first failure; a file that cannot be read is "PATH: reason". */
typedef bool (*us_rules_parse_fn)(void *target, const char *path, const char *text,
				  size_t len, GError **error);
GPtrArray *us_rules_dir_list(const char *dir, const char *suffix, GQuark domain,
			     GError **error);
bool us_rules_dir_parse(const char *dir, const GPtrArray *names, us_rules_parse_fn parse,
			void *target, GQuark domain, GError **error);

/* Description of the rule named NAME, or NULL. Borrowed. */
const char *us_ruleset_describe(const struct us_ruleset *rs, const char *name);

#endif
