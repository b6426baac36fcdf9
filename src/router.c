/* router.c -- the one route table: every endpoint, the permission it needs, its body schema. */
#include "router.h"

#include <string.h>

#define FIELDS(f) (f), (sizeof(f) / sizeof((f)[0]))
#define NO_FIELDS NULL, 0
/* One row per route: method, pattern, auth, permission, handler, transaction, body, fields. */
#define ROUTE(method, pattern, auth, perm, handler, tx, body, fields) \
	{method, pattern, auth, perm, handler, tx, body, fields},
/*
 * One row per body field, a macro per kind: name, required, nullable, then
 * the bounds (jsonin.h struct field_spec) or the enum's values.
 */
#define FIELD_OF(name, type, req, null, min, max, values) {name, type, req, null, min, max, values},
#define FIELD_OF_STRING(name, req, null, min, max) FIELD_OF(name, FIELD_STRING, req, null, min, max, NULL)
#define FIELD_OF_STRING_ARRAY(name, req, null, min, max) \
	FIELD_OF(name, FIELD_STRING_ARRAY, req, null, min, max, NULL)
#define FIELD_OF_INT(name, req, null, min, max) FIELD_OF(name, FIELD_INT, req, null, min, max, NULL)
#define FIELD_OF_ENUM(name, req, null, values) FIELD_OF(name, FIELD_ENUM, req, null, 0, 0, values)
#define FIELD_OF_BOOL(name, req, null) FIELD_OF(name, FIELD_BOOL, req, null, 0, 0, NULL)
#define FIELD_OF_TIME(name, req, null) FIELD_OF(name, FIELD_TIME, req, null, 0, 0, NULL)

static const struct field_spec register_fields[] = {
	FIELD_OF_STRING("email", true, false, 3, 254)
	FIELD_OF_STRING("password", true, false, 12, 1024)
	FIELD_OF_STRING("name", true, false, 1, 200)
	FIELD_OF_STRING("organization_name", true, false, 1, 200)
};
/* Login takes any string: a length rule here would tell which passwords cannot exist. */
static const struct field_spec login_fields[] = {
	FIELD_OF_STRING("email", true, false, 1, 1024)
	FIELD_OF_STRING("password", true, false, 1, 4096)
};
static const struct field_spec refresh_fields[] = {
	FIELD_OF_STRING("refresh_token", false, true, 1, 16384)
};
static const struct field_spec password_fields[] = {
	FIELD_OF_STRING("current_password", true, false, 1, 4096)
	FIELD_OF_STRING("new_password", true, false, 12, 1024)
};

static const struct field_spec apikey_fields[] = {
	FIELD_OF_STRING("name", true, false, 1, 100)
	FIELD_OF_STRING_ARRAY("permissions", true, false, 1, 64)
	FIELD_OF_TIME("expires_at", false, true)
};

static const char *const roles[] = {"admin", "engineer", "viewer", NULL};
static const char *const severities[] = {"critical", "high", "medium", "low", NULL};
static const char *const incident_statuses[] = {"open", "acknowledged", "resolved", NULL};

static const struct field_spec user_create_fields[] = {
	FIELD_OF_STRING("email", true, false, 3, 254)
	FIELD_OF_STRING("name", true, false, 1, 200)
	FIELD_OF_ENUM("role", true, false, roles)
	/* Without one, the answer holds a single-use activation link instead (h_account.c). */
	FIELD_OF_STRING("password", false, false, 12, 1024)
};
static const struct field_spec account_reset_fields[] = {
	FIELD_OF_STRING("email", true, false, 1, 1024)
};
/* A token of any length within the limit is judged by the handler: one answer for every bad one. */
static const struct field_spec account_link_fields[] = {
	FIELD_OF_STRING("token", true, false, 1, 128)
	FIELD_OF_STRING("password", true, false, 12, 1024)
};
static const struct field_spec user_update_fields[] = {
	FIELD_OF_STRING("name", false, false, 1, 200)
	FIELD_OF_ENUM("role", false, false, roles)
	FIELD_OF_BOOL("active", false, false)
};
static const struct field_spec incident_create_fields[] = {
	FIELD_OF_STRING("title", true, false, 1, 500)
	FIELD_OF_ENUM("severity", true, false, severities)
	FIELD_OF_STRING("description", false, true, 0, 10000)
};
static const struct field_spec incident_update_fields[] = {
	FIELD_OF_STRING("title", false, false, 1, 500)
	FIELD_OF_ENUM("severity", false, false, severities)
	FIELD_OF_ENUM("status", false, false, incident_statuses)
	FIELD_OF_STRING("description", false, true, 0, 10000)
};
static const struct field_spec apikey_rotate_fields[] = {
	FIELD_OF_INT("overlap_seconds", false, false, 0, 2592000)
};
static const struct field_spec apikey_policy_fields[] = {
	FIELD_OF_INT("rotation_period_days", true, false, 1, 3650)
	FIELD_OF_INT("max_key_lifetime_days", false, true, 1, 3650)
};
static const struct field_spec procedure_create_fields[] = {
	FIELD_OF_STRING("name", true, false, 1, 200)
	FIELD_OF_STRING("description", false, true, 0, 10000)
};
static const struct field_spec procedure_execute_fields[] = {
	FIELD_OF_STRING("incident_id", false, true, 36, 36)
};

