#!/bin/sh
# mda-dovecot.t - dovecot-lda with Pigeonhole Sieve delivers real mail
# through unscatter into a Maildir, with samples/unscatter.sieve
# (vnd.dovecot.filter: passthrough, routing on our header) and
# samples/unscatter-terse.sieve (vnd.dovecot.execute :output: routing on the
# one-line verdict), both enabled by samples/dovecot-extprograms.conf
# included in a config of the test's own. Every message lands in its folder,
# stored as Dovecot stores it (no "From " line, LF) plus only our fields.
# Sieve cannot defer: when unscatter fails, the message goes to INBOX as it
# came, and a forged X-Unscatter-Class routes nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mda-lib.sh"
N=33
LDA=/usr/lib/dovecot/dovecot-lda
[ -x "$LDA" ] || skip_all $N "dovecot-lda is not installed (Debian package dovecot-core)"
ls /usr/lib/dovecot/modules/lib90_sieve_plugin.so /usr/lib/dovecot/modules/sieve/lib90_sieve_extprograms_plugin.so >/dev/null 2>&1 ||
	skip_all $N "Pigeonhole Sieve with extprograms is not installed (Debian package dovecot-sieve)"
mda_can_run || skip_all $N "running as root, but no user nobody or no setpriv to deliver as"
plan $N
mda_setup
# dovecot-lda aborts on an empty $USER; any name will do.
LDA_USER=${RUN_USER:-uid$RUN_UID}

# deliver SCRIPT MESSAGE [BIN [CONF]]: dovecot-lda run as the user, without
# -d and without a daemon: with $USER and $HOME set it needs no userdb. The
# config is the test's own plus the sample snippet; SCRIPT is the
# sieve_before script; the bin directory holds BIN as "unscatter". Sets $st.
deliver() {
	fresh_work
	mkdir -p "$WORK/bin" "$WORK/sieve" "$WORK/run" "$WORK/tmp"
	ln -s "${3:-$INST/bin/unscatter}" "$WORK/bin/unscatter"
	install_sample dovecot-extprograms.conf "$WORK/dovecot-extprograms.conf"
	install_sample unscatter.sieve "$WORK/sieve/unscatter.sieve" "" "$4"
	install_sample unscatter-terse.sieve "$WORK/sieve/unscatter-terse.sieve" "" "$4"
	cat >"$WORK/dovecot.conf" <<EOC
base_dir = $WORK/run
stats_writer_socket_path =
log_path = $WORK/dovecot.log
mail_temp_dir = $WORK/tmp
protocols =
ssl = no
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = .
}
postmaster_address = postmaster@example.org
!include $WORK/dovecot-extprograms.conf
EOC
	give_to_user "$WORK"
	# The snippet names unscatter.sieve as sieve_before; -o picks another.
	if [ "$1" = unscatter.sieve ]; then pick=; else pick=plugin/sieve_before=$WORK/sieve/$1; fi
	as_user env -i USER="$LDA_USER" HOME="$WORK" PATH=/usr/bin:/bin \
		"$LDA" -c "$WORK/dovecot.conf" ${pick:+-o "$pick"} \
		-f sender@example.net -a alice@example.org <"$2" 2>>"$TMP/dovecot.err"
	st=$?
	grep -E 'Error|Fatal|Panic' "$WORK/dovecot.log" 2>/dev/null | sed 's/^/# dovecot.log: /'
}

# --- every message to its folder ------------------------------------------------
mda_cases >"$TMP/cases"
while read -r name msg folder; do
	deliver unscatter.sieve "$msg"
	expect dovecot tagged "$msg" >"$TMP/want"
	check_delivered "unscatter.sieve: $name to $folder, as unscatter -p wrote it" "$st" "$folder" "$TMP/want"
	check_only_ours "unscatter.sieve: $name stored with only X-Unscatter-* fields added" dovecot "$msg"
done <"$TMP/cases"
while read -r name msg folder; do
	deliver unscatter-terse.sieve "$msg"
	expect dovecot unchanged "$msg" >"$TMP/want"
	check_delivered "unscatter-terse.sieve: $name to $folder, unchanged" "$st" "$folder" "$TMP/want"
done <"$TMP/cases"

# --- unscatter fails: the message goes to INBOX as it came ----------------------------
B=$BM/1.eml
expect dovecot unchanged "$B" >"$TMP/want"
for s in unscatter.sieve unscatter-terse.sieve; do
	deliver $s "$B" "$LOGGED" "$BADCONF"
	check_delivered "$s: bad config (78): INBOX, unchanged" "$st" INBOX "$TMP/want" "$WHY_BADCONF"
	expect dovecot unchanged "$BIG" >"$TMP/want-big"
	deliver $s "$BIG" "$LOGGED" "$BADCONF"
	check_delivered "$s: bad config, 2 MB message (Dovecot's write fails): INBOX, unchanged" "$st" INBOX "$TMP/want-big" "$WHY_BADCONF"
	deliver $s "$B" "$FULL"
	check_delivered "$s: write error (75): INBOX, unchanged" "$st" INBOX "$TMP/want" "$WHY_FULL"
	deliver $s "$B" "$SLOW" "$SLOWCONF"
	check_delivered "$s: deadline exceeded (75): INBOX, unchanged" "$st" INBOX "$TMP/want" "$WHY_SLOW"
done

# --- a forged X-Unscatter-Class routes nothing --------------------------------------
deliver unscatter.sieve "$FORGED"
expect dovecot tagged "$FORGED" >"$TMP/want"
check_delivered "unscatter.sieve: forged 'X-Unscatter-Class: backscatter' replaced, ordinary mail to INBOX" "$st" INBOX "$TMP/want"
expect dovecot unchanged "$FORGED" >"$TMP/want"
deliver unscatter.sieve "$FORGED" "$LOGGED" "$BADCONF"
check_delivered "unscatter.sieve: forged field and unscatter failing: INBOX, not routed" "$st" INBOX "$TMP/want" "$WHY_BADCONF"
deliver unscatter-terse.sieve "$FORGED"
check_delivered "unscatter-terse.sieve: forged field ignored, ordinary mail to INBOX" "$st" INBOX "$TMP/want"
deliver unscatter-terse.sieve "$FORGED" "$LOGGED" "$BADCONF"
check_delivered "unscatter-terse.sieve: forged field and unscatter failing: INBOX, not routed" "$st" INBOX "$TMP/want" "$WHY_BADCONF"
