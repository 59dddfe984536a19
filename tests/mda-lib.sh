# tests/mda-lib.sh - shared by tests/mda-*.t (sourced after tests/lib.sh):
# real delivery agents deliver corpus messages through unscatter into
# Maildirs built in the test, with the recipes of samples/ (paths
# substituted), unprivileged and without a daemon. See
# ../shared/integration/REPORT.md for how each agent behaves.
#
# As root (CI), every delivery drops to nobody with setpriv: procmail and
# maildrop would deliver as root, and dovecot-lda refuses root without -d.

BM=$CORPUS/spamassassin/t.rules/BOUNCE_MESSAGE
SIS=$CORPUS/sisimai-set-of-emails/maildir
ORDINARY=$CORPUS/spamassassin-publiccorpus/data/easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.eml

# The corpus messages every recipe delivers, and the folder each must land
# in: NAME FILE FOLDER. 1.eml and rfc3834-05.eml begin with an mbox "From "
# line; lhost-postfix-01.eml has CRLF line endings; $BIG (made by
# mda_setup) is ordinary mail of 2 MB, far more than a pipe holds.
mda_cases() {
	cat <<EOT
backscatter-bounce	$BM/1.eml	Backscatter
genuine-bounce	$BM/fp-bug5900-1.eml	Bounces
autoreply	$SIS/bsd/rfc3834-01.eml	Autoreplies
ordinary	$ORDINARY	INBOX
crlf-bounce	$SIS/dos/lhost-postfix-01.eml	Bounces
from-line-autoreply	$SIS/bsd/rfc3834-05.eml	Autoreplies
big-ordinary	$BIG	INBOX
EOT
}

# skip_all N REASON: the agent cannot run here at all. With
# UNSCATTER_NO_SKIP set (CI installs every agent) that is a failure.
skip_all() {
	plan "$1"
	i=1
	while [ "$i" -le "$1" ]; do
		if [ -n "${UNSCATTER_NO_SKIP:-}" ]; then
			echo "not ok $i - cannot run: $2 (UNSCATTER_NO_SKIP is set)"
		else
			echo "ok $i # skip $2"
		fi
		i=$((i + 1))
	done
	exit 0
}

# --- who delivers ------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
	RUN_UID=$(id -u nobody 2>/dev/null)
	RUN_GID=$(id -g nobody 2>/dev/null)
	RUN_USER=nobody
else
	RUN_UID=$(id -u)
	RUN_GID=$(id -g)
	RUN_USER=$(id -un 2>/dev/null)
fi
as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups -- "$@"
	else
		"$@"
	fi
}
give_to_user() { if [ "$(id -u)" = 0 ]; then chown -R "$RUN_UID:$RUN_GID" "$@"; fi; }
# mda_can_run: is there a user to deliver as?
mda_can_run() {
	if [ "$(id -u)" = 0 ]; then
		[ -n "$RUN_UID" ] && command -v setpriv >/dev/null 2>&1
	fi
}

# --- what the delivering user runs ---------------------------------------------
# $INST holds a copy of the binary and the rules (the checkout may not be
# readable by nobody), the configs and the failing variants of unscatter.
mda_setup() {
	chmod 755 "$TMP"
	INST=$TMP/inst
	mkdir -p "$INST/bin"
	cp "$UNSCATTER" "$INST/bin/unscatter"
	cp -R "$RULES" "$INST/rules"
	# The relays SpamAssassin's own rule test names as ours for 1.eml
	# (soman.fdntech.com) and fp-bug5900-1.eml (baz.fi); an auto-reply with
	# no evidence either way counts as genuine.
	CONF=$INST/unscatter.conf
	printf 'rules %s\nrelay soman.fdntech.com baz.fi\nunknown genuine\ndeadline 5s\n' \
		"$INST/rules" >"$CONF"
	# The failing variants append unscatter's stderr to $ERRLOG, so a test
	# can tell that it failed the intended way.
	ERRLOG=$INST/unscatter.err
	U=$INST/bin/unscatter
	# Failure 1: a configuration error (exit 78).
	BADCONF=$INST/bad.conf
	printf 'rules %s\nrelay 10.0.0.0/99\n' "$INST/rules" >"$BADCONF"
	LOGGED=$INST/bin/unscatter-logged
	printf '#!/bin/sh\nexec %s "$@" 2>>%s\n' "$U" "$ERRLOG" >"$LOGGED"
	# Failure 2: a write error - stdout is a full disk (exit 75).
	FULL=$INST/bin/unscatter-full
	printf '#!/bin/sh\nexec %s "$@" >/dev/full 2>>%s\n' "$U" "$ERRLOG" >"$FULL"
	# Failure 3: the deadline passes - the message arrives 0.5 s late, the
	# config allows 100 ms (exit 75).
	SLOW=$INST/bin/unscatter-slow
	SLOWCONF=$INST/deadline.conf
	printf '#!/bin/sh\n{ sleep 0.5; cat; } | %s "$@" 2>>%s\n' "$U" "$ERRLOG" >"$SLOW"
	printf 'rules %s\ndeadline 100ms\n' "$INST/rules" >"$SLOWCONF"
	chmod 755 "$LOGGED" "$FULL" "$SLOW"
	chmod -R a+rX "$INST"
	# An ordinary message whose sender forged our verdict field.
	FORGED=$TMP/forged.eml
	{ printf 'X-Unscatter-Class: backscatter\n'; cat "$ORDINARY"; } >"$FORGED"
	BIG=$TMP/big.eml
	{ cat "$ORDINARY"; yes 'A long line of an ordinary body, repeated to make it bigger than any pipe buffer.' | head -n 25000; } >"$BIG"
}

