/* handlers.h -- every resource handler the router names, and how a handler fails. */
#ifndef OW_HANDLERS_H
#define OW_HANDLERS_H

#include "ctx.h"
#include "password.h"

/* A handler fills c->rep and returns its status; an error returns through h_fail(). */
typedef enum status (*handler_fn)(struct ctx *c);

/*
 * Fail the request with st and detail (NULL: the status table's default,
 * src/status.c): drops any body built so far and returns st, so that a
 * handler ends with `return h_fail(c, ST_NOT_FOUND, "User not found");`.
 * The dispatcher turns it into the error body of doc/api.md section 2.
 */
enum status h_fail(struct ctx *c, enum status st, const char *detail);

/* src/h_reply.c. Answer st with body (NULL: none) and return st: a handler's last line. */
enum status h_reply(struct ctx *c, enum status st, json_object *body);
/*
 * A lookup's outcome: the status of a database failure r, 404 with detail
 * when the row is not found (or not the caller organization's), else ST_OK.
 */
enum status h_found(struct ctx *c, enum db_result r, bool found, const char *detail);
/*
 * A list endpoint (doc/api.md section 1, Lists): ?limit= and ?offset=
 * checked, then fetch reads that page (checking the endpoint's own query
 * parameters first) into its n items, answered as a JSON array of
 * view(items, i). fetch returns ST_OK, or a refusal's status already
 * answered; it ends with h_page_items or h_page_rows.
 */
struct h_page {
	long limit, offset;         /* the page asked for */
	const void *items;          /* what fetch read: n items for view */
	size_t n;
	struct db_rows rows;        /* where a fetch of rows keeps them */
	const struct store_org_list *what;  /* h_org_list's list */
};
typedef enum status (*h_page_fetch)(struct ctx *c, struct h_page *pg);
typedef json_object *(*h_item_view)(const void *items, size_t i);
enum status h_list(struct ctx *c, h_page_fetch fetch, h_item_view view);
/* h_list of a page of the caller's organization's what (store.h store_org_page). */
struct store_org_list;
enum status h_org_list(struct ctx *c, const struct store_org_list *what, h_item_view view);
/* A fetch's end, after the query's result r: items (pg->n of them), or pg->rows. */
enum status h_page_items(struct h_page *pg, enum db_result r, const void *items);
enum status h_page_rows(struct h_page *pg, enum db_result r);
/*
 * Path parameter 0 in id as the id of a row of the caller's organization
 * that lookup finds (and may change, as an unlock does): a bare 404 when
 * it is not a UUID, 404 with detail when no such row, a database failure's
 * status, else ST_OK.
 */
typedef enum db_result (*h_org_lookup)(struct db *db, struct arena *a, const char *id,
    const char *org_id, bool *found);
enum status h_path_row(struct ctx *c, char id[UUID_STR_LEN], h_org_lookup lookup, const char *detail);
/*
 * A change of the row of path parameter 0 (as h_path_row finds it) that
 * answers 204, recorded as action on target_type: the route is TX_WRITE,
 * so the change and its record commit together.
 */
enum status h_path_change(struct ctx *c, h_org_lookup change, const char *detail, const char *action,
    const char *target_type);

/*
 * Transactions (src/dispatch.c). A TX_WRITE route's handler already runs
 * inside one; a TX_NONE handler that must do slow or lasting work first
 * (argon2, a call to an identity provider, a counter that outlives a
 * refusal) runs only its writes through dispatch_tx. step runs between
 * BEGIN and COMMIT; any status but a success rolls everything back; a lost
 * deadlock comes back as ST_RETRY and the dispatcher runs the whole handler
 * again. After a commit the after-commit hooks run, then (committed or not)
 * the refusals audit_refusal kept are written. Nested calls join the
 * transaction already open.
 */
typedef enum status (*tx_step)(struct ctx *c, void *arg);
enum status dispatch_tx(struct ctx *c, tx_step step, void *arg);
/*
 * Call fn(c, arg) once the request's current transaction has committed
 * (never when it rolls back): the one place where whoever caches
 * credentials learns that a revoking write is durable. Outside a
 * transaction fn runs at once. -1 when the list (CTX_MAX_AFTER_COMMIT) is full.
 */
int dispatch_after_commit(struct ctx *c, after_commit_fn fn, void *arg);

enum status h_health(struct ctx *c);

/*
 * Count this request against the client's fixed window of window seconds in
 * bucket (ctx's throttle_ip: IPv6 grouped by [lockout] ipv6_prefix); over
 * limit: ST_RATE_LIMITED with Retry-After set. A database failure's status
 * otherwise; ST_OK.
 */
enum status h_auth_throttle(struct ctx *c, const char *bucket, long limit, long window);
/* The same counter under any key (an organization's id...), refused with detail. */
enum status h_throttle(struct ctx *c, const char *bucket, const char *key, long limit, long window,
    const char *detail);
