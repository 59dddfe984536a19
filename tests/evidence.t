#!/bin/sh
# evidence.t - provenance beyond relays from the command line: BATV with
# batv-sign, harvest of Sent folders and MTA logs into CDB lists, recipient
# validation, bounce storms (50 deliveries at once, damaged state files),
# the X-Unscatter-Evidence fields and the config errors of the new keys.
. "$TOP/tests/lib.sh"
plan 49

S=$TOP/samples
u() { "$UNSCATTER" "$@"; }
unset RECIPIENT ORIGINAL_RECIPIENT ORIG_RECIPIENT

base() {
	printf 'rules %s\nrelay mail.example.com 192.0.2.0/24\ndomain example.com\n' "$RULES"
}

# --- BATV -------------------------------------------------------------------
{ base; printf 'batv-key 1 first-secret-key\nbatv-key 2 second-secret\nbatv-days 7\n'; } >"$TMP/batv.conf"
tag=$(u batv-sign -c "$TMP/batv.conf" alice@example.com 2>"$TMP/err"); st=$?
case $tag in prvs=2[0-9][0-9][0-9][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]=alice@example.com) ok=0;; *) ok=1;; esac
is "$st:$ok" "0:0" "batv-sign prints a prvs address signed with the last key"
grep -q 'a bounce to it now: valid' "$TMP/err"; is "$?" 0 "batv-sign says the tag verifies now"
old=$(u batv-sign -c "$TMP/batv.conf" -k 1 alice@example.com 2>/dev/null)
case $old in prvs=1*) pass "-k picks the key";; *) fail "-k picks the key: $old";; esac
u batv-sign -c "$TMP/batv.conf" -k 5 alice@example.com 2>/dev/null; is "$?" 78 "batv-sign with a key not configured: 78"
u batv-sign -c "$TMP/batv.conf" not-an-address 2>/dev/null; is "$?" 64 "batv-sign of a non-address: 64"
u batv-sign --help | grep -q '^usage: unscatter batv-sign'; is "$?" 0 "batv-sign --help"

# The DSN sample quotes a spam (foreign relays); the OOO sample quotes nothing.
is "$(u -c "$TMP/batv.conf" -t -r "$tag" <"$S/out-of-office.eml")" "autoreply autoreply ours" \
	"auto-reply to a validly tagged -r recipient: ours"
is "$(u -c "$TMP/batv.conf" -t -r "$old" <"$S/out-of-office.eml")" "autoreply autoreply ours" \
	"the previous key still verifies (rotation)"
is "$(RECIPIENT=$tag u -c "$TMP/batv.conf" -t <"$S/out-of-office.eml")" "autoreply autoreply ours" \
	"recipient from \$RECIPIENT (Dovecot, Postfix)"
is "$(ORIGINAL_RECIPIENT=$tag u -c "$TMP/batv.conf" -t <"$S/out-of-office.eml")" "autoreply autoreply ours" \
	"recipient from \$ORIGINAL_RECIPIENT (Postfix local)"
{ printf 'Delivered-To: %s\n' "$tag"; cat "$S/out-of-office.eml"; } >"$TMP/dt.eml"
is "$(u -c "$TMP/batv.conf" -t <"$TMP/dt.eml")" "autoreply autoreply ours" "recipient from Delivered-To"
# The same tag with one hex digit of its hash changed.
bad=$(printf '%s' "$tag" | awk '{ c = substr($0, 10, 1); r = (c == "0") ? "1" : "0"; print substr($0, 1, 9) r substr($0, 11) }')
is "$(u -c "$TMP/batv.conf" -t -r "$bad" <"$S/out-of-office.eml")" "backscatter autoreply forged" \
	"auto-reply to a badly tagged recipient: forged"
is "$(u -c "$TMP/batv.conf" -t -r "$tag" <"$S/backscatter-dsn.eml" | cut -d" " -f1-3)" "backscatter dsn forged" \
	"valid tag, but the quoted original came through foreign relays: forged"
u -c "$TMP/batv.conf" -p -r "$tag" <"$S/backscatter-dsn.eml" | sed -n '/^$/q;/^X-Unscatter-/p' >"$TMP/hdr"
grep -q '^X-Unscatter-Evidence: relays forged; 1 quoted Received header' "$TMP/hdr"; is "$?" 0 "relay evidence field"
grep -q '^X-Unscatter-Evidence: batv ours; prvs tag of prvs=.* (-r) is valid' "$TMP/hdr"; is "$?" 0 "BATV evidence field"
u -c "$TMP/batv.conf" -e -r "$tag" <"$S/backscatter-dsn.eml" 2>"$TMP/explain" >/dev/null
grep -q '^provenance: batv: ours: ' "$TMP/explain"; is "$?" 0 "--explain shows the BATV piece"
grep -q '^provenance: forged, decided by relays' "$TMP/explain"; is "$?" 0 "--explain names the deciding piece"
{ cat "$TMP/batv.conf"; echo 'batv-domain example.com'; } >"$TMP/batvdom.conf"
is "$(u -c "$TMP/batvdom.conf" -t -r alice@example.com <"$S/out-of-office.eml")" "backscatter autoreply forged" \
	"untagged recipient in a batv-domain: forged"

