#!/bin/sh
# doc-examples.t - every example of the README and of unscatter(1)'s
# EXAMPLES that runs unscatter on the files in samples/ prints what the
# document shows under it: the command after "$ ", its output the lines up
# to the next command or the end of the block. The example rules of
# unscatter-rules(5) and the example configuration of unscatter.conf(5)
# load and work.
. "$TOP/tests/lib.sh"

# examples: "COMMAND<TAB>EXPECTED" lines (EXPECTED's lines joined by
# \n as two characters) from the README's indented blocks and the man
# page's literal displays in EXAMPLES, for commands that read samples/
# only (not ~/Maildir).
examples() {
	{
		awk '{ print /^    / ? substr($0, 5) : "" }' "$TOP/README.md"
		awk '/^\.Sh EXAMPLES/ { ex = 1; next } /^\.Sh / { ex = 0 }
		     ex && /^\.Bd -literal/ { lit = 1; next } lit && /^\.Ed/ { lit = 0; print ""; next }
		     ex && lit { gsub(/\\&/, ""); gsub(/\\e/, "\\"); print }' "$TOP/man/unscatter.1"
	} | awk '
		function flush() { if (cmd != "") print cmd "\t" out; cmd = ""; out = "" }
		/^\$ unscatter [^~]*samples\// && !/~/ { flush(); cmd = substr($0, 3); next }
		/^\$ / || /^$/ { flush(); next }
		cmd != "" { out = out (out == "" ? "" : "\\n") $0 }
		END { flush() }'
}
examples >"$TMP/examples"
count=$(wc -l <"$TMP/examples" | tr -d ' ')
plan $((count + 4))
is "$([ "$count" -ge 6 ] && echo enough)" enough "the documents show at least 6 examples on samples/ ($count)"
mkdir -p "$TMP/bin"
ln -s "$UNSCATTER" "$TMP/bin/unscatter"
while IFS='	' read -r cmd want; do
	got=$(cd "$TOP" && PATH=$TMP/bin:$PATH sh -c "$cmd" 2>&1 | awk '{ printf "%s%s", (NR > 1 ? "\\n" : ""), $0 }')
	is "$got" "$want" "$cmd"
done <"$TMP/examples"

# The example rules of unscatter-rules(5) are valid, and do what they say
# on the samples: a vacation reply is an auto-reply, a bounce is not.
mkdir -p "$TMP/rules"
man_display unscatter-rules.5 >"$TMP/rules/example.rules"
"$UNSCATTER" --lint-rules "$TMP/rules" >"$TMP/lint" 2>&1
is "$?:$(grep -c '^rule ' "$TMP/rules/example.rules")" "0:4" "unscatter-rules(5): its 4 example rules pass --lint-rules"
printf 'rules %s\n' "$TMP/rules" >"$TMP/rules.conf"
is "$("$UNSCATTER" -c "$TMP/rules.conf" -t <"$TOP/samples/out-of-office.eml" | cut -d ' ' -f 2)/$("$UNSCATTER" -c "$TMP/rules.conf" -t <"$TOP/samples/genuine-bounce.eml" | cut -d ' ' -f 2)" \
	"autoreply/dsn" "unscatter-rules(5): with only its examples, the auto-reply and the bounce are told apart"

# The example configuration of unscatter.conf(5) loads, its files put in
# $TMP (the lists made by harvest first, as the page says).
printf 'alice\n' | "$UNSCATTER" harvest -q --valid "$TMP/valid.cdb" --valid-list - &&
	"$UNSCATTER" harvest -q --ids "$TMP/sent-ids.cdb" --from "$TMP/sent-from.cdb" --ids-list /dev/null --from-list /dev/null
man_display unscatter.conf.5 | sed -e "s|/var/lib/unscatter/|$TMP/|" -e "s|/usr/local/share/unscatter/rules/|$RULES/|" \
	-e "s|~/.unscatter|$TMP/state|" >"$TMP/example.conf"
echo "rules $RULES" >>"$TMP/example.conf"
mkdir -p "$TMP/state"
is "$("$UNSCATTER" -c "$TMP/example.conf" -t <"$TOP/samples/backscatter-dsn.eml" 2>&1 | cut -d ' ' -f 1-2)" "backscatter dsn" \
	"unscatter.conf(5): the example configuration loads and classifies"
