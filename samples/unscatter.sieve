# unscatter.sieve - Dovecot Sieve routes mail on the header unscatter adds
# (vnd.dovecot.filter, passthrough). Install as the global sieve_before
# script of dovecot-extprograms.conf (compile it with sievec as root).
# tests/mda-dovecot.t delivers real mail through this very file, with the
# paths substituted.
require ["vnd.dovecot.filter", "fileinto"];

# As a test, "filter" is true only if unscatter exited 0 and its output -
# the same message, incoming X-Unscatter-* fields removed, ours added -
# replaced the message. Sieve cannot defer: on any failure (75: write error
# or deadline; 78: bad config; a signal) the message stays as it came and
# goes to INBOX, and "stop" keeps later scripts from routing on X-Unscatter-*
# fields a sender wrote.
if not filter "unscatter" ["-c", "/etc/unscatter.conf", "-p"] {
	keep;
	stop;
}

if header :is "X-Unscatter-Class" "backscatter" {
	fileinto "Backscatter";
	stop;
}
if header :is "X-Unscatter-Class" "bounce" {
	fileinto "Bounces";
	stop;
}
if header :is "X-Unscatter-Class" "autoreply" {
	fileinto "Autoreplies";
	stop;
}
# ordinary mail, challenges, virus notices, feedback reports: on to the
# user's own script, then INBOX