# --- harvest: Sent folders and logs into CDBs ---------------------------------
mkdir -p "$TMP/Sent/cur" "$TMP/Sent/new" "$TMP/Sent/tmp"
sent() { # sent FILE FROM MESSAGE-ID
	printf 'From: Alice <%s>\nTo: bob@partner.example.net\nSubject: x\nMessage-ID: <%s>\n\nhello\n' "$2" "$3" >"$1"
}
sent "$TMP/Sent/cur/1700000000.1.host:2,S" alice@example.com 20261123.meeting@example.com
sent "$TMP/Sent/new/1700000001.2.host" "Carol@Example.com" carol.1@example.com
u harvest --ids "$TMP/ids.cdb" --from "$TMP/from.cdb" "$TMP/Sent" 2>"$TMP/err"; st=$?
is "$st" 0 "harvest of a Maildir"
grep -q 'ids.cdb: 2 entries, 2 new' "$TMP/err"; is "$?" 0 "two Message-IDs"
grep -q 'from.cdb: 2 entries, 2 new' "$TMP/err"; is "$?" 0 "two sender addresses"
u harvest --ids "$TMP/ids.cdb" --from "$TMP/from.cdb" "$TMP/Sent" 2>"$TMP/err"
grep -q '0 messages read' "$TMP/err"; is "$?" 0 "second run reads nothing again (incremental)"
mv "$TMP/Sent/cur/1700000000.1.host:2,S" "$TMP/Sent/cur/1700000000.1.host:2,RS"
sent "$TMP/Sent/new/1700000002.3.host" alice@example.com third@example.com
ino1=$(stat -c %i "$TMP/ids.cdb")
u harvest --ids "$TMP/ids.cdb" --from "$TMP/from.cdb" "$TMP/Sent" 2>"$TMP/err"
grep -q '1 messages read' "$TMP/err"; is "$?" 0 "only the new message is read; a flag change is not new"
grep -q 'ids.cdb: 3 entries, 1 new' "$TMP/err"; is "$?" 0 "its id added"
[ "$(stat -c %i "$TMP/ids.cdb")" != "$ino1" ] && [ -z "$(ls -A "$TMP" | grep '^\.ids\.cdb\.')" ]
is "$?" 0 "the CDB was replaced by rename, no temporary file left"
# mbox, incremental by offset
sent "$TMP/m1" bob@example.com mbox.1@example.com
{ echo 'From alice@example.com Mon Nov 23 10:00:00 2026'; cat "$TMP/m1"; echo; } >"$TMP/Sent.mbox"
u harvest --ids "$TMP/ids.cdb" "$TMP/Sent.mbox" 2>"$TMP/err"
grep -q '1 messages read' "$TMP/err"; is "$?" 0 "mbox: one message"
sent "$TMP/m2" bob@example.com mbox.2@example.com
{ echo 'From alice@example.com Mon Nov 23 11:00:00 2026'; cat "$TMP/m2"; } >>"$TMP/Sent.mbox"
u harvest --ids "$TMP/ids.cdb" "$TMP/Sent.mbox" 2>"$TMP/err"
grep -q '1 messages read' "$TMP/err" && grep -q 'ids.cdb: 5 entries, 1 new' "$TMP/err"
is "$?" 0 "mbox: only the appended message is read"
# A Message-ID list, as the log pipelines of unscatter(1) make one
# (tests/log-recipes.t runs those).
printf '<log.1@example.com>\n' | u harvest --ids "$TMP/ids.cdb" --ids-list - 2>"$TMP/err"
grep -q 'ids.cdb: 6 entries, 1 new' "$TMP/err"; is "$?" 0 "Message-ID list from stdin added to sent-ids"
printf 'Dora@example.com\n' >"$TMP/from.list"
u harvest --from "$TMP/from.cdb" --from-list "$TMP/from.list" 2>"$TMP/err"
grep -q 'from.cdb: 3 entries, 1 new' "$TMP/err"; is "$?" 0 "sender list added to sent-from"
u harvest --help | grep -q '^usage: unscatter harvest'; is "$?" 0 "harvest --help"
u harvest "$TMP/Sent" 2>/dev/null; is "$?" 64 "harvest without an output: 64"
u harvest --ids "$TMP/ids.cdb" "$TMP/nonexistent" 2>/dev/null; is "$?" 66 "harvest of a missing source: 66"
printf 'garbage' >"$TMP/junk.cdb"
u harvest --ids "$TMP/junk.cdb" "$TMP/Sent" 2>/dev/null; is "$?" 65 "harvest into a file that is not a CDB: 65"

printf 'alice\npostmaster\nbob@example.com\n' | u harvest --valid "$TMP/valid.cdb" --valid-list - --replace 2>/dev/null
{ base; printf 'sent-ids %s\nsent-from %s\nvalid-recipients %s\nunlikely-localparts %s/unlikely-localparts\n' \
	"$TMP/ids.cdb" "$TMP/from.cdb" "$TMP/valid.cdb" "$RULES"; } >"$TMP/lists.conf"
