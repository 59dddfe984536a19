#!/bin/sh
# autoreply-languages.t - out-of-office replies in 18 languages, in the
# charsets and transfer encodings their mail clients use, come out as kind
# autoreply; people's own mail about holidays in the same languages does not.
#
# Per language three messages, written here (text in UTF-8, converted with
# iconv, subjects as RFC 2047 encoded words):
#   1. a responder that sets no auto-reply header at all (a webmail or
#      server-side rule): the localised "Automatic reply:" subject and the
#      "I am out of the office" line must be recognised, both of them;
#   2. a vacation responder (null sender, Auto-Submitted: auto-replied)
#      with an "Out of office" subject and "This is an automatic reply":
#      the subject and the self-declared automatic reply must be recognised;
#   3. a person's reply ("Re: holidays") saying they will be away, with the
#      previous message quoted: kind none.
. "$TOP/tests/lib.sh"
. "$TOP/tests/mail.sh"

plan 59

# msg NAME CHARSET CTE SUBJECT BODY HEADER...: write $TMP/NAME.eml.
msg() {
	name=$1 cs=$2 cte=$3 subj=$4 body=$5
	shift 5
	enc=B
	case $cs in iso-8859-* | windows-125*) enc=Q ;; esac
	{
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'From: %s <kim@example.net>\n' "$(ew "$cs" "$enc" "$who")"
		printf 'To: sales@example.com\n'
		printf 'Subject: %s\n' "$(ew "$cs" "$enc" "$subj")"
		printf 'Date: Mon, 04 May 2026 09:12:44 +0200\n'
		printf 'Message-ID: <%s.%s@mail.example.net>\n' "$name" "$$"
		printf 'In-Reply-To: <20260504071233.4F2A1@mx.example.com>\n'
		printf 'MIME-Version: 1.0\n'
		mail_text "$cs" "$cte" "$body"
	} >"$TMP/$name.eml"
}

# lang CODE: check the three messages of one language from the variables
#   who cs1 cte1 subj1 body1 (1.), cs2 cte2 subj2 body2 (2.), hamsubj hambody (3.)
lang() {
	msg "$1-1" "$cs1" "$cte1" "$subj1" "$body1" 'Return-Path: <kim@example.net>'
	k=$(kind_of "$TMP/$1-1.eml")
	r=$(fired "$TMP/$1-1.eml")
	s=no b=no
	echo "$r" | grep -q '^autoreply-subject' && s=yes
	echo "$r" | grep -q '^autoreply-body-away' && b=yes
	is "$k subject:$s away:$b" "autoreply subject:yes away:yes" "$1: $cs1 $cte1 responder without auto-reply headers"
	[ "$k $s $b" = "autoreply yes yes" ] || echo "$r" | sed 's/^/#   fired: /'

	msg "$1-2" "$cs2" "$cte2" "$subj2" "$body2" 'Return-Path: <>' 'Auto-Submitted: auto-replied'
	k=$(kind_of "$TMP/$1-2.eml")
	r=$(fired "$TMP/$1-2.eml")
	s=no b=no
	echo "$r" | grep -q '^autoreply-subject' && s=yes
	echo "$r" | grep -q '^autoreply-body-automated' && b=yes
	is "$k subject:$s automated:$b" "autoreply subject:yes automated:yes" "$1: $cs2 $cte2 vacation responder"
	[ "$k $s $b" = "autoreply yes yes" ] || echo "$r" | sed 's/^/#   fired: /'

	msg "$1-3" "$cs1" "$cte1" "Re: $hamsubj" "$hambody" 'Return-Path: <kim@example.net>'
	k=$(kind_of "$TMP/$1-3.eml")
	is "$k" none "$1: a person's reply about holidays is ordinary mail"
	[ "$k" = none ] || fired "$TMP/$1-3.eml" | sed 's/^/#   fired: /'
}

quote='> Could you send us your offer by Friday?
> Best regards, Sales'

# --- English ----------------------------------------------------------------
who="Kim Taylor"
cs1=windows-1252 cte1=quoted-printable
subj1="Automatic reply: Quarterly figures"
body1="Thank you for your email.
I’m currently out of the office until Monday 11 May, with limited access to email.
For urgent matters please contact sales@example.net."
cs2=us-ascii cte2=7bit
subj2="Out of Office"
body2="This is an automatic reply. I am away until 11 May and will answer your message when I return."
hamsubj="Out of office next week?"
hambody="Hi,

Yes, I am out of the office next week, on holiday in Spain. Let's talk when I'm back.

Kim

$quote"
lang en

