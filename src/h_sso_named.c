/* h_sso_named.c -- an organization's named single sign-on connections (doc/api.md section 6, "Single sign-on"). */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "params.h"
#include "sso.h"
#include "store.h"

/*
 * The {name} of the path, when it is one a connection can have: a 400 on
 * name otherwise, so that no odd segment reaches a statement or a log.
 */
static enum status
path_name(struct ctx *c, const char **name)
{
	*name = c->npath_params >= 1 ? c->path_params[0] : NULL;
	if (!sso_connection_name_ok(*name))
		return params_field_error(c, "name", "must be 1 to 32 of a-z, 0-9 and -, without - at either end");
	return ST_OK;
}

/* GET /sso-connections/named: every connection of the organization, the default one too; no secret. */
enum status
h_sso_named_list(struct ctx *c)
{
	struct sso_org org;
	struct sso_connection *conns = NULL;
	size_t n = 0;
	enum db_result r = store_sso_connection_list(c->db, c->a, c->principal.org_id, &org, &conns, &n);

	if (r != DB_OK)
		return reply_db_status(r);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, h_sso_connection_view(c, &org, &conns[i], true));
	return h_reply(c, ST_OK, arr);
}

enum status
h_sso_named_get(struct ctx *c)
{
	const char *name;
	enum status st = path_name(c, &name);

	return st != ST_OK ? st : h_sso_connection_show(c, name, true);
}

enum status
h_sso_named_put(struct ctx *c)
{
	const char *name;
	enum status st = path_name(c, &name);

	return st != ST_OK ? st : h_sso_connection_save(c, name, true);
}

/*
 * DELETE /sso-connections/named/{name} (TX_WRITE): nothing ends silently.
 * The sessions its sign-ins made are revoked with it, through a revoking
 * write, so every worker's cache refuses them at once; an SSO-only
 * organization keeps at least one enabled connection (409 otherwise:
 * turn require_sso off first).
 */
enum status
h_sso_named_delete(struct ctx *c)
{
	const char *name, *org = c->principal.org_id;
	struct sso_org o;
	struct sso_connection conn;
	bool found = false, deleted = false, required = false, left = false;
	unsigned long long ended = 0;
	enum status st;
	enum db_result r;

	if ((st = path_name(c, &name)) != ST_OK || (st = h_step_up(c)) != ST_OK)
		return st;
	/* Locked with the organization, as a save is: a concurrent save sees the deletion. */
	r = store_sso_connection_get(c->db, c->a, org, name, true, &o, &conn, &found);
	if (conn.client_secret != NULL)
		explicit_bzero(conn.client_secret, conn.client_secret_len);
	if (r != DB_OK)
		return reply_db_status(r);
	if (!found)
		return h_fail(c, ST_NOT_FOUND, "No single sign-on connection of this name");
	if ((r = store_sso_connection_delete(c->db, org, name, &deleted, &ended)) != DB_OK ||
	    (r = store_sso_policy(c->db, c->a, org, &required, &left)) != DB_OK)
		return reply_db_status(r);
	if (required && !left)
		return h_fail(c, ST_CONFLICT, "The organization requires single sign-on and this is its last "
		    "enabled connection; turn require_sso off first");
	if ((r = audit_record_detail(c, org, "sso_connection.deleted", "success", "organization", org,
	    h_sso_name_detail(c, name, (long long)ended))) != DB_OK)
		return reply_db_status(r);
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	return ST_NO_CONTENT;
}
