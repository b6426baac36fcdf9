/* auth.h -- from credential to principal: lookup order, JWT and session checks, CSRF, permissions. */
#ifndef OW_AUTH_H
#define OW_AUTH_H

#include <stdbool.h>

#include "handlers.h"

/*
 * Establish c->principal from the first credential present: Authorization
 * Bearer, then X-API-Key, then the access_token cookie (a bad one is not
 * skipped for the next). Cookie-authenticated unsafe requests must pass the
 * origin check. Returns ST_OK or the 401/403/503 the client gets, with the
 * detail set on c->rep.
 */
enum status auth_authenticate(struct ctx *c);

/* Verify an access token and its session; the common core of bearer and cookie auth. */
enum status auth_access_token(struct ctx *c, const char *token);
/* The 401 detail of a session that ended by the idle timeout (doc/api.md section 2). */
#define AUTH_SESSION_EXPIRED "Session has expired"
struct config;

/* Check an X-API-Key value: format and checksum first, then one lookup by digest. */
enum status auth_apikey(struct ctx *c, const char *key);

/*
 * What a key is now, in the order a refusal names it: its own revocation,
 * an ancestor's, an ancestor's expiry, its own expiry, its root user gone or
 * deactivated (doc/SECURITY.md "API keys and roles").
 */
enum apikey_state {
	APIKEY_ACTIVE,
	APIKEY_REVOKED,
	APIKEY_ROTATED,
	APIKEY_PARENT_REVOKED,
	APIKEY_PARENT_EXPIRED,
	APIKEY_EXPIRED,
	APIKEY_CREATOR_DELETED,
	APIKEY_CREATOR_INACTIVE,
	APIKEY_STATE_MAX
};
struct apikey_row;
/* The key's state and its effective permissions (0 unless active). */
enum apikey_state auth_apikey_state(const struct apikey_row *k, perm_set *effective);
/* The `status` GET /api-keys shows for a state (active, expired, ...). */
const char *auth_apikey_status(enum apikey_state s);

/* ST_OK when the principal holds perm (PERM_NONE: any principal). */
enum status auth_require(struct ctx *c, int perm);

/*
 * CSRF rule of doc/api.md section 4: the Origin (or, lacking it, the Referer)
 * of the request names its own host or a configured allowed origin.
 */
bool auth_same_origin(const struct ctx *c);

/* True when origin is one of [service] allowed_origins (CORS). */
bool auth_origin_configured(const struct ctx *c, const char *origin);

/* True for POST, PUT, PATCH and DELETE. */
bool auth_method_unsafe(const struct ctx *c);

#endif
