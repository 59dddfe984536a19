#!/bin/sh
# challenge-virus.t - challenge-response requests and virus/content-scanner
# notices of the families the shared corpus lacks, written here after the
# systems' own templates; and ordinary mail and bounces that only talk
# about verification or viruses, which must not count.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mail.sh"

plan 27

hdr() {
	printf 'Date: Tue, 01 Dec 2026 07:10:00 +0100\nTo: sales@example.com\nMIME-Version: 1.0\n'
}

# --- challenge-response -------------------------------------------------------

{ hdr; cat <<'EOF'
Return-Path: <>
From: Kim Taylor <kim-confirm-1764569400.31337.7a5b1c@example.net>
Subject: Please confirm your message
Message-ID: <1764569400.31337.TMDA@mail.example.net-tmda-confirm>
X-Delivery-Agent: TMDA/1.1.12 (Macallan)
Auto-Submitted: auto-replied
Precedence: bulk
Content-Type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software (TMDA).

Your message attached below, being sent to kim@example.net has been
quarantined pending your confirmation.  This is because I use a program
which blocks unsolicited commercial email ("spam") and other junk mail.

To release your message for delivery, please send an empty message
to the following address, or use your mailer's "Reply" feature.

   kim-confirm-1764569400.31337.7a5b1c@example.net

Your confirmation verifies that you are a legitimate sender and
permits all of your future messages to be delivered without a
confirmation request.

--- Enclosed is a copy of your message.

From: sales@example.com
Subject: Quarterly figures
EOF
} >"$TMP/msg"
expect challenge tmda "TMDA confirmation request (wins over its bounce-like wording)"

{ hdr; cat <<'EOF'
Return-Path: <bounce-verify@spamarrest.com>
From: Kim Taylor <kim@example.net>
Subject: Re: Quarterly figures (verification)
Message-ID: <sa.88213@spamarrest.com>
X-Spamarrest-noauth: 1
Content-Type: text/plain; charset=us-ascii

Hello sales@example.com,

I apologize for this automatic reply to your email.

To control spam, I now allow incoming messages only from senders I have
approved beforehand.

If you would like to be added to my list of approved senders, please
click the link below and follow the instructions:

http://www.spamarrest.com/a2?ConfirmationCode=q7Wm2kJx

Thank you,
Kim Taylor
EOF
} >"$TMP/msg"
expect challenge spamarrest "Spam Arrest verification request"

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@mailblocks.com>
Subject: Re: Quarterly figures [Mailblocks: please verify]
Message-ID: <mb.5521.challenge@mailblocks.com>
Content-Type: text/plain; charset=us-ascii

Hello,

I'm protecting myself from spam with Mailblocks. Your message to me is
being held until you prove that you are a person and not a program.

To verify, click the link below and type the number you see:
http://app.mailblocks.com/verify.aspx?c=4fK2

You only have to do this once.
EOF
} >"$TMP/msg"
expect challenge mailblocks "Mailblocks challenge"

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@example.net>
Subject: Please confirm (conf#2f7c9a1b6de8e04a7a11b2c4d5e6f708)
Message-ID: <ask.20261201.1@example.net>
X-AskVersion: 2.5.3 (http://www.paganini.net/ask)
Content-Type: text/plain; charset=us-ascii

Hi,

This is an automated message from the mail account of Kim Taylor.
This is the first time you have sent me mail, and my spam filter keeps
mail from unknown senders until they confirm.

To have your message delivered, please reply to this message keeping
the subject line intact.

--
Active Spam Killer (ASK)
EOF
} >"$TMP/msg"
expect challenge ask "Active Spam Killer confirmation"

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@example.net>
Subject: Quarterly figures [Qurb #7512339]
Message-ID: <qurb.7512339@example.net>
Content-Type: text/plain; charset=us-ascii

Your message to kim@example.net has been held by Qurb automatic email
protection because you are not yet on the approved sender list.

Please click the link below to confirm that you sent it:
http://www.qurb.com/confirm?id=7512339
EOF
} >"$TMP/msg"
expect challenge qurb "Qurb confirmation request"

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@example.net>
Subject: Re: Quarterly figures - registration request
Message-ID: <cm.102938@example.net>
X-Choicemail-Registration-Request: 1
Content-Type: text/plain; charset=us-ascii

I am using ChoiceMail, a program that only lets mail from people I have
approved into my inbox. Your message is waiting; to get it delivered,
please fill in the short registration form at

http://register.example.net/choicemail?id=102938

I will approve your registration when I see it.
EOF
} >"$TMP/msg"
expect challenge choicemail "ChoiceMail registration request"

