# bench/common.sh - sourced by the bench/ scripts: where the project is
# ($here, $top) and the binary under test ($bin: argument 1, default
# build/unscatter), made absolute and checked.
set -u
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/.." && pwd) || exit 2
bin=${1:-$top/build/unscatter}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "$0: $bin: not an executable" >&2; exit 2; }