/*
 * PUT replaces the whole connection; a missing client_secret keeps the
 * stored one only while the issuer and its token endpoint stay the same.
 */
static const struct field_spec sso_connection_fields[] = {
	FIELD_OF_STRING("issuer", true, false, 1, 512)
	FIELD_OF_STRING("client_id", true, false, 1, 255)
	FIELD_OF_STRING("client_secret", false, false, 1, 1024)
	FIELD_OF_STRING_ARRAY("allowed_domains", false, false, 0, 50)
	FIELD_OF_BOOL("auto_create", false, false)
	FIELD_OF_BOOL("link_existing_accounts", false, false)
	FIELD_OF_ENUM("default_role", false, false, roles)
	FIELD_OF_BOOL("enabled", false, false)
	/* Role mapping: the claim, and per role the claim values that give it (sso_roles.h). */
	FIELD_OF_STRING("role_claim", false, true, 1, 128)
	FIELD_OF_STRING("scopes", false, true, 1, 255)
	FIELD_OF_STRING_ARRAY("role_admin_values", false, false, 0, 50)
	FIELD_OF_STRING_ARRAY("role_engineer_values", false, false, 0, 50)
	FIELD_OF_STRING_ARRAY("role_viewer_values", false, false, 0, 50)
};

/* Two-factor sign-in (doc/api.md section 6 "Two-factor sign-in"): codes are digits, tokens and recovery codes short. */
static const char *const mfa_policies[] = {"none", "admins", "all", NULL};
static const struct field_spec mfa_enrol_fields[] = {
	FIELD_OF_STRING("mfa_token", false, false, 1, 128)
};
static const struct field_spec mfa_confirm_fields[] = {
	FIELD_OF_STRING("code", true, false, 1, 16)
	FIELD_OF_STRING("mfa_token", false, false, 1, 128)
};
static const struct field_spec mfa_verify_fields[] = {
	FIELD_OF_STRING("mfa_token", true, false, 1, 128)
	FIELD_OF_STRING("code", false, false, 1, 16)
	FIELD_OF_STRING("recovery_code", false, false, 1, 64)
};
static const struct field_spec mfa_disable_fields[] = {
	FIELD_OF_STRING("code", false, false, 1, 16)
	FIELD_OF_STRING("password", false, false, 1, 4096)
};
static const struct field_spec mfa_policy_fields[] = {
	FIELD_OF_ENUM("require", true, false, mfa_policies)
};
/* POST /sso-connections/test: the issuer alone, with PUT's bound. */
static const struct field_spec sso_test_fields[] = {
	FIELD_OF_STRING("issuer", true, false, 1, 512)
};

/* SSO-only organizations: at most 10 break-glass admins (h_sso_policy.c). */
static const struct field_spec sso_policy_fields[] = {
	FIELD_OF_BOOL("require_sso", true, false)
	FIELD_OF_STRING_ARRAY("break_glass_admins", false, false, 0, 10)
};

/* Exactly one of them; h_mfa_proof says so when not. */
static const struct field_spec reauthenticate_fields[] = {
	FIELD_OF_STRING("password", false, false, 1, 4096)
	FIELD_OF_STRING("code", false, false, 1, 16)
};