{ hdr; cat <<'EOF'
From: Hélène Lefèvre <helene@example.fr>
Subject: =?iso-8859-1?Q?Message_en_attente_de_v=E9rification?=
Message-ID: <mib.2211@example.fr>
Content-Type: multipart/alternative; boundary="mUlTiPaRtBoUnDaRy_MailInBlack_4fe1"

--mUlTiPaRtBoUnDaRy_MailInBlack_4fe1
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Bonjour,

Vous avez envoy=E9 un message =E0 helene@example.fr. Pour qu'il soit
d=E9livr=E9, merci de cliquer sur le lien ci-dessous et de recopier le code.
Vous ne le ferez qu'une fois.

Protection MailInBlack
--mUlTiPaRtBoUnDaRy_MailInBlack_4fe1--
EOF
} >"$TMP/msg"
expect challenge mailinblack "MailInBlack challenge (French, quoted-printable)"

{ hdr; cat <<'EOF'
Return-Path: <>
From: Mail Filter <filter@example.net>
Subject: Please confirm you are a human
Message-ID: <cr.5511@example.net>
Content-Type: text/plain; charset=us-ascii

Your message to kim@example.net has been held pending verification.
To prove that you are a human and not a spam robot, please reply to this
message, or visit the link below:

https://filter.example.net/release?m=5511
EOF
} >"$TMP/msg"
expect challenge homemade '"please confirm you are a human" request'

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@example.net>
Subject: Your email requires verification verify:6192837
Message-ID: <bt.6192837@example.net>
Content-Type: text/plain; charset=us-ascii

The message you sent requires that you verify that you
are a real live human being and not a spam source.

To complete this verification, simply reply to this message and leave
the subject line intact.
EOF
} >"$TMP/msg"
expect challenge boxtrapper "cPanel BoxTrapper verification"

# --- virus and content-scanner notices ----------------------------------------

{ hdr; cat <<'EOF'
Return-Path: <>
From: Content-filter at mx.example.net <postmaster@mx.example.net>
Subject: VIRUS (Eicar-Signature) IN MAIL FROM YOU
Message-ID: <VSi7a9b2c@mx.example.net>
Content-Type: text/plain; charset=us-ascii

V I R U S  A L E R T

Our content checker found
    virus: Eicar-Signature

in email presumably from you <sales@example.com>
to the following recipient:
-> kim@example.net

Delivery of the email was stopped!
EOF
} >"$TMP/msg"
expect virus amavis "Amavis virus alert"

{ hdr; cat <<'EOF'
From: MailScanner <postmaster@example.net>
Subject: Warning: E-mail viruses detected
Message-ID: <ms.7781@example.net>
X-MailScanner: generated
Content-Type: text/plain; charset=us-ascii

Our virus detector has just been triggered by a message you sent:-
  To: kim@example.net
  Subject: invoice
  Date: Tue Dec  1 07:02:11 2026
Any infected parts of the message (invoice.zip) have not been delivered.

This message is simply to warn you that your computer system may have a
computer virus present and should be checked.

The virus detector said this about the message:
Report: ClamAV: invoice.zip contains Win.Trojan.Agent

--
MailScanner
Email Virus Scanner
EOF
} >"$TMP/msg"
expect virus mailscanner "MailScanner sender warning"

{ hdr; cat <<'EOF'
Return-Path: <>
From: clamav-milter <postmaster@example.net>
Subject: Virus intercepted
Message-ID: <clam.1102@example.net>
Content-Type: text/plain; charset=us-ascii

A message sent from <sales@example.com> to
	<kim@example.net>
contained Win.Test.EICAR_HDB-1 and has not been delivered.
EOF
} >"$TMP/msg"
expect virus clamav "clamav-milter notice"

