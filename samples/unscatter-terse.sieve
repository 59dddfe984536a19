# unscatter-terse.sieve - Dovecot Sieve routes mail on unscatter's one-line
# verdict (vnd.dovecot.execute :output); the message is delivered unchanged.
# Install as the global sieve_before script of dovecot-extprograms.conf
# instead of unscatter.sieve. tests/mda-dovecot.t delivers real mail through
# this very file, with the paths substituted.
require ["vnd.dovecot.execute", "fileinto", "variables"];

# unscatter -t prints "CLASS KIND PROVENANCE" and a newline. The test is
# false, and "verdict" stays unset, if unscatter fails (75: write error or
# deadline; 78: bad config; a signal): Sieve cannot defer, so the message
# then goes to INBOX. Route on the verdict only: this mode leaves the
# message as it came, X-Unscatter-* fields a sender wrote included.
if execute :pipe :output "verdict" "unscatter" ["-c", "/etc/unscatter.conf", "-t"] {
	if string :matches "${verdict}" "backscatter *" {
		fileinto "Backscatter";
		stop;
	}
	if string :matches "${verdict}" "bounce *" {
		fileinto "Bounces";
		stop;
	}
	if string :matches "${verdict}" "autoreply *" {
		fileinto "Autoreplies";
		stop;
	}
}
