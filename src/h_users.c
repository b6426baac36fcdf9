/* h_users.c -- the users of the caller's organization: list, create, update, unlock, delete. */
#include "handlers.h"

#include <string.h>

#include "audit.h"
#include "params.h"
#include "password.h"
#include "pepper.h"
#include "store.h"
#include "view.h"

static json_object *
user_item(const void *users, size_t i)
{
	return view_user(&((const struct user_row *)users)[i]);
}

enum status
h_users_list(struct ctx *c)
{
	return h_org_list(c, &store_users_listed, user_item);
}

/* The user as stored now, answered with ok; missing when it is gone. */
static enum status
reply_user(struct ctx *c, const char *id, enum status ok, enum status missing)
{
	struct user_row u;
	bool found = false;
	enum db_result r = store_user_in_org(c->db, c->a, id, c->principal.org_id, &u, &found);

	if (r != DB_OK || !found)
		return r != DB_OK ? reply_db_status(r) : missing;
	return h_reply(c, ok, view_user(&u));
}

/*
 * The address is taken. In the caller's own organization that is a plain
 * 409; an address of another organization gets exactly the answer of a
 * malformed one, so that an admin cannot ask "does this person have an
 * account anywhere?" (doc/SECURITY.md, "Request edge").
 */
static enum status
taken(struct ctx *c, const char *org, const char *email)
{
	struct user_row other;
	bool found = false;
	enum db_result r = store_user_by_email(c->db, c->a, email, &other, &found);

	if (r != DB_OK)
		return reply_db_status(r);
	if (found && strcmp(other.org_id, org) == 0)
		return h_fail(c, ST_CONFLICT, "Email already registered");
	/*
	 * Whoever knows the address is well-formed still learns that it is
	 * taken: such an answer spends the client's failed-login budget, so
	 * probing here is no faster than probing the login.
	 */
	if (found && (r = store_ip_failure_add(c->db, c->throttle_ip)) != DB_OK)
		return reply_db_status(r);
	return params_field_error(c, "email", "is not a valid email address");
}

/*
 * Nobody grants a role above their own: role's permissions must all be in
 * the caller's effective set (a user's role; a key's list within its
 * creator's). Checked before any write, audited like the route's 403s.
 */
static enum status
role_grantable(struct ctx *c, const char *role)
{
	int r = role_parse(role);
	if (r >= 0 && role_within((enum role)r, c->principal.perms))
		return ST_OK;
	audit_refusal(c, c->principal.org_id, "permission.denied", "denied", "role", role);
	return h_fail(c, ST_INSUFFICIENT_PERMISSIONS, "Cannot grant a role with permissions the caller does not hold");
}

/*
 * What creating a user writes in its transaction (after the argon2 work):
 * without a password (hash NULL), the user and its activation link commit
 * together.
 */
struct user_create_tx {
	const char *id, *org, *email, *name, *role, *hash;
	char *link;                 /* ACCOUNT_TOKEN_LEN + 1 bytes: the activation token */
	bool duplicate;
};

static enum status
user_create_write(struct ctx *c, void *arg)
{
	struct user_create_tx *t = arg;
	enum db_result r;

	if ((r = store_user_create(c->db, t->id, t->org, t->email, t->name, t->role, t->hash,
	    pepper_current_id())) != DB_OK ||
	    (r = audit_record(c, t->org, "user.created", "success", "user", t->id)) != DB_OK) {
		t->duplicate = r == DB_DUPLICATE;
		return reply_db_status(r);
	}
	return t->hash == NULL ? h_account_activation_issue(c, t->email, t->link) : ST_OK;
}

/* The 201 of a user created without a password: the user and, shown this once, its activation link. */
static enum status
reply_activation(struct ctx *c, const char *id, const char *tok)
{
	struct user_row u;
	bool found = false;
	enum db_result r = store_user_in_org(c->db, c->a, id, c->principal.org_id, &u, &found);

	if (r != DB_OK || !found)
		return r != DB_OK ? reply_db_status(r) : ST_INTERNAL_ERROR;
	json_object *o = view_user(&u);
	json_object_object_add(o, "activation", h_account_link_view(c, tok, c->cfg->account_activation_ttl));
	return h_reply(c, ST_CREATED, o);
}

/*
 * TX_NONE: the failed-login budget spent by a taken address outlives the
 * refusal, and the argon2 work stays outside the transaction.
 */
