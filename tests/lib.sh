# tests/lib.sh - helpers for the TAP shell tests (sourced).
#   plan N; ok COND-STATUS 'what'; is GOT WANT 'what'; done_testing
# $UNSCATTER is the binary under test, $TOP the project root,
# $CORPUS the shared corpus (../shared/corpus by default).
: "${UNSCATTER:?}"
: "${TOP:?}"
CORPUS=${CORPUS:-$TOP/../shared/corpus}
RULES=$TOP/rules
n=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

plan() { echo "1..$1"; }
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; }
# check 'what' command...   (passes when the command succeeds)
check() {
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
# is GOT WANT 'what'
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}
# A config using the project's rules and the given relay lines.
make_config() {
	f=$TMP/conf.$$.$n
	echo "rules $RULES" >"$f"
	for r in "$@"; do echo "relay $r" >>"$f"; done
	echo "$f"
}
# man_display PAGE [PHRASE]: the first literal display (.Bd -literal ...
# .Ed) of man/PAGE after the first line that begins with PHRASE (from the
# top without one), mdoc escapes \& and \e undone.
man_display() {
	awk -v phrase="${2:-}" '
		!state && (phrase == "" || index($0, phrase) == 1) { state = 1; if (phrase != "") next }
		state == 1 && /^\.Bd -literal/ { state = 2; next }
		state == 2 && /^\.Ed/ { exit }
		state == 2 { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print }' "$TOP/man/$1"
}
