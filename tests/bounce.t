#!/bin/sh
# bounce.t - bounce details on real corpus messages: recipient, status codes,
# diagnostic, action and reason, in passthrough headers, --terse and --explain.
. "$TOP/tests/lib.sh"
plan 29

B=$CORPUS/sisimai-set-of-emails/maildir/bsd
CONF=$(make_config)
u() { "$UNSCATTER" -c "$CONF" "$@"; }
# Our header fields of a passthrough run on $1.
fields() { u -p <"$1" | sed -n '/^$/q;/^X-Unscatter-/p'; }

# --- a Postfix RFC 3464 bounce ------------------------------------------------
fields "$B/lhost-postfix-04.eml" >"$TMP/h"
grep -qx 'X-Unscatter-Reason: userunknown' "$TMP/h"; is "$?" 0 "Postfix DSN: reason field"
grep -qx 'X-Unscatter-Recipient: kijitora@example.co.jp action=failed status=5.1.1 code=550 reason=userunknown diagnostic=smtp; 550 5.1.1 Address rejected kijitora@example.co.jp' "$TMP/h"
is "$?" 0 "Postfix DSN: recipient, codes, reason and diagnostic from the RFC 3464 fields"
is "$(u -t <"$B/lhost-postfix-04.eml" | cut -d' ' -f2,4-)" "dsn reason=userunknown action=failed status=5.1.1 code=550" "Postfix DSN: terse fields after the three words"
# Postfix's own diagnostic type (X-Postfix) and no basic code
fields "$B/lhost-postfix-06.eml" | grep -q '^X-Unscatter-Recipient: kijitora@neko.example.jp action=failed status=5.4.4 reason=hostunknown diagnostic=X-Postfix; Host or domain name not found'
is "$?" 0 "Postfix DSN: unknown domain, no basic code"

# --- a qmail text bounce (no delivery-status part) ----------------------------
fields "$B/lhost-qmail-01.eml" >"$TMP/h"
grep -q '^X-Unscatter-Recipient: kijitora@example.ne.jp action=failed status=5.5.0 code=550 reason=userunknown diagnostic=<kijitora@example.ne.jp>: Sorry, no SMTP connection got far enough' "$TMP/h"
is "$?" 0 "qmail: recipient, '#5.5.0' and '550' found in the text"
is "$(grep -c '^X-Unscatter-Recipient:' "$TMP/h")" 1 "qmail: one recipient (the original's sender is not one)"

# --- Exim text bounce: the indented address, the remote reply ----------------
fields "$B/lhost-exim-01.eml" | grep -q '^X-Unscatter-Recipient: kijitora@example.ed.jp action=failed status=5.7.0 code=550 reason=[a-z]* diagnostic=kijitora@example.ed.jp SMTP error from remote mail server after MAIL FROM:'
is "$?" 0 "Exim: indented recipient and its SMTP error lines"

# --- an Exchange 2003 NDR -------------------------------------------------------
fields "$B/lhost-exchange2003-01.eml" >"$TMP/h"
grep -q '^X-Unscatter-Recipient: kijitora@example.jp action=failed reason=userunknown diagnostic=kijitora@example.jp on Thu, 29 Apr 2010 00:00:00 -0000 The recipient name is not recognized' "$TMP/h"
is "$?" 0 "Exchange: 'ADDRESS on DATE' recipient and its reason"

# --- delay warnings keep action delayed ---------------------------------------
fields "$B/rfc3464-09.eml" >"$TMP/h"
grep -q '^X-Unscatter-Recipient: kijitora-cat@mx4.gr3.example.jp action=delayed status=4.3.0 reason=mailboxfull diagnostic=x-unix; Quota exceeded' "$TMP/h"
is "$?" 0 "RFC 3464 delay warning: action delayed, reason from the diagnostic"
is "$(u -t <"$B/rfc3464-09.eml" | cut -d' ' -f2,4,5)" "dsn reason=mailboxfull action=delayed" "delay warning: terse action=delayed"
u -t <"$B/rfc3464-34.eml" | grep -q ' action=delayed'; is "$?" 0 "another delay warning (no status code): action delayed"

# --- several recipients -------------------------------------------------------
nr=$(fields "$B/lhost-postfix-02.eml" | grep -c "^X-Unscatter-Recipient:")
is "$nr" 2 "two failed recipients, two fields"
u -t <"$B/lhost-postfix-02.eml" | grep -q ' recipients=2$'; is "$?" 0 "terse: recipients=2"

