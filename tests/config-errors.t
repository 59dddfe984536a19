#!/bin/sh
# config-errors.t - every kind of configuration or rule mistake stops the
# command before any mail is touched: exit 78 and, as the whole of stderr,
# "FILE:LINE: what" (or "FILE: reason" when the file cannot be read).
# The parsers' messages themselves are tested in unit/test-config.c and
# unit/test-rules.c; cli.t has a missing -c file, a bad CIDR, a missing
# rules folder (status only) and an unterminated regex.
. "$TOP/tests/lib.sh"
plan 17

M=$TOP/samples/ordinary.eml
# err WANT WHAT ARGS...: exit 78 with stderr exactly WANT, nothing on stdout.
err() {
	want=$1 what=$2
	shift 2
	"$UNSCATTER" "$@" <"$M" >"$TMP/out" 2>"$TMP/err"
	is "$?:$(cat "$TMP/err")" "78:$want" "$what"
	if [ -s "$TMP/out" ]; then
		fail "$what: nothing on stdout"
		sed 's/^/# /' "$TMP/out" | head -3
	fi
}
conf() {
	f=$TMP/c$n.conf
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

c=$(conf "rules $RULES" "relay mail.example.com" "frobnicate yes")
"$UNSCATTER" -c "$c" <"$M" >"$TMP/out" 2>"$TMP/err"; st=$?
# (The list of known keys grows with the features.)
case $st:$(cat "$TMP/err") in
"78:$c:3: unknown key 'frobnicate' (expected relay, "*) pass "unknown key" ;;
*) fail "unknown key"; sed 's/^/# /' "$TMP/err" ;;
esac
c=$(conf "rules $RULES" "relay 2001:db8::/129")
err "$c:2: relay '2001:db8::/129': not a valid IP address or CIDR range" "bad IPv6 CIDR: our message only, no GLib warning" -c "$c"
c=$(conf "rules $RULES" "domain example.com" "deadline 0")
err "$c:3: deadline '0': expected seconds, e.g. 5, 2.5s or 800ms" "zero deadline" -c "$c"
c=$(conf "# no value" "rules")
err "$c:2: 'rules' takes exactly one value" "rules without a folder" -c "$c"
mkdir "$TMP/conf.d"
err "$TMP/conf.d: Error reading file “$TMP/conf.d”: Is a directory" "config that cannot be read (a folder)" -c "$TMP/conf.d"
printf 'relay mail.example.com\n' >"$TMP/unreadable.conf"
chmod 000 "$TMP/unreadable.conf"
if [ -r "$TMP/unreadable.conf" ]; then
	pass "# SKIP config without read permission: running as root"
else
	err "$TMP/unreadable.conf: Failed to open file “$TMP/unreadable.conf”: Permission denied" \
		"config without read permission" -c "$TMP/unreadable.conf"
fi

# List files (CDB).
c=$(conf "rules $RULES" "sent-ids $TMP/none.cdb")
err "$c:2: sent-ids: $TMP/none.cdb: No such file or directory" "missing CDB list" -c "$c"
c=$(conf "rules $RULES" "sent-from $TOP/README.md")
err "$c:2: sent-from: $TOP/README.md: not a CDB file (bad header)" "a text file given as the CDB list" -c "$c"

# Rule folders and files.
c=$(conf "rules rules.missing")
err "$TMP/rules.missing: Error opening directory “$TMP/rules.missing”: No such file or directory" \
	"missing rules folder, relative to the config's folder" -c "$c"
c=$(conf "rules $RULES")
err "$TMP/none: Error opening directory “$TMP/none”: No such file or directory" "missing -R folder" -c "$c" -R "$TMP/none"
err "$M: Error opening directory “$M”: Not a directory" "-R names a file" -c "$c" -R "$M"
mkdir -p "$TMP/r1/x.rules"
err "$TMP/r1/x.rules: Error reading file “$TMP/r1/x.rules”: Is a directory" "a .rules entry that cannot be read" -c "$c" -R "$TMP/r1"
mkdir "$TMP/r3"
printf 'rule r\n    kind dsn\n    describe d\n    body =~ /(unbalanced/\n' >"$TMP/r3/a.rules"
err "$TMP/r3/a.rules:4: bad regex: unbalanced ( (missing ))" "regex syntax caught when loading" -c "$c" -R "$TMP/r3"
# A regex TRE refuses is compiled only when a message needs it (rules.h):
# then the run stops with 78 rather than guess; --lint-rules finds it always.
mkdir "$TMP/r4"
printf 'rule r\n    kind dsn\n    describe d\n    body =~ /noon[[:nosuch:]]/\n' >"$TMP/r4/a.rules"
err "$TMP/r4/a.rules:4: bad regex: Unknown character class name" "bad regex needed by the message: FILE:LINE, 78" -c "$c" -R "$TMP/r4"
"$UNSCATTER" --lint-rules "$TMP/r4" >/dev/null 2>"$TMP/err"
is "$?:$(cat "$TMP/err")" "78:$TMP/r4/a.rules:4: bad regex: Unknown character class name" "--lint-rules finds the bad regex"
"$UNSCATTER" -c "$c" -R "$TMP/r4" -p <"$M" >"$TMP/out" 2>/dev/null
is "$?:$(wc -c <"$TMP/out")" "78:0" "passthrough with a bad regex: 78 and no output"
mkdir "$TMP/r2"
printf 'rule r\n    kind dsn\n    describe \377\n' >"$TMP/r2/a.rules"
err "$TMP/r2/a.rules:3: not valid UTF-8" "rule file with invalid UTF-8" -c "$c" -R "$TMP/r2"
