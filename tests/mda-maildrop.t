#!/bin/sh
# mda-maildrop.t - maildrop delivers real mail through unscatter into a
# Maildir, with samples/mailfilter (xfilter, routing on our header) and
# samples/mailfilter-exitcode (backticks, routing on $RETURNCODE): every
# message in its folder, stored as maildrop stores it plus only our fields;
# when unscatter fails, maildrop defers (75) and stores nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mda-lib.sh"
N=32
command -v maildrop >/dev/null 2>&1 && command -v maildirmake >/dev/null 2>&1 ||
	skip_all $N "maildrop is not installed (Debian package maildrop)"
mda_can_run || skip_all $N "running as root, but no user nobody or no setpriv to deliver as"
getent passwd "$RUN_UID" >/dev/null ||
	skip_all $N "uid $RUN_UID has no passwd entry, which maildrop needs"
plan $N
mda_setup

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

# --- every message to its folder ------------------------------------------------
mda_cases >"$TMP/cases"
while read -r name msg folder; do
	deliver mailfilter "$msg"
	expect maildrop tagged "$msg" >"$TMP/want"
	check_delivered "mailfilter: $name to $folder, as unscatter -p wrote it" "$st" "$folder" "$TMP/want"
	check_only_ours "mailfilter: $name stored with only X-Unscatter-* fields added" maildrop "$msg"
done <"$TMP/cases"
while read -r name msg folder; do
	deliver mailfilter-exitcode "$msg"
	expect maildrop unchanged "$msg" >"$TMP/want"
	check_delivered "mailfilter-exitcode: $name to $folder, unchanged" "$st" "$folder" "$TMP/want"
done <"$TMP/cases"

# --- unscatter fails: maildrop defers, nothing is stored ------------------------------
B=$BM/1.eml
deliver mailfilter "$B" "$LOGGED" "$BADCONF"
check_deferred "mailfilter: bad config (78) defers" "$st" "$WHY_BADCONF"
deliver mailfilter "$BIG" "$LOGGED" "$BADCONF"
check_deferred "mailfilter: bad config, 2 MB message (the agent's write fails): defers" "$st" "$WHY_BADCONF"
deliver mailfilter "$B" "$FULL"
check_deferred "mailfilter: write error (75) defers" "$st" "$WHY_FULL"
deliver mailfilter "$B" "$SLOW" "$SLOWCONF"
check_deferred "mailfilter: deadline exceeded (75) defers" "$st" "$WHY_SLOW"
deliver mailfilter-exitcode "$B" "$LOGGED" "$BADCONF"
check_deferred "mailfilter-exitcode: bad config (78) defers" "$st" "$WHY_BADCONF"
deliver mailfilter-exitcode "$BIG" "$LOGGED" "$BADCONF"
check_deferred "mailfilter-exitcode: bad config, 2 MB message (the agent's write fails): defers" "$st" "$WHY_BADCONF"
deliver mailfilter-exitcode "$B" "$SLOW" "$SLOWCONF"
check_deferred "mailfilter-exitcode: deadline exceeded (75) defers" "$st" "$WHY_SLOW"

# --- a forged X-Unscatter-Class routes nothing --------------------------------------
deliver mailfilter "$FORGED"
expect maildrop tagged "$FORGED" >"$TMP/want"
check_delivered "mailfilter: forged 'X-Unscatter-Class: backscatter' replaced, ordinary mail to INBOX" "$st" INBOX "$TMP/want"
deliver mailfilter "$FORGED" "$LOGGED" "$BADCONF"
check_deferred "mailfilter: forged field and unscatter failing: deferred, not routed" "$st" "$WHY_BADCONF"
deliver mailfilter-exitcode "$FORGED"
expect maildrop unchanged "$FORGED" >"$TMP/want"
check_delivered "mailfilter-exitcode: forged field ignored, ordinary mail to INBOX" "$st" INBOX "$TMP/want"
deliver mailfilter-exitcode "$FORGED" "$LOGGED" "$BADCONF"
check_deferred "mailfilter-exitcode: forged field and unscatter failing: deferred, not routed" "$st" "$WHY_BADCONF"
