#!/bin/sh
# hostile.t - hostile and huge input, generated here (nothing big is stored):
# every message must be classified within the deadline (exit 0 in terse mode
# with one well-formed verdict line, not 75), pass through byte for byte
# with only our X-Unscatter-* fields added, and keep peak RSS (GNU time's
# %M) at most 3 x the message size + RSS_FIXED_KB. The passthrough of the
# 100 MB message must stay under 1.5 x its size + RSS_FIXED_KB: one copy.
# Under the sanitizer build (SANITIZE set) the 100 MB message is 10 MB and
# RSS is not checked: ASan's shadow memory and quarantine inflate it.
. "$TOP/tests/lib.sh"

RSS_FIXED_KB=10240	# start-up RSS is 5-6.5 MB (GMime, GLib, the rules; static or dynamic link)
cases="big parts nested longline manyheaders attached headerspart nul charset badenc nosep headeronly empty
	emptyreport dsn10k dsnfields"
ncases=0
for c in $cases; do ncases=$((ncases + 1)); done
plan $((ncases * 3 + 5))

conf=$(make_config mail.example.com 192.0.2.0/24)
timer=
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 && timer=/usr/bin/time
big_mb=100
[ -n "${SANITIZE:-}" ] && big_mb=10
hdr='From: someone@example.org
To: user@example.com
Subject: hostile
Message-ID: <hostile@example.org>
MIME-Version: 1.0'

# gen NAME: write message NAME to $TMP/NAME.eml.
gen() {
	f=$TMP/$1.eml
	case $1 in
	big)	{ printf '%s\n\n' "$hdr"
		  yes 'All work and no play makes Jack a dull boy, line after line after line.' |
			head -n $((big_mb * 1024 * 1024 / 72)); } >"$f" ;;
	parts)	{ printf '%s\nContent-Type: multipart/mixed; boundary="b"\n\n' "$hdr"
		  awk 'BEGIN { for (i = 0; i < 10000; i++) printf "--b\nContent-Type: text/plain\n\npart %d\n", i
			print "--b--" }'; } >"$f" ;;
	nested)	{ printf '%s\nContent-Type: multipart/mixed; boundary="b0"\n\n' "$hdr"
		  awk 'BEGIN { for (i = 0; i < 1000; i++) printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1
			printf "--b1000\nContent-Type: text/plain\n\ndeep\n--b1000--\n"
			for (i = 999; i >= 0; i--) printf "--b%d--\n", i }'; } >"$f" ;;
	longline) { printf '%s\nX-Long: ' "$hdr"; head -c 1048576 /dev/zero | tr '\0' x
		  printf '\n\nbody\n'; } >"$f" ;;
	manyheaders) { awk 'BEGIN { for (i = 0; i < 400000; i++) print "X-A: b" }'; printf '\nbody\n'; } >"$f" ;;
	attached) { printf '%s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: message/rfc822\n\n' "$hdr"
		  awk 'BEGIN { for (i = 0; i < 100000; i++) print "X-A: b" }'; printf '\nbody\n--b--\n'; } >"$f" ;;
	headerspart) { printf 'From: MAILER-DAEMON@example.net\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/rfc822-headers\n\n'
		  awk 'BEGIN { for (i = 0; i < 100000; i++) print "Received: from a by b" }'; printf -- '--b--\n'; } >"$f" ;;
	nul)	{ printf 'From: a\000b@example.org\nSubject: nul \000 in header\n\nbody \000\000 with NULs\n'
		  head -c 10000 /dev/zero; printf '\nend\n'; } >"$f" ;;
	charset) printf '%s\nSubject: =?x-no-such-charset?B?/////w==?= =?utf-8?Q?=FF=FE?=\nContent-Type: text/plain; charset="x-no-such-charset"\nContent-Transfer-Encoding: 8bit\n\ninvalid \377\376 UTF-8 \300\200 here\n' "$hdr" >"$f" ;;
	badenc)	printf '%s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not base64@@@\n====\nQUJD\n=\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nbroken =ZZ =\n=0\n=\n--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n%%%%\n--b--\n' "$hdr" >"$f" ;;
	nosep)	printf 'This is not a header at all\nand there is no blank line\nanywhere: in this text\n' >"$f" ;;
	headeronly) printf '%s\nSubject: header, no body, no final newline' "$hdr" >"$f" ;;
	empty)	: >"$f" ;;
	emptyreport) printf 'From: MAILER-DAEMON@example.net\nTo: user@example.com\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\n\nno parts at all\n' >"$f" ;;
	dsn10k)	{ printf 'From: MAILER-DAEMON@example.net\nTo: user@example.com\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n--r\nContent-Type: text/plain\n\nDelivery failed.\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n'
		  awk 'BEGIN { for (i = 0; i < 10000; i++) printf "\nFinal-Recipient: rfc822; user%d@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n", i }'
		  printf '\n--r\nContent-Type: text/rfc822-headers\n\nReceived: from mail.example.com by mx.example.net\nFrom: user@example.com\nMessage-ID: <orig@example.com>\n\n--r--\n'; } >"$f" ;;
	dsnfields) { printf 'From: MAILER-DAEMON@example.net\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: message/delivery-status\n\n'
		  awk 'BEGIN { for (g = 0; g < 1900; g++) { for (i = 0; i < 1000; i++) print "X:"; print "" } }'; printf -- '--b--\n'; } >"$f" ;;
	esac
}

