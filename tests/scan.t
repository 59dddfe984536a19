#!/bin/sh
# scan.t - `unscatter scan` over real Maildirs and mbox files built here:
# output formats, odd names, unreadable entries, empty folders, mbox
# framing, --refile (and --dry-run, interruption), --split, the time cap.
. "$TOP/tests/lib.sh"
plan 68

S=$TOP/samples
CONF=$S/unscatter.conf
u() { "$UNSCATTER" "$@"; }
scan() { "$UNSCATTER" scan -c "$CONF" "$@"; }
TAB=$(printf '\t')
# one-shot verdict "CLASS<TAB>KIND<TAB>PROVENANCE" of a file
# The first three words of the terse line; bounce details follow them.
oneshot() { u -c "$CONF" -t <"$1" | cut -d" " -f1-3 | tr " " "\t"; }
# field 2-4 of the TSV line whose path is $2, from file $1
# (ENVIRON, not awk -v, which would expand the backslashes of odd names)
verdict_of() { P=$2 awk -F '\t' '$1 == ENVIRON["P"] { print $2 "\t" $3 "\t" $4 }' "$1"; }
# field $3 of that line
field_of() { P=$2 awk -F '\t' -v f="$3" '$1 == ENVIRON["P"] { print $f }' "$1"; }
# every regular file under $1, as "folder/sub/name" relative to it, sorted
files_under() { (cd "$1" && find . -type f ! -name maildirfolder | sort); }

# --- options -----------------------------------------------------------------
u scan --help | grep -q '^usage: unscatter scan'; is "$?" 0 "scan --help"
u scan 2>/dev/null; is "$?" 64 "no PATH: exit 64"
u scan -n "$S" 2>/dev/null; is "$?" 64 "--dry-run without --refile or --split: exit 64"
u scan --folder bogus=.X "$S" 2>/dev/null; is "$?" 64 "--folder with an unknown class: exit 64"
u scan --folder backscatter=Junk "$S" 2>/dev/null; is "$?" 64 "--folder name without a leading dot: exit 64"
u scan --refile --split "$TMP/x" "$S" 2>/dev/null; is "$?" 64 "--refile and --split together: exit 64"
u scan -c /nonexistent/u.conf "$S" 2>/dev/null; is "$?" 78 "missing config: exit 78"

# --- a Maildir with odd names, a sub-folder, an empty folder, bad entries ------
M=$TMP/Maildir
mkdir -p "$M/cur" "$M/new" "$M/tmp" "$M/.Sub/cur" "$M/.Sub/new" "$M/.Sub/tmp" \
	"$M/.Empty/cur" "$M/.Empty/new" "$M/.Empty/tmp"
: >"$M/.Sub/maildirfolder"
: >"$M/.Empty/maildirfolder"
cp "$S/backscatter-dsn.eml" "$M/new/1700000001.M1P1.host"
cp "$S/genuine-bounce.eml" "$M/cur/1700000002.M2P2.host:2,S"
cp "$S/ordinary.eml" "$M/cur/odd name$TAB\\with tab:2,RS"
cp "$S/out-of-office.eml" "$M/cur/1700000004.M4P4.host,S=1234:2,"
cp "$S/qmail-backscatter.eml" "$M/.Sub/cur/1700000005.M5P5.host:2,S"
ln -s "$TMP/nowhere" "$M/cur/1700000006.dangling:2,"
mkdir "$M/new/1700000007.a-directory"
ODD="$M/cur/odd name\\t\\\\with tab:2,RS"    # as TSV writes it

scan "$M" >"$TMP/out" 2>"$TMP/err"; st=$?
is "$st" 74 "unreadable entries: exit 74, not fatal"
is "$(wc -l <"$TMP/out" | tr -d ' ')" 4 "the four readable messages of cur/ and new/ (no -R: no sub-folder)"
grep -q "1700000006.dangling:2,: No such file or directory" "$TMP/err"; is "$?" 0 "dangling symlink reported"
grep -q "1700000007.a-directory: Is a directory" "$TMP/err"; is "$?" 0 "directory where a message should be reported"
grep -q "2 unreadable" "$TMP/err"; is "$?" 0 "summary counts the unreadable ones"
grep -q "^4 messages in .* messages/s with [0-9]* thread" "$TMP/err"; is "$?" 0 "summary line with the rate"
grep -q "ETA" "$TMP/err"; is "$?" 1 "no progress line when stderr is not a terminal"
# With stderr on a terminal (script(1) from bsdutils gives one), a line of
# count, rate and ETA; stdout keeps only the verdicts.
if script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	CONF=$CONF M=$M UNSCATTER=$UNSCATTER script -qec '"$UNSCATTER" scan -c "$CONF" "$M" >/dev/null' /dev/null </dev/null |
		tr '\r' '\n' >"$TMP/tty"
	grep -q '[0-9][0-9]*/[0-9][0-9]* messages, [0-9][0-9]*/s, ETA [0-9][0-9]* s' "$TMP/tty"
	is "$?" 0 "progress line (count/total, rate, ETA) when stderr is a terminal"
