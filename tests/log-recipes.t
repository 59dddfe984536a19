#!/bin/sh
# log-recipes.t - the MTA log pipelines of unscatter(1), "Feeding the
# lists", run as printed there (only the paths changed) on Postfix and Exim
# log lines: they feed the Message-IDs and envelope senders of
# authenticated submissions, and nothing a remote sender wrote into its
# Message-ID, subject or envelope sender, even when it looks like a log
# field.
. "$TOP/tests/lib.sh"
plan 8

# recipe PHRASE: the first literal display after the man page line that
# begins with PHRASE, mdoc escapes undone, the log and list paths put in
# $TMP and every list that harvest writes also copied to $TMP/fed.
recipe() {
	man_display unscatter.1 "$1" |
		sed -e "s|/var/log/mail.log|$TMP/mail.log|" \
		    -e "s|/var/log/exim4/mainlog|$TMP/mainlog|" \
		    -e "s|/var/lib/unscatter/|$TMP/|g" \
		    -e "s/unscatter harvest/tee -a \"\$TMP\/fed\" | \"\$UNSCATTER\" harvest/"
}
# feeds PHRASE: what the recipe hands harvest, one per line, or why not.
feeds() {
	recipe "$1" >"$TMP/recipe.sh"
	grep -q 'harvest' "$TMP/recipe.sh" || { echo "no recipe after '$1' in unscatter(1)"; return; }
	: >"$TMP/fed"
	TMP=$TMP UNSCATTER=$UNSCATTER sh "$TMP/recipe.sh" 2>"$TMP/err" || { echo "failed: $(cat "$TMP/err")"; return; }
	tr '\n' ' ' <"$TMP/fed"
}

# Two authenticated submissions (one with a long queue ID), mail from
# outside whose Message-ID and envelope sender carry log-like text, and
# the lines of other programs. Postfix logs a Message-ID as it comes.
cat >"$TMP/mail.log" <<'LOG'
Dec  1 06:00:01 mail postfix/submission/smtpd[811]: 4F1A2C0123: client=pc.example.com[192.0.2.77], sasl_method=PLAIN, sasl_username=alice
Dec  1 06:00:01 mail postfix/cleanup[812]: 4F1A2C0123: message-id=<log.1@example.com>
Dec  1 06:00:02 mail postfix/smtpd[813]: 5A0B1C0456: client=mx.partner.example.net[198.51.100.40]
Dec  1 06:00:02 mail postfix/cleanup[812]: 5A0B1C0456: message-id=<x sasl_username=y message-id=<planted.1@evil.example>
Dec  1 06:00:02 mail postfix/cleanup[812]: 5A0B1C0456: message-id=<x postfix/smtpd[1]: 5A0B1C0456: client=a[192.0.2.9], sasl_method=PLAIN, sasl_username=y>
Dec  1 06:00:03 mail postfix/qmgr[814]: 4F1A2C0123: from=<Dora@example.com>, size=1234, nrcpt=1 (queue active)
Dec  1 06:00:03 mail postfix/qmgr[814]: 5A0B1C0456: from=<forged@example.com>, size=999, nrcpt=1 (queue active)
Dec  1 06:00:04 mail postfix/submission/smtpd[815]: 4Nq8Kx1ZYz3zcQ: client=laptop.example.com[192.0.2.78], sasl_method=LOGIN, sasl_username=carol
Dec  1 06:00:04 mail postfix/cleanup[812]: 4Nq8Kx1ZYz3zcQ: message-id=<log.2@example.com>
Dec  1 06:00:05 mail postfix/qmgr[814]: 4Nq8Kx1ZYz3zcQ: from=<carol@example.com>, size=800, nrcpt=2 (queue active)
Dec  1 06:00:06 mail postfix/smtp[816]: 4F1A2C0123: to=<bob@example.net>, relay=mx.example.net[203.0.113.5]:25, status=sent (250 ok)
LOG
is "$(feeds 'From the Postfix log, the Message-IDs')" "<log.1@example.com> <log.2@example.com> " \
	"Postfix log: the Message-IDs of the authenticated submissions only"
