/* test-relay.c - relay entries and matching Received headers. */
#include "relay.h"
#include "tap.h"

static const char *match(const struct us_relays *r, const char *received)
{
	const char *m = NULL;
	return us_relays_match_received(r, received, &m) ? m : NULL;
}

int main(void)
{
	struct us_relays *r = us_relays_new();
	const char *reason = NULL;

	ok(us_relays_add(r, "Soman.Example.com", &reason), "host name");
	ok(us_relays_add(r, "smtp*.blackberry.example", &reason), "glob");
	ok(us_relays_add(r, "*.tcsn.example", &reason), "leading glob");
	ok(us_relays_add(r, "198.51.100.0/24", &reason), "IPv4 CIDR");
	ok(us_relays_add(r, "203.0.113.7", &reason), "IPv4 address");
	ok(us_relays_add(r, "2001:db8::/32", &reason), "IPv6 CIDR");
	ok(!us_relays_add(r, "localhost", &reason), "a single label is refused (would match words)");
	ok(!us_relays_add(r, "10.0.0.0/40", &reason), "bad prefix length refused");
	ok(!us_relays_add(r, "2001:db8::/129", &reason), "IPv6 prefix length over 128 refused");
	ok(!us_relays_add(r, "::/300", &reason), "::/300 refused (GLib would make it ::/0)");
	ok(!us_relays_add(r, "10.0.0.0/-1", &reason), "negative prefix length refused");
	ok(!us_relays_add(r, "10.0.0.0/", &reason), "empty prefix length refused");
	ok(!us_relays_add(r, "192.0.2.1/24", &reason), "a range with bits set past its prefix refused");
	ok(!us_relays_add(r, "192.0.2.0/0", &reason), "so is 192.0.2.0/0");
	ok(!us_relays_add(r, "1.2.3", &reason), "three numbers are no IPv4 address");
	ok(!us_relays_add(r, "fe80::1%eth0", &reason), "an IPv6 scope is not taken");
	ok(!us_relays_add(r, ".example.com", &reason), "leading dot refused (names no host)");
	ok(!us_relays_add(r, "mail..example.com", &reason), "empty label refused");
	ok(us_relays_add(r, "198.18.0.0/15", &reason), "a prefix that ends inside a byte");
	ok(us_relays_add(r, "2001:db8:ff00::/40", &reason), "an IPv6 prefix that ends inside a byte");
	ok(us_relays_add(r, "0x7f.example", &reason), "digits first, but a host name");
	is_int(us_relays_count(r), 9, "nine entries");

	is_str(match(r, "from soman.example.com (soman.example.com [192.0.2.9]) by mx.other.example with ESMTP id 1"),
	       "Soman.Example.com", "host name in from clause, case-insensitive");
	is_str(match(r, "from x.example by SOMAN.example.com. with SMTP"), "Soman.Example.com",
	       "trailing dot of an absolute name");
	is_str(match(r, "from smtp04.blackberry.example ([10.1.1.1]) by y.example"), "smtp*.blackberry.example",
	       "glob in the middle");
	is_str(match(r, "from a.b.tcsn.example by y.example"), "*.tcsn.example", "leading glob");
	is_str(match(r, "from unknown (HELO x) (198.51.100.23) by y.example"), "198.51.100.0/24",
	       "bare IPv4 in a CIDR range");
	is_str(match(r, "from h.example ([203.0.113.7]:2525) by y.example"), "203.0.113.7",
	       "bracketed address followed by a port");
	is_str(match(r, "from h.example (h.example [203.0.113.7]) by y.example"), "203.0.113.7",
	       "bracketed IPv4 address");
	is_str(match(r, "from h.example (h.example [IPv6:2001:db8::25]) by y.example"), "2001:db8::/32",
	       "IPv6 literal with IPv6: prefix");
	is_str(match(r, "from evil.example (evil.example [192.0.2.66]) by mx.victim.example for <someone@soman.example.com>"),
	       NULL, "an address in a for clause is not a relay");
	is_str(match(r, "from h.example ([198.19.255.1]) by y.example"), "198.18.0.0/15", "last address of a /15");
	is_str(match(r, "from h.example ([198.20.0.1]) by y.example"), NULL, "just past a /15");
	is_str(match(r, "from h.example ([198.17.255.255]) by y.example"), NULL, "just before a /15");
	is_str(match(r, "from h.example ([IPv6:2001:db9::1]) by y.example"), NULL, "IPv6 outside every range");
	is_str(match(r, "from h.example ([::ffff:198.51.100.23]) by y.example"), NULL,
	       "an IPv4-mapped IPv6 address is not in an IPv4 range");
	is_str(match(r, "from notsoman.example.com by y.example"), NULL, "no substring match");
	is_str(match(r, "from blackberry.example by y.example"), NULL, "glob needs its prefix");
	is_str(match(r, ""), NULL, "empty header");
	us_relays_free(r);

	r = us_relays_new();
	is_str(match(r, "from soman.example.com by y"), NULL, "empty list matches nothing");
	us_relays_free(r);
	return tap_done();
}