else
	n=$((n + 1)); echo "ok $n # skip script(1) cannot open a pseudo-terminal here"
fi
is "$(verdict_of "$TMP/out" "$M/new/1700000001.M1P1.host")" "$(oneshot "$S/backscatter-dsn.eml")" "backscatter DSN: same verdict as one-shot"
is "$(verdict_of "$TMP/out" "$M/cur/1700000002.M2P2.host:2,S")" "$(oneshot "$S/genuine-bounce.eml")" "genuine bounce: same verdict as one-shot"
is "$(verdict_of "$TMP/out" "$ODD")" "$(oneshot "$S/ordinary.eml")" "odd name with tab and backslash: escaped in TSV, same verdict"
is "$(verdict_of "$TMP/out" "$M/cur/1700000004.M4P4.host,S=1234:2,")" "$(oneshot "$S/out-of-office.eml")" "auto-reply: same verdict as one-shot"
is "$(field_of "$TMP/out" "$M/new/1700000001.M1P1.host" 5)" "mime-delivery-status" "first rule of the verdict"
is "$(field_of "$TMP/out" "$ODD" 5)|$(P=$ODD awk -F '\t' '$1 == ENVIRON["P"] { print NF }' "$TMP/out")" "-|5" "ordinary mail: rule '-', five fields"

scan -R "$M" >"$TMP/out" 2>/dev/null
is "$(wc -l <"$TMP/out" | tr -d ' ')" 5 "-R adds the Maildir++ sub-folder"
is "$(verdict_of "$TMP/out" "$M/.Sub/cur/1700000005.M5P5.host:2,S")" "$(oneshot "$S/qmail-backscatter.eml")" "sub-folder message: same verdict"
out=$(scan "$M/.Empty" 2>"$TMP/err"); st=$?
is "$st:$out" "0:" "empty Maildir: exit 0, no lines"
grep -q "^0 messages" "$TMP/err"; is "$?" 0 "empty Maildir: summary says 0 messages"
scan -j 1 -R "$M" 2>/dev/null | cmp -s - "$TMP/out"; is "$?" 0 "one thread gives the same output, in the same order"

# A file without read permission. Root reads it anyway, so as root the scan
# runs as nobody (setpriv), on a copy of the Maildir that nobody may read.
P=$TMP/perm
mkdir -p "$P/Maildir/cur" "$P/Maildir/new"
cp "$S/ordinary.eml" "$P/Maildir/cur/1.ok:2,"
cp "$S/backscatter-dsn.eml" "$P/Maildir/cur/2.locked:2,"
chmod 000 "$P/Maildir/cur/2.locked:2,"
as_user=
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	# The checkout may be closed to nobody: binary, rules and config go along.
	cp "$UNSCATTER" "$P/unscatter" && cp -R "$RULES" "$P/rules" && echo "rules $P/rules" >"$P/conf"
	chmod 711 "$TMP"
	chmod -R a+rX "$P"
	chmod 000 "$P/Maildir/cur/2.locked:2,"
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
if [ "$(id -u)" -ne 0 ] || [ -n "$as_user" ]; then
	if [ -n "$as_user" ]; then
		$as_user "$P/unscatter" scan -c "$P/conf" "$P/Maildir" >"$TMP/perm.out" 2>"$TMP/perm.err"; st=$?
	else
		scan "$P/Maildir" >"$TMP/perm.out" 2>"$TMP/perm.err"; st=$?
	fi
	grep -q "2.locked:2,: Permission denied" "$TMP/perm.err"
	is "$st:$?:$(cut -f 2 "$TMP/perm.out")" "74:0:ordinary" "a file we may not read: reported, the others classified, exit 74"
else
	n=$((n + 1)); echo "ok $n # skip no setpriv or user nobody to drop root's privileges"
fi
chmod 700 "$TMP"