/* The client's failed-login budget ([lockout] ip_failures_per_minute): ST_RATE_LIMITED once spent. */
enum status h_auth_ip_budget(struct ctx *c);
/*
 * The client's budget (h_auth_ip_budget), then its hourly throttle of
 * bucket; then the body's "email" normalised into email (a 400 naming it
 * when it is not an address). ST_OK or the refusal.
 */
enum status h_auth_email_throttled(struct ctx *c, const char *bucket, long per_hour, char email[256]);
enum status h_auth_new_password(struct ctx *c, const char *field, char hash[PASSWORD_HASH_MAX]);
struct user_row;
/*
 * A failed sign-in step (a wrong password, a wrong second factor): counted
 * per IP and per account (or per digest of an unknown address), audited as
 * action, answered 401 INVALID_CREDENTIALS with detail.
 */
/*
 * A signed-in user's wrong proof (a current password, a code): it counts
 * toward the lockout like a wrong login, audited as action's failure, and
 * is answered as a 400 naming field.
 */
enum status h_auth_wrong_proof(struct ctx *c, const struct user_row *u, const char *action,
    const char *field);
enum status h_auth_failed(struct ctx *c, const struct user_row *u, const unsigned char *unknown_digest,
    const char *action, const char *detail);
enum status h_auth_register(struct ctx *c);
enum status h_auth_login(struct ctx *c);
enum status h_auth_refresh(struct ctx *c);
enum status h_auth_logout(struct ctx *c);
enum status h_auth_me(struct ctx *c);
enum status h_auth_password(struct ctx *c);
/*
 * The signed-in user's row in u, for a request that asks them to prove
 * who they are: 401 when the user is gone, 423 with Retry-After when locked.
 */
enum status h_auth_caller(struct ctx *c, struct user_row *u);
/* ST_OK for a user's session; 403 INSUFFICIENT_PERMISSIONS for an API key. */
enum status h_user_only(struct ctx *c);

enum status h_sessions_list(struct ctx *c);
enum status h_sessions_delete(struct ctx *c);
enum status h_sessions_delete_all(struct ctx *c);
/*
 * Step-up (doc/api.md section 3, "Step-up"): ST_OK when the caller is an
 * API key or a session whose user proved who they are within [jwt]
 * reauthentication_window; else 401 REAUTHENTICATION_REQUIRED.
 */
enum status h_step_up(struct ctx *c);
enum status h_auth_reauthenticate(struct ctx *c);

enum status h_apikeys_create(struct ctx *c);
enum status h_apikeys_list(struct ctx *c);
enum status h_apikeys_delete(struct ctx *c);
enum status h_apikeys_rotate(struct ctx *c);
enum status h_apikeys_activity(struct ctx *c);
enum status h_apikeys_policy_get(struct ctx *c);
enum status h_apikeys_policy_put(struct ctx *c);

enum status h_users_list(struct ctx *c);
enum status h_users_create(struct ctx *c);
enum status h_users_update(struct ctx *c);
enum status h_users_unlock(struct ctx *c);
enum status h_users_delete(struct ctx *c);
/* src/h_export.c */
enum status h_auth_me_export(struct ctx *c);

enum status h_incidents_list(struct ctx *c);
enum status h_incidents_create(struct ctx *c);
enum status h_incidents_get(struct ctx *c);
enum status h_incidents_update(struct ctx *c);
enum status h_procedures_list(struct ctx *c);
enum status h_procedures_create(struct ctx *c);
enum status h_procedures_execute(struct ctx *c);

enum status h_audit_list(struct ctx *c);

enum status h_sso_start(struct ctx *c);
enum status h_sso_callback(struct ctx *c);
enum status h_sso_connection_get(struct ctx *c);
enum status h_sso_connection_put(struct ctx *c);
struct sso_org;
struct sso_connection;
/*
 * Connection name of the caller's organization: shown (named: with its name,
 * as the named routes show it), saved (PUT's checks, discovery and step-up).
 */
enum status h_sso_connection_show(struct ctx *c, const char *name, bool named);
enum status h_sso_connection_save(struct ctx *c, const char *name, bool named);
json_object *h_sso_connection_view(struct ctx *c, const struct sso_org *org,
    const struct sso_connection *conn, bool named);
/* The detail of a connection's audit event: {"name"}, and "sessions_ended" when ended >= 0. */
const char *h_sso_name_detail(struct ctx *c, const char *name, long long ended);
/* Named connections (h_sso_named.c): GET /sso-connections/named, GET/PUT/DELETE .../{name}. */
enum status h_sso_named_list(struct ctx *c);
enum status h_sso_named_get(struct ctx *c);
enum status h_sso_named_put(struct ctx *c);
enum status h_sso_named_delete(struct ctx *c);
/*
 * The provider of issuer fetched and checked as a save does (discovery
 * document, endpoints, JWKS; sso_provider_fetch), outside any transaction;
 * what fails is a VALIDATION_ERROR on issuer (h_sso.c).
 */
struct oidc_provider;
enum status h_sso_provider_fetch(struct ctx *c, const char *issuer, struct oidc_provider *p,
    const char **jwks);