is "$(feeds 'The addresses we send from, from the Postfix log')" "Dora@example.com carol@example.com " \
	"Postfix log: the envelope senders of the authenticated submissions only"

# Exim, by default and with log_timezone and +pid; a sender, a subject and
# a Message-ID that carry "A="; a bounce; a delivery line.
cat >"$TMP/mainlog" <<'LOG'
2026-12-01 06:00:01 1vXyZa-000AbC-12 <= alice@example.com H=pc.example.com [192.0.2.77] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:alice S=1234 id=exim.1@example.com T="Hello" for bob@example.net
2026-12-01 06:00:02 1vXyZb-000AbD-34 <= A=spoof@evil.example H=mx.evil.example [198.51.100.40] P=esmtp S=999 id=planted.2@evil.example T="see A=x" for alice@example.com
2026-12-01 06:00:03 1vXyZd-000AbF-78 <= mallory@evil.example H=mx.evil.example [198.51.100.40] P=esmtp S=998 id=planted.3@evil A=x T="hi" for alice@example.com
2026-12-01 06:00:04 +0100 [4321] 1vXyZc-000AbE-56 <= carol@example.com H=(laptop) [192.0.2.78] P=esmtpsa A=dovecot_login:carol S=800 id=exim.3@example.com
2026-12-01 06:00:05 1vXyZe-000AbG-90 <= <> R=1vXyZa-000AbC-12 U=Debian-exim P=local S=2000 id=E1vXyZe-000AbG-90@mail.example.com
2026-12-01 06:00:06 1vXyZa-000AbC-12 => bob@example.net R=dnslookup T=remote_smtp H=mx.example.net [203.0.113.5] C="250 ok"
LOG
recipe 'From the Exim main log' >"$TMP/exim.sh"
# The display holds the Message-ID pipeline, then the sender one.
awk 'NR == 1, /harvest/' "$TMP/exim.sh" >"$TMP/exim-ids.sh"
awk 'seen; /harvest/ { seen = 1 }' "$TMP/exim.sh" >"$TMP/exim-from.sh"
: >"$TMP/fed"
TMP=$TMP UNSCATTER=$UNSCATTER sh "$TMP/exim-ids.sh" 2>"$TMP/err"
is "$?:$(tr '\n' ' ' <"$TMP/fed")" "0:exim.1@example.com exim.3@example.com " \
	"Exim log: the Message-IDs of the authenticated arrivals only"
: >"$TMP/fed"
TMP=$TMP UNSCATTER=$UNSCATTER sh "$TMP/exim-from.sh" 2>"$TMP/err"
is "$?:$(tr '\n' ' ' <"$TMP/fed")" "0:alice@example.com carol@example.com " \
	"Exim log: the envelope senders of the authenticated arrivals only"

# What the pipelines fed is in the lists: a bounce quoting one of the
# harvested Message-IDs is ours, one quoting a planted one is not.
printf 'rules %s\nsent-ids %s/sent-ids.cdb\n' "$RULES" "$TMP" >"$TMP/u.conf"
bounce() {
	sed "s/^Message-ID: .*/Message-ID: <$1>/" "$TOP/samples/backscatter-dsn.eml" >"$TMP/b.eml"
	"$UNSCATTER" -c "$TMP/u.conf" -t <"$TMP/b.eml" | cut -d ' ' -f 1-3
}
grep -q '^Message-ID: ' "$TOP/samples/backscatter-dsn.eml"
is "$?" 0 "samples/backscatter-dsn.eml quotes a Message-ID"
is "$(bounce log.1@example.com)" "bounce dsn ours" "a bounce quoting a Message-ID from the Postfix log is ours"
is "$(bounce exim.3@example.com)" "bounce dsn ours" "a bounce quoting a Message-ID from the Exim log is ours"
is "$(bounce planted.1@evil.example)" "backscatter dsn unknown" "a bounce quoting the planted Message-ID is not"