# --- German -----------------------------------------------------------------
who="Jürgen Müller"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Automatische Antwort: Angebot für Mai"
body1="Vielen Dank für Ihre Nachricht.
Ich bin bis einschließlich 11. Mai nicht im Büro und habe keinen Zugriff auf meine E-Mails.
In dringenden Fällen wenden Sie sich bitte an meine Kollegin."
cs2=utf-8 cte2=base64
subj2="Abwesenheitsnotiz"
body2="Dies ist eine automatische Antwort.
Ich befinde mich bis zum 11. Mai im Urlaub. Ihre Nachricht wird nicht weitergeleitet."
hamsubj="Urlaub im Mai"
hambody="Hallo Anna,

ich bin im Mai zwei Wochen im Urlaub, danach können wir uns gern treffen.

Viele Grüße
Jürgen

$quote"
lang de

# --- French -----------------------------------------------------------------
who="Hélène Lefèvre"
cs1=iso-8859-15 cte1=quoted-printable
subj1="Réponse automatique : Devis"
body1="Bonjour,
Je suis absente du bureau jusqu'au 11 mai inclus, avec un accès limité à ma messagerie.
Pour toute urgence, merci de contacter le service commercial."
cs2=utf-8 cte2=quoted-printable
subj2="Absence du bureau"
body2="Ceci est une réponse automatique.
Je serai de retour le 11 mai et répondrai à votre message dès que possible."
hamsubj="Vacances"
hambody="Bonjour Paul,

Je suis en vacances la semaine prochaine, on se voit après mon retour ?

Hélène

$quote"
lang fr

# --- Spanish ----------------------------------------------------------------
who="José Muñoz"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Respuesta automática: Presupuesto"
body1="Gracias por su mensaje.
Estoy fuera de la oficina hasta el 11 de mayo, con acceso limitado al correo electrónico."
cs2=utf-8 cte2=base64
subj2="Fuera de la oficina"
body2="Esta es una respuesta automática.
Me encuentro de vacaciones hasta el 11 de mayo. Responderé a su correo a mi regreso."
hamsubj="Vacaciones"
hambody="Hola Ana,

Estoy de vacaciones la semana que viene, hablamos a la vuelta.

Un saludo,
José

$quote"
lang es

# --- Italian ----------------------------------------------------------------
who="Niccolò Rossi"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Risposta automatica: Preventivo"
body1="Grazie per il messaggio.
Sono fuori ufficio fino all'11 maggio, con accesso limitato alla posta elettronica."
cs2=utf-8 cte2=quoted-printable
subj2="Fuori sede"
body2="Questa è una risposta automatica.
Sarò assente fino all'11 maggio. Risponderò al suo messaggio al mio rientro."
hamsubj="Ferie"
hambody="Ciao Marco,

sono in ferie la prossima settimana, ci sentiamo al rientro.

Niccolò

$quote"
lang it

# --- Portuguese -------------------------------------------------------------
who="João Gonçalves"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Resposta automática: Orçamento"
body1="Obrigado pela sua mensagem.
Estou fora do escritório até 11 de maio, com acesso limitado ao e-mail."
cs2=utf-8 cte2=base64
subj2="Ausência temporária"
body2="Esta é uma resposta automática.
Estarei ausente até 11 de maio e responderei assim que possível."
hamsubj="Férias"
hambody="Olá Pedro,

Estou de férias na próxima semana, falamos depois.

Abraço,
João

$quote"
lang pt

# --- Dutch ------------------------------------------------------------------
who="Sanne de Vries"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Automatisch antwoord: Offerte"
body1="Bedankt voor uw bericht.
Ik ben afwezig tot en met 11 mei en heb beperkt toegang tot mijn e-mail."
cs2=utf-8 cte2=quoted-printable
subj2="Afwezigheidsbericht"
body2="Dit is een automatisch antwoord.
Ik ben met vakantie tot 11 mei. Uw bericht wordt niet doorgestuurd."
hamsubj="Vakantie"
hambody="Hoi Joost,

Ik ben volgende week met vakantie, daarna spreken we af.

Groet,
Sanne

$quote"
lang nl

# --- Swedish ----------------------------------------------------------------
who="Åsa Öberg"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Automatiskt svar: Offert"
body1="Tack för ditt mejl.
Jag är på semester till och med 11 maj och läser inte min e-post."
cs2=utf-8 cte2=base64
subj2="Frånvarande"
body2="Detta är ett automatiskt svar.
Jag är tillbaka den 11 maj och svarar på ditt meddelande då."
hamsubj="Semester"
hambody="Hej Lars,

Jag är på semester nästa vecka, vi hörs sedan.

