/* authorizer.c -- FastCGI Authorizer: the same credentials and checks as the API, for any path. */
#include "authorizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "auth.h"
#include "encoding.h"
#include "session.h"

int
authorizer_rules_parse(struct authorizer_rules *r, const char *spec, char err[CONFIG_ERR_LEN])
{
	char *copy = strdup(spec), *save = NULL;

	memset(r, 0, sizeof(*r));
	if (copy == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "out of memory");
		return -1;
	}
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		struct authorizer_rule *rule = &r->rule[r->n];
		if (r->n == AUTHORIZER_MAX_RULES || eq == NULL || tok[0] != '/') {
			snprintf(err, CONFIG_ERR_LEN, "[authorizer] rules: '%.60s' is not /PREFIX=PERMISSION", tok);
			goto fail;
		}
		*eq = '\0';
		char *perm = eq + 1, *opt = strchr(perm, ',');
		if (opt != NULL) {
			*opt++ = '\0';
			if (strcmp(opt, "redirect") != 0) {
				snprintf(err, CONFIG_ERR_LEN, "[authorizer] rules: unknown option '%.40s'", opt);
				goto fail;
			}
			rule->redirect = true;
		}
		if (strcmp(perm, "authenticated") == 0) {
			rule->permission = PERM_NONE;
		} else if ((rule->permission = permission_parse(perm)) < 0) {
			snprintf(err, CONFIG_ERR_LEN, "[authorizer] rules: unknown permission '%.40s'", perm);
			goto fail;
		}
		rule->prefix = strdup(tok);
		if (rule->prefix == NULL) {
			snprintf(err, CONFIG_ERR_LEN, "out of memory");
			goto fail;
		}
		r->n++;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	authorizer_rules_free(r);
	return -1;
}

void
authorizer_rules_free(struct authorizer_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rule[i].prefix);
	r->n = 0;
}

bool
authorizer_role(const struct request *req)
{
	const char *role = request_param(req, "FCGI_ROLE");
	return role != NULL && strcmp(role, "AUTHORIZER") == 0;
}

/* The longest matching prefix wins; no rule: any valid credential. */
static const struct authorizer_rule *
match(const struct authorizer_rules *rules, const char *path)
{
	const struct authorizer_rule *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < rules->n; i++) {
		size_t n = strlen(rules->rule[i].prefix);
		if (n > best_len && strncmp(path, rules->rule[i].prefix, n) == 0) {
			best = &rules->rule[i];
			best_len = n;
		}
	}
	return best;
}

/* Percent-encode a path for the next= parameter of the login page ("" at the arena cap). */
static const char *
url_encode(struct arena *a, const char *s)
{
	const char *out = encoding_percent_encode(a, s, "/");
	return out != NULL ? out : "";
}

/* name is a literal "Variable-..." header: nothing to format on the per-request path. */
static void
variable(struct ctx *c, const char *name, const char *value)
{
	reply_header(c->rep, name, value != NULL ? value : "");
}

/*
 * The path as the web server routed it: "//" merged, "." and ".." resolved.
 * The rules must judge that path, or "/public/../downloads/x" would be
 * judged by the rule of /public/. NULL when ".." climbs above the root.
 */
static char *
normalize(struct arena *a, const char *path)
{
	size_t n = strlen(path);
	char *out = arena_alloc(a, n + 2), *o = out;
	const char *p = path;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		size_t seg = strcspn(p, "/");
		if (seg == 0)
			break;
		if (seg == 1 && p[0] == '.') {
			/* nothing */
		} else if (seg == 2 && p[0] == '.' && p[1] == '.') {
			if (o == out)
				return NULL;
			while (o > out && o[-1] != '/')
				o--;
			o--;
		} else {
			*o++ = '/';
			memcpy(o, p, seg);
			o += seg;
		}
		p += seg;
	}
	/* Keep a trailing slash: "/downloads/" must still match its prefix. */
	if (o == out || (n > 0 && path[n - 1] == '/'))
		*o++ = '/';
	*o = '\0';
	return out;
}

enum status
authorizer_handle(struct ctx *c, const struct authorizer_rules *rules)
{
	const char *path = normalize(c->a, c->req->path);
	if (path == NULL) {
		c->rep->detail = "Malformed request path";
		return ST_VALIDATION_ERROR;
	}
	const struct authorizer_rule *rule = match(rules, path);
	int perm = rule != NULL ? rule->permission : PERM_NONE;
	enum status st = auth_authenticate(c);

	if (st == ST_OK && (st = auth_require(c, perm)) != ST_OK)
		audit_record(c, c->principal.org_id, "permission.denied", "denied", "path", path);
	if (st != ST_OK) {
		if (st == ST_INVALID_TOKEN || st == ST_INVALID_API_KEY) {
			const char *login = c->cfg->authorizer_login_url;
			if (rule != NULL && rule->redirect && login[0] != '\0' && request_accepts(c->req, "text/html")) {
				const char *uri = request_param(c->req, "REQUEST_URI");
				reply_header(c->rep, "Location", arena_printf(c->a, "%s%snext=%s", login,
				    strchr(login, '?') != NULL ? "&" : "?", url_encode(c->a, uri != NULL ? uri : "/")));
				reply_json(c->rep, ST_FOUND, NULL);
				return ST_FOUND;
			}
		}
		return st;
	}
	/* The protected application reads who is calling from these, without parsing tokens. */
	const struct principal *p = &c->principal;
	char perms[512] = "";
	for (int i = 0; i < PERM_MAX; i++) {
		if (p->perms & PERM_BIT(i)) {
			if (perms[0] != '\0')
				strncat(perms, " ", sizeof(perms) - strlen(perms) - 1);
			strncat(perms, permission_name((enum permission)i), sizeof(perms) - strlen(perms) - 1);
		}
	}
	bool user = p->type == PRINCIPAL_USER;
	variable(c, "Variable-OVERWATCH_PRINCIPAL_TYPE", user ? "user" : "api_key");
	variable(c, user ? "Variable-OVERWATCH_USER_ID" : "Variable-OVERWATCH_API_KEY_ID", p->id);
	variable(c, "Variable-OVERWATCH_ORGANIZATION_ID", p->org_id);
	if (user) {
		variable(c, "Variable-OVERWATCH_ROLE", role_name(p->role));
		variable(c, "Variable-OVERWATCH_EMAIL", p->email);
	}
	variable(c, "Variable-OVERWATCH_PERMISSIONS", arena_strdup(c->a, perms));
	reply_json(c->rep, ST_OK, NULL);
	return ST_OK;
}
