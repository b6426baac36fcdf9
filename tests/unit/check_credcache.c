/* check_credcache.c -- the credential cache's rules, and the catalog's declaration of revoking statements. */
#include "unit.h"

#include <ctype.h>
#include <unistd.h>

#include "credcache.h"
#include "epoch.h"
#include "revlog.h"
#include "store_catalog.h"

static char dir[] = "/tmp/check_credcache.XXXXXX";
static struct epoch ep;
static struct config cfg;
static struct arena a;

static void
setup(void)
{
	char path[256], why[160];
	snprintf(path, sizeof(path), "%s/epoch", dir);
	ck_assert_msg(epoch_open(&ep, path, true, geteuid(), why, sizeof(why)) == 0, "%s", why);
	memset(&cfg, 0, sizeof(cfg));
	cfg.cache_credentials = true;
	cfg.cache_size = 16;
	cfg.cache_max_age = 60;
	cfg.cache_revocation_poll = 1000;
	credcache_init(&cfg, &ep);
	epoch_polled(&ep, epoch_clock_ms(), 0, 0);      /* a recent poll: entries are trusted */
	arena_init(&a, 65536);
}

static void
teardown(void)
{
	credcache_free();
	epoch_close(&ep);
	arena_free(&a);
}

static struct principal
user(const char *id)
{
	struct principal p = {.type = PRINCIPAL_USER, .id = id, .org_id = "org-1", .role = ROLE_ENGINEER,
	    .perms = 7, .email = "e@example.com", .name = "Name"};
	return p;
}

static void
key_of(int i, unsigned char out[CREDCACHE_KEY_LEN])
{
	char tok[32];
	snprintf(tok, sizeof(tok), "token-%d", i);
	credcache_key('J', tok, strlen(tok), out);
}

START_TEST(test_hit_copies_into_the_arena)
{
	unsigned char k[CREDCACHE_KEY_LEN];
	struct principal got, p = user("user-1");
	time_t now = time(NULL);

	key_of(1, k);
	ck_assert(!credcache_get(k, now, &got, &a));
	credcache_put(k, credcache_epoch(), now + 100, &p);
	ck_assert(credcache_get(k, now, &got, &a));
	ck_assert_str_eq(got.id, "user-1");
	ck_assert_str_eq(got.email, "e@example.com");
	ck_assert_int_eq(got.perms, 7);
	ck_assert_ptr_null(got.key_name);
	ck_assert(!got.via_cookie);
	/* Strings are the arena's, not the cache's. */
	ck_assert(got.id != p.id);
	/* A different kind of the same bytes is another key. */
	unsigned char kk[CREDCACHE_KEY_LEN];
	credcache_key('K', "token-1", 7, kk);
	ck_assert(!credcache_get(kk, now, &got, &a));
}
END_TEST

START_TEST(test_epoch_bump_invalidates)
{
	unsigned char k[CREDCACHE_KEY_LEN];
	struct principal got, p = user("user-2");
	time_t now = time(NULL);

	key_of(2, k);
	uint64_t e = credcache_epoch();
	credcache_put(k, e, now + 100, &p);
	epoch_bump(&ep);
	ck_assert(!credcache_get(k, now, &got, &a));
	/* Filled under an epoch read before a revocation: stale at once. */
	credcache_put(k, e, now + 100, &p);
	ck_assert(!credcache_get(k, now, &got, &a));
}
END_TEST

START_TEST(test_own_expiry)
{
	unsigned char k[CREDCACHE_KEY_LEN];
	struct principal got, p = user("user-3");
	time_t now = time(NULL);

	key_of(3, k);
	credcache_put(k, credcache_epoch(), now + 10, &p);
	ck_assert(credcache_get(k, now + 9, &got, &a));
	ck_assert(!credcache_get(k, now + 10, &got, &a));
}
END_TEST

START_TEST(test_stale_poll_distrusts)
{
	unsigned char k[CREDCACHE_KEY_LEN];
	struct principal got, p = user("user-4");
	time_t now = time(NULL);
	char path[256], why[160];
	struct epoch fresh;

	/* A segment no poll has ever succeeded on. */
	snprintf(path, sizeof(path), "%s/never-polled", dir);
	ck_assert_int_eq(epoch_open(&fresh, path, true, geteuid(), why, sizeof(why)), 0);
	credcache_init(&cfg, &fresh);
	key_of(4, k);
	credcache_put(k, credcache_epoch(), now + 100, &p);
	ck_assert(!credcache_get(k, now, &got, &a));
	epoch_polled(&fresh, epoch_clock_ms(), 5, 5);   /* the first poll bumps the epoch too */
	credcache_put(k, credcache_epoch(), now + 100, &p);
	ck_assert(credcache_get(k, now, &got, &a));
	credcache_free();
	epoch_close(&fresh);
}
END_TEST