{ hdr; cat <<'EOF'
From: Symantec Mail Security <postmaster@example.net>
Subject: Symantec Mail Security detected a virus in a message you sent
Message-ID: <sms.4432@example.net>
Content-Type: text/plain; charset=us-ascii

Subject of the message: invoice
Recipient of the message: Kim Taylor

Symantec Mail Security replaced invoice.zip with this text message.
The original file contained a virus and was quarantined.
EOF
} >"$TMP/msg"
expect virus symantec "Symantec Mail Security notice"

{ hdr; cat <<'EOF'
From: ScanMail for Microsoft Exchange <postmaster@example.net>
Subject: ScanMail Message: To Sender, virus found and action taken.
Message-ID: <smex.2231@example.net>
Content-Type: text/plain; charset=us-ascii

ScanMail for Microsoft Exchange has detected virus-infected attachment(s).

Sender = sales@example.com
Recipient(s) = kim@example.net
Subject = invoice
Scanning Time = 12/1/2026 7:05:11
Action on virus found:
The attachment invoice.zip contained WORM_MYDOOM.A. It has been quarantined.
EOF
} >"$TMP/msg"
expect virus scanmail "Trend Micro ScanMail notice"

{ hdr; cat <<'EOF'
From: McAfee GroupShield <postmaster@example.net>
Subject: McAfee GroupShield Alert
Message-ID: <gs.771@example.net>
Content-Type: text/plain; charset=us-ascii

McAfee GroupShield found a virus in a message you sent to kim@example.net.
The infected attachment invoice.zip has been removed and quarantined.
EOF
} >"$TMP/msg"
expect virus groupshield "McAfee GroupShield alert"

{ hdr; cat <<'EOF'
From: Mail Administrator <postmaster@example.net>
Subject: Blocked attachment
Message-ID: <ba.1199@example.net>
Content-Type: text/plain; charset=us-ascii

The attachment invoice.exe of your message to kim@example.net has been
removed before delivery. Attachments of this file type are not allowed
on our mail system.
EOF
} >"$TMP/msg"
expect virus blocked "blocked-attachment notice"

{ hdr; cat <<'EOF'
Return-Path: <alert@notification.messagelabs.com>
From: MessageLabs <alert@notification.messagelabs.com>
Subject: WARNING. You sent a potentially infected email
Message-ID: <ml.55@notification.messagelabs.com>
Content-Type: text/plain; charset=us-ascii

The email you sent to kim@example.net was found to contain a virus
and has been quarantined. The attachment was not delivered.
EOF
} >"$TMP/msg"
expect virus messagelabs "MessageLabs notification"

# --- what must not count -------------------------------------------------------

{ hdr; cat <<'EOF'
From: Security Bulletin <news@security.example.org>
Subject: Virus alert: new worm spreads through e-mail attachments
Message-ID: <bulletin.2026-48@security.example.org>
List-Unsubscribe: <mailto:leave@security.example.org>
Content-Type: text/plain; charset=us-ascii

A new worm is spreading by e-mail. The infected attachment is a .zip file
named invoice.zip; scanners detect it as Win.Trojan.Agent. Your virus
scanner deleted your message? Then it did its job: do not open the file.
EOF
} >"$TMP/msg"
expect none bulletin "security newsletter about a virus: ordinary mail"

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@example.net>
Subject: Re: invoice
Message-ID: <re.invoice@example.net>
In-Reply-To: <inv.1@example.com>
Content-Type: text/plain; charset=us-ascii

Hi,

I think the file you sent me had a virus: my scanner quarantined the
attachment and said the infected attachment was removed. Could you resend
it as a PDF?

Kim
EOF
} >"$TMP/msg"
expect none virus-reply "a person's reply about a virus: ordinary mail"

{ hdr; cat <<'EOF'
From: Events <events@example.org>
Subject: Please confirm your attendance
Message-ID: <ev.2026@example.org>
Content-Type: text/plain; charset=us-ascii

Thank you for registering for our workshop. Please confirm your
attendance by clicking the link below:

https://events.example.org/confirm?r=991
EOF
} >"$TMP/msg"
expect none attendance "event confirmation request: ordinary mail"

