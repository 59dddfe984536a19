/* verdict.h - the vocabulary of a classification: kinds, provenance, classes.
 *
 * All strings returned here are static; nothing to free except what
 * us_verdict_clear() releases. */
#ifndef UNSCATTER_VERDICT_H
#define UNSCATTER_VERDICT_H

#include <stdbool.h>
#include <glib.h>

/* What kind of automated message it is, independent of who caused it. */
enum us_kind {
	US_KIND_NONE = 0,	/* not an automated reply: ordinary mail */
	US_KIND_DSN,		/* delivery status notification / NDR / delay warning */
	US_KIND_AUTOREPLY,	/* out-of-office, RFC 3834 auto-reply */
	US_KIND_CHALLENGE,	/* challenge-response request */
	US_KIND_VIRUS,		/* virus / content-scanner notice */
	US_KIND_FEEDBACK,	/* feedback-loop (ARF) report */
	US_KIND_COUNT
};

/* Whether the automated message answers mail we really sent. */
enum us_provenance {
	US_PROV_UNKNOWN = 0,	/* no evidence either way */
	US_PROV_OURS,		/* evidence that we sent the original */
	US_PROV_FORGED,		/* evidence that we did not */
	US_PROV_COUNT
};

/* The routing decision; the values are the exit codes of exit-code mode. */
enum us_class {
	US_CLASS_BACKSCATTER = 0,	/* automated reply to mail we did not send */
	US_CLASS_ORDINARY = 1,		/* ordinary mail */
	US_CLASS_BOUNCE = 2,		/* genuine bounce of our mail */
	US_CLASS_AUTOREPLY = 3,		/* genuine auto-reply */
	US_CLASS_CHALLENGE = 4,		/* genuine challenge-response */
	US_CLASS_VIRUS = 5,		/* genuine virus notice */
	US_CLASS_FEEDBACK = 6,		/* feedback report */
	US_CLASS_COUNT
};

/* Names as used in rule files, headers and terse output ("dsn", "ours", ...). */
const char *us_kind_name(enum us_kind kind);
const char *us_provenance_name(enum us_provenance prov);
const char *us_class_name(enum us_class klass);
/* Parse a kind name; false if NAME is not one. */
bool us_kind_from_name(const char *name, enum us_kind *kind);

/* One rule or structural detector that fired. Strings are borrowed from the
 * ruleset (or are static) and live as long as it does. */
struct us_hit {
	const char *name;
	enum us_kind kind;
	int score;
};

/* The outcome for one message. Filled by us_classify(); the caller owns
 * the struct and releases its contents with us_verdict_clear(). */
struct us_verdict {
	enum us_kind kind;
	enum us_provenance provenance;
	enum us_class klass;
	GString *provenance_evidence;	/* one line, e.g. "relay soman.example.com in quoted Received" */
	GArray *hits;			/* struct us_hit, in firing order */
	GPtrArray *details;		/* char *, one line per failed recipient (DSN), owned */
	GPtrArray *evidence;		/* char *, one line per piece of provenance evidence
					 * ("batv ours; ..."), owned; see provenance.h */
	GPtrArray *bounce;		/* struct us_bounce_recipient * (bounce.h), owned, kind dsn only */
};

void us_verdict_init(struct us_verdict *v);
void us_verdict_clear(struct us_verdict *v);

#endif
