/* h_sso_logout.c -- logout that follows the provider: Back-Channel Logout 1.0, RP-Initiated Logout 1.0. */
#include "handlers.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "encoding.h"
#include "jsonin.h"
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
	const char *org_id, *issuer, *connection;
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
		r = store_sso_logout_sessions(c->db, pl->org_id, pl->connection, pl->issuer, cl->sub,
		    cl->sid, &pl->ended);
	if (r == DB_OK)
		r = logout_audit(c, pl->org_id, "success", arena_printf(c->a,
		    "{\"connection\":\"%s\",\"by\":\"%s\",\"sessions_ended\":%llu}", pl->connection,
		    cl->sid != NULL ? "sid" : "sub", pl->ended));
	return r == DB_OK ? ST_OK : reply_db_status(r);
}

/* The claims of a compact JWS, unverified (NULL when they do not decode). */
static json_object *
unverified_claims(struct ctx *c, const char *token)
{
	const char *dot = strchr(token, '.'), *end = dot != NULL ? strchr(dot + 1, '.') : NULL;
	const char *why = NULL;

	if (end == NULL)
		return NULL;
	size_t n = (size_t)(end - dot - 1);
	unsigned char *buf = arena_alloc(c->a, n + 1);
	long len = buf != NULL ? encoding_b64url_decode(dot + 1, n, buf, n + 1) : -1;
	return len > 0 ? jv_parse_strict((const char *)buf, (size_t)len, &why) : NULL;
}

/* Does a token's aud (a string or an array of strings) name client_id? */
static bool
aud_names(json_object *aud, const char *client_id)
{
	size_t n = json_object_is_type(aud, json_type_array) ? json_object_array_length(aud) : 0;

	if (json_object_is_type(aud, json_type_string))
		return strcmp(json_object_get_string(aud), client_id) == 0;
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(aud, i);
		if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), client_id) == 0)
			return true;
	}
	return false;
}

/*
 * The connection a logout token is for: the one whose provider issuer is
 * the token's iss and whose client its aud names (no two connections of an
 * organization share both: h_sso.c). Read unverified only to choose the
 * keys and expectations, which the verification then holds the token to;
 * a token naming none is judged against the default connection (else the
 * first) and refused with that check's reason.
 */
static const struct sso_connection *
logout_connection(struct ctx *c, const char *token, const struct sso_connection *conns, size_t n)
{
	json_object *claims = unverified_claims(c, token), *iss = NULL, *aud = NULL;
	const struct sso_connection *pick = &conns[0];

	for (size_t i = 0; i < n; i++)
		if (strcmp(conns[i].name, SSO_DEFAULT_CONNECTION) == 0)
			pick = &conns[i];
	if (json_object_object_get_ex(claims, "iss", &iss) && json_object_is_type(iss, json_type_string) &&
	    json_object_object_get_ex(claims, "aud", &aud))
		for (size_t i = 0; i < n; i++)
			if (conns[i].provider_issuer != NULL &&
			    strcmp(conns[i].provider_issuer, json_object_get_string(iss)) == 0 &&
			    aud_names(aud, conns[i].client_id)) {
				pick = &conns[i];
				break;
			}
	json_object_put(claims);
	return pick;
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
	struct sso_connection *conns = NULL;
	struct oidc_claims claims;
	size_t n = 0;
	bool bad = false;
	/* Every enabled connection, secrets already wiped: none is needed here. */
	enum status st = h_sso_load_connections(c, &org, &conns, &n);

	if (st != ST_OK)
		return st;
	const char *token = request_form(c->req, "logout_token", c->a, &bad);
	if (token == NULL)
		return refuse(c, org.id, bad ? "logout_token_unreadable" : "logout_token_missing");
	const struct sso_connection *conn = logout_connection(c, token, conns, n);
	if (conn->jwks == NULL || conn->provider_issuer == NULL || conn->provider_issuer[0] == '\0')
		return refuse(c, org.id, "provider_metadata_missing");
	struct oidc_expect want = {.issuer = conn->provider_issuer, .client_id = conn->client_id, .logout = true};
	enum oidc_error e = oidc_verify_with_jwks(conn->jwks, strlen(conn->jwks), token, &want, time(NULL),
	    c->a, &claims);
	if (e == OIDC_E_INTERNAL)
		return ST_INTERNAL_ERROR;
	if (e != OIDC_OK)
		return refuse(c, org.id, oidc_error_info(e)->reason);

	struct logout_plan pl = {.org_id = org.id, .issuer = conn->provider_issuer, .connection = conn->name,
	    .claims = &claims};
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