{ hdr; cat <<'EOF'
From: Kim Taylor <kim@example.net>
Subject: Re: Please confirm you are a human
Message-ID: <re.human@example.net>
Content-Type: text/plain; charset=us-ascii

Funny, your filter told me my message has been held pending verification
and asked me to prove that I am a human by clicking a link. Done.

> Your message to kim@example.net has been held pending verification.
EOF
} >"$TMP/msg"
expect none cr-reply "a person's reply about a challenge: ordinary mail"

{ hdr; cat <<'EOF'
Return-Path: <users-bounces@lists.example.org>
From: users-owner@lists.example.org
Subject: Your message to users awaits moderator approval
Message-ID: <mod.77@lists.example.org>
Content-Type: text/plain; charset=us-ascii

Your message to users@lists.example.org has been held pending moderator
approval because you are not a member of the list.

Either the message will get posted to the list, or you will receive
notification of the moderator's decision. To cancel the posting, visit
the following page: https://lists.example.org/confirm/users/5a3b
EOF
} >"$TMP/msg"
expect none moderation "a list's moderation notice is not a challenge"

{ hdr; cat <<'EOF'
Return-Path: <>
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Message-ID: <20261201071500.4F2A1@mx.example.com>
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<kim@example.net>: host mx.example.net[192.0.2.10] said: 550 5.7.1 Virus
    found: Eicar-Test-Signature (in reply to end of DATA command)
EOF
} >"$TMP/msg"
expect dsn dsn-virus "Postfix bounce giving a virus as the reason: a bounce"

{ hdr; cat <<'EOF'
Return-Path: <>
From: Mail Delivery System <Mailer-Daemon@mx.example.com>
Subject: Mail delivery failed: returning message to sender
Message-ID: <E1kXyZ-0003Ab-Cd@mx.example.com>
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  kim@example.net
    host mx.example.net [192.0.2.10]
    SMTP error from remote mail server after end of data:
    550 This message has been rejected because it has a potentially executable attachment "invoice.exe"
EOF
} >"$TMP/msg"
expect dsn dsn-attachment "Exim bounce for a rejected attachment: a bounce"

# --- feedback: provider formats (see also the corpus) ----------------------------

{ hdr; cat <<'EOF'
From: staff@hotmail.com
Subject: complaint about message from 192.0.2.25
Message-ID: <jmrp.1@hotmail.com>
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message received from IP
192.0.2.25 on Tue, 01 Dec 2026 06:59:00 -0800.

--b1
Content-Type: message/rfc822

From: sales@example.com
To: someone@hotmail.com
Subject: Offer

Buy now.
--b1--
EOF
} >"$TMP/msg"
expect feedback jmrp "Microsoft JMRP complaint without a feedback-report part"

{ hdr; cat <<'EOF'
Return-Path: <>
From: scomp@aol.net
Subject: Client TOS Notification
Message-ID: <scomp.1@aol.net>
Content-Type: multipart/mixed; boundary="b2"

--b2
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message with the message-id
of offer.1@example.com received from IP address 192.0.2.25 on
Tue, 01 Dec 2026 07:00:00 -0500.

For information, please review the top portion of the following page:
http://postmaster.aol.com/tos

--b2
Content-Type: message/rfc822

From: sales@example.com
To: someone@aol.com
Subject: Offer

Buy now.
--b2--
EOF
} >"$TMP/msg"
expect feedback aol-scomp "AOL SCOMP (Client TOS Notification) complaint"

{ hdr; cat <<'EOF'
From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
Subject: Email Feedback Report for IP 192.0.2.25
Message-ID: <yfb.1@arf.mail.yahoo.com>
Content-Type: multipart/mixed; boundary="b3"

--b3
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message received from IP
192.0.2.25 on Tue, 01 Dec 2026 07:01:00 -0800. For more information
about this format please see http://help.yahoo.com/l/us/yahoo/mail/postmaster/

--b3
Content-Type: message/rfc822

From: sales@example.com
To: someone@yahoo.com
Subject: Offer

Buy now.
--b3--
EOF
} >"$TMP/msg"
expect feedback yahoo "Yahoo complaint without a feedback-report part"
