#!/bin/sh
# cli.t - the command line: options, modes, exit codes, failures that must defer.
. "$TOP/tests/lib.sh"
plan 51

S=$TOP/samples
CONF=$S/unscatter.conf
u() { "$UNSCATTER" "$@"; }

# --- options ---------------------------------------------------------------
out=$(u --version); is "$?:$out" "0:unscatter 0.1" "--version"
u --help | grep -q '^usage: unscatter' ; is "$?" 0 "--help prints usage on stdout"
u --help | grep -q '75 temporary failure'; is "$?" 0 "--help lists the exit codes"
u --bogus </dev/null 2>/dev/null; is "$?" 64 "unknown option: exit 64"
u -c "$CONF" extra </dev/null 2>/dev/null; is "$?" 64 "stray argument: exit 64"
u -p -t </dev/null 2>/dev/null; is "$?" 64 "-p and -t together: exit 64"

# --- configuration errors: FILE:LINE, exit 78 -------------------------------
err=$(u -c /nonexistent/u.conf </dev/null 2>&1); st=$?
is "$st" 78 "missing -c file: exit 78"
case $err in /nonexistent/u.conf:*) pass "missing file is named";; *) fail "missing file is named: $err";; esac
printf 'rules %s\nrelay ok.example.com\nrelay 10.0.0.0/99\n' "$RULES" >"$TMP/bad.conf"
err=$(u -c "$TMP/bad.conf" <"$S/ordinary.eml" 2>&1); st=$?
is "$st:$err" "78:$TMP/bad.conf:3: relay '10.0.0.0/99': not a valid IP address or CIDR range" "bad CIDR: FILE:LINE and exit 78"
printf 'rules %s/none\n' "$TMP" >"$TMP/norules.conf"
u -c "$TMP/norules.conf" <"$S/ordinary.eml" 2>/dev/null; is "$?" 78 "missing rules directory: exit 78"
mkdir "$TMP/badrules"
printf 'rule broken\n    kind dsn\n    describe x\n    body =~ /unterminated\n' >"$TMP/badrules/x.rules"
err=$(u -c "$CONF" -R "$TMP/badrules" <"$S/ordinary.eml" 2>&1); st=$?
is "$st" 78 "bad rule file: exit 78"
case $err in "$TMP/badrules/x.rules:4: "*) pass "bad rule named with file and line";; *) fail "bad rule named: $err";; esac
u --lint-rules "$RULES" >/dev/null; is "$?" 0 "--lint-rules on the shipped rules"
u --lint-rules "$TMP/badrules" 2>/dev/null; is "$?" 78 "--lint-rules on a broken file: exit 78"
# TRE 0.8 matches "[[:digit:]]{3}" like "...": lint says so.
mkdir "$TMP/pitfall"
printf 'rule code\n    kind dsn\n    describe x\n    body =~ /status [[:digit:]]{3}/\n' >"$TMP/pitfall/x.rules"
err=$(u --lint-rules "$TMP/pitfall" 2>&1); st=$?
case $st:$err in "78:$TMP/pitfall/x.rules:4: bad regex: a character class under a bound"*) pass "--lint-rules: a class under a bound, FILE:LINE, exit 78";; *) fail "class under a bound: $st:$err";; esac
printf 'rule code\n    kind dsn\n    describe x\n    body =~ /status x{,3}/\n' >"$TMP/pitfall/x.rules"
err=$(u --lint-rules "$TMP/pitfall" 2>&1); st=$?
is "$st:$err" "78:$TMP/pitfall/x.rules:4: bad regex: TRE 0.8 does not read {,n} as {0,n}: write the 0" "--lint-rules: {,n}"

