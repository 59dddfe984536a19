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
route_all dovecot unscatter.sieve tagged
route_all dovecot unscatter-terse.sieve unchanged

# --- unscatter fails; a forged X-Unscatter-Class ------------------------------------
fail_all dovecot unscatter.sieve tagged writes
fail_all dovecot unscatter-terse.sieve unchanged writes
