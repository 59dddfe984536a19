# tests/mail.sh - build test messages the way mail clients encode them (sourced
# after tests/lib.sh). Text is given in UTF-8 and converted with iconv(1).
#
#   ew CHARSET B|Q TEXT         an RFC 2047 encoded word of TEXT in CHARSET
#   encode CTE                  stdin to stdout in base64, quoted-printable,
#                               7bit or 8bit (unchanged)
#   mail_text CHARSET CTE BODY  "Content-Type: text/plain; charset=...",
#                               the transfer encoding, a blank line and BODY
#                               converted and encoded
#   kind_of FILE                the KIND word of the verdict for FILE
#   fired FILE                  names of the rules that fired, one per line
#   expect KIND NAME 'what'     test point: the message written to $TMP/msg
#                               (kept as $TMP/NAME.eml) is of kind KIND

# The iconv name of a charset label: Outlook's "ks_c_5601-1987" is what
# iconv calls CP949.
iconv_name() {
	case $1 in
	ks_c_5601-1987) echo CP949 ;;
	*) echo "$1" ;;
	esac
}

# Hex bytes of stdin, one per line, lower case.
hexbytes() { od -An -v -tx1 | tr -s ' \n' '\n\n' | sed '/^$/d'; }

ew() {
	cs=$1 enc=$2
	if [ "$enc" = B ]; then
		printf '=?%s?B?%s?=' "$cs" "$(printf '%s' "$3" | iconv -f UTF-8 -t "$(iconv_name "$cs")" | base64 -w 0)"
	else
		printf '=?%s?Q?' "$cs"
		printf '%s' "$3" | iconv -f UTF-8 -t "$(iconv_name "$cs")" | hexbytes | awk '
			BEGIN { for (i = 32; i < 127; i++) ch[sprintf("%02x", i)] = sprintf("%c", i) }
			$1 == "20" { printf "_"; next }
			($1 in ch) && ch[$1] ~ /[A-Za-z0-9.,:!-]/ { printf "%s", ch[$1]; next }
			{ printf "=%s", toupper($1) }'
		printf '?='
	fi
}

# Quoted-printable (RFC 2045 6.7): lines kept, soft breaks before 76 columns.
qp() {
	hexbytes | awk '
		BEGIN { for (i = 32; i < 127; i++) ch[sprintf("%02x", i)] = sprintf("%c", i) }
		function put(s) {
			if (col + length(s) > 75) { printf "=\n"; col = 0 }
			printf "%s", s; col += length(s)
		}
		$1 == "0a" { printf "\n"; col = 0; next }
		($1 in ch) && $1 != "3d" { put(ch[$1]); next }
		{ put("=" toupper($1)) }'
}

encode() {
	case $1 in
	base64) base64 -w 76 ;;
	quoted-printable) qp ;;
	*) cat ;;
	esac
}

mail_text() {
	printf 'Content-Type: text/plain; charset="%s"\nContent-Transfer-Encoding: %s\n\n' "$1" "$2"
	printf '%s\n' "$3" | iconv -f UTF-8 -t "$(iconv_name "$1")" | encode "$2"
}

kind_of() {
	set -- $("$UNSCATTER" -R "$RULES" -t <"$1")
	echo "${2:-error}"
}

fired() {
	"$UNSCATTER" -R "$RULES" -e -t <"$1" 2>&1 >/dev/null | sed -n 's/^rule \([^ ]*\) fired:.*/\1/p'
}

expect() {
	mv "$TMP/msg" "$TMP/$2.eml"
	k=$(kind_of "$TMP/$2.eml")
	is "$k" "$1" "$3"
	[ "$k" = "$1" ] || fired "$TMP/$2.eml" | sed 's/^/#   fired: /'
}