enum status
h_users_create(struct ctx *c)
{
	const char *org = c->principal.org_id;
	const char *email_in = jv_str(&c->in, "email");
	const char *name = jv_str(&c->in, "name");
	const char *role = jv_str(&c->in, "role");
	const char *password = jv_str(&c->in, "password");
	char email[256], id[UUID_STR_LEN], hash[PASSWORD_HASH_MAX], tok[ACCOUNT_TOKEN_LEN + 1] = "";
	struct user_row u;
	bool found = false;
	enum db_result r;

	enum status st = h_step_up(c);
	if (st != ST_OK || (st = h_auth_ip_budget(c)) != ST_OK)
		return st;
	if (util_email_normalize(email_in, email, sizeof(email)) != 0)
		return params_field_error(c, "email", "is not a valid email address");
	if ((st = role_grantable(c, role)) != ST_OK)
		return st;
	/*
	 * Before the argon2 work, so that a taken address answers as fast as a
	 * malformed one; the insert below still catches a concurrent taker.
	 */
	if ((r = store_user_by_email(c->db, c->a, email, &u, &found)) != DB_OK)
		return reply_db_status(r);
	if (found)
		return taken(c, org, email);
	if (password != NULL && (st = h_auth_new_password(c, "password", hash)) != ST_OK)
		return st;
	if (util_uuid(id) != 0)
		return ST_INTERNAL_ERROR;
	struct user_create_tx t = {.id = id, .org = org, .email = email, .name = name, .role = role,
	    .hash = password != NULL ? hash : NULL, .link = tok};
	if ((st = dispatch_tx(c, user_create_write, &t)) != ST_OK)
		return t.duplicate ? taken(c, org, email) : st;
	if (password != NULL)
		return reply_user(c, id, ST_CREATED, ST_INTERNAL_ERROR);
	st = reply_activation(c, id, tok);
	explicit_bzero(tok, sizeof(tok));
	return st;
}

/*
 * TX_WRITE. The user named by the path, for a change by the caller: lock
 * the admins first, then read the target under lock, as it is now and not
 * as the snapshot of an earlier read (h_step_up's) saw it, so that the
 * last-admin rule holds under races (*admins: the organization's active
 * admins; store_user_lock_target). Nor does
 * anyone change a user who holds more than they do: a key with
 * users:manage and an engineer's permissions must not rename, deactivate,
 * demote or delete the admins above it.
 */
static enum status
target_locked(struct ctx *c, const char *id, struct user_row *before, long *admins)
{
	const char *org = c->principal.org_id;
	bool found = false;
	enum db_result r;

	r = store_user_lock_target(c->db, c->a, org, id, admins, before, &found);
	enum status st = h_found(c, r, found, "User not found");
	if (st != ST_OK)
		return st;
	int target_role = role_parse(before->role);
	if (target_role < 0 || !role_within((enum role)target_role, c->principal.perms)) {
		audit_refusal(c, org, "permission.denied", "denied", "user", id);
		return h_fail(c, ST_INSUFFICIENT_PERMISSIONS,
		    "Cannot change a user whose role has permissions the caller does not hold");
	}
	return ST_OK;
}

enum status
h_users_update(struct ctx *c)
{
	const char *org = c->principal.org_id;
	const char *name = jv_str(&c->in, "name");
	const char *role = jv_str(&c->in, "role");
	const struct jv_value *active_in = jv_field(&c->in, "active");
	int active = active_in->present ? active_in->b : -1;
	char id[UUID_STR_LEN];
	struct user_row before;
	long admins = 0;
	enum db_result r;
	enum status st;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	/* A role change needs a recent proof; a name or state change does not. */
	if (role != NULL && ((st = h_step_up(c)) != ST_OK || (st = role_grantable(c, role)) != ST_OK))
		return st;
	if ((st = target_locked(c, id, &before, &admins)) != ST_OK)
		return st;
	bool was_admin = before.active && strcmp(before.role, "admin") == 0;
	bool stays_admin = (active < 0 ? before.active : active == 1) &&
	    strcmp(role != NULL ? role : before.role, "admin") == 0;
	if (was_admin && !stays_admin && admins <= 1)
		return h_fail(c, ST_CONFLICT, "Cannot demote or deactivate the organization's last active admin");
	if ((r = store_user_update(c->db, id, org, name, role, active)) != DB_OK)
		return reply_db_status(r);
	/* Deactivation ends every session now, not at token expiry. */
	if (active == 0 && before.active && (r = store_session_revoke_user(c->db, id, NULL)) != DB_OK)
		return reply_db_status(r);
	if ((r = audit_record(c, org, "user.updated", "success", "user", id)) != DB_OK)
		return reply_db_status(r);
	return reply_user(c, id, ST_OK, ST_NOT_FOUND);
}

/*
 * TX_WRITE (doc/api.md section 6, "DELETE /users/{id}"): the user's
 * sessions and API keys end with it; the audit log keeps every event with
 * the user's id, and this one with the actor's.
 */
enum status
h_users_delete(struct ctx *c)
{
	const char *org = c->principal.org_id;
	char id[UUID_STR_LEN];
	struct user_row before;
	long admins = 0;
	bool found = false;
	enum db_result r;
	enum status st;

	if (!params_uuid(c, 0, id))
		return ST_NOT_FOUND;
	if ((st = target_locked(c, id, &before, &admins)) != ST_OK)
		return st;
	if (before.active && strcmp(before.role, "admin") == 0 && admins <= 1)
		return h_fail(c, ST_CONFLICT, "Cannot delete the organization's last active admin");
	if ((r = store_user_delete(c->db, id, org, &found)) != DB_OK ||
	    (r = audit_record(c, org, "user.deleted", "success", "user", id)) != DB_OK)
		return reply_db_status(r);
	return found ? ST_NO_CONTENT : h_fail(c, ST_NOT_FOUND, "User not found");
}

enum status
h_users_unlock(struct ctx *c)
{
	return h_path_change(c, store_user_unlock, "User not found", "user.unlocked", "user");
}
