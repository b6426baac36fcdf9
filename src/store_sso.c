/* store_sso.c -- single sign-on: connections, identity links, one-time login states. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define CONNECTION_COLUMNS \
	"c.issuer, c.client_id, c.client_secret, c.allowed_domains, c.auto_create, c.default_role, " \
	"c.scopes, c.enabled, DATE_FORMAT(c.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(c.updated_at, '%Y-%m-%dT%H:%i:%sZ'), c.link_existing_accounts, c.provider_issuer, " \
	"c.authorization_endpoint, c.token_endpoint, c.jwks_uri, c.jwks, " \
	"DATE_FORMAT(c.fetched_at, '%Y-%m-%dT%H:%i:%sZ') "

/* Columns from `first` on, as CONNECTION_COLUMNS lists them. */
static void
connection_from_row(const struct db_rows *rows, size_t first, struct sso_connection *c)
{
	c->issuer = db_cell(rows, 0, first);
	c->client_id = db_cell(rows, 0, first + 1);
	/* db_cell hands out the arena copy: the handler wipes it after use. */
	c->client_secret = (char *)db_cell(rows, 0, first + 2);
	c->client_secret_len = rows->lens[first + 2];
	c->allowed_domains = db_cell(rows, 0, first + 3);
	c->auto_create = db_cell_int(rows, 0, first + 4) != 0;
	c->default_role = db_cell(rows, 0, first + 5);
	c->scopes = db_cell(rows, 0, first + 6);
	c->enabled = db_cell_int(rows, 0, first + 7) != 0;
	c->created_at = db_cell(rows, 0, first + 8);
	c->updated_at = db_cell(rows, 0, first + 9);
	c->link_existing_accounts = db_cell_int(rows, 0, first + 10) != 0;
	c->provider_issuer = db_cell(rows, 0, first + 11);
	c->authorization_endpoint = db_cell(rows, 0, first + 12);
	c->token_endpoint = db_cell(rows, 0, first + 13);
	c->jwks_uri = db_cell(rows, 0, first + 14);
	c->jwks = db_cell(rows, 0, first + 15);
	c->fetched_at = db_cell(rows, 0, first + 16);
}

enum db_result
store_sso_org_connection(struct db *db, struct arena *a, const char *id_or_slug,
    struct sso_org *org, struct sso_connection *conn, bool *conn_found)
{
	/* The organization and its connection in one round trip: every /start and /callback asks. */
	static struct db_query q = DB_QUERY(
	    "SELECT o.id, o.slug, c.organization_id, " CONNECTION_COLUMNS
	    "FROM organizations o LEFT JOIN sso_connections c ON c.organization_id = o.id "
	    "WHERE o.id = ? OR o.slug = ? LIMIT 1");
	struct db_param p[] = {DBP_STR(id_or_slug), DBP_STR(id_or_slug)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, a);

	memset(org, 0, sizeof(*org));
	memset(conn, 0, sizeof(*conn));
	*conn_found = false;
	if (r != DB_OK || rows.nrows != 1)
		return r;
	org->found = true;
	snprintf(org->id, sizeof(org->id), "%s", db_cell(&rows, 0, 0));
	org->slug = db_cell(&rows, 0, 1);
	if (db_cell(&rows, 0, 2) != NULL) {
		*conn_found = true;
		conn->org_id = org->id;
		connection_from_row(&rows, 3, conn);
	}
	return r;
}

enum db_result
store_sso_connection_get(struct db *db, struct arena *a, const char *org_id, bool for_update,
    struct sso_org *org, struct sso_connection *conn, bool *found)
{
	static struct db_query q = DB_QUERY(
	    "SELECT o.id, o.slug, c.organization_id, " CONNECTION_COLUMNS
	    "FROM organizations o LEFT JOIN sso_connections c ON c.organization_id = o.id "
	    "WHERE o.id = ?");
	/* Inside the PUT's transaction: two admins saving at once apply one after the other. */
	static struct db_query locked = DB_QUERY(
	    "SELECT o.id, o.slug, c.organization_id, " CONNECTION_COLUMNS
	    "FROM organizations o LEFT JOIN sso_connections c ON c.organization_id = o.id "
	    "WHERE o.id = ? FOR UPDATE");
	struct db_param p[] = {DBP_STR(org_id)};
	struct db_rows rows;
	enum db_result r = db_exec(db, for_update ? &locked : &q, p, 1, &rows, a);

	memset(org, 0, sizeof(*org));
	memset(conn, 0, sizeof(*conn));
	*found = false;
	if (r != DB_OK || rows.nrows != 1)
		return r;
	org->found = true;
	snprintf(org->id, sizeof(org->id), "%s", db_cell(&rows, 0, 0));
	org->slug = db_cell(&rows, 0, 1);
	if (db_cell(&rows, 0, 2) != NULL) {
		*found = true;
		conn->org_id = org->id;
		connection_from_row(&rows, 3, conn);
	}
	return r;
}

