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
mda_cases >"$TMP/cases"
while read -r name msg folder; do
	deliver procmailrc "$msg"
	expect procmail tagged "$msg" >"$TMP/want"
	check_delivered "procmailrc: $name to $folder, as unscatter -p wrote it" "$st" "$folder" "$TMP/want"
	check_only_ours "procmailrc: $name stored with only X-Unscatter-* fields added" procmail "$msg"
done <"$TMP/cases"
while read -r name msg folder; do
	deliver procmailrc-exitcode "$msg"
	expect procmail unchanged "$msg" >"$TMP/want"
	check_delivered "procmailrc-exitcode: $name to $folder, unchanged" "$st" "$folder" "$TMP/want"
done <"$TMP/cases"

# --- unscatter fails: procmail defers, nothing is stored ------------------------------
B=$BM/1.eml
deliver procmailrc "$B" "$LOGGED" "$BADCONF"
check_deferred "procmailrc: bad config (78) defers" "$st" "$WHY_BADCONF"
deliver procmailrc "$BIG" "$LOGGED" "$BADCONF"
check_deferred "procmailrc: bad config, 2 MB message (the agent's write fails): defers" "$st" "$WHY_BADCONF"
deliver procmailrc "$B" "$FULL"
check_deferred "procmailrc: write error (75) defers" "$st" "$WHY_FULL"
deliver procmailrc "$B" "$SLOW" "$SLOWCONF"
check_deferred "procmailrc: deadline exceeded (75) defers" "$st" "$WHY_SLOW"
deliver procmailrc-exitcode "$B" "$LOGGED" "$BADCONF"
check_deferred "procmailrc-exitcode: bad config (78) defers" "$st" "$WHY_BADCONF"
deliver procmailrc-exitcode "$BIG" "$LOGGED" "$BADCONF"
check_deferred "procmailrc-exitcode: bad config, 2 MB message (the agent's write fails): defers" "$st" "$WHY_BADCONF"
deliver procmailrc-exitcode "$B" "$SLOW" "$SLOWCONF"
check_deferred "procmailrc-exitcode: deadline exceeded (75) defers" "$st" "$WHY_SLOW"

# --- a forged X-Unscatter-Class routes nothing --------------------------------------
deliver procmailrc "$FORGED"
expect procmail tagged "$FORGED" >"$TMP/want"
check_delivered "procmailrc: forged 'X-Unscatter-Class: backscatter' replaced, ordinary mail to INBOX" "$st" INBOX "$TMP/want"
deliver procmailrc "$FORGED" "$LOGGED" "$BADCONF"
check_deferred "procmailrc: forged field and unscatter failing: deferred, not routed" "$st" "$WHY_BADCONF"
deliver procmailrc-exitcode "$FORGED"
expect procmail unchanged "$FORGED" >"$TMP/want"
check_delivered "procmailrc-exitcode: forged field ignored, ordinary mail to INBOX" "$st" INBOX "$TMP/want"
deliver procmailrc-exitcode "$FORGED" "$LOGGED" "$BADCONF"
check_deferred "procmailrc-exitcode: forged field and unscatter failing: deferred, not routed" "$st" "$WHY_BADCONF"
