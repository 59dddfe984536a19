#!/bin/sh
# doc-options.t - the options that --help lists (of unscatter and of each
# subcommand) are the options unscatter(1) documents: every long option of
# a --help is in the page, every long option of the page in some --help.
. "$TOP/tests/lib.sh"
plan 2

helps() { for c in "" scan harvest batv-sign; do "$UNSCATTER" $c --help 2>&1; done; }
helps | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$TMP/help"
grep -o 'Fl -[a-z][a-z0-9-]*' "$TOP/man/unscatter.1" | sed 's/^Fl /-/' | sort -u >"$TMP/man"
is "$(comm -23 "$TMP/help" "$TMP/man" | tr '\n' ' ')" "" "every option of --help is in unscatter(1)"
is "$(comm -13 "$TMP/help" "$TMP/man" | tr '\n' ' ')" "" "every option of unscatter(1) is in a --help"
