#!/bin/sh
# mda-procmail.t - procmail delivers real mail through unscatter into a
# Maildir, with samples/procmailrc (passthrough, routing on our header) and
# samples/procmailrc-exitcode (routing on the exit status): every message in
# its folder, stored as procmail stores it plus only our fields; when
# unscatter fails, procmail defers (75) and stores nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mda-lib.sh"
N=32
command -v procmail >/dev/null 2>&1 ||
	skip_all $N "procmail is not installed (Debian package procmail)"
mda_can_run || skip_all $N "running as root, but no user nobody or no setpriv to deliver as"
plan $N
mda_setup

# deliver SAMPLE MESSAGE [BIN [CONF]]: procmail -m (no /etc/procmailrc, no
# /var/mail) with the sample as its rcfile; sets $st.
deliver() {
	fresh_work
	install_sample "$1" "$WORK/procmailrc" "$3" "$4"
	give_to_user "$WORK"
	as_user procmail -m "$WORK/procmailrc" <"$2" 2>>"$TMP/procmail.err"
	st=$?
}

# --- every message to its folder ------------------------------------------------
route_all procmail procmailrc tagged
route_all procmail procmailrc-exitcode unchanged

# --- unscatter fails; a forged X-Unscatter-Class ------------------------------------
fail_all procmail procmailrc tagged writes
fail_all procmail procmailrc-exitcode unchanged