# JSON Lines
scan --json "$M" >"$TMP/json" 2>/dev/null
is "$(wc -l <"$TMP/json" | tr -d ' ')" 4 "--json: one object per message"
grep -q '^{"path":"[^"]*/new/1700000001.M1P1.host","class":"backscatter","kind":"dsn","provenance":"forged","rule":"mime-delivery-status"}$' "$TMP/json"
is "$?" 0 "--json members"
grep -qF '/cur/odd name\t\\with tab:2,RS","class":"ordinary","kind":"none","provenance":"unknown","rule":null}' "$TMP/json"
is "$?" 0 "--json: escaped name, null rule"

# names from stdin, newline- and NUL-separated
find "$M/cur" "$M/new" -type f | sort | scan - >"$TMP/list.out" 2>/dev/null
is "$(wc -l <"$TMP/list.out" | tr -d ' ')" 4 "- reads file names from stdin"
find "$M/cur" -type f -print0 | scan -0 - >"$TMP/list0.out" 2>/dev/null
grep -qF "odd name\\t" "$TMP/list0.out"; is "$?" 0 "-0 reads NUL-separated names (a name with a tab)"

# --- mbox ------------------------------------------------------------------------
MB=$TMP/in.mbox
for f in backscatter-dsn genuine-bounce ordinary out-of-office; do
	printf 'From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n'
	cat "$S/$f.eml"
	printf '\n'
done >"$MB"
cp "$MB" "$TMP/in.mbox.orig"
scan --json "$MB" >"$TMP/mbox.json" 2>/dev/null; st=$?
is "$st:$(wc -l <"$TMP/mbox.json" | tr -d ' ')" "0:4" "mbox: four messages"
grep -q "^{\"path\":\"$MB:2\",\"class\":\"bounce\".*\"mbox\":\"$MB\",\"message\":2,\"offset\":[1-9][0-9]*}" "$TMP/mbox.json"
is "$?" 0 "mbox message path FILE:N, number and offset in JSON"
scan "$MB" >"$TMP/mbox.tsv" 2>/dev/null
# Each mbox message, cut out by its offset, gets the same verdict from one-shot mode.
same=0
for i in 1 2 3 4; do
	off=$(sed -n "${i}p" "$TMP/mbox.json" | sed 's/.*"offset":\([0-9]*\).*/\1/')
	next=$(sed -n "$((i + 1))p" "$TMP/mbox.json" | sed 's/.*"offset":\([0-9]*\).*/\1/')
	if [ -n "$next" ]; then
		tail -c +"$((off + 1))" "$MB" | head -c "$((next - off))" >"$TMP/part"
	else
		tail -c +"$((off + 1))" "$MB" >"$TMP/part"
	fi
	[ "$(verdict_of "$TMP/mbox.tsv" "$MB:$i")" = "$(oneshot "$TMP/part")" ] && same=$((same + 1))
done
is "$same" 4 "every mbox message: same verdict as one-shot on its bytes"
scan --no-mbox "$MB" >"$TMP/whole" 2>/dev/null
is "$(cut -f 1 "$TMP/whole")" "$MB" "--no-mbox: the file is one message"

# --split: per-class mbox copies, input untouched
scan --split "$TMP/split" "$MB" >"$TMP/split.out" 2>/dev/null; st=$?
is "$st" 0 "--split: exit 0"
cmp -s "$MB" "$TMP/in.mbox.orig"; is "$?" 0 "--split leaves the mbox as it was"
is "$(ls "$TMP/split" | tr '\n' ' ')" "backscatter bounce ordinary " "--split: one mbox per class found"
is "$(grep -c '^From ' "$TMP/split/backscatter")" 2 "--split: both backscatter messages in its mbox"
is "$(cut -f 6 "$TMP/split.out" | sed -n 1p)" "$TMP/split/backscatter" "--split: sixth field names the copy"
scan "$TMP/split/backscatter" 2>/dev/null | cut -f 2-4 | sort -u >"$TMP/again"
is "$(cat "$TMP/again")" "backscatter${TAB}autoreply${TAB}unknown
backscatter${TAB}dsn${TAB}forged" "--split copies classify as before"
scan --split "$TMP/split-md" --split-format maildir "$MB" >/dev/null 2>&1
is "$(ls "$TMP/split-md/bounce/new" | wc -l | tr -d ' '):$(head -c 5 "$TMP/split-md/bounce/new/"*)" "1:Retur" \
	"--split-format maildir: delivered to new/, without the 'From ' line"
scan --split "$TMP/split-dry" -n "$MB" >/dev/null 2>&1
[ ! -e "$TMP/split-dry" ]; is "$?" 0 "--split --dry-run writes nothing"

