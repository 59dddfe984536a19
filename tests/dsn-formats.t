#!/bin/sh
# dsn-formats.t - bounce formats recognised by a fact of the format rather
# than by English wording, and look-alikes that are not bounces.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mail.sh"

plan 11

# An Office 365 NDR in Dutch: the text is not among the rules' wording,
# the header Exchange puts on every NDR is.
cat >"$TMP/msg" <<EOF
From: postmaster@contoso.example
To: sales@example.com
Subject: $(ew utf-8 B "Onbestelbaar: Offerte")
Date: Tue, 01 Dec 2026 07:20:00 +0000
Message-ID: <f0a1c2d3-ndr@contoso.example>
X-MS-Exchange-Message-Is-Ndr:
Auto-Submitted: auto-replied
MIME-Version: 1.0
$(mail_text utf-8 quoted-printable "Uw bericht aan kim@contoso.example kon niet worden bezorgd.
kim heeft geen postvak op contoso.example.
Remote server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'")
EOF
expect dsn exchange-nl "Office 365 NDR in Dutch, by X-MS-Exchange-Message-Is-Ndr"

# Office 365's localised "Undeliverable:" subjects from the postmaster, the
# text in the same language (none of it among the rules' English wording).
ndr() { # ndr NAME CHARSET SUBJECT BODY
	cat >"$TMP/msg" <<EOF
From: Microsoft Outlook <postmaster@contoso.example>
To: sales@example.com
Subject: $(ew "$2" B "$3")
Date: Tue, 01 Dec 2026 07:50:00 +0000
Message-ID: <ndr.$1@contoso.example>
MIME-Version: 1.0
$(mail_text "$2" base64 "$4")
EOF
	expect dsn "ndr-$1" "Office 365 NDR subject in $1 ($2)"
}
ndr sv iso-8859-1 "Olevererbart: Offert" "Det gick inte att leverera meddelandet till kim@contoso.example."
ndr pl iso-8859-2 "Niedostarczalne: Oferta" "Nie można dostarczyć wiadomości do kim@contoso.example."
ndr tr iso-8859-9 "Teslim edilemedi: Teklif" "İleti kim@contoso.example adresine teslim edilemedi."
ndr zh gb2312 "无法投递: 报价单" "邮件无法送达 kim@contoso.example。"
ndr ko euc-kr "배달 못 함: 견적" "kim@contoso.example 에게 메시지를 배달하지 못했습니다."

# A person's forward of that NDR, even with the header copied: not a bounce.
sed -e 's/^Subject: .*/Subject: Fwd: Onbestelbaar: Offerte/' -e 's/^From: .*/From: Kim Taylor <kim@example.com>/' \
	-e '/^Auto-Submitted:/d' "$TMP/exchange-nl.eml" >"$TMP/msg"
expect none exchange-fwd "a forwarded NDR (Fwd: subject) is not itself a bounce"

# au (KDDI): the carrier's two template lines, Japanese text around them.
cat >"$TMP/msg" <<EOF
From: no-reply@ezweb.example.ne.jp
To: sales@example.com
Subject: $(ew iso-2022-jp B "メールエラー通知")
Date: Tue, 01 Dec 2026 16:20:00 +0900
Message-ID: <kddi.20261201@ezweb.example.ne.jp>
MIME-Version: 1.0
$(mail_text iso-2022-jp 7bit "送信先のメールボックスが一杯のため、送信できませんでした。

Your mail sent on: Tue, 01 Dec 2026 16:19:58 +0900
     Could not be delivered to: <kim@ezweb.example.ne.jp>
     As their mailbox is full.")
EOF
expect dsn kddi "au (KDDI) carrier bounce"

# A daemon stating a failure reason with its reply code.
cat >"$TMP/msg" <<'EOF'
From: Postmaster <postmaster@mail.example.net>
To: sales@example.com
Subject: Message status
Date: Tue, 01 Dec 2026 07:21:00 +0000
Message-ID: <st.1@mail.example.net>
Content-Type: text/plain; charset=us-ascii

Your message to kim@example.net on Tue, 01 Dec 2026 07:20:51 +0000:
  550 5.1.1 <kim@example.net>: Recipient address rejected: User unknown
EOF
expect dsn reason "a postmaster's notice with an SMTP failure reason and code"

# A postmaster's quota warning: reason-like words, no reply code.
cat >"$TMP/msg" <<'EOF'
From: Postmaster <postmaster@example.com>
To: sales@example.com
Subject: Your mailbox is almost full
Date: Tue, 01 Dec 2026 07:22:00 +0000
Message-ID: <quota.1@example.com>
Content-Type: text/plain; charset=us-ascii

Your mailbox is 95 % full. When your mailbox is full, or over quota,
new mail to you will be returned to its senders. Please delete old mail.
EOF
expect none quota "a postmaster's quota warning is not a bounce"

# A postmaster's announcement about delivery.
cat >"$TMP/msg" <<'EOF'
From: Postmaster <postmaster@example.com>
To: staff@example.com
Subject: Mail delivery delays tonight
Date: Tue, 01 Dec 2026 07:23:00 +0000
Message-ID: <ann.1@example.com>
Content-Type: text/plain; charset=us-ascii

Tonight from 22:00 the mail servers are upgraded; mail may be delayed for
an hour. Nothing will be returned or lost.
EOF
expect none announcement "a postmaster's announcement is not a bounce"
