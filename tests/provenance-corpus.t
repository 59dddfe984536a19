#!/bin/sh
# provenance-corpus.t - SpamAssassin's t.rules/BOUNCE_MESSAGE cases, each with
# the relays its own rule test names as ours (whitelist_bounce_relays).
# Backscatter: bounces and a challenge whose quoted original did not pass our
# relays. Genuine: fp-bug5900-1 and fp_bug5912_att4321/4322 quote a Received
# header of one of our relays. The fp-* non-bounces must stay ordinary mail.
. "$TOP/tests/lib.sh"

D=$CORPUS/spamassassin/t.rules/BOUNCE_MESSAGE
SOMAN=soman.fdntech.com
cases() {
cat <<EOT
1.eml				$SOMAN	backscatter dsn
2.eml				$SOMAN	backscatter dsn
3.eml				$SOMAN	backscatter dsn
4.eml				$SOMAN	backscatter dsn
6.eml				$SOMAN	backscatter dsn
7.eml				$SOMAN	backscatter dsn
14.eml				$SOMAN	backscatter dsn
bug-5942-1.eml			$SOMAN	backscatter dsn
bug-5942-2.eml			$SOMAN	backscatter dsn
bug-6051-1.eml			mx1.comprehensive.cc.spammertrap.net	backscatter dsn
bug5884_att4343_2.eml		$SOMAN	backscatter dsn
bug5884_att4343_centroshop.eml	$SOMAN	backscatter dsn
bug5884_att4343_tbwamerlin.eml	$SOMAN	backscatter dsn
10.eml				anythingbutsoman.fdntech.com	backscatter challenge
fp-bug5900-1.eml		baz.fi	bounce dsn
fp_bug5912_att4321.eml		mail.homes-magazine.com,mailgw02.wolfnettech.com,levit.reacheach1.com,smtp*.blackberry.com,*.tcsn.net	bounce dsn
fp_bug5912_att4322.eml		mail.homes-magazine.com,mailgw02.wolfnettech.com,levit.reacheach1.com,smtp*.blackberry.com,*.tcsn.net	bounce dsn
fp-bug-5942-3.eml		$SOMAN	ordinary none
fp-bug5882-att4297.eml		-	ordinary none
fp-bug5882-att4298.eml		-	ordinary none
fp-bug5882-att4299.eml		-	ordinary none
fp-bug5882-att4300.eml		-	ordinary none
fp-bug5882-att4301.eml		-	ordinary none
fp-bug5942-1.eml		srv-asgw03.csi.it	ordinary none
fp-bug5994-1.eml		daffy.timing.com	ordinary none
fp-bug6008-1.eml		bugs1.secnap.com	ordinary none
EOT
}

plan "$(cases | wc -l)"
cases | while read -r file relays class kind; do
	if [ "$relays" = - ]; then
		conf=$(make_config)
	else
		# shellcheck disable=SC2046
		conf=$(make_config $(echo "$relays" | tr ',' ' '))
	fi
	got=$("$UNSCATTER" -c "$conf" -t <"$D/$file")
	set -- $got
	is "$1 $2" "$class $kind" "$file with relays $relays ($got)"
done
