/* check_net.c -- unit tests for net.c: the client address behind proxies and the key per-IP limits count under. */
#include "unit.h"

#include "arena.h"
#include "net.h"

static struct arena arena;

static void
setup(void)
{
	arena_init(&arena, 64 * 1024);
}

static void
teardown(void)
{
	arena_free(&arena);
}

/*
 * IPv6 clients count per network of the configured prefix (one host is
 * given a whole /64, so each of its addresses would be a fresh budget);
 * IPv4 addresses, and IPv4-mapped IPv6 ones, count per address.
 */
static const struct {
	const char *ip;
	int prefix;
	const char *want;
} keys[] = {
	{"192.0.2.7", 64, "192.0.2.7"},
	{"::ffff:192.0.2.7", 64, "192.0.2.7"},
	{"2001:db8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"},
	{"2001:db8:1:2:ffff:ffff:ffff:ffff", 64, "2001:db8:1:2::/64"},
	{"2001:db8:1:2::1", 64, "2001:db8:1:2::/64"},
	{"2001:db8:1:3::1", 64, "2001:db8:1:3::/64"},
	{"2001:DB8:1:2::1", 64, "2001:db8:1:2::/64"},
	{"2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"},
	{"2001:db8:1:2:3:4:5:6", 56, "2001:db8:1::/56"},
	{"2001:db8:1:2ff:3:4:5:6", 56, "2001:db8:1:200::/56"},
	{"2001:db8:1:2:3:4:5:6", 60, "2001:db8:1:0::/60"},
	{"2001:db8:1:2:3:4:5:6", 128, "2001:db8:1:2:3:4:5:6/128"},
	{"2001:db8:1:2:3:4:5:7", 127, "2001:db8:1:2:3:4:5:6/127"},
	{"::1", 64, "::/64"},
	{"fe80::1", 16, "fe80::/16"},
	{"not an address", 64, "not an address"},
	{"", 64, ""},
};

START_TEST(test_throttle_key)
{
	const char *got = net_throttle_key(keys[_i].ip, keys[_i].prefix, &arena);
	const char *want = keys[_i].want;

	/* inet_ntop may write a single zero group as "0" or "::": accept either spelling of /60. */
	if (strcmp(want, "2001:db8:1:0::/60") == 0)
		ck_assert_msg(strcmp(got, "2001:db8:1::/60") == 0 || strcmp(got, want) == 0,
		    "%s/%d: got %s", keys[_i].ip, keys[_i].prefix, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0, "%s/%d: got %s, want %s",
		    keys[_i].ip, keys[_i].prefix, got != NULL ? got : "(null)", want);
	/* A key fits the 45-character ip columns. */
	ck_assert_uint_le(strlen(got), 45);
}
END_TEST

START_TEST(test_throttle_key_widest)
{
	const char *got = net_throttle_key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127, &arena);
	ck_assert_str_eq(got, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	ck_assert_uint_le(strlen(got), 45);
	ck_assert_ptr_null(net_throttle_key(NULL, 64, &arena));
}
END_TEST

/* The client address itself: the nearest untrusted hop, only behind a trusted proxy. */
static const struct {
	const char *remote, *xff, *want;
} clients[] = {
	{"127.0.0.1", "203.0.113.9", "203.0.113.9"},
	{"127.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
	{"127.0.0.1", "203.0.113.9, 127.0.0.1", "203.0.113.9"},
	{"192.0.2.1", "203.0.113.9", "192.0.2.1"},
	{"127.0.0.1", NULL, "127.0.0.1"},
	{"127.0.0.1", "2001:db8::1", "2001:db8::1"},
	{"127.0.0.1", "garbage", "127.0.0.1"},
};

START_TEST(test_client_ip)
{
	struct net_proxies p;
	char bad[80];

	ck_assert_int_eq(net_proxies_parse(&p, "127.0.0.1", bad, sizeof(bad)), 0);
	ck_assert_str_eq(net_client_ip(&p, clients[_i].remote, clients[_i].xff, &arena), clients[_i].want);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = unit_tcase(s, "throttle_key", 10);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_throttle_key, 0, sizeof keys / sizeof keys[0]);
	tcase_add_test(tc, test_throttle_key_widest);
	tcase_add_loop_test(tc, test_client_ip, 0, sizeof clients / sizeof clients[0]);
	return s;
}

int
main(void)
{
	return unit_run(net_suite(), false);
}