# install_sample SAMPLE DEST [BIN [CONF]]: the sample file with the paths of
# "make install" replaced by the test's own.
install_sample() {
	sed -e "s|/usr/local/bin/unscatter|${3:-$INST/bin/unscatter}|g" \
	    -e "s|/etc/unscatter.conf|${4:-$CONF}|g" \
	    -e "s|/usr/local/lib/unscatter/sieve-bin|$WORK/bin|g" \
	    -e "s|/etc/dovecot/sieve|$WORK/sieve|g" \
	    -e "s|\$HOME/Maildir|$MD|g" \
	    "$TOP/samples/$1" >"$2"
}

# --- the Maildir -----------------------------------------------------------------
# fresh_work: a new, empty $WORK with $WORK/Maildir ($MD), owned by the
# delivering user; the agent's own setup is up to the test.
fresh_work() {
	WORK=$TMP/work
	MD=$WORK/Maildir
	rm -rf "$WORK"
	mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
	: >"$ERRLOG"
	chmod 666 "$ERRLOG"
}
# stored: every message file in the Maildir++ tree.
stored() { find "$MD" -type f \( -path '*/new/*' -o -path '*/cur/*' \) | sort; }
# folder_of FILE: its Maildir++ folder ("INBOX" for the top).
folder_of() {
	d=$(basename "$(dirname "$(dirname "$1")")")
	case $d in
	.*) echo "${d#.}" ;;
	*) echo INBOX ;;
	esac
}

# --- what must be stored -----------------------------------------------------------
# fed_by AGENT < message: what the agent hands the filter.
#   procmail: adds a newline unless the message ends in an empty line;
#   dovecot:  no mbox "From " line, CRLF line endings;
#   maildrop: the message as it came.
fed_by() {
	case $1 in
	procmail)
		cat >"$TMP/fed"
		cat "$TMP/fed"
		[ "$(tail -c 2 "$TMP/fed" | od -An -c | tr -d ' ')" = '\n\n' ] || echo
		;;
	dovecot) sed -e '1{/^From /d;}' -e 's/\r*$/\r/' ;;
	*) cat ;;
	esac
}
# stored_by AGENT < what it was fed: what the agent writes to the Maildir.
#   procmail: drops the mbox "From " line;
#   dovecot:  drops it and stores LF line endings;
#   maildrop: stores every byte, a "From " line too.
stored_by() {
	case $1 in
	procmail) sed '1{/^From /d;}' ;;
	dovecot) sed -e '1{/^From /d;}' -e 's/\r$//' ;;
	*) cat ;;
	esac
}
# expect AGENT MODE MESSAGE > file: the message as it must be stored, MODE
# "tagged" (as unscatter -p wrote it from what the agent fed it) or
# "unchanged" (no filter: procmail then adds no newline).
expect() {
	if [ "$2" = tagged ]; then
		fed_by "$1" <"$3" | "$INST/bin/unscatter" -c "$CONF" -p | stored_by "$1"
	else
		stored_by "$1" <"$3"
	fi
}
# without_ours < message: the message with our X-Unscatter-* fields (and
# their continuation lines) removed from the header.
without_ours() {
	awk -v hdr=1 'hdr && /^[Xx]-[Uu]nscatter-/ { skip = 1; next }
	     hdr && skip && /^[ \t]/ { next }
	     { skip = 0 }
	     hdr && /^\r?$/ { hdr = 0 }
	     { print }'
}