static const struct route routes[] = {
	ROUTE(METHOD_GET, "/health", ROUTE_PUBLIC, PERM_NONE, h_health, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/auth/register", ROUTE_PUBLIC, PERM_NONE, h_auth_register, TX_NONE, BODY_JSON, FIELDS(register_fields))
	ROUTE(METHOD_POST, "/auth/login", ROUTE_PUBLIC, PERM_NONE, h_auth_login, TX_NONE, BODY_JSON, FIELDS(login_fields))
	ROUTE(METHOD_POST, "/auth/refresh", ROUTE_PUBLIC, PERM_NONE, h_auth_refresh, TX_NONE, BODY_OPTIONAL_JSON, FIELDS(refresh_fields))
	ROUTE(METHOD_POST, "/auth/logout", ROUTE_CREDENTIAL, PERM_NONE, h_auth_logout, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/auth/me", ROUTE_CREDENTIAL, PERM_NONE, h_auth_me, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/auth/me/export", ROUTE_CREDENTIAL, PERM_NONE, h_auth_me_export, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/auth/password", ROUTE_CREDENTIAL, PERM_NONE, h_auth_password, TX_NONE, BODY_JSON, FIELDS(password_fields))
	ROUTE(METHOD_POST, "/auth/reauthenticate", ROUTE_CREDENTIAL, PERM_NONE, h_auth_reauthenticate, TX_NONE, BODY_JSON, FIELDS(reauthenticate_fields))
	ROUTE(METHOD_GET, "/auth/sessions", ROUTE_CREDENTIAL, PERM_NONE, h_sessions_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_DELETE, "/auth/sessions", ROUTE_CREDENTIAL, PERM_NONE, h_sessions_delete_all, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_DELETE, "/auth/sessions/{id}", ROUTE_CREDENTIAL, PERM_NONE, h_sessions_delete, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/api-keys", ROUTE_CREDENTIAL, PERM_API_KEYS_CREATE, h_apikeys_create, TX_WRITE, BODY_JSON, FIELDS(apikey_fields))
	ROUTE(METHOD_GET, "/api-keys", ROUTE_CREDENTIAL, PERM_API_KEYS_READ, h_apikeys_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_DELETE, "/api-keys/{id}", ROUTE_CREDENTIAL, PERM_API_KEYS_DELETE, h_apikeys_delete, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/api-keys/{id}/rotate", ROUTE_CREDENTIAL, PERM_API_KEYS_CREATE, h_apikeys_rotate, TX_WRITE, BODY_OPTIONAL_JSON, FIELDS(apikey_rotate_fields))
	ROUTE(METHOD_GET, "/api-keys/{id}/activity", ROUTE_CREDENTIAL, PERM_API_KEYS_READ, h_apikeys_activity, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/api-key-policy", ROUTE_CREDENTIAL, PERM_API_KEYS_READ, h_apikeys_policy_get, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_PUT, "/api-key-policy", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_apikeys_policy_put, TX_WRITE, BODY_JSON, FIELDS(apikey_policy_fields))
	ROUTE(METHOD_GET, "/users", ROUTE_CREDENTIAL, PERM_USERS_READ, h_users_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/users", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_users_create, TX_NONE, BODY_JSON, FIELDS(user_create_fields))
	ROUTE(METHOD_PATCH, "/users/{id}", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_users_update, TX_WRITE, BODY_JSON, FIELDS(user_update_fields))
	ROUTE(METHOD_DELETE, "/users/{id}", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_users_delete, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/users/{id}/unlock", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_users_unlock, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/incidents", ROUTE_CREDENTIAL, PERM_INCIDENTS_READ, h_incidents_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/incidents", ROUTE_CREDENTIAL, PERM_INCIDENTS_CREATE, h_incidents_create, TX_WRITE, BODY_JSON, FIELDS(incident_create_fields))
	ROUTE(METHOD_GET, "/incidents/{id}", ROUTE_CREDENTIAL, PERM_INCIDENTS_READ, h_incidents_get, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_PATCH, "/incidents/{id}", ROUTE_CREDENTIAL, PERM_INCIDENTS_UPDATE, h_incidents_update, TX_WRITE, BODY_JSON, FIELDS(incident_update_fields))
	ROUTE(METHOD_GET, "/procedures", ROUTE_CREDENTIAL, PERM_PROCEDURES_READ, h_procedures_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/procedures", ROUTE_CREDENTIAL, PERM_PROCEDURES_CREATE, h_procedures_create, TX_WRITE, BODY_JSON, FIELDS(procedure_create_fields))
	ROUTE(METHOD_POST, "/procedures/{id}/execute", ROUTE_CREDENTIAL, PERM_PROCEDURES_EXECUTE, h_procedures_execute, TX_WRITE, BODY_OPTIONAL_JSON, FIELDS(procedure_execute_fields))
	ROUTE(METHOD_GET, "/audit-log", ROUTE_CREDENTIAL, PERM_AUDIT_READ, h_audit_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/auth/sso/{organization}/start", ROUTE_PUBLIC, PERM_NONE, h_sso_start, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/auth/sso/{organization}/callback", ROUTE_PUBLIC, PERM_NONE, h_sso_callback, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_POST, "/auth/sso/{organization}/backchannel-logout", ROUTE_PUBLIC, PERM_NONE, h_sso_backchannel_logout, TX_NONE, BODY_FORM, NO_FIELDS)
	ROUTE(METHOD_GET, "/sso-connections", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_connection_get, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_PUT, "/sso-connections", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_connection_put, TX_NONE, BODY_JSON, FIELDS(sso_connection_fields))
	ROUTE(METHOD_POST, "/sso-connections/test", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_connection_test, TX_NONE, BODY_JSON, FIELDS(sso_test_fields))
	/* Named connections (doc/api.md section 6): "named" keeps their names clear of /test and any later verb. */
	ROUTE(METHOD_GET, "/sso-connections/named", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_named_list, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/sso-connections/named/{name}", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_named_get, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_PUT, "/sso-connections/named/{name}", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_named_put, TX_NONE, BODY_JSON, FIELDS(sso_connection_fields))
	ROUTE(METHOD_DELETE, "/sso-connections/named/{name}", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_named_delete, TX_WRITE, BODY_NONE, NO_FIELDS)
	/*
	 * Two-factor sign-in. Enrolment and confirmation are public here: they
	 * take a session or a sign-in's mfa_token, and authenticate in the
	 * handler (h_mfa_subject).
	 */
	ROUTE(METHOD_POST, "/auth/mfa/totp", ROUTE_PUBLIC, PERM_NONE, h_mfa_totp_enrol, TX_NONE, BODY_OPTIONAL_JSON, FIELDS(mfa_enrol_fields))
	ROUTE(METHOD_POST, "/auth/mfa/totp/confirm", ROUTE_PUBLIC, PERM_NONE, h_mfa_totp_confirm, TX_NONE, BODY_JSON, FIELDS(mfa_confirm_fields))
	ROUTE(METHOD_POST, "/auth/mfa/verify", ROUTE_PUBLIC, PERM_NONE, h_mfa_verify, TX_NONE, BODY_JSON, FIELDS(mfa_verify_fields))
	ROUTE(METHOD_POST, "/auth/mfa/disable", ROUTE_CREDENTIAL, PERM_NONE, h_mfa_disable, TX_NONE, BODY_JSON, FIELDS(mfa_disable_fields))
	ROUTE(METHOD_DELETE, "/users/{id}/mfa", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_mfa_reset, TX_WRITE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_GET, "/mfa-policy", ROUTE_CREDENTIAL, PERM_USERS_READ, h_mfa_policy_get, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_PUT, "/mfa-policy", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_mfa_policy_put, TX_WRITE, BODY_JSON, FIELDS(mfa_policy_fields))
	ROUTE(METHOD_GET, "/sso-policy", ROUTE_CREDENTIAL, PERM_USERS_READ, h_sso_policy_get, TX_NONE, BODY_NONE, NO_FIELDS)
	ROUTE(METHOD_PUT, "/sso-policy", ROUTE_CREDENTIAL, PERM_USERS_MANAGE, h_sso_policy_put, TX_WRITE, BODY_JSON, FIELDS(sso_policy_fields))
	/* Account links: public, the token is the credential (h_account.c). */
	ROUTE(METHOD_POST, "/auth/password-reset", ROUTE_PUBLIC, PERM_NONE, h_account_reset_request, TX_NONE, BODY_JSON, FIELDS(account_reset_fields))
	ROUTE(METHOD_POST, "/auth/password-reset/confirm", ROUTE_PUBLIC, PERM_NONE, h_account_reset_confirm, TX_NONE, BODY_JSON, FIELDS(account_link_fields))
	ROUTE(METHOD_POST, "/auth/activate", ROUTE_PUBLIC, PERM_NONE, h_account_activate, TX_NONE, BODY_JSON, FIELDS(account_link_fields))
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *const method_names[METHOD_MAX] = {
	[METHOD_GET] = "GET", [METHOD_HEAD] = "HEAD", [METHOD_POST] = "POST",
	[METHOD_PUT] = "PUT", [METHOD_PATCH] = "PATCH", [METHOD_DELETE] = "DELETE",
	[METHOD_OPTIONS] = "OPTIONS", [METHOD_OTHER] = "OTHER",
};

const char *
router_method_name(enum http_method m)
{
	return (unsigned)m < METHOD_MAX ? method_names[m] : "OTHER";
}

/* Match path (already stripped of API_PREFIX) against pattern; fill params. */
static bool
pattern_match(const char *pattern, const char *path, struct arena *a, const char **params,
    size_t *nparams)
{
	const char *p = pattern, *s = path;
	size_t n = 0;

	while (*p != '\0' && *s != '\0') {
		if (*p == '{') {
			const char *pend = strchr(p, '}');
			size_t seg = strcspn(s, "/");
			if (pend == NULL || seg == 0 || n >= CTX_MAX_PATH_PARAMS)
				return false;
			if (params != NULL) {
				params[n] = arena_strndup(a, s, seg);
				if (params[n] == NULL)
					return false;
			}
			n++;
			p = pend + 1;
			s += seg;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	if (*p != '\0' || *s != '\0')
		return false;
	if (nparams != NULL)
		*nparams = n;
	return true;
}

const struct route *
router_match(enum http_method method, const char *path, struct arena *a, const char **params,
    size_t *nparams, const char **allow, enum status *st)
{
	size_t plen = strlen(API_PREFIX);
	char methods[128] = "";

	*st = ST_NOT_FOUND;
	*allow = NULL;
	*nparams = 0;
	if (strncmp(path, API_PREFIX, plen) != 0 || path[plen] != '/')
		return NULL;
	path += plen;
	/* A trailing slash names the same resource. */
	size_t len = strlen(path);
	char *trimmed = NULL;
	if (len > 1 && path[len - 1] == '/') {
		trimmed = arena_strndup(a, path, len - 1);
		if (trimmed == NULL)
			return NULL;
		path = trimmed;
	}
	for (size_t i = 0; i < NROUTES; i++) {
		if (!pattern_match(routes[i].pattern, path, a, NULL, NULL))
			continue;
		if (routes[i].method == method ||
		    (method == METHOD_HEAD && routes[i].method == METHOD_GET)) {
			if (!pattern_match(routes[i].pattern, path, a, params, nparams))
				return NULL;
			*st = ST_OK;
			return &routes[i];
		}
		const char *name = method_names[routes[i].method];
		if (strstr(methods, name) == NULL) {
			if (methods[0] != '\0')
				strncat(methods, ", ", sizeof(methods) - strlen(methods) - 1);
			strncat(methods, name, sizeof(methods) - strlen(methods) - 1);
			if (routes[i].method == METHOD_GET)
				strncat(methods, ", HEAD", sizeof(methods) - strlen(methods) - 1);
		}
	}
	if (methods[0] != '\0') {
		*st = ST_METHOD_NOT_ALLOWED;
		*allow = arena_strdup(a, methods);
	}
	return NULL;
}

bool
router_path_of(handler_fn h, const char *path, struct arena *a)
{
	const char *params[CTX_MAX_PATH_PARAMS], *allow;
	size_t n;
	enum status st;

	for (size_t i = 0; i < NROUTES; i++) {
		if (routes[i].handler != h)
			continue;
		const struct route *rt = router_match(routes[i].method, path, a, params, &n, &allow, &st);
		if (rt != NULL && rt->handler == h)
			return true;
	}
	return false;
}

const struct route *
router_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}
