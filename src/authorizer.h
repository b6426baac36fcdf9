/* authorizer.h -- the FastCGI Authorizer role: guard any URL of the web server with our credentials. */
#ifndef OW_AUTHORIZER_H
#define OW_AUTHORIZER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "handlers.h"

#define AUTHORIZER_MAX_RULES 32

struct authorizer_rule {
	char *prefix;
	int permission;             /* enum permission, or PERM_NONE: any valid credential */
	bool redirect;              /* browsers go to login_url instead of a 401 */
};

struct authorizer_rules {
	struct authorizer_rule rule[AUTHORIZER_MAX_RULES];
	size_t n;
};

/*
 * Parse [authorizer] rules: space-separated PREFIX=PERMISSION[,redirect],
 * PERMISSION being a permission name or "authenticated". -1 with err set.
 */
int authorizer_rules_parse(struct authorizer_rules *r, const char *spec, char err[CONFIG_ERR_LEN]);
void authorizer_rules_free(struct authorizer_rules *r);

/* True when the web server called us in the Authorizer role (FCGI_ROLE). */
bool authorizer_role(const struct request *req);

/*
 * Decide one request: 200 with Variable- headers naming the principal when
 * granted; the API's 401/403 JSON (or a redirect for browsers) otherwise.
 */
enum status authorizer_handle(struct ctx *c, const struct authorizer_rules *rules);

#endif
