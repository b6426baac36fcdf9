/* h_sso_logout.c -- logout that follows the provider: Back-Channel Logout 1.0, RP-Initiated Logout 1.0. */
#include "handlers.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "log.h"
#include "oidc.h"
#include "sso.h"
#include "store.h"

/*
 * RP-Initiated Logout 1.0: the browser goes on to the provider, which
 * returns it to the console. client_id rather than id_token_hint: the ID
 * token is never kept, so no tenant can read another's.
 */
enum status
h_sso_end_session_url(struct ctx *c, const char *sid, const char **url)
{
	const char *endpoint = NULL, *client_id = NULL, *console = c->cfg->sso_console_url;
	bool found = false;
	enum db_result r = store_sso_end_session(c->db, c->a, sid, &endpoint, &client_id, &found);

	*url = NULL;
	if (r != DB_OK)
		return reply_db_status(r);
	if (!found)
		return ST_OK;
	const char *back = console[0] == '/' ? h_sso_site_url(c, console) : console;
	if (back == NULL)
		return ST_OK;   /* no usable Host to come back to: the session here is ended all the same */
	*url = oidc_end_session_url(endpoint, client_id, back, c->a);
	return *url != NULL ? ST_OK : ST_INTERNAL_ERROR;
}

/* One verified logout token and what its transaction did. */
struct logout_plan {
	const char *org_id, *issuer;
	const struct oidc_claims *claims;
	char jti_hash[OIDC_S256_LEN];
	bool replayed;
	unsigned long long ended;
};

/* An accepted call, in the logout's transaction; detail what was ended. */
static enum db_result
logout_audit(struct ctx *c, const char *org_id, const char *outcome, const char *detail)
{
	struct audit_event ev = {
		.org_id = org_id, .action = "sso.backchannel_logout", .outcome = outcome,
		.actor_type = "anonymous", .ip = c->client_ip, .user_agent = c->user_agent,
		.target_type = "organization", .target_id = org_id, .detail = detail,
	};
	return store_audit(c->db, &ev);
}

/*
 * A refused call: 400 with the JSON error (Back-Channel Logout 1.0, 2.8),
 * the reason (a short word, never the token) logged and audited as an
 * attack on the organization: the endpoint is public, so its refusals go
 * through the per-organization budget (audit.h, AUDIT_ATTACKS_PER_MINUTE)
 * and no stranger can fill an organization's audit log.
 */
static enum status
refuse(struct ctx *c, const char *org_id, const char *reason)
{
	log_info("sso: back-channel logout for organization %s refused: %s", org_id, reason);
	audit_attack_detail(c, org_id, "sso.backchannel_logout", "organization", org_id, reason);
	return h_fail(c, ST_VALIDATION_ERROR, arena_printf(c->a, "The logout token was not accepted (%s)",
	    reason));
}

/*
 * The jti spent first (a replay changes nothing: ST_CONFLICT rolls back),
 * then the sessions ended through revoking statements, so that every
 * worker's credential cache refuses them as after DELETE /auth/sessions.
 */
static enum status
logout_write(struct ctx *c, void *arg)
{
	struct logout_plan *pl = arg;
	const struct oidc_claims *cl = pl->claims;
	/* Kept as long as the token could still pass the freshness check. */
	enum db_result r = store_sso_logout_jti(c->db, pl->org_id, pl->jti_hash,
	    OIDC_LOGOUT_MAX_AGE + 2 * OIDC_LEEWAY, &pl->replayed);

	if (r == DB_OK && pl->replayed)
		return ST_CONFLICT;
	if (r == DB_OK)
		r = store_sso_logout_sessions(c->db, pl->org_id, SSO_DEFAULT_CONNECTION, pl->issuer, cl->sub,
		    cl->sid, &pl->ended);
	if (r == DB_OK)
		r = logout_audit(c, pl->org_id, "success", arena_printf(c->a,
		    "{\"connection\":\"%s\",\"by\":\"%s\",\"sessions_ended\":%llu}", SSO_DEFAULT_CONNECTION,
		    cl->sid != NULL ? "sid" : "sub", pl->ended));
	return r == DB_OK ? ST_OK : reply_db_status(r);
}

/*
 * TX_NONE: the token is verified against the keys stored with the
 * connection, with no outbound call (a public endpoint must not make this
 * service fetch anything; a sign-in refreshes the keys when they rotate),
 * then one transaction spends its jti and ends the sessions it names.
 */
enum status
h_sso_backchannel_logout(struct ctx *c)
{
	struct sso_org org;
	struct sso_connection conn;
	struct oidc_claims claims;
	bool bad = false;
	enum status st = h_sso_load_connection(c, &org, &conn);

	if (st != ST_OK)
		return st;
	if (conn.client_secret != NULL)
		explicit_bzero(conn.client_secret, conn.client_secret_len);     /* never needed here */
	const char *token = request_form(c->req, "logout_token", c->a, &bad);
	if (token == NULL)
		return refuse(c, org.id, bad ? "logout_token_unreadable" : "logout_token_missing");
	if (conn.jwks == NULL || conn.provider_issuer == NULL || conn.provider_issuer[0] == '\0')
		return refuse(c, org.id, "provider_metadata_missing");
	struct oidc_expect want = {.issuer = conn.provider_issuer, .client_id = conn.client_id, .logout = true};
	enum oidc_error e = oidc_verify_with_jwks(conn.jwks, strlen(conn.jwks), token, &want, time(NULL),
	    c->a, &claims);
	if (e == OIDC_E_INTERNAL)
		return ST_INTERNAL_ERROR;
	if (e != OIDC_OK)
		return refuse(c, org.id, oidc_error_info(e)->reason);

	struct logout_plan pl = {.org_id = org.id, .issuer = conn.provider_issuer, .claims = &claims};
	oidc_s256(claims.jti, pl.jti_hash);
	st = dispatch_tx(c, logout_write, &pl);
	if (st == ST_CONFLICT && pl.replayed)
		return refuse(c, org.id, "logout_token_replayed");
	if (st != ST_OK)
		return st;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "sessions_ended", json_object_new_int64((int64_t)pl.ended));
	return h_reply(c, ST_OK, o);
}