# A message GMime's mbox parser cannot build (its first line is only
# blanks, as in flanker's enclosed-bad-encoding.eml) between two others:
# GMime stops there for good, and the framing must go on after it.
BAD=$TMP/blank-first.mbox
{
	printf 'From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n'; cat "$S/genuine-bounce.eml"; printf '\n'
	printf 'From someone@example.org Mon Nov 23 10:01:00 2026\n'; printf '     \n'; cat "$S/ordinary.eml"; printf '\n'
	printf 'From MAILER-DAEMON Mon Nov 23 10:02:00 2026\n'; cat "$S/backscatter-dsn.eml"; printf '\n'
	printf 'From MAILER-DAEMON Mon Nov 23 10:03:00 2026\n'; cat "$S/out-of-office.eml"
} >"$BAD"
scan "$BAD" >"$TMP/bad.tsv" 2>"$TMP/bad.err"; st=$?
is "$st:$(cut -f 1-2 "$TMP/bad.tsv" | tr '\n' ' ')" \
	"0:$BAD:1${TAB}bounce $BAD:2${TAB}ordinary $BAD:3${TAB}backscatter $BAD:4${TAB}backscatter " \
	"mbox: a message GMime cannot build is classified, and so is every one after it"
scan --json "$BAD" 2>/dev/null | sed -n 3p | grep -q "\"offset\":$(grep -b '^From MAILER-DAEMON Mon Nov 23 10:02' "$BAD" | cut -d: -f1)}"
is "$?" 0 "mbox: the message after it starts at its own From line"
scan --split "$TMP/split-bad" "$BAD" >/dev/null 2>&1
is "$(cat "$TMP/split-bad"/* | grep -c '^From ')" 4 "mbox: --split copies all four"

# --- refile ------------------------------------------------------------------------
rm -f "$M/cur/1700000006.dangling:2," && rmdir "$M/new/1700000007.a-directory"
before=$(files_under "$M" | sed 's|.*/||' | sort)
scan -R --refile -n "$M" >"$TMP/dry" 2>/dev/null; st=$?
is "$st:$(files_under "$M" | sed 's|.*/||' | sort | cmp -s - "$(printf '%s\n' "$before" >"$TMP/b"; echo "$TMP/b")"; echo $?)" "0:0" "--refile --dry-run moves nothing"
is "$(verdict_of "$TMP/dry" "$M/new/1700000001.M1P1.host" | cut -f 1):$(field_of "$TMP/dry" "$M/new/1700000001.M1P1.host" 6)" \
	"backscatter:$M/.Backscatter/new/1700000001.M1P1.host" "--dry-run shows the destination"
[ ! -e "$M/.Backscatter" ]; is "$?" 0 "--dry-run creates no folder"

scan -R --refile "$M" >"$TMP/moved" 2>"$TMP/err"; st=$?
is "$st" 0 "--refile: exit 0"
is "$(files_under "$M")" "./.Backscatter/cur/1700000004.M4P4.host,S=1234:2,
./.Backscatter/cur/1700000005.M5P5.host:2,S
./.Backscatter/new/1700000001.M1P1.host
./.Bounces/cur/1700000002.M2P2.host:2,S
./cur/odd name${TAB}\\with tab:2,RS" \
	"--refile: per-class folders (the auto-reply of unknown provenance is backscatter), same sub-folder and name (flags kept), ordinary stays"
cmp -s "$M/.Bounces/cur/1700000002.M2P2.host:2,S" "$S/genuine-bounce.eml"; is "$?" 0 "moved message unchanged"
[ -d "$M/.Backscatter/tmp" ] && [ -f "$M/.Backscatter/maildirfolder" ]; is "$?" 0 "new folder is a Maildir++ folder (tmp/, maildirfolder)"
grep -q "^4 moved, 0 failed" "$TMP/err"; is "$?" 0 "summary counts the moves"
scan -R --refile "$M" >/dev/null 2>"$TMP/err"
grep -q "^0 moved" "$TMP/err"; is "$?" 0 "second --refile: everything is in its place already"
scan -R --refile --folder backscatter=.Junk.Backscatter "$M" >/dev/null 2>&1
is "$(find "$M/.Junk.Backscatter" -type f ! -name maildirfolder | wc -l | tr -d ' ')" 3 "--folder CLASS=.NAME"
cp "$S/backscatter-dsn.eml" "$M/new/1700000009.M9P9.host"
scan --refile --folder backscatter= "$M" >/dev/null 2>&1
[ -f "$M/new/1700000009.M9P9.host" ]; is "$?" 0 "--folder CLASS= leaves the class in place"
# An existing file of the same name is never replaced.
cp "$S/ordinary.eml" "$M/.Backscatter/new/1700000009.M9P9.host"
scan --refile "$M" >/dev/null 2>"$TMP/err"; st=$?
is "$st:$(grep -c 'cannot move to .*File exists' "$TMP/err")" "74:1" "a name taken in the folder: reported, nothing replaced"
cmp -s "$M/new/1700000009.M9P9.host" "$S/backscatter-dsn.eml" && cmp -s "$M/.Backscatter/new/1700000009.M9P9.host" "$S/ordinary.eml"
is "$?" 0 "both files still there, unchanged"