Hälsningar
Åsa

$quote"
lang sv

# --- Danish -----------------------------------------------------------------
who="Søren Kjær"
cs1=iso-8859-1 cte1=quoted-printable
subj1="Automatisk svar: Tilbud"
body1="Tak for din mail.
Jeg er på ferie til og med den 11. maj og har ikke adgang til min mail."
cs2=utf-8 cte2=quoted-printable
subj2="Fraværende"
body2="Dette er et automatisk svar.
Jeg er tilbage den 11. maj og besvarer din mail hurtigst muligt."
hamsubj="Ferie"
hambody="Hej Mette,

Jeg er på ferie i næste uge, så vi ses bagefter.

Hilsen
Søren

$quote"
lang da

# --- Norwegian --------------------------------------------------------------
who="Bjørn Ødegård"
cs1=utf-8 cte1=quoted-printable
subj1="Automatisk svar: Tilbud"
body1="Takk for e-posten din.
Jeg er på ferie til og med 11. mai og har begrenset tilgang til e-post."
cs2=iso-8859-1 cte2=quoted-printable
subj2="Fravær"
body2="Dette er et automatisk svar.
Jeg er borte til 11. mai og svarer deg når jeg er tilbake."
hamsubj="Ferie"
hambody="Hei Kari,

Jeg er på ferie neste uke, vi snakkes etterpå.

Hilsen
Bjørn

$quote"
lang no

# --- Finnish ----------------------------------------------------------------
who="Mäkinen Päivi"
cs1=iso-8859-15 cte1=quoted-printable
subj1="Automaattinen vastaus: Tarjous"
body1="Kiitos viestistäsi.
Olen lomalla 11.5. asti, ja luen sähköpostini vasta palattuani."
cs2=utf-8 cte2=base64
subj2="Poissa toimistolta"
body2="Tämä on automaattinen vastaus.
Olen poissa toimistolta 11.5. asti."
hamsubj="Loma"
hambody="Hei Mikko,

olen lomalla ensi viikolla, puhutaan sen jälkeen.

Päivi

$quote"
lang fi

# --- Polish -----------------------------------------------------------------
who="Łukasz Wiśniewski"
cs1=iso-8859-2 cte1=quoted-printable
subj1="Odpowiedź automatyczna: Oferta"
body1="Dziękuję za wiadomość.
Jestem poza biurem do 11 maja, z ograniczonym dostępem do poczty."
cs2=utf-8 cte2=base64
subj2="Nieobecność w biurze"
body2="To jest automatyczna odpowiedź.
Przebywam na urlopie do 11 maja. Odpowiem po powrocie."
hamsubj="Urlop"
hambody="Cześć Marta,

jestem na urlopie w przyszłym tygodniu, porozmawiamy potem.

Łukasz

$quote"
lang pl

# --- Czech ------------------------------------------------------------------
who="Jiří Dvořák"
cs1=iso-8859-2 cte1=quoted-printable
subj1="Automatická odpověď: Nabídka"
body1="Děkuji za Vaši zprávu.
Jsem mimo kancelář do 11. května s omezeným přístupem k e-mailu."
cs2=windows-1250 cte2=quoted-printable
subj2="Mimo kancelář"
body2="Toto je automatická odpověď.
Do 11. května jsem na dovolené. Na Vaši zprávu odpovím po návratu."
hamsubj="Dovolená"
hambody="Ahoj Petře,

příští týden jsem na dovolené, pak se domluvíme.

Jiří

$quote"
lang cs

# --- Russian ----------------------------------------------------------------
who="Ирина Петрова"
cs1=koi8-r cte1=8bit
subj1="Автоматический ответ: Коммерческое предложение"
body1="Спасибо за ваше письмо.
Я в отпуске до 11 мая и не имею доступа к электронной почте."
cs2=windows-1251 cte2=base64
subj2="Вне офиса"
body2="Это автоматический ответ.
Меня не будет в офисе до 11 мая. Я отвечу на ваше письмо после возвращения."
hamsubj="Отпуск"
hambody="Привет, Сергей!

Я в отпуске на следующей неделе, давай созвонимся потом.

Ирина

$quote"
lang ru

# --- Japanese ---------------------------------------------------------------
who="山田 花子"
cs1=iso-2022-jp cte1=7bit
subj1="自動応答: お見積りの件"
body1="お世話になっております。
誠に申し訳ございませんが、5月11日まで不在にしております。
戻り次第ご連絡いたします。"
cs2=shift_jis cte2=base64
subj2="不在のお知らせ"
body2="このメールは自動返信です。
5月11日まで休暇をいただいております。"
hamsubj="休暇の件"
hambody="佐藤様

