/* sso_provider.h -- outbound calls to a tenant's identity provider: options, guard, save-time fetch. */
#ifndef OW_SSO_PROVIDER_H
#define OW_SSO_PROVIDER_H

#include <stdbool.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "oidc.h"

/*
 * Where provider calls may go: https to public addresses; in development
 * also loopback (plain http too); with [sso] allow_private_networks also
 * loopback and the private ranges.
 */
struct oidc_opts sso_provider_opts(const struct config *cfg);

/* An outbound call in progress: the lock held for its issuer. */
struct sso_guard {
	char lock[64];              /* GET_LOCK name: "ow_sso_" and the issuer's digest */
	bool held;
};

/*
 * Before calling the provider of issuer. OIDC_OK: the caller holds the
 * issuer's lock, shared by every worker and process using this database,
 * and must call sso_provider_leave. OIDC_E_FAILING (only with
 * check_failing): the provider did not answer within [sso] failure_ttl
 * seconds ago. OIDC_E_BUSY: another caller is talking to it right now.
 * OIDC_E_INTERNAL with *dbr set: the database failed.
 */
enum oidc_error sso_provider_enter(struct db *db, struct arena *a, const char *issuer,
    bool check_failing, struct sso_guard *g, enum db_result *dbr);

/*
 * After the call: a provider that did not answer (OIDC_E_UNREACHABLE) is
 * remembered for ttl seconds, one that answered is forgotten; the lock is
 * released. Errors here are logged, not returned: the call's outcome stands.
 */
void sso_provider_leave(struct db *db, const char *issuer, struct sso_guard *g, enum oidc_error e,
    long ttl);

/*
 * The save-time fetch of discovery document and JWKS (oidc_fetch_provider)
 * under the guard, without the failure memory check (an admin fixing a
 * provider may try again at once). *dbr as for sso_provider_enter.
 */
enum oidc_error sso_provider_fetch(struct db *db, const struct config *cfg, struct arena *a,
    const char *issuer, struct oidc_provider *p, const char **jwks, enum db_result *dbr);

#endif
