#!/bin/sh
# mda-maildrop.t - maildrop delivers real mail through unscatter into a
# Maildir, with samples/mailfilter (xfilter, routing on our header) and
# samples/mailfilter-exitcode (backticks, routing on $RETURNCODE): every
# message in its folder, stored as maildrop stores it plus only our fields;
# when unscatter fails, maildrop defers (75) and stores nothing. The
# recipient given as maildrop's argument reaches unscatter by the samples'
# RECIPIENT=$1 line, and nothing in it reaches a shell.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mda-lib.sh"
N=40
command -v maildrop >/dev/null 2>&1 && command -v maildirmake >/dev/null 2>&1 ||
	skip_all $N "maildrop is not installed (Debian package maildrop)"
mda_can_run || skip_all $N "running as root, but no user nobody or no setpriv to deliver as"
getent passwd "$RUN_UID" >/dev/null ||
	skip_all $N "uid $RUN_UID has no passwd entry, which maildrop needs"
plan $N
mda_setup
recipient_setup

# deliver SAMPLE MESSAGE [BIN [CONF]]: maildrop in manual mode with the
# sample as its filter file (owned by the user, mode 600, as maildrop
# insists); maildrop creates no folders, so they are made first. Sets $st.
deliver() {
	fresh_work
	for f in Backscatter Bounces Autoreplies; do maildirmake -f "$f" "$MD"; done
	install_sample "$1" "$WORK/mailfilter" "$3" "$4"
	chmod 600 "$WORK/mailfilter"
	give_to_user "$WORK"
	as_user maildrop "$WORK/mailfilter" <"$2" 2>>"$TMP/maildrop.err"
	st=$?
}

# deliver_with_arg SAMPLE MESSAGE [ARG]: as deliver, with the sample's
# RECIPIENT=$1 line in force and ARG after the filter file, where $1 takes
# it as it takes the one after the user with -d (which needs the user's own
# home, so is not run here); sets $st.
deliver_with_arg() {
	fresh_work
	for f in Backscatter Bounces Autoreplies; do maildirmake -f "$f" "$MD"; done
	install_with_recipient "$1" "$WORK/mailfilter"
	chmod 600 "$WORK/mailfilter"
	give_to_user "$WORK"
	as_user maildrop "$WORK/mailfilter" ${3:+"$3"} <"$2" 2>>"$TMP/maildrop.err"
	st=$?
}

# --- every message to its folder ------------------------------------------------
route_all maildrop mailfilter tagged
route_all maildrop mailfilter-exitcode unchanged

# --- unscatter fails; a forged X-Unscatter-Class ------------------------------------
fail_all maildrop mailfilter tagged writes
fail_all maildrop mailfilter-exitcode unchanged

# --- the recipient as maildrop's argument -------------------------------------------
recipient_all mailfilter tagged
recipient_all mailfilter-exitcode unchanged
