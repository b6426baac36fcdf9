/* store_sso.c -- single sign-on: connections, identity links, one-time login states. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define CONNECTION_COLUMNS \
	"c.issuer, c.client_id, c.client_secret, c.allowed_domains, c.auto_create, c.default_role, " \
	"c.scopes, c.enabled, DATE_FORMAT(c.created_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"DATE_FORMAT(c.updated_at, '%Y-%m-%dT%H:%i:%sZ') "

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
store_sso_connection_put(struct db *db, const char *org_id, const char *issuer,
    const char *client_id, const char *client_secret, const char *allowed_domains,
    bool auto_create, const char *default_role, bool enabled)
{
	static struct db_query upsert = DB_QUERY(
	    "INSERT INTO sso_connections (organization_id, issuer, client_id, client_secret, "
	    "allowed_domains, auto_create, default_role, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE issuer = VALUES(issuer), client_id = VALUES(client_id), "
	    "client_secret = VALUES(client_secret), allowed_domains = VALUES(allowed_domains), "
	    "auto_create = VALUES(auto_create), default_role = VALUES(default_role), "
	    "enabled = VALUES(enabled), updated_at = UTC_TIMESTAMP(6)");
	/* No new secret: the stored one stays (it is write-only, nobody can read it back). */
	static struct db_query keep = DB_QUERY(
	    "UPDATE sso_connections SET issuer = ?, client_id = ?, allowed_domains = ?, "
	    "auto_create = ?, default_role = ?, enabled = ?, updated_at = UTC_TIMESTAMP(6) "
	    "WHERE organization_id = ?");

	if (client_secret != NULL) {
		struct db_param p[] = {DBP_STR(org_id), DBP_STR(issuer), DBP_STR(client_id),
		    DBP_STR(client_secret), DBP_STR(allowed_domains), DBP_INT(auto_create),
		    DBP_STR(default_role), DBP_INT(enabled)};
		return db_exec(db, &upsert, p, 8, NULL, NULL);
	}
	struct db_param p[] = {DBP_STR(issuer), DBP_STR(client_id), DBP_STR(allowed_domains),
	    DBP_INT(auto_create), DBP_STR(default_role), DBP_INT(enabled), DBP_STR(org_id)};
	return db_exec(db, &keep, p, 7, NULL, NULL);
}

enum db_result
store_sso_state_create(struct db *db, const struct sso_state *s, long ttl)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO sso_states (state, organization_id, nonce, code_verifier, binding_hash, "
	    "redirect_uri, redirect_to, expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND)");
	struct db_param p[] = {DBP_STR(s->state), DBP_STR(s->org_id), DBP_STR(s->nonce),
	    DBP_STR(s->code_verifier), DBP_STR(s->binding_hash), DBP_STR(s->redirect_uri),
	    DBP_OPT(s->redirect_to), DBP_INT(ttl)};
	return db_exec(db, &q, p, 8, NULL, NULL);
}

enum db_result
store_sso_state_take(struct db *db, struct arena *a, const char *state, struct sso_state *s,
    bool *found)
{
	static struct db_query read = DB_QUERY(
	    "SELECT organization_id, nonce, code_verifier, binding_hash, redirect_uri, redirect_to, "
	    "expires_at <= UTC_TIMESTAMP() FROM sso_states WHERE state = ?");
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