/* POST /sso-connections/test: discovery only, nothing saved (h_sso_test.c). */
enum status h_sso_connection_test(struct ctx *c);
/*
 * The organization of the path (id or slug) and its enabled connection,
 * after the per-client limit of the public SSO steps; ST_NOT_FOUND (answered)
 * when either is missing. The caller wipes conn->client_secret.
 */
enum status h_sso_load_connection(struct ctx *c, const char *name, struct sso_org *org,
    struct sso_connection *conn);
/*
 * The organization of the path and its enabled connections (*conns, *n >= 1),
 * secrets wiped: ST_NOT_FOUND, as h_sso_load_connection's, when it has none.
 */
enum status h_sso_load_connections(struct ctx *c, struct sso_org *org, struct sso_connection **conns,
    size_t *n);
/*
 * path (starting with '/') on this site as an absolute URL: [sso]
 * redirect_base, else this request's scheme and Host; NULL without a usable Host.
 */
const char *h_sso_site_url(struct ctx *c, const char *path);
/*
 * RP-initiated logout (h_sso_logout.c): *url the provider's end-session URL
 * for session sid when single sign-on made it and the provider names an
 * end_session_endpoint, else NULL; a database failure is the status.
 */
enum status h_sso_end_session_url(struct ctx *c, const char *sid, const char **url);
/* POST /auth/sso/{organization}/backchannel-logout (h_sso_logout.c). */
enum status h_sso_backchannel_logout(struct ctx *c);

/*
 * Two-factor sign-in (doc/api.md section 6 "Two-factor sign-in"). After a right password:
 * the tokens (session_start), or {mfa_required, mfa_token} when the user
 * is enrolled or the organization's policy requires a second factor.
 */
enum status h_mfa_after_password(struct ctx *c, const struct user_row *u);
/*
 * Who an MFA request is for: the user of the body's mfa_token (a live
 * challenge of purpose; *via_token, digest set), else the signed-in user.
 * Fills u; ST_OK or the refusal.
 */
enum status h_mfa_subject(struct ctx *c, const char *purpose, struct user_row *u,
    unsigned char digest[32], bool *via_token);
/*
 * Check code against user_id's TOTP secret and spend its step (confirm: the
 * enrolment must be unconfirmed, and is confirmed by it). *ok false for a
 * wrong or replayed code; 409 when there is no such enrolment.
 */
enum status h_mfa_code_check(struct ctx *c, const char *user_id, const char *code, bool confirm,
    bool *ok);
/*
 * A signed-in user's proof in the body: exactly one of password and code
 * (a current TOTP code, spent), else a 400 naming them. *ok when right;
 * a code without two-factor sign-in enabled is 409 (h_mfa_code_check).
 */
enum status h_mfa_proof(struct ctx *c, const struct user_row *u, bool *ok);
/*
 * The proof checked (h_mfa_proof); a wrong one refused and counted under
 * failed_action (h_auth_wrong_proof); a right one runs write(c, u) in a
 * transaction (dispatch_tx) and answers 204.
 */
enum status h_mfa_proven(struct ctx *c, struct user_row *u, const char *failed_action, tx_step write);
enum status h_mfa_verify(struct ctx *c);
enum status h_mfa_totp_enrol(struct ctx *c);
enum status h_mfa_totp_confirm(struct ctx *c);
enum status h_mfa_disable(struct ctx *c);
enum status h_mfa_reset(struct ctx *c);
enum status h_mfa_policy_get(struct ctx *c);
enum status h_mfa_policy_put(struct ctx *c);

/* SSO-only organizations (h_sso_policy.c). */
enum status h_sso_policy_get(struct ctx *c);
enum status h_sso_policy_put(struct ctx *c);
/*
 * ST_SSO_REQUIRED when user u's organization requires single sign-on and u
 * is not one of its break-glass admins (an "action" event with outcome
 * sso_required is recorded), else ST_OK. Asked after the password is
 * proven, so that the answer tells nothing to who does not know it.
 */
enum status h_sso_password_check(struct ctx *c, const struct user_row *u, const char *action);
/*
 * Account links (src/h_account.c, doc/api.md section 6 "Account links").
 * A link's token: 43 base64url characters (256 random bits).
 */
#define ACCOUNT_TOKEN_LEN 43
/*
 * In the caller's transaction: a new activation link for the active user
 * with this normalised email (older ones of the user are dropped), its
 * token in tok for the caller to show once and wipe. ST_OK or the failure.
 */
enum status h_account_activation_issue(struct ctx *c, const char *email, char tok[ACCOUNT_TOKEN_LEN + 1]);
/* {token, link, expires_in} of a link just issued (link null without [account] link_base). */
json_object *h_account_link_view(struct ctx *c, const char *tok, long ttl);
enum status h_account_reset_request(struct ctx *c);
enum status h_account_reset_confirm(struct ctx *c);
enum status h_account_activate(struct ctx *c);

#endif
