/* test-batv.c - BATV prvs tags: known vectors, parsing, verification windows, key rotation.
 *
 * The vectors were computed outside this code from the algorithm of
 * draft-levine-smtp-batv-01 section 4.1 (hash source "KDDD" + address,
 * HMAC-SHA1, first three bytes in hex), with Python's hmac module and
 * cross-checked with `openssl dgst -sha1 -hmac`:
 *   echo -n 1123alice@example.com | openssl dgst -sha1 -hmac s3cret-key-one
 *   -> 548aad92cfd0...  */
#include <string.h>
#include "batv.h"
#include "tap.h"

/* A time whose day number (days since 1970, mod 1000) is DAY. */
static time_t on_day(unsigned day)
{
	return (time_t)(20000 + day) * 86400 + 3600;
}

int main(void)
{
	struct us_batv_key k1 = { 1, (char *)"s3cret-key-one" };
	struct us_batv_key k0 = { 0, (char *)"another secret" };
	struct us_batv_key k9 = { 9, (char *)"s3cret-key-one" };
	struct us_batv_key k5 = { 5, (char *)"key with spaces? no" };
	struct us_batv_tag tag;
	char hash[7], *s, *plain;

	/* Known vectors. */
	us_batv_hash(k1.secret, 1, 123, "alice@example.com", 17, hash);
	is_str(hash, "548aad", "hash of key 1, day 123, alice@example.com");
	s = us_batv_sign(&k1, 123, "alice@example.com");
	is_str(s, "prvs=1123548aad=alice@example.com", "signed address, vector 1");
	g_free(s);
	s = us_batv_sign(&k0, 0, "bob@example.org");
	is_str(s, "prvs=0000e39990=bob@example.org", "key 0, day 000: leading zeros kept");
	g_free(s);
	s = us_batv_sign(&k9, 999, "Alice.Smith@Example.COM");
	is_str(s, "prvs=999953df4e=Alice.Smith@Example.COM", "case of the address is hashed as given");
	g_free(s);
	s = us_batv_sign(&k5, 42, "x@y.z");
	is_str(s, "prvs=50429eb5f1=x@y.z", "day 42 written as 042");
	g_free(s);
	ok(us_batv_sign(&k1, 1, "no-at-sign") == NULL, "no @: nothing to sign");
	ok(us_batv_sign(&k1, 1, "@example.com") == NULL, "empty local part: nothing to sign");

	/* Day numbers. */
	is_int(us_batv_day(0), 0, "day 0 is 1970-01-01");
	is_int(us_batv_day(on_day(123)), 123, "day number modulo 1000");
	is_int(us_batv_day((time_t)20123 * 86400 - 1), 122, "the day changes at 00:00 UTC");

	/* Parsing. */
	const char *local = "prvs=1123548aad=alice";
	ok(us_batv_parse(local, strlen(local), &tag), "a tag parses");
	is_int(tag.key, 1, "key number");
	is_int(tag.day, 123, "day");
	is_str(tag.hash, "548aad", "hash");
	ok(tag.loc_core_len == 5 && memcmp(tag.loc_core, "alice", 5) == 0, "loc-core");
	ok(us_batv_parse("PRVS=1123548AAD=a", 17, &tag), "tag type is case-insensitive");
	ok(!us_batv_parse("prvs=1123548aad=", 16, &tag), "empty loc-core: not a tag");
	ok(!us_batv_parse("prvs=112354gaad=alice", 21, &tag), "non-hex hash: not a tag");
	ok(!us_batv_parse("prvs=11x3548aad=alice", 21, &tag), "non-digit day: not a tag");
	ok(!us_batv_parse("prvs=1123548aa=alice", 20, &tag), "short hash: not a tag");
	ok(!us_batv_parse("srs0=1123548aad=alice", 21, &tag), "other tag types are not prvs");
	ok(!us_batv_parse("alice", 5, &tag), "plain local part");
	ok(!us_batv_parse(NULL, 0, &tag), "NULL");
	ok(us_batv_parse("prvs=1123548aad=a\0b", 19, &tag) && tag.loc_core_len == 3,
	   "length-bounded: bytes after a NUL are part of it");

	/* Verification. */
	GPtrArray *keys = g_ptr_array_new();
	g_ptr_array_add(keys, &k1);
	const char *addr = "prvs=1123548aad=alice@example.com";
	is_int(us_batv_verify(keys, 7, addr, on_day(123), &plain), US_BATV_VALID, "valid on its expiry day");
	is_str(plain, "alice@example.com", "untagged address");
	g_free(plain);
	is_int(us_batv_verify(keys, 7, addr, on_day(116), NULL), US_BATV_VALID, "valid 7 days before expiry");
	is_int(us_batv_verify(keys, 7, addr, on_day(115), NULL), US_BATV_EXPIRED,
	       "8 days ahead is outside a 7-day window");
	is_int(us_batv_verify(keys, 30, addr, on_day(115), NULL), US_BATV_VALID, "a wider window accepts it");
	is_int(us_batv_verify(keys, 7, addr, on_day(124), NULL), US_BATV_EXPIRED, "expired the day after");
	is_int(us_batv_verify(keys, 7, "prvs=1123548AAD=alice@example.com", on_day(123), NULL), US_BATV_VALID,
	       "hex compared case-insensitively");
	is_int(us_batv_verify(keys, 7, "prvs=1123548aab=alice@example.com", on_day(123), NULL), US_BATV_BAD_HASH,
	       "wrong hash");
	is_int(us_batv_verify(keys, 7, "prvs=1123548aad=alicf@example.com", on_day(123), NULL), US_BATV_BAD_HASH,
	       "hash does not fit another address");
	is_int(us_batv_verify(keys, 7, "prvs=2123548aad=alice@example.com", on_day(123), NULL), US_BATV_UNKNOWN_KEY,
	       "key number not configured");
	is_int(us_batv_verify(keys, 7, "alice@example.com", on_day(123), &plain), US_BATV_UNTAGGED, "untagged");
	is_str(plain, "alice@example.com", "untagged address copied");
	g_free(plain);
	/* Wrap at 1000: expiry day 002 seen on day 998 is 4 days ahead. */
	s = us_batv_sign(&k1, 2, "alice@example.com");
	is_int(us_batv_verify(keys, 7, s, on_day(998), NULL), US_BATV_VALID, "day numbers wrap at 1000");
	is_int(us_batv_verify(keys, 7, s, on_day(3), NULL), US_BATV_EXPIRED, "and expire after the wrap");
	g_free(s);

	/* Key rotation: old and new key valid at once. */
	struct us_batv_key k2 = { 2, (char *)"the new key" };
	g_ptr_array_add(keys, &k2);
	s = us_batv_sign(&k2, 123, "alice@example.com");
	is_int(us_batv_verify(keys, 7, s, on_day(120), NULL), US_BATV_VALID, "tag of the new key");
	is_int(us_batv_verify(keys, 7, addr, on_day(120), NULL), US_BATV_VALID, "tag of the old key still valid");
	g_ptr_array_remove_index(keys, 0);
	is_int(us_batv_verify(keys, 7, addr, on_day(120), NULL), US_BATV_UNKNOWN_KEY, "old key retired");
	g_free(s);
	g_ptr_array_unref(keys);
	is_str(us_batv_result_name(US_BATV_BAD_HASH), "bad-hash", "result names");
	return tap_done();
}
