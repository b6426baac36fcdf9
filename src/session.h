/* session.h -- what every way of signing in ends with: a session, tokens, cookies, an audit event. */
#ifndef OW_SESSION_H
#define OW_SESSION_H

#include "handlers.h"
#include "store.h"

/*
 * Start a session for user u (already authenticated by password or SSO):
 * session row, failure counter reset and audit event in one transaction,
 * then the login response body and the two cookies on c->rep.
 */
enum status session_start(struct ctx *c, const struct user_row *u);
/* The limits of a session that c's request starts: a browser's or an API client's. */
struct session_policy session_policy_of(struct ctx *c);
/*
 * The same with step run first inside that transaction (the principal is
 * already the user): SSO creates or links the user there, so that user,
 * link and session commit together or not at all. A step's error rolls
 * everything back and maps through reply_db_status().
 */
typedef enum db_result (*session_step)(struct ctx *c, void *arg);
enum status session_start_with(struct ctx *c, const struct user_row *u, session_step step,
    void *arg);
/*
 * Where an SSO sign-in's session came from (sql/015_sso_logout.sql): the
 * connection and the provider's session id (NULL: the ID token had none),
 * kept on the session for logout that follows the provider.
 */
struct session_sso {
	const char *connection, *provider_sid;
};
/* session_start_with for an SSO sign-in: the session is marked with sso in the same transaction. */
enum status session_start_sso(struct ctx *c, const struct user_row *u, session_step step, void *arg,
    const struct session_sso *sso);

/* Set-Cookie header values (arena strings); max_age 0 expires the cookie. */
const char *session_cookie(struct ctx *c, const char *name, const char *value, const char *path,
    long max_age);
#define COOKIE_REFRESH_PATH "/api/v1/auth"
/* Expire both cookies on c->rep: the answer of a request that ended its own session. */
void session_cookies_expire(struct ctx *c);
/*
 * The cookies' names. In production (cookies are Secure) they carry the
 * browser-enforced prefixes: `__Host-access_token` (Secure, Path=/, no Domain:
 * a sibling subdomain or a plain-HTTP page cannot set or shadow it) and
 * `__Secure-refresh_token` (__Host- needs Path=/, and the refresh cookie keeps
 * its narrow Path so that it reaches /api/v1/auth only). In development,
 * over plain HTTP, browsers refuse prefixed cookies: the plain names.
 */
const char *session_access_cookie(const struct config *cfg);
const char *session_refresh_cookie(const struct config *cfg);

/*
 * Move a token that token_issue() malloc'd into the arena and wipe and free
 * the library's copy (one cleanup path for every token). NULL in, or no
 * arena room: NULL.
 */
const char *session_token_take(struct ctx *c, char *s);

/* Fill claims for a token of session sid; a fresh jti. 0 / -1. */
int session_claims(struct token_claims *tc, enum token_type type, const char *user_id,
    const char *org_id, const char *role, const char *sid, time_t iat, time_t exp);

#endif
