/* sso.h -- single sign-on policy: allowed email domains and the names of users SSO creates. */
#ifndef OW_SSO_H
#define OW_SSO_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

#define SSO_DOMAIN_MAX 253          /* DNS name limit */
#define SSO_DOMAINS_MAX 50          /* domains one connection may list */
#define SSO_DOMAINS_JSON_MAX 4096   /* sso_connections.allowed_domains */
#define SSO_NAME_MAX 200            /* users.name, in characters */
/*
 * The name of an organization's first connection (GET/PUT /sso-connections),
 * and how many it may have: each connection's name is kept on the sessions
 * its sign-ins make (sql/018_sso_named_connections.sql).
 */
#define SSO_DEFAULT_CONNECTION "default"
#define SSO_CONNECTIONS_MAX 10
#define SSO_CONNECTION_NAME_MAX 32  /* sso_connections.name */

/* A connection name: 1 to SSO_CONNECTION_NAME_MAX of [a-z0-9-], a letter or digit at both ends. */
bool sso_connection_name_ok(const char *name);
/*
 * The relation of the Link header a signed-out SSO session's 204 carries to
 * the provider's end-session URL (RP-initiated logout; doc/api.md section 6).
 */
#define SSO_END_SESSION_REL "https://openid.net/specs/openid-connect-rpinitiated-1_0.html"

/*
 * Lower-case in into out when it is a plausible DNS domain: labels of
 * [a-z0-9-] (no '-' at either end) joined by single dots, at least two
 * labels, at most SSO_DOMAIN_MAX bytes. 0, or -1 when it is not.
 */
int sso_domain_normalize(const char *in, char out[SSO_DOMAIN_MAX + 1]);

/*
 * The JSON array text stored in sso_connections.allowed_domains for the n
 * domains (normalised, duplicates dropped, order kept), in the arena. NULL
 * when one is not a domain (*bad names it), there are more than
 * SSO_DOMAINS_MAX, or the text exceeds SSO_DOMAINS_JSON_MAX.
 */
const char *sso_domains_json(const char *const *domains, size_t n, struct arena *a,
    const char **bad);

/*
 * Is the (normalised) email's domain in the stored list? An empty list
 * allows every domain; *restricted says whether the list has entries. A
 * list that does not parse allows nothing.
 */
bool sso_domain_allowed(const char *allowed_json, const char *email, bool *restricted);

/*
 * The first domain of the stored list a_json that the stored list b_json
 * names too (arena), or NULL: two connections of an organization never
 * share one (an empty list names none).
 */
const char *sso_domains_shared(const char *a_json, const char *b_json, struct arena *a);

#define SSO_SCOPES_MAX 255          /* sso_connections.scopes */
#define SSO_SCOPE_TOKENS_MAX 20     /* scopes one connection may ask for */
#define SSO_SCOPES_DEFAULT "openid email profile"

/*
 * The scopes a connection asks for, as stored: the space-separated tokens
 * of in (RFC 6749 section 3.3: printable ASCII but '"' and '\'), duplicates
 * dropped, order kept, joined by single spaces, in the arena. NULL with
 * *why when a token is not a scope token, "openid" is missing (OpenID
 * Connect Core 3.1.2.1), there are more than SSO_SCOPE_TOKENS_MAX or the
 * text exceeds SSO_SCOPES_MAX.
 */
const char *sso_scopes_normalize(const char *in, struct arena *a, const char **why);

/*
 * The name of a user created at first sign-in: the ID token's name (control
 * characters as spaces, trimmed, at most SSO_NAME_MAX characters), else the
 * email's local part. out has room for SSO_NAME_MAX * 4 + 1 bytes.
 */
void sso_user_name(const char *claim, const char *email, char *out, size_t outlen);

#endif