enum db_result
store_sso_connection_put(struct db *db, const char *org_id, const struct sso_connection_write *w)
{
	static struct db_query upsert = DB_QUERY(
	    "INSERT INTO sso_connections (organization_id, issuer, client_id, client_secret, "
	    "allowed_domains, auto_create, link_existing_accounts, default_role, enabled, "
	    "provider_issuer, authorization_endpoint, token_endpoint, jwks_uri, jwks, fetched_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6)) "
	    "ON DUPLICATE KEY UPDATE issuer = VALUES(issuer), client_id = VALUES(client_id), "
	    "client_secret = VALUES(client_secret), allowed_domains = VALUES(allowed_domains), "
	    "auto_create = VALUES(auto_create), link_existing_accounts = VALUES(link_existing_accounts), "
	    "default_role = VALUES(default_role), enabled = VALUES(enabled), "
	    "provider_issuer = VALUES(provider_issuer), "
	    "authorization_endpoint = VALUES(authorization_endpoint), "
	    "token_endpoint = VALUES(token_endpoint), jwks_uri = VALUES(jwks_uri), jwks = VALUES(jwks), "
	    "fetched_at = VALUES(fetched_at), updated_at = UTC_TIMESTAMP(6)");
	/* No new secret: the stored one stays (the caller decided the provider is the same one). */
	static struct db_query keep = DB_QUERY(
	    "UPDATE sso_connections SET issuer = ?, client_id = ?, allowed_domains = ?, "
	    "auto_create = ?, link_existing_accounts = ?, default_role = ?, enabled = ?, "
	    "provider_issuer = ?, authorization_endpoint = ?, token_endpoint = ?, jwks_uri = ?, "
	    "jwks = ?, fetched_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ?");

	if (w->client_secret != NULL) {
		struct db_param p[] = {DBP_STR(org_id), DBP_STR(w->issuer), DBP_STR(w->client_id),
		    DBP_STR(w->client_secret), DBP_STR(w->allowed_domains), DBP_INT(w->auto_create),
		    DBP_INT(w->link_existing_accounts), DBP_STR(w->default_role), DBP_INT(w->enabled),
		    DBP_STR(w->provider_issuer), DBP_STR(w->authorization_endpoint),
		    DBP_STR(w->token_endpoint), DBP_STR(w->jwks_uri), DBP_STR(w->jwks)};
		return db_exec(db, &upsert, p, 14, NULL, NULL);
	}
	struct db_param p[] = {DBP_STR(w->issuer), DBP_STR(w->client_id), DBP_STR(w->allowed_domains),
	    DBP_INT(w->auto_create), DBP_INT(w->link_existing_accounts), DBP_STR(w->default_role),
	    DBP_INT(w->enabled), DBP_STR(w->provider_issuer), DBP_STR(w->authorization_endpoint),
	    DBP_STR(w->token_endpoint), DBP_STR(w->jwks_uri), DBP_STR(w->jwks), DBP_STR(org_id)};
	return db_exec(db, &keep, p, 13, NULL, NULL);
}

enum db_result
store_sso_connection_jwks(struct db *db, const char *org_id, const char *jwks_uri, const char *jwks)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE sso_connections SET jwks = ?, fetched_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND jwks_uri = ?");
	struct db_param p[] = {DBP_STR(jwks), DBP_STR(org_id), DBP_STR(jwks_uri)};
	return db_exec(db, &q, p, 3, NULL, NULL);
}

enum db_result
store_sso_provider_lock(struct db *db, const char *name, bool *got)
{
	/* Timeout 0: a second caller is told at once instead of queueing behind a slow provider. */
	static struct db_query q = DB_QUERY("SELECT GET_LOCK(?, 0)");
	struct db_param p[] = {DBP_STR(name)};
	struct db_rows rows;
	struct arena a;
	enum db_result r;

	arena_init(&a, 4096);
	r = db_exec(db, &q, p, 1, &rows, &a);
	*got = r == DB_OK && rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL && db_cell_int(&rows, 0, 0) == 1;
	arena_free(&a);
	return r;
}

enum db_result
store_sso_provider_unlock(struct db *db, const char *name)
{
	static struct db_query q = DB_QUERY("SELECT RELEASE_LOCK(?)");
	struct db_param p[] = {DBP_STR(name)};
	struct db_rows rows;
	struct arena a;
	enum db_result r;

	arena_init(&a, 4096);
	r = db_exec(db, &q, p, 1, &rows, &a);
	arena_free(&a);
	return r;
}

enum db_result
store_sso_provider_failing(struct db *db, struct arena *a, const char *issuer, bool *failing)
{
	static struct db_query q = DB_QUERY(
	    "SELECT reason FROM sso_provider_failures WHERE issuer = ? AND failed_until > UTC_TIMESTAMP(6)");
	struct db_param p[] = {DBP_STR(issuer)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 1, &rows, a);

	*failing = r == DB_OK && rows.nrows == 1;
	return r;
}