# A message file named on stdin that lies in a Maildir is refiled too.
L=$TMP/Listed
mkdir -p "$L/cur" "$L/new"
cp "$S/backscatter-dsn.eml" "$L/cur/1700000010.M10P10.host:2,S"
find "$L" -type f | scan --refile - >/dev/null 2>&1
[ -f "$L/.Backscatter/cur/1700000010.M10P10.host:2,S" ]; is "$?" 0 "--refile of names from stdin (mlist, find)"
# A Maildir++ sub-folder named on its own refiles into its root's folders.
mkdir -p "$L/.Lists/cur" "$L/.Lists/new"
: >"$L/.Lists/maildirfolder"
cp "$S/qmail-backscatter.eml" "$L/.Lists/new/1700000011.M11P11.host"
scan --refile "$L/.Lists" >/dev/null 2>&1
[ -f "$L/.Backscatter/new/1700000011.M11P11.host" ] && [ ! -e "$L/.Lists/.Backscatter" ]
is "$?" 0 "--refile of a sub-folder: into the root's .Backscatter, not a folder inside it"

# --- the per-message time cap ---------------------------------------------------------
T=$TMP/Slow
mkdir -p "$T/cur" "$T/new"
cp "$S/ordinary.eml" "$T/cur/a:2,"
# The backscatter DSN with 3 MB of ISO-8859-1 text in base64 added: decoding
# and converting it takes a few tenths of a second. (Header floods are cheap
# now: GMime is given at most 3000 header lines, see tests/hostile.t.)
b='B1.1700000000/mx.remote.example.net'
{ sed '$d' "$S/backscatter-dsn.eml"
  printf -- '--%s\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n' "$b"
  head -c 3000000 /dev/urandom | base64; printf -- '--%s--\n' "$b"; } >"$T/cur/c:2,"
scan --timeout 0.02 "$T" >"$TMP/slow.out" 2>"$TMP/slow.err"; st=$?
grep -q "c:2,: not classified within" "$TMP/slow.err"; is "$st:$?" "74:0" "--timeout: a slow message is reported and skipped, exit 74"
grep -q "cur/a:2,${TAB}ordinary" "$TMP/slow.out"; is "$?" 0 "--timeout: the other messages are classified"

# --- interrupted refile: every message in exactly one place ------------------------------
# One quick message, then eight slow ones (hard links of the big one above):
# SIGINT comes once the quick one has moved, while the slow ones are worked on.
B=$TMP/Big
mkdir -p "$B/cur" "$B/new" "$B/tmp"
cp "$S/backscatter-dsn.eml" "$B/cur/0quick:2,S"
for i in 1 2 3 4 5 6 7 8; do ln "$T/cur/c:2," "$B/cur/$i.slow:2,S"; done
"$UNSCATTER" scan -c "$CONF" -j 1 --timeout 60 --refile "$B" >/dev/null 2>"$TMP/int.err" &
pid=$!
i=0
while [ ! -f "$B/.Backscatter/cur/0quick:2,S" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid; st=$?
is "$st" 130 "SIGINT during --refile: exit 130"
grep -q "interrupted after [0-9]* of 9 messages" "$TMP/int.err"; is "$?" 0 "SIGINT: says how far it got"
total=$(files_under "$B" | wc -l | tr -d ' ')
uniq=$(files_under "$B" | sed 's|.*/||' | sort -u | wc -l | tr -d ' ')
left=$(ls "$B/cur" | wc -l | tr -d ' ')
is "$total:$uniq" "9:9" "after SIGINT every message is in exactly one place"
[ -f "$B/.Backscatter/cur/0quick:2,S" ] && [ "$left" -ge 1 ]; is "$?" 0 "SIGINT stopped it half-way (quick one moved, $left of 8 slow ones left in cur/)"
