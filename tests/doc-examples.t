#!/bin/sh
# doc-examples.t - every example of the README and of unscatter(1)'s
# EXAMPLES that runs unscatter on the files in samples/ prints what the
# document shows under it: the command after "$ ", its output the lines up
# to the next command or the end of the block.
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
plan $((count + 1))
is "$([ "$count" -ge 6 ] && echo enough)" enough "the documents show at least 6 examples on samples/ ($count)"
mkdir -p "$TMP/bin"
ln -s "$UNSCATTER" "$TMP/bin/unscatter"
while IFS='	' read -r cmd want; do
	got=$(cd "$TOP" && PATH=$TMP/bin:$PATH sh -c "$cmd" 2>&1 | awk '{ printf "%s%s", (NR > 1 ? "\\n" : ""), $0 }')
	is "$got" "$want" "$cmd"
done <"$TMP/examples"