# --- exit-code mode ---------------------------------------------------------
u -c "$CONF" <"$S/backscatter-dsn.eml"; is "$?" 0 "backscatter DSN: exit 0"
u -c "$CONF" <"$S/genuine-bounce.eml"; is "$?" 2 "genuine bounce of our mail: exit 2"
u -c "$CONF" <"$S/ordinary.eml"; is "$?" 1 "ordinary mail: exit 1"
u -c "$CONF" <"$S/qmail-backscatter.eml"; is "$?" 0 "qmail bounce, original not from our relays: exit 0"
u -c "$CONF" <"$S/out-of-office.eml"; is "$?" 0 "auto-reply with unknown provenance defaults to backscatter"
cp "$CONF" "$TMP/genuine.conf"; sed -i "s|^rules .*|rules $RULES|; s/^unknown backscatter/unknown genuine/" "$TMP/genuine.conf"
u -c "$TMP/genuine.conf" <"$S/out-of-office.eml"; is "$?" 3 "with 'unknown genuine' the auto-reply is genuine: exit 3"
u -c "$TMP/genuine.conf" <"$S/backscatter-dsn.eml"; is "$?" 0 "forged evidence beats 'unknown genuine'"
printf 'rules %s\n' "$RULES" >"$TMP/norelay.conf"
is "$(u -c "$TMP/norelay.conf" -t <"$S/genuine-bounce.eml")" "backscatter dsn unknown reason=userunknown action=failed status=5.1.1 code=550" "no relays configured: provenance unknown"
: | u -c "$CONF"; is "$?" 1 "empty input is ordinary mail"

# --- terse mode ---------------------------------------------------------------
is "$(u -c "$CONF" -t <"$S/backscatter-dsn.eml")" "backscatter dsn forged reason=userunknown action=failed status=5.1.1 code=550" "terse: backscatter, with the bounce's fields"
is "$(u -c "$CONF" -t <"$S/genuine-bounce.eml")" "bounce dsn ours reason=userunknown action=failed status=5.1.1 code=550" "terse: genuine bounce"
is "$(u -c "$CONF" -t <"$S/ordinary.eml")" "ordinary none unknown" "terse: ordinary"
is "$(u -c "$CONF" -t <"$S/out-of-office.eml")" "backscatter autoreply unknown" "terse: auto-reply"

# --- passthrough ----------------------------------------------------------------
for f in backscatter-dsn genuine-bounce ordinary; do
	u -c "$CONF" -p <"$S/$f.eml" >"$TMP/out"; st=$?
	sed '/^X-Unscatter-/d' "$TMP/out" | cmp -s - "$S/$f.eml"
	is "$st:$?" "0:0" "passthrough of $f: exit 0, message unchanged but for our fields"
done
u -c "$CONF" -p <"$S/backscatter-dsn.eml" | sed -n '/^$/q;/^X-Unscatter-/p' >"$TMP/hdr"
grep -qx 'X-Unscatter-Class: backscatter' "$TMP/hdr"; is "$?" 0 "class field"
grep -qx 'X-Unscatter-Kind: dsn' "$TMP/hdr"; is "$?" 0 "kind field"
grep -q '^X-Unscatter-Provenance: forged; 1 quoted Received header, none from our relays' "$TMP/hdr"; is "$?" 0 "provenance field with evidence"
grep -q '^X-Unscatter-Rules: .*mime-delivery-status' "$TMP/hdr"; is "$?" 0 "rules field"
grep -q '^X-Unscatter-Recipient: nobody@remote.example.net action=failed status=5.1.1 code=550 reason=userunknown diagnostic=smtp; 550 5.1.1 ' "$TMP/hdr"; is "$?" 0 "failed recipient field"
# Forged incoming verdict fields are removed and do not influence anything.
{ printf 'X-Unscatter-Class: bounce\nX-Unscatter-Kind: dsn\n'; cat "$S/ordinary.eml"; } >"$TMP/forged.eml"
u -c "$CONF" -p <"$TMP/forged.eml" >"$TMP/out"
is "$(grep -c '^X-Unscatter-Class:' "$TMP/out"):$(grep '^X-Unscatter-Class:' "$TMP/out")" \
	"1:X-Unscatter-Class: ordinary" "forged X-Unscatter-Class replaced by ours"
