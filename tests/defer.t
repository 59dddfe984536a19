#!/bin/sh
# defer.t - no mail lost: failures cli.t does not inject (a signal or the
# deadline while the output is blocked, EPIPE and a closed stdout in terse
# mode, unreadable input, a closed stdin) must give exit 75 and a
# "deferring" message, never exit 0 or a verdict.
. "$TOP/tests/lib.sh"
plan 18

S=$TOP/samples
u() { "$UNSCATTER" "$@"; }
conf=$(make_config mail.example.com)
printf 'rules %s\ndeadline 500ms\n' "$RULES" >"$TMP/deadline.conf"
# Bigger than a pipe buffer, so that a reader that stops reading blocks us.
{ cat "$S/ordinary.eml"; yes 'filler line of an ordinary message body, long enough' | head -n 20000; } >"$TMP/big.eml"
mkfifo "$TMP/fifo"

# blocked CONF SIGNAL: passthrough of big.eml into a reader that reads 100
# bytes and then nothing; after a second send SIGNAL (or none) and print
# "status seconds".
blocked() {
	start=$(date +%s)
	"$UNSCATTER" -c "$1" -p <"$TMP/big.eml" >"$TMP/fifo" 2>"$TMP/err" &
	pid=$!
	exec 3<"$TMP/fifo"
	head -c 100 <&3 >/dev/null
	sleep 1
	[ -n "$2" ] && kill "-$2" "$pid"
	wait "$pid"
	st=$?
	exec 3<&-
	echo "$st $(($(date +%s) - start))"
}

set -- $(blocked "$conf" TERM)
is "$1" 75 "SIGTERM while the output is blocked: exit 75"
grep -q 'terminated by a signal; deferring' "$TMP/err"; is "$?" 0 "SIGTERM: deferral said on stderr"
set -- $(blocked "$conf" HUP)
is "$1" 75 "SIGHUP while the output is blocked: exit 75"
set -- $(blocked "$TMP/deadline.conf" "")
is "$1" 75 "deadline reached while the output is blocked: exit 75"
[ "$2" -le 3 ]; is "$?" 0 "the deadline ends the blocked write ($2 s)"
grep -q 'deadline exceeded; deferring' "$TMP/err"; is "$?" 0 "deadline: deferral said on stderr"

# Terse mode: a reader that has gone away before the verdict is written.
(exec 3<"$TMP/fifo"; exec 3<&-) &
(sleep 1; cat "$S/backscatter-dsn.eml") | u -c "$conf" -t >"$TMP/fifo" 2>"$TMP/err"
is "$?" 75 "terse verdict to a reader that has gone away (EPIPE): exit 75"
grep -q 'deferring' "$TMP/err"; is "$?" 0 "EPIPE: deferral said on stderr"
wait
u -c "$conf" -t <"$S/backscatter-dsn.eml" >&- 2>"$TMP/err"
is "$?" 75 "terse with stdout closed: exit 75"

# Input that cannot be read: nothing is classified, the message is deferred.
u -c "$conf" -p </ >"$TMP/out" 2>"$TMP/err"; st=$?
is "$st:$(wc -c <"$TMP/out")" "75:0" "unreadable input (a directory): exit 75, nothing written"
grep -q 'reading the message: .*deferring' "$TMP/err"; is "$?" 0 "unreadable input: said on stderr"
u -c "$conf" </ 2>/dev/null; is "$?" 75 "unreadable input in exit-code mode: 75, not a class"

# Standard input closed: no message. The first file opened (the rule cache)
# must not take descriptor 0 and be read as the message.
for mode in -p -t ""; do
	u -c "$conf" $mode <&- >"$TMP/out" 2>"$TMP/err"; st=$?
	is "$st:$(wc -c <"$TMP/out" | tr -d ' '):$(grep -c 'standard input is closed; deferring' "$TMP/err")" "75:0:1" \
		"stdin closed, ${mode:-exit-code mode}: exit 75, nothing written, said on stderr"
done
u -c "$conf" -p <"$S/ordinary.eml" >&- 2>"$TMP/err"
is "$?:$(grep -c 'standard output is closed; deferring' "$TMP/err")" "75:1" "passthrough with stdout closed: exit 75, said"
mkdir -p "$TMP/md/cur" "$TMP/md/new" && cp "$S/ordinary.eml" "$TMP/md/new/1.host"
u scan -c "$conf" "$TMP/md" >&- 2>"$TMP/err"
is "$?:$(grep -c 'standard output is closed' "$TMP/err")" "74:1" "scan with stdout closed: exit 74 before any work"
u harvest -q --ids "$TMP/ids.cdb" "$TMP/md" >&- 2>/dev/null
is "$?" 0 "harvest, which writes nothing to stdout, runs with it closed"
