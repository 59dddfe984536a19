#!/bin/sh
# mda-procmail.t - procmail delivers real mail through unscatter into a
# Maildir, with samples/procmailrc (passthrough, routing on our header) and
# samples/procmailrc-exitcode (routing on the exit status): every message in
# its folder, stored as procmail stores it plus only our fields; when
# unscatter fails, procmail defers (75) and stores nothing. The recipient
# given as procmail's argument reaches unscatter by the samples'
# RECIPIENT=$1 line, and nothing in it reaches a shell.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mda-lib.sh"
N=40
command -v procmail >/dev/null 2>&1 ||
	skip_all $N "procmail is not installed (Debian package procmail)"
mda_can_run || skip_all $N "running as root, but no user nobody or no setpriv to deliver as"
plan $N
mda_setup
recipient_setup

# deliver SAMPLE MESSAGE [BIN [CONF]]: procmail -m (no /etc/procmailrc, no
# /var/mail) with the sample as its rcfile; sets $st.
deliver() {
	fresh_work
	install_sample "$1" "$WORK/procmailrc" "$3" "$4"
	give_to_user "$WORK"
	as_user procmail -m "$WORK/procmailrc" <"$2" 2>>"$TMP/procmail.err"
	st=$?
}

# deliver_with_arg SAMPLE MESSAGE [ARG]: procmail as the samples'
# mailbox_command runs it, procmail -a ARG (which -m does not take), with
# the sample as its rcfile and its RECIPIENT=$1 line in force; sets $st.
deliver_with_arg() {
	fresh_work
	install_with_recipient "$1" "$WORK/procmailrc"
	give_to_user "$WORK"
	as_user procmail ${3:+-a "$3"} "$WORK/procmailrc" <"$2" 2>>"$TMP/procmail.err"
	st=$?
}

# --- every message to its folder ------------------------------------------------
route_all procmail procmailrc tagged
route_all procmail procmailrc-exitcode unchanged

# --- unscatter fails; a forged X-Unscatter-Class ------------------------------------
fail_all procmail procmailrc tagged writes
fail_all procmail procmailrc-exitcode unchanged

# --- the recipient as procmail's argument -------------------------------------------
recipient_all procmailrc tagged
recipient_all procmailrc-exitcode unchanged