# CRLF and CR-only corpus messages pass through byte for byte.
for v in dos mac; do
	f=$CORPUS/sisimai-set-of-emails/maildir/$v/rfc3834-01.eml
	u -c "$CONF" -p <"$f" >"$TMP/out"; st=$?
	if [ $v = dos ]; then
		sed '/^X-Unscatter-/d' "$TMP/out" | cmp -s - "$f"; same=$?
		grep '^X-Unscatter-Class' "$TMP/out" | grep -q "$(printf '\r')\$"; eol=$?
	else
		tr '\r' '\n' <"$TMP/out" | grep -v '^X-Unscatter-' | cmp -s - "$(tr '\r' '\n' <"$f" >"$TMP/lf"; echo "$TMP/lf")"; same=$?
		[ "$(tr -cd '\n' <"$TMP/out" | wc -c)" -eq "$(tr -cd '\n' <"$f" | wc -c)" ]; eol=$?
	fi
	is "$st:$same:$eol" "0:0:0" "passthrough of a $v-line-ending message is byte-exact, our fields in its line ending"
done
printf 'From alice@example.com Mon Nov 23 10:00:00 2026\n' >"$TMP/from.eml"; cat "$S/ordinary.eml" >>"$TMP/from.eml"
u -c "$CONF" -p <"$TMP/from.eml" | sed '/^X-Unscatter-/d' | cmp -s - "$TMP/from.eml"; is "$?" 0 "leading From line kept"
printf 'Subject: no newline\n\nlast line' >"$TMP/nonl.eml"
u -c "$CONF" -p <"$TMP/nonl.eml" | sed '/^X-Unscatter-/d' | cmp -s - "$TMP/nonl.eml"; is "$?" 0 "missing final newline kept"

# --- failures must defer (75), never claim success ---------------------------
u -c "$CONF" -p <"$S/ordinary.eml" >/dev/full 2>/dev/null; is "$?" 75 "passthrough to /dev/full: exit 75"
u -c "$CONF" -t <"$S/ordinary.eml" >/dev/full 2>/dev/null; is "$?" 75 "terse to /dev/full: exit 75"
u -c "$CONF" -p <"$S/ordinary.eml" >&- 2>/dev/null; is "$?" 75 "passthrough with stdout closed: exit 75"
# A reader that stops reading: EPIPE on a message bigger than the pipe buffer.
{ cat "$S/ordinary.eml"; yes 'filler line of an ordinary message body, long enough' | head -n 20000; } >"$TMP/big.eml"
st=$( { u -c "$CONF" -p <"$TMP/big.eml" 2>/dev/null; echo $? >"$TMP/st"; } | head -c 100 >/dev/null; cat "$TMP/st")
is "$st" 75 "reader goes away (EPIPE): exit 75"
printf 'rules %s\ndeadline 300ms\n' "$RULES" >"$TMP/deadline.conf"
start=$(date +%s)
(sleep 3; cat "$S/ordinary.eml") | { u -c "$TMP/deadline.conf" -p >/dev/null 2>"$TMP/err"; echo $? >"$TMP/st"; date +%s >"$TMP/end"; }
is "$(cat "$TMP/st")" 75 "deadline passes while reading: exit 75"
[ $(( $(cat "$TMP/end") - start )) -lt 3 ]; is "$?" 0 "the deadline cut the run short"
grep -q 'deadline exceeded' "$TMP/err"; is "$?" 0 "deadline reported on stderr"

# --- explain --------------------------------------------------------------------
u -c "$CONF" -e <"$S/backscatter-dsn.eml" 2>"$TMP/explain" >/dev/null
grep -q '^verdict: class backscatter' "$TMP/explain"; is "$?" 0 "--explain states the verdict"
grep -q '^provenance: ' "$TMP/explain"; is "$?" 0 "--explain states provenance evidence"