START_TEST(test_bounded_and_recently_used_stay)
{
	unsigned char k[CREDCACHE_KEY_LEN];
	struct principal got, p = user("user-5");
	time_t now = time(NULL);
	int hits = 0;

	key_of(0, k);
	credcache_put(k, credcache_epoch(), now + 100, &p);
	for (int i = 100; i < 300; i++) {
		/* Key 0 is used between fills: CLOCK keeps it. */
		key_of(0, k);
		ck_assert_msg(credcache_get(k, now, &got, &a), "key 0 evicted at fill %d", i);
		key_of(i, k);
		credcache_put(k, credcache_epoch(), now + 100, &p);
	}
	for (int i = 100; i < 300; i++) {
		key_of(i, k);
		hits += credcache_get(k, now, &got, &a);
	}
	ck_assert_msg(hits <= 15, "%d entries besides key 0 in a cache of 16", hits);
	ck_assert_msg(hits >= 8, "only %d recent entries kept", hits);
}
END_TEST

START_TEST(test_off_does_nothing)
{
	unsigned char k[CREDCACHE_KEY_LEN];
	struct principal got, p = user("user-6");

	cfg.cache_credentials = false;
	credcache_init(&cfg, &ep);
	ck_assert(!credcache_on());
	key_of(6, k);
	credcache_put(k, credcache_epoch(), 0, &p);
	ck_assert(!credcache_get(k, time(NULL), &got, &a));
}
END_TEST

/* The table a statement writes: the word after INSERT [IGNORE] INTO, UPDATE or DELETE FROM; NULL for reads. */
static const char *
written_table(const char *sql, char *out, size_t len)
{
	static const char *const skip[] = {"INSERT", "IGNORE", "INTO", "UPDATE", "DELETE", "FROM",
	    "REPLACE"};
	const char *p = sql;
	bool writes = strncmp(sql, "INSERT", 6) == 0 || strncmp(sql, "UPDATE", 6) == 0 ||
	    strncmp(sql, "DELETE", 6) == 0 || strncmp(sql, "REPLACE", 7) == 0;
	if (!writes)
		return NULL;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " (");
		bool skipped = false;
		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			if (n == strlen(skip[i]) && strncmp(p, skip[i], n) == 0)
				skipped = true;
		if (!skipped) {
			snprintf(out, len, "%.*s", (int)n, p);
			return out;
		}
		p += n;
	}
}

/*
 * A write to a table credentials are judged by must say whether it revokes
 * (the effect of its row in store_statements.def): a new statement cannot be
 * forgotten.
 */
START_TEST(test_every_credential_write_is_declared)
{
	/* user_mfa: GET /auth/me shows a cached principal's two-factor state. */
	static const char *const credential_tables[] = {"sessions", "revoked_tokens", "users",
	    "api_keys", "organizations", "sso_connections", "sso_identities", "user_mfa"};
	char table[64];

	for (int id = 0; id < STMT_MAX; id++) {
		const char *sql = store_stmt_sql((enum store_stmt)id);
		const char *t = written_table(sql, table, sizeof(table));
		enum stmt_effect e = store_stmt_effect((enum store_stmt)id);
		if (e == STMT_REVOKES)
			ck_assert_msg(t != NULL, "%s is declared revoking but writes nothing: %.60s",
			    store_stmt_name((enum store_stmt)id), sql);
		if (t == NULL)
			continue;
		for (size_t i = 0; i < sizeof(credential_tables) / sizeof(credential_tables[0]); i++)
			ck_assert_msg(strcmp(t, credential_tables[i]) != 0 || e != STMT_OTHER,
			    "%s writes %s but is neither STMT_REVOKES nor STMT_KEEPS in "
			    "store_statements.def: %.80s", store_stmt_name((enum store_stmt)id), t, sql);
	}
}
END_TEST

/* Taking a revoking statement from the catalog notes it; any other does not. */
START_TEST(test_catalog_notes_revocations)
{
	unsigned before = revlog_mark();
	store_stmt(STMT_SESSION_CHECK);
	store_stmt(STMT_APIKEY_BY_DIGEST);
	ck_assert_uint_eq(revlog_mark(), before);
	store_stmt(STMT_SESSION_REVOKE);
	ck_assert_uint_eq(revlog_mark(), before + 1);
	store_stmt(STMT_USER_UPDATE);
	ck_assert_uint_eq(revlog_mark(), before + 2);
	revlog_rollback(before);
	ck_assert_uint_eq(revlog_mark(), before);
}
END_TEST

static Suite *
credcache_suite(void)
{
	Suite *s = suite_create("credcache");
	TCase *tc = unit_tcase(s, "cache", 20);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hit_copies_into_the_arena);
	tcase_add_test(tc, test_epoch_bump_invalidates);
	tcase_add_test(tc, test_own_expiry);
	tcase_add_test(tc, test_stale_poll_distrusts);
	tcase_add_test(tc, test_bounded_and_recently_used_stay);
	tcase_add_test(tc, test_off_does_nothing);
	tc = unit_tcase(s, "catalog", 10);
	tcase_add_test(tc, test_every_credential_write_is_declared);
	tcase_add_test(tc, test_catalog_notes_revocations);
	return s;
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	int rc = unit_run(credcache_suite(), false);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