# outcome STATUS EXPECTED-FILE: what the delivery did, in words.
outcome() {
	n=$(stored | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "exit $1, nothing stored"
		return
	fi
	if [ "$n" -gt 1 ]; then
		echo "exit $1, $n messages stored"
		return
	fi
	f=$(stored)
	if [ ! -s "$f" ]; then
		echo "exit $1, stored in $(folder_of "$f"), an EMPTY message"
		return
	fi
	if cmp -s "$f" "$2"; then same="as expected"; else same="NOT as expected ($(wc -c <"$f") bytes, want $(wc -c <"$2"))"; fi
	echo "exit $1, stored in $(folder_of "$f"), $same"
}
# said PATTERN: whether the failing unscatter said so on stderr.
said() {
	if grep -q -e "$1" "$ERRLOG"; then
		echo "; unscatter said '$1'"
	else
		echo "; unscatter did not say '$1': $(head -c 300 "$ERRLOG")"
	fi
}
# check_delivered WHAT STATUS FOLDER EXPECTED-FILE [PATTERN]
check_delivered() {
	is "$(outcome "$2" "$4")${5:+$(said "$5")}" \
		"exit 0, stored in $3, as expected${5:+; unscatter said '$5'}" "$1"
}
# check_deferred WHAT STATUS PATTERN
check_deferred() {
	is "$(outcome "$2" /dev/null)$(said "$3")" "exit 75, nothing stored; unscatter said '$3'" "$1"
}
# What each failing variant says on stderr.
WHY_BADCONF="bad.conf:2: relay '10.0.0.0/99'"
WHY_FULL='writing the output failed: No space left on device'
WHY_SLOW='deadline exceeded'

# check_only_ours WHAT AGENT MESSAGE: the one stored message is the message as
# the agent stores it, plus only our fields.
check_only_ours() {
	f=$(stored | head -n 1)
	fed_by "$2" <"$3" | stored_by "$2" >"$TMP/plain"
	without_ours <"$f" | cmp -s - "$TMP/plain"
	is "$?" 0 "$1"
}

# route_all AGENT SAMPLE MODE: deliver every case with SAMPLE through the
# test's deliver function; check its folder and bytes (MODE as for expect)
# and, when tagged, that only our fields were added.
route_all() {
	mda_cases >"$TMP/cases"
	while read -r name msg folder; do
		deliver "$2" "$msg"
		expect "$1" "$3" "$msg" >"$TMP/want"
		if [ "$3" = tagged ]; then
			check_delivered "$2: $name to $folder, as unscatter -p wrote it" "$st" "$folder" "$TMP/want"
			check_only_ours "$2: $name stored with only X-Unscatter-* fields added" "$1" "$msg"
		else
			check_delivered "$2: $name to $folder, unchanged" "$st" "$folder" "$TMP/want"
		fi
	done <"$TMP/cases"
}

# failed AGENT WHAT MESSAGE WHY: the outcome every recipe must give when
# unscatter fails: deferral (75, nothing stored), or under Sieve, which
# cannot defer, the message unchanged in INBOX.
failed() {
	if [ "$1" = dovecot ]; then
		expect dovecot unchanged "$3" >"$TMP/want"
		check_delivered "$2: INBOX, unchanged" "$st" INBOX "$TMP/want" "$4"
	else
		check_deferred "$2: defers" "$st" "$4"
	fi
}
# fail_all AGENT SAMPLE MODE [writes]: make unscatter fail every way with
# SAMPLE (a write error only where the mode writes output), then check a
# forged X-Unscatter-Class routes nothing, with unscatter working or not.
fail_all() {
	B=$BM/1.eml
	deliver "$2" "$B" "$LOGGED" "$BADCONF"
	failed "$1" "$2: bad config (78)" "$B" "$WHY_BADCONF"
	deliver "$2" "$BIG" "$LOGGED" "$BADCONF"
	failed "$1" "$2: bad config, 2 MB message (the agent's write fails)" "$BIG" "$WHY_BADCONF"
	if [ "${4:-}" = writes ]; then
		deliver "$2" "$B" "$FULL"
		failed "$1" "$2: write error (75)" "$B" "$WHY_FULL"
	fi
	deliver "$2" "$B" "$SLOW" "$SLOWCONF"
	failed "$1" "$2: deadline exceeded (75)" "$B" "$WHY_SLOW"

	deliver "$2" "$FORGED"
	expect "$1" "$3" "$FORGED" >"$TMP/want"
	check_delivered "$2: forged 'X-Unscatter-Class: backscatter' $([ "$3" = tagged ] && echo replaced || echo ignored), ordinary mail to INBOX" \
		"$st" INBOX "$TMP/want"
	deliver "$2" "$FORGED" "$LOGGED" "$BADCONF"
	failed "$1" "$2: forged field, unscatter failing: not routed" "$FORGED" "$WHY_BADCONF"
}

# --- the recipient as the agent's argument --------------------------------------
# Where the MTA passes the envelope recipient as the agent's argument
# (procmail -a ADDR, maildrop ... ADDR), the samples' commented
# "#RECIPIENT=$1" line hands it to unscatter in the environment.
# recipient_setup makes a configuration with a BATV key, a tag valid under
# it ($GOODTAG), one that is not ($BADTAG), and an "address" that would run
# a command if it reached a shell ($SHELLY).
recipient_setup() {
	BATVCONF=$INST/batv.conf
	{ cat "$CONF"; printf 'batv-key 1 a-secret-of-the-test\nbatv-days 7\n'; } >"$BATVCONF"
	chmod 644 "$BATVCONF"
	GOODTAG=$("$U" batv-sign -c "$BATVCONF" alice@example.com 2>/dev/null)
	BADTAG=prvs=1000abcdef=alice@example.com
	# In the work folder, which the delivering user may write (as root,
	# deliveries run as nobody) and each delivery starts afresh.
	RAN=$TMP/work/ran
	SHELLY="x;touch $RAN;'\"\$(touch $RAN)\"'@example.com"
}
# install_with_recipient SAMPLE DEST: the sample as install_sample makes it
# (with $BATVCONF), its "#RECIPIENT=$1" line in force; fails the test
# script if the sample has none.
install_with_recipient() {
	install_sample "$1" "$TMP/sample" "" "$BATVCONF"
	grep -q '^#RECIPIENT=\$1$' "$TMP/sample" || { echo "Bail out! samples/$1 has no #RECIPIENT=\$1 line"; exit 1; }
	sed 's/^#RECIPIENT=/RECIPIENT=/' "$TMP/sample" >"$2"
}
# check_recipient WHAT STATUS FOLDER EVIDENCE: the delivery stored one
# message, in FOLDER; and for a tagged sample, its BATV evidence field says
# EVIDENCE ("none": it has none). Nothing ran $SHELLY.
check_recipient() {
	f=$(stored)
	count=$(stored | wc -l | tr -d ' ')
	got="exit $2, $count stored, in $(folder_of "$f")"
	want="exit 0, 1 stored, in $3"
	if [ -n "$4" ]; then
		batv=$(sed -n '/^$/q; s/^X-Unscatter-Evidence: batv \([a-z]*\);.*/\1/p' "$f" 2>/dev/null)
		got="$got, batv ${batv:-none}"
		want="$want, batv $4"
	fi
	[ -e "$RAN" ] && got="$got, and a command ran"
	is "$got" "$want" "$1"
}
# recipient_all SAMPLE MODE: an auto-reply to a valid tag goes to the
# Autoreplies folder, one to a forged tag to Backscatter; with no argument
# (an empty RECIPIENT: no recipient, no evidence, "unknown genuine") and
# with shell characters in the argument (not an address: none) it still
# goes to Autoreplies. MODE tagged checks the evidence field too. The test
# defines deliver_with_arg SAMPLE MESSAGE [ARG].
recipient_all() {
	ooo=$TOP/samples/out-of-office.eml
	ev() { [ "$2" = tagged ] && echo "$1"; }
	deliver_with_arg "$1" "$ooo" "$GOODTAG"
	check_recipient "$1 with RECIPIENT=\$1: auto-reply to a valid BATV tag to Autoreplies" "$st" Autoreplies "$(ev ours "$2")"
	deliver_with_arg "$1" "$ooo" "$BADTAG"
	check_recipient "$1 with RECIPIENT=\$1: auto-reply to a forged BATV tag to Backscatter" "$st" Backscatter "$(ev forged "$2")"
	deliver_with_arg "$1" "$ooo"
	check_recipient "$1 with RECIPIENT=\$1, no argument: auto-reply to Autoreplies" "$st" Autoreplies "$(ev none "$2")"
	deliver_with_arg "$1" "$ooo" "$SHELLY"
	check_recipient "$1 with RECIPIENT=\$1, shell characters in the argument: nothing runs, to Autoreplies" "$st" Autoreplies "$(ev none "$2")"
}