is "$(u -c "$TMP/lists.conf" -t -r alice@example.com <"$S/out-of-office.eml")" "autoreply autoreply ours" \
	"auto-reply In-Reply-To a harvested Message-ID: ours"
is "$(u -c "$TMP/lists.conf" -t -r mallory@example.com <"$S/backscatter-dsn.eml" | cut -d" " -f1-3)" "backscatter dsn forged" \
	"bounce to a recipient that is not valid: forged"
sed 's/^In-Reply-To:.*/In-Reply-To: <unknown@example.com>/' "$S/out-of-office.eml" >"$TMP/ooo2.eml"
is "$(u -c "$TMP/lists.conf" -t -r alice@example.com <"$TMP/ooo2.eml")" "backscatter autoreply unknown" \
	"valid recipient we send from, id unknown: no evidence"
is "$(u -c "$TMP/lists.conf" -t -r bob@example.com <"$TMP/ooo2.eml")" "backscatter autoreply forged" \
	"valid recipient we never sent from: forged"
u -c "$TMP/lists.conf" -p -r info2@example.com <"$TMP/ooo2.eml" >"$TMP/out"
grep -q '^X-Unscatter-Evidence: localpart forged; .*ends-in-digits' "$TMP/out"
is "$?" 0 "unlikely local part: evidence field names the pattern"

# --- config errors of the new keys: FILE:LINE, exit 78 -------------------------
cerr() { # cerr 'config line' 'expected message start' 'what'
	{ base; printf '%s\n' "$1"; } >"$TMP/e.conf"
	err=$(u -c "$TMP/e.conf" <"$S/ordinary.eml" 2>&1); st=$?
	case "$st:$err" in "78:$TMP/e.conf:4: $2"*) pass "$3";; *) fail "$3: $st $err";; esac
}
cerr "sent-ids $TMP/missing.cdb" "sent-ids: $TMP/missing.cdb: No such file" "unreadable CDB named in the config: 78 at start-up"
cerr "valid-recipients $TMP/junk.cdb" "valid-recipients: $TMP/junk.cdb: not a CDB" "a file that is not a CDB: 78"
cerr "batv-key 12 secretsecret" "batv-key '12': the key number must be one digit" "bad BATV key number"
cerr "storm 20" "'storm' takes a count" "storm needs two numbers"
printf 'x [z-a]\n' >"$TMP/badpat"
cerr "unlikely-localparts $TMP/badpat" "unlikely-localparts: $TMP/badpat:1: pattern 'x': bad regex" "bad pattern file: its own FILE:LINE too"

# --- bounce storms ---------------------------------------------------------------
{ base; printf 'unknown genuine\nstorm 20 10\nstate-dir %s/state\n' "$TMP"; } >"$TMP/storm.conf"
i=0
while [ $i -lt 50 ]; do
	u -c "$TMP/storm.conf" -t -r carol@example.com <"$S/out-of-office.eml" >"$TMP/storm.$i" &
	i=$((i + 1))
done
wait
cat "$TMP"/storm.[0-9]* >"$TMP/storm.all"
is "$(grep -c '^autoreply autoreply unknown$' "$TMP/storm.all"):$(grep -c '^backscatter autoreply forged$' "$TMP/storm.all")" \
	"20:30" "50 deliveries at once: the first 20 pass, the other 30 are a storm"
{ base; printf 'storm 100 10\nstate-dir %s/state2\n' "$TMP"; } >"$TMP/storm2.conf"
i=0
while [ $i -lt 50 ]; do
	u -c "$TMP/storm2.conf" -r dave@example.com <"$S/out-of-office.eml" &
	i=$((i + 1))
done
wait
is "$(grep '^dave@example.com ' "$TMP/state2/storm" | wc -w)" 51 "no count lost: 50 times recorded"
head -c 200 /dev/urandom >"$TMP/state/storm"
u -c "$TMP/storm.conf" -p -r erin@example.com <"$S/out-of-office.eml" >"$TMP/out"; st=$?
sed '/^X-Unscatter-/d' "$TMP/out" | cmp -s - "$S/out-of-office.eml"
is "$st:$?" "0:0" "corrupt state file: delivery unharmed"
head -n 1 "$TMP/state/storm" | grep -qx 'unscatter-storm 1'; is "$?" 0 "and the state file is rewritten"
printf 'unscatter-storm 1\ncarol@example.com 1 2 3' >"$TMP/state/storm"
is "$(u -c "$TMP/storm.conf" -t -r carol@example.com <"$S/out-of-office.eml")" "autoreply autoreply unknown" \
	"truncated state file: recovers, counts afresh"
rm -rf "$TMP/state"; printf 'a file' >"$TMP/state"
u -c "$TMP/storm.conf" -p -r carol@example.com <"$S/out-of-office.eml" >"$TMP/out"; st=$?
grep -q '^X-Unscatter-Evidence: storm none; state not available' "$TMP/out"
is "$st:$?" "0:0" "state dir unusable: delivery still exit 0, the problem is in the evidence"
