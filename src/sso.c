/* sso.c -- single sign-on policy shared by the API and overwatch-admin: domains, new users' names. */
#include "sso.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonin.h"
#include "util.h"

int
sso_domain_normalize(const char *in, char out[SSO_DOMAIN_MAX + 1])
{
	size_t n = strlen(in), label = 0, labels = 1;

	if (n == 0 || n > SSO_DOMAIN_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c == '.') {
			/* A label may not be empty nor end with '-'. */
			if (label == 0 || out[i - 1] == '-')
				return -1;
			label = 0;
			labels++;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			if (c == '-' && label == 0)
				return -1;
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = c;
	}
	if (label == 0 || out[n - 1] == '-' || labels < 2)
		return -1;
	out[n] = '\0';
	return 0;
}

const char *
sso_domains_json(const char *const *domains, size_t n, struct arena *a, const char **bad)
{
	char norm[SSO_DOMAIN_MAX + 1];
	const char *result = NULL;
	json_object *arr;

	*bad = NULL;
	if (n > SSO_DOMAINS_MAX)
		return NULL;
	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (sso_domain_normalize(domains[i], norm) != 0) {
			*bad = domains[i];
			goto out;
		}
		bool dup = false;
		for (size_t k = 0; k < json_object_array_length(arr) && !dup; k++)
			dup = strcmp(json_object_get_string(json_object_array_get_idx(arr, k)), norm) == 0;
		if (!dup)
			json_object_array_add(arr, json_object_new_string(norm));
	}
	const char *text = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text != NULL && strlen(text) <= SSO_DOMAINS_JSON_MAX)
		result = arena_strdup(a, text);
out:
	json_object_put(arr);
	return result;
}

bool
sso_connection_name_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	/* A path segment and a query value as they are: nothing to escape, nothing to confuse. */
	return n >= 1 && n <= SSO_CONNECTION_NAME_MAX &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == n && name[0] != '-' &&
	    name[n - 1] != '-';
}

bool
sso_domain_allowed(const char *allowed_json, const char *email, bool *restricted)
{
	const char *why = NULL, *at = strrchr(email, '@');
	json_object *arr = allowed_json != NULL ?
	    jv_parse_strict(allowed_json, strlen(allowed_json), &why) : NULL;
	bool ok = false;

	*restricted = true;
	if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return false;
	}
	size_t n = json_object_array_length(arr);
	*restricted = n > 0;
	ok = n == 0;
	for (size_t i = 0; i < n && !ok && at != NULL; i++) {
		json_object *d = json_object_array_get_idx(arr, i);
		/* Exactly the domain: a listed example.com does not admit evil-example.com or a.example.com. */
		ok = json_object_is_type(d, json_type_string) && strcmp(json_object_get_string(d), at + 1) == 0;
	}
	json_object_put(arr);
	return ok;
}

const char *
sso_domains_shared(const char *a_json, const char *b_json, struct arena *a)
{
	const char *why = NULL, *shared = NULL;
	json_object *arr = a_json != NULL ? jv_parse_strict(a_json, strlen(a_json), &why) : NULL;
	bool restricted = false;
	size_t n = arr != NULL && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n && shared == NULL; i++) {
		/* As an address of that domain would be judged at sign-in. */
		const char *d = json_object_get_string(json_object_array_get_idx(arr, i));
		const char *probe = arena_printf(a, "@%s", d);
		if (probe != NULL && sso_domain_allowed(b_json, probe, &restricted) && restricted)
			shared = arena_strdup(a, d);
	}
	json_object_put(arr);
	return shared;
}

void
sso_user_name(const char *claim, const char *email, char *out, size_t outlen)
{
	size_t n = 0, chars = 0;
	const char *s = claim != NULL ? claim : "";

	if (outlen == 0)
		return;
	while (*s == ' ' || (*s > 0 && *s < 0x20))
		s++;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && chars < SSO_NAME_MAX; ) {
		/* Whole UTF-8 sequences only (the claim is valid UTF-8: the JSON parser saw to that). */
		size_t len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		if (n + len + 1 > outlen)
			break;
		size_t k = 0;
		for (; k < len && p[k] != '\0'; k++)
			out[n++] = (char)(p[k] < 0x20 || p[k] == 0x7f ? ' ' : p[k]);
		if (k < len) {
			n -= k;         /* a cut sequence: not a character */
			break;
		}
		p += len;
		chars++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	if (n > 0 || email == NULL)
		return;
	/* No usable name: the local part of the email. */
	size_t local = strcspn(email, "@");
	if (local > SSO_NAME_MAX)
		local = SSO_NAME_MAX;
	if (local + 1 > outlen)
		local = outlen - 1;
	while (local > 0 && ((unsigned char)email[local] & 0xc0) == 0x80)
		local--;        /* never half a character */
	memcpy(out, email, local);
	out[local] = '\0';
	if (local == 0)
		snprintf(out, outlen, "%s", "SSO user");
}

/* RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
static bool
scope_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

const char *
sso_scopes_normalize(const char *in, struct arena *a, const char **why)
{
	char out[SSO_SCOPES_MAX + 1];
	size_t len = 0, ntokens = 0;
	bool openid = false;

	*why = NULL;
	for (const char *p = in; *p != '\0';) {
		size_t n = strcspn(p, " ");
		if (n == 0) {
			p++;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (!scope_char((unsigned char)p[i])) {
				*why = "must be scope tokens (printable ASCII but '\"' and '\\') separated by spaces";
				return NULL;
			}
		/* A repeated token is dropped: look for " token " in what is kept. */
		bool dup = false;
		for (const char *q = out; len > 0 && q < out + len && !dup; q += strcspn(q, " ") + 1)
			dup = strcspn(q, " ") == n && strncmp(q, p, n) == 0;
		if (!dup) {
			if (++ntokens > SSO_SCOPE_TOKENS_MAX || len + (len > 0) + n > SSO_SCOPES_MAX) {
				*why = "has too many scopes";
				return NULL;
			}
			if (len > 0)
				out[len++] = ' ';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
			openid = openid || (n == 6 && strncmp(p, "openid", 6) == 0);
		}
		p += n;
	}
	if (!openid) {
		*why = "must include openid";
		return NULL;
	}
	return arena_strdup(a, out);
}