来週は休暇のため不在にしております。戻りましたらご連絡します。

山田

$quote"
lang ja

# --- Chinese (simplified in GB2312, traditional in Big5) ----------------------
who="王小明"
cs1=gb2312 cte1=base64
subj1="自动回复: 报价单"
body1="您好，
我目前不在办公室，将于5月11日返回。"
cs2=big5 cte2=base64
subj2="休假通知"
body2="這是一封自動回覆郵件。
我正在休假，5月11日返回後會盡快回覆您。"
hamsubj="休假"
hambody="李先生，

我下周休假，回来后再联系。

王小明

$quote"
lang zh

# --- Korean (Outlook labels it ks_c_5601-1987) --------------------------------
who="김민준"
cs1=ks_c_5601-1987 cte1=base64
subj1="자동 회신: 견적 문의"
body1="안녕하세요.
저는 5월 11일까지 휴가 중입니다. 복귀 후 회신드리겠습니다."
cs2=euc-kr cte2=base64
subj2="부재중 안내"
body2="이 메일은 자동 회신입니다.
5월 11일까지 부재중입니다."
hamsubj="휴가"
hambody="이 과장님,

다음 주에 휴가 중입니다. 돌아와서 연락드릴게요.

김민준

$quote"
lang ko

# --- Turkish ----------------------------------------------------------------
who="Ayşe Yılmaz"
cs1=iso-8859-9 cte1=quoted-printable
subj1="Otomatik yanıt: Teklif"
body1="Mesajınız için teşekkürler.
11 Mayıs tarihine kadar ofis dışındayım ve e-postalarıma sınırlı erişimim var."
cs2=utf-8 cte2=base64
subj2="Ofis dışında"
body2="Bu otomatik bir yanıttır.
11 Mayıs tarihine kadar izindeyim."
hamsubj="İzin"
hambody="Merhaba Mehmet,

gelecek hafta izindeyim, döndüğümde konuşalım.

Ayşe

$quote"
lang tr

# --- Outlook's usual form: HTML only, Exchange's headers --------------------
cat >"$TMP/outlook.eml" <<'EOF'
From: Kim Taylor <kim@example.net>
To: sales@example.com
Subject: Automatic reply: Quarterly figures
Date: Tue, 01 Dec 2026 07:40:00 +0000
Message-ID: <oof.html@example.net>
X-Auto-Response-Suppress: All
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/html; charset="windows-1252"
Content-Transfer-Encoding: quoted-printable

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dwindows-1252"></head>
<body><div style=3D"font-family:Calibri"><p>Thank you for your email.</p><p>I=92m currently out of the office until Monday 11 May, with limited access to email.</p></div></body></html>
--alt--
EOF
r=$(fired "$TMP/outlook.eml" | grep -c '^autoreply-body-away$')
is "$(kind_of "$TMP/outlook.eml") $r" "autoreply 1" "Outlook HTML-only automatic reply: kind autoreply, its text recognised"

# --- the decoding itself ------------------------------------------------------
# What GMime makes of the charsets: a rule that matches only the decoded text.
mkdir "$TMP/rules"
cat >"$TMP/rules/probe.rules" <<'EOF'
rule probe-ja
    kind autoreply
    describe decoded ISO-2022-JP subject and body
    header Subject =~ /^自動応答: お見積りの件$/
    body =~ /5月11日まで不在にしております/
rule probe-ru
    kind autoreply
    describe decoded KOI8-R subject and body
    header Subject =~ /^Автоматический ответ: Коммерческое предложение$/
    body =~ /Я в отпуске до 11 мая/
rule probe-ko
    kind autoreply
    describe decoded ks_c_5601-1987 subject and body
    header Subject =~ /^자동 회신: 견적 문의$/
    body =~ /휴가 중입니다/
EOF
for l in ja ru ko; do
	out=$("$UNSCATTER" -R "$TMP/rules" -e -t <"$TMP/$l-1.eml" 2>&1 >/dev/null | grep -c "^rule probe-$l fired")
	is "$out" 1 "$l: subject and body reach the rules decoded to UTF-8"
done

# An empty part in a charset that needs converting: nothing to convert, and
# nothing on stderr (GMime asserted on the empty buffer once).
printf 'From: a@example.net\nSubject: x\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n' >"$TMP/empty.eml"
err=$("$UNSCATTER" -R "$RULES" -t <"$TMP/empty.eml" 2>&1 >/dev/null)
is "$err" "" "empty koi8-r part: no complaint on stderr"
