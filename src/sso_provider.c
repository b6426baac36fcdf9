/* sso_provider.c -- one outbound call per provider at a time, failures remembered, save-time fetch. */
#include "sso_provider.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"

struct oidc_opts
sso_provider_opts(const struct config *cfg)
{
	bool dev = cfg->environment != ENVIRONMENT_PRODUCTION;
	struct oidc_opts o = {
		.timeout = cfg->sso_http_timeout,
		.allow_http_loopback = dev,
		.allow_loopback = dev,
		.allow_private = cfg->sso_allow_private_networks,
	};
	return o;
}

/* The issuer as one key: "x/" and "x" are the same provider. */
static const char *
issuer_key(struct arena *a, const char *issuer)
{
	size_t n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		n--;
	return arena_printf(a, "%.*s", (int)n, issuer);
}

enum oidc_error
sso_provider_enter(struct db *db, struct arena *a, const char *issuer, bool check_failing,
    struct sso_guard *g, enum db_result *dbr)
{
	char digest[OIDC_S256_LEN];
	bool failing = false, got = false;
	const char *key = issuer_key(a, issuer);

	memset(g, 0, sizeof(*g));
	*dbr = DB_OK;
	if (key == NULL)
		return OIDC_E_INTERNAL;
	if (check_failing) {
		if ((*dbr = store_sso_provider_failing(db, a, key, &failing)) != DB_OK)
			return OIDC_E_INTERNAL;
		if (failing)
			return OIDC_E_FAILING;
	}
	/* MariaDB lock names are at most 64 characters: a digest of the issuer fits any issuer. */
	oidc_s256(key, digest);
	snprintf(g->lock, sizeof(g->lock), "ow_sso_%s", digest);
	if ((*dbr = store_sso_provider_lock(db, g->lock, &got)) != DB_OK)
		return OIDC_E_INTERNAL;
	if (!got)
		return OIDC_E_BUSY;
	g->held = true;
	return OIDC_OK;
}

void
sso_provider_leave(struct db *db, const char *issuer, struct sso_guard *g, enum oidc_error e,
    long ttl)
{
	struct arena a;
	enum db_result r = DB_OK;

	arena_init(&a, 4096);
	const char *key = issuer_key(&a, issuer);
	/*
	 * Only a provider that did not answer is remembered: it is the one that
	 * costs a worker the whole timeout. One that answers, even wrongly,
	 * costs a round trip, and its errors say more when seen each time.
	 */
	if (key != NULL && e == OIDC_E_UNREACHABLE && ttl > 0)
		r = store_sso_provider_failed(db, key, ttl, oidc_error_info(e)->reason);
	else if (key != NULL && e != OIDC_E_UNREACHABLE && e != OIDC_E_INTERNAL && e != OIDC_E_ADDRESS)
		r = store_sso_provider_recovered(db, key);
	if (r != DB_OK)
		log_warning("sso: could not record the outcome of a provider call");
	if (g->held && store_sso_provider_unlock(db, g->lock) != DB_OK)
		log_warning("sso: could not release a provider lock (it goes with the connection)");
	g->held = false;
	arena_free(&a);
}

enum oidc_error
sso_provider_fetch(struct db *db, const struct config *cfg, struct arena *a, const char *issuer,
    struct oidc_provider *p, const char **jwks, enum db_result *dbr)
{
	struct oidc_opts o = sso_provider_opts(cfg);
	struct sso_guard g;
	enum oidc_error e;

	memset(p, 0, sizeof(*p));
	*jwks = NULL;
	/* A URL the rules refuse is not worth a lock. */
	if (oidc_issuer_problem(issuer, &o) != NULL) {
		*dbr = DB_OK;
		return OIDC_E_INSECURE_URL;
	}
	if ((e = sso_provider_enter(db, a, issuer, false, &g, dbr)) != OIDC_OK)
		return e;
	e = oidc_fetch_provider(issuer, &o, a, p, jwks);
	sso_provider_leave(db, issuer, &g, e, cfg->sso_failure_ttl);
	return e;
}