# Our fields removed from a passthrough output (they are whole header lines).
strip_ours() {
	LC_ALL=C grep -av '^X-Unscatter-' "$1"
}

for c in $cases; do
	gen "$c"
	f=$TMP/$c.eml
	size=$(wc -c <"$f")
	"$UNSCATTER" -c "$conf" -t <"$f" >"$TMP/out" 2>"$TMP/err"; st=$?
	verdict=$(cat "$TMP/out")
	# CLASS KIND PROVENANCE, then the bounce details if any.
	echo "$verdict" | grep -Eq '^[a-z]+ [a-z]+ [a-z]+( [a-z-]+=[^ ]+)*$' && [ "$(wc -l <"$TMP/out")" -eq 1 ]; wf=$?
	is "$st:$wf" "0:0" "$c ($size bytes): terse run exits 0 with one verdict line ($verdict)"
	[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/err" | head -5
	echo "$c $verdict" >>"$TMP/verdicts"

	if [ -n "$timer" ]; then
		$timer -f %M -o "$TMP/rss" "$UNSCATTER" -c "$conf" -p <"$f" >"$TMP/out" 2>"$TMP/err"; st=$?
		rss=$(tail -n 1 "$TMP/rss")
	else
		"$UNSCATTER" -c "$conf" -p <"$f" >"$TMP/out" 2>"$TMP/err"; st=$?
		rss=
	fi
	# The input ends with a line ending (or is empty, or has no header
	# end): grep then gives back exactly the input.
	if [ "$c" = headeronly ]; then
		# Our fields come after the unterminated last line, which gets a newline.
		{ cat "$f"; echo; } >"$TMP/want"
	else
		cp "$f" "$TMP/want"
	fi
	strip_ours "$TMP/out" | cmp -s - "$TMP/want"; same=$?
	sed -n '/^\r\{0,1\}$/q; p' "$TMP/out" | grep -q '^X-Unscatter-Class: '; inhdr=$?
	is "$st:$same:$inhdr" "0:0:0" "$c: passthrough exits 0, output is the input plus our fields, in its header"

	if [ -z "$timer" ] || [ -n "${SANITIZE:-}" ]; then
		pass "# SKIP peak RSS of $c not measured (${SANITIZE:+sanitizer build}${timer:-no /usr/bin/time})"
		continue
	fi
	limit=$((3 * size / 1024 + RSS_FIXED_KB))
	[ "$c" = big ] && limit=$((3 * size / 2048 + RSS_FIXED_KB))
	[ "$rss" -le "$limit" ]; is "$?" 0 "$c: passthrough peak RSS $rss KB <= $limit KB"
	echo "# $c: $size bytes, passthrough peak RSS $rss KB"
done

# What the verdicts are, where there is a right answer.
v() { sed -n "s/^$1 //p" "$TMP/verdicts" | cut -d' ' -f1-3; }
is "$(v dsn10k)" "bounce dsn ours" "DSN with 10,000 recipients: a genuine bounce"
"$UNSCATTER" -c "$conf" -p <"$TMP/dsn10k.eml" | grep -c '^X-Unscatter-Recipient: ' >"$TMP/n"
is "$(cat "$TMP/n")" 20 "DSN with 10,000 recipients: at most 20 recipient fields"
is "$(v emptyreport | cut -d' ' -f1)" backscatter "multipart/report with no parts from MAILER-DAEMON: still backscatter"
is "$(v parts)" "ordinary none unknown" "10,000 text parts: ordinary"
is "$(v nested)" "ordinary none unknown" "1,000-deep nesting: ordinary"