enum db_result
store_sso_provider_failed(struct db *db, const char *issuer, long ttl, const char *reason)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO sso_provider_failures (issuer, failed_until, reason) "
	    "VALUES (?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, ?) "
	    "ON DUPLICATE KEY UPDATE failed_until = VALUES(failed_until), reason = VALUES(reason)");
	struct db_param p[] = {DBP_STR(issuer), DBP_INT(ttl), DBP_STR(reason)};
	return db_exec(db, &q, p, 3, NULL, NULL);
}

enum db_result
store_sso_provider_recovered(struct db *db, const char *issuer)
{
	static struct db_query q = DB_QUERY("DELETE FROM sso_provider_failures WHERE issuer = ?");
	struct db_param p[] = {DBP_STR(issuer)};
	return db_exec(db, &q, p, 1, NULL, NULL);
}

enum db_result
store_sso_state_create(struct db *db, const struct sso_state *s, long ttl)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO sso_states (state, organization_id, nonce, code_verifier, binding_hash, "
	    "redirect_uri, redirect_to, link_user_id, expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)");
	struct db_param p[] = {DBP_STR(s->state), DBP_STR(s->org_id), DBP_STR(s->nonce),
	    DBP_STR(s->code_verifier), DBP_STR(s->binding_hash), DBP_STR(s->redirect_uri),
	    DBP_OPT(s->redirect_to), DBP_OPT(s->link_user_id), DBP_INT(ttl)};
	return db_exec(db, &q, p, 9, NULL, NULL);
}

enum db_result
store_sso_state_take(struct db *db, struct arena *a, const char *state, struct sso_state *s,
    bool *found)
{
	static struct db_query read = DB_QUERY(
	    "SELECT organization_id, nonce, code_verifier, binding_hash, redirect_uri, redirect_to, "
	    "expires_at <= UTC_TIMESTAMP(), link_user_id FROM sso_states WHERE state = ?");
	static struct db_query take = DB_QUERY("DELETE FROM sso_states WHERE state = ?");
	struct db_param p[] = {DBP_STR(state)};
	struct db_rows rows, gone;
	enum db_result r = db_exec(db, &read, p, 1, &rows, a);

	memset(s, 0, sizeof(*s));
	*found = false;
	if (r != DB_OK || rows.nrows != 1)
		return r;
	/* Whoever deletes the row owns it: of two racing callbacks only one sees a row go. */
	if ((r = db_exec(db, &take, p, 1, &gone, a)) != DB_OK || gone.affected != 1)
		return r;
	*found = true;
	s->state = state;
	s->org_id = db_cell(&rows, 0, 0);
	s->nonce = db_cell(&rows, 0, 1);
	s->code_verifier = db_cell(&rows, 0, 2);
	s->binding_hash = db_cell(&rows, 0, 3);
	s->redirect_uri = db_cell(&rows, 0, 4);
	s->redirect_to = db_cell(&rows, 0, 5);
	s->expired = db_cell_int(&rows, 0, 6) != 0;
	s->link_user_id = db_cell(&rows, 0, 7);
	return r;
}

enum db_result
store_sso_identity_user(struct db *db, struct arena *a, const char *org_id, const char *issuer,
    const char *subject, char user_id[UUID_STR_LEN], bool *found)
{
	static struct db_query q = DB_QUERY(
	    "SELECT user_id FROM sso_identities WHERE organization_id = ? AND issuer = ? AND subject = ?");
	struct db_param p[] = {DBP_STR(org_id), DBP_STR(issuer), DBP_STR(subject)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 3, &rows, a);

	*found = false;
	if (r == DB_OK && rows.nrows == 1) {
		snprintf(user_id, UUID_STR_LEN, "%s", db_cell(&rows, 0, 0));
		*found = true;
	}
	return r;
}

enum db_result
store_sso_identity_link(struct db *db, const char *org_id, const char *issuer, const char *subject,
    const char *user_id)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO sso_identities (organization_id, issuer, subject, user_id, last_login_at) "
	    "VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))");
	struct db_param p[] = {DBP_STR(org_id), DBP_STR(issuer), DBP_STR(subject), DBP_STR(user_id)};
	return db_exec(db, &q, p, 4, NULL, NULL);
}

enum db_result
store_sso_identity_touch(struct db *db, const char *org_id, const char *issuer, const char *subject)
{
	static struct db_query q = DB_QUERY(
	    "UPDATE sso_identities SET last_login_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ? AND issuer = ? AND subject = ?");
	struct db_param p[] = {DBP_STR(org_id), DBP_STR(issuer), DBP_STR(subject)};
	return db_exec(db, &q, p, 3, NULL, NULL);
}
