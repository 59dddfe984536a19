#!/bin/sh
# install.t - make install / uninstall honour PREFIX and DESTDIR, and the
# installed program finds its installed rules without any configuration.
. "$TOP/tests/lib.sh"
plan 8

D=$TMP/dest
# A build of its own, free of the calling make's settings (the sanitizer
# build calls this suite too).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$TOP" install BUILD="$TMP/build" DESTDIR="$D" PREFIX=/opt/us >"$TMP/make.log" 2>&1
st=$?
is "$st" 0 "make install DESTDIR=... PREFIX=/opt/us"
[ "$st" -eq 0 ] || sed 's/^/# /' "$TMP/make.log" | tail -20
[ -x "$D/opt/us/bin/unscatter" ] && [ -f "$D/opt/us/share/man/man1/unscatter.1" ] &&
	[ -f "$D/opt/us/share/man/man5/unscatter.conf.5" ] && [ -f "$D/opt/us/share/man/man5/unscatter-rules.5" ]
is "$?" 0 "binary and man pages installed"
is "$(readlink "$D/opt/us/lib/unscatter/sieve-bin/unscatter")" /opt/us/bin/unscatter "Dovecot's sieve-bin link to the installed binary"
n_rules=$(ls "$D/opt/us/share/unscatter/rules/"*.rules | wc -l)
[ -f "$D/opt/us/share/unscatter/rules/unlikely-localparts" ]
is "$n_rules:$?" "$(ls "$TOP/rules/"*.rules | wc -l):0" "every rule file and the unlikely-localparts data installed"
# Built with PREFIX=/opt/us, its default rules path is /opt/us/...; the files
# sit under DESTDIR here, so point it at them.
out=$("$D/opt/us/bin/unscatter" -R "$D/opt/us/share/unscatter/rules" -t <"$TOP/samples/qmail-backscatter.eml")
is "$out" "backscatter dsn unknown reason=userunknown action=failed status=5.1.1" "installed binary classifies with installed rules (reason table included) and no config"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$TOP" uninstall BUILD="$TMP/build" DESTDIR="$D" PREFIX=/opt/us >/dev/null 2>&1
is "$?" 0 "make uninstall"
left=$(find "$D" ! -type d | wc -l)
is "$left" 0 "uninstall removes every installed file and link"
strings "$TMP/build/unscatter" | grep -qx /opt/us/share/unscatter/rules
is "$?" 0 "PREFIX is compiled in as the default rules path"