# --- not a bounce: no details ---------------------------------------------------
fields "$TOP/samples/ordinary.eml" | grep -c '^X-Unscatter-\(Reason\|Recipient\)' >"$TMP/n"
is "$(cat "$TMP/n")" 0 "ordinary mail: no bounce fields"
is "$(u -t <"$TOP/samples/out-of-office.eml")" "backscatter autoreply unknown" "auto-reply: the terse line stays three words"

# --- --explain ------------------------------------------------------------------
u -e -t <"$B/lhost-qmail-01.eml" 2>"$TMP/e" >/dev/null
grep -q '^bounce: kijitora@example.ne.jp action=failed status=5.5.0 code=550 reason=userunknown .*(from the body text, reason from .*bounce.reasons:[0-9][0-9]*)$' "$TMP/e"
is "$?" 0 "--explain: recipient, reason and the table line that decided it"
u -e -t <"$B/lhost-postfix-04.eml" 2>&1 >/dev/null | grep -q '^bounce: .*(from the delivery-status fields, reason from '
is "$?" 0 "--explain: DSN recipients say where they come from"

# --- the reason table: errors and its absence ----------------------------------
mkdir "$TMP/r"
cp "$RULES"/*.rules "$TMP/r/"
printf 'reason userunknown no such user\ntext userunknown /no such user/i\ntext nosuch /x/\n' >"$TMP/r/bad.reasons"
err=$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml" 2>&1); st=$?
is "$st:$err" "78:$TMP/r/bad.reasons:3: unknown reason 'nosuch' (declare it with a reason line first)" "bad reason table: FILE:LINE, exit 78"
u -R "$TMP/r" -t <"$TOP/samples/ordinary.eml" >/dev/null 2>&1; is "$?" 0 "ordinary mail never reads the reason table"
err=$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml" 2>&1); st=$?
is "$st:$err" "78:$TMP/r/bad.reasons:3: unknown reason 'nosuch' (declare it with a reason line first)" "bad reason table, rule cache in place: still FILE:LINE, exit 78"
u --lint-rules "$TMP/r" 2>"$TMP/e" >/dev/null; st=$?
is "$st:$(cat "$TMP/e")" "78:$TMP/r/bad.reasons:3: unknown reason 'nosuch' (declare it with a reason line first)" "--lint-rules checks the reason table"
printf 'reason userunknown no such user\ntext userunknown /no such (user/i\n' >"$TMP/r/bad.reasons"
u --lint-rules "$TMP/r" 2>"$TMP/e" >/dev/null; st=$?
is "$st:$(cat "$TMP/e")" "78:$TMP/r/bad.reasons:2: bad regex: unbalanced ( (missing ))" "--lint-rules: bad regex in the reason table"
printf 'reason userunknown no such user\ntext userunknown /no such user[/i\n' >"$TMP/r/bad.reasons"
u --lint-rules "$TMP/r" 2>"$TMP/e" >/dev/null; st=$?
case $st:$(cat "$TMP/e") in "78:$TMP/r/bad.reasons:2: "*) pass "--lint-rules: regex error of the table by FILE:LINE";; *) fail "--lint-rules table regex: $st $(cat "$TMP/e")";; esac
rm "$TMP/r/bad.reasons"
is "$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml")" "backscatter dsn unknown reason=undefined action=failed status=5.5.0 code=550" "no reason table: reason undefined, codes still found"
u --lint-rules "$RULES" >/dev/null; is "$?" 0 "--lint-rules: the shipped reason table is valid"
# The rule cache holds the reason table too: rebuilt when it changes.
printf 'reason filtered f\ntext filtered /user/i\n' >"$TMP/r/t.reasons"
is "$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml" | cut -d' ' -f4)" "reason=filtered" "a new reason table is read"
is "$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml" | cut -d' ' -f4)" "reason=filtered" "... and from the cache"
printf 'reason blocked b\ntext blocked /user/i\n' >"$TMP/r/t.reasons"
is "$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml" | cut -d' ' -f4)" "reason=blocked" "an edited reason table makes the cache stale"
printf 'garbage' >"$TMP/r/.unscatter-rules.cache"
is "$(u -R "$TMP/r" -t <"$B/lhost-qmail-01.eml" | cut -d' ' -f4)" "reason=blocked" "a garbage cache: the table is read from its file"
