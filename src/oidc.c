/* oidc.c -- the only file that includes <curl/curl.h> and <cjose/cjose.h>: the OIDC relying party. */
#include "oidc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <cjose/cjose.h>
#include <openssl/sha.h>

#include "encoding.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define DISCOVERY_MAX (256 * 1024)  /* a discovery document or JWKS larger than this is nonsense */
#define TOKEN_RESPONSE_MAX (64 * 1024)
#define CACHE_SLOTS 8               /* providers one worker remembers (least recently used goes) */
#define MAX_KEYS 16                 /* usable keys kept from one JWKS */
#define MAX_JWKS_ENTRIES 64         /* entries of a JWKS looked at */
#define KID_MAX 256
#define RSA_MIN_BITS 2048

static const struct oidc_error_info error_table[OIDC_E_MAX] = {
	[OIDC_OK] = {"ok", "OK", false},
	[OIDC_E_UNREACHABLE] = {"provider_unreachable",
	    "The identity provider could not be reached", true},
	[OIDC_E_HTTP] = {"provider_http_error",
	    "The identity provider answered with an unexpected HTTP status", true},
	[OIDC_E_TOO_LARGE] = {"provider_response_too_large",
	    "The identity provider's response is too large", true},
	[OIDC_E_MALFORMED] = {"provider_response_malformed",
	    "The identity provider's response is not the expected JSON document", true},
	[OIDC_E_ISSUER_MISMATCH] = {"provider_issuer_mismatch",
	    "The identity provider's discovery document names another issuer", true},
	[OIDC_E_INSECURE_URL] = {"provider_insecure_url",
	    "The identity provider's issuer or an endpoint its discovery document names is not an "
	    "acceptable https URL", true},
	[OIDC_E_ADDRESS] = {"provider_address_refused",
	    "The identity provider's address is in a network this service may not reach", true},
	[OIDC_E_BUSY] = {"provider_busy",
	    "Another request to this identity provider is in progress", true},
	[OIDC_E_FAILING] = {"provider_recently_failed",
	    "The identity provider did not answer recently; it is not asked again for a while", true},
	[OIDC_E_NO_KEYS] = {"provider_no_keys",
	    "The identity provider publishes no usable signing key", true},
	[OIDC_E_CLIENT_REJECTED] = {"provider_client_rejected",
	    "The identity provider rejected this service's client credentials", true},
	[OIDC_E_GRANT_REJECTED] = {"code_rejected",
	    "The identity provider refused the authorization code (expired, already used, or not issued for this sign-in)", false},
	[OIDC_E_NO_ID_TOKEN] = {"provider_no_id_token",
	    "The identity provider's token response has no id_token", true},
	[OIDC_E_TOKEN_MALFORMED] = {"id_token_malformed",
	    "The identity provider sent an id_token that is not a signed JWT", true},
	[OIDC_E_ALG] = {"id_token_algorithm",
	    "ID token rejected: its signature algorithm is not allowed for the key", false},
	[OIDC_E_UNKNOWN_KEY] = {"id_token_unknown_key",
	    "ID token rejected: it is not signed by a key the provider publishes", false},
	[OIDC_E_SIGNATURE] = {"id_token_signature",
	    "ID token rejected: the signature does not verify", false},
	[OIDC_E_ISS] = {"id_token_issuer", "ID token rejected: wrong issuer", false},
	[OIDC_E_AUD] = {"id_token_audience", "ID token rejected: not issued for this client", false},
	[OIDC_E_AZP] = {"id_token_azp", "ID token rejected: authorized party is not this client", false},
	[OIDC_E_EXPIRED] = {"id_token_expired", "ID token rejected: expired", false},
	[OIDC_E_IAT] = {"id_token_iat", "ID token rejected: missing or future issue time", false},
	[OIDC_E_NBF] = {"id_token_nbf", "ID token rejected: not yet valid", false},
	[OIDC_E_NONCE] = {"id_token_nonce", "ID token rejected: the nonce does not match this sign-in", false},
	[OIDC_E_SUB] = {"id_token_subject", "ID token rejected: missing or invalid subject", false},
	[OIDC_E_INTERNAL] = {"internal_error", "Internal server error", false},
};

const struct oidc_error_info *
oidc_error_info(enum oidc_error e)
{
	if ((unsigned)e >= OIDC_E_MAX)
		e = OIDC_E_INTERNAL;
	return &error_table[e];
}

int
oidc_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
oidc_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ------------------------------------------------------------------ encodings */

/* Decode unpadded base64url s[0..n) into the arena (NUL-terminated); NULL if malformed. */
static char *
b64url_decode(const char *s, size_t n, struct arena *a, size_t *outlen)
{
	char *out = arena_alloc(a, n / 4 * 3 + 3);
	long got;

	if (out == NULL || (got = encoding_b64url_decode(s, n, (unsigned char *)out, n / 4 * 3 + 2)) < 0)
		return NULL;
	out[got] = '\0';
	*outlen = (size_t)got;
	return out;
}

/* application/x-www-form-urlencoded value (RFC 3986 unreserved kept), in the arena. */
static char *
form_escape(const char *s, struct arena *a)
{
	return encoding_percent_encode(a, s, "");
}

int
oidc_random(char out[OIDC_RANDOM_LEN])
{
	unsigned char raw[32];

	if (util_random(raw, sizeof(raw)) != 0)
		return -1;
	encoding_base64(raw, sizeof(raw), out, true);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

void
oidc_s256(const char *s, char out[OIDC_S256_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	encoding_base64(md, sizeof(md), out, true);
}

/* ------------------------------------------------------------------ addresses */

static enum oidc_addr_class
classify_v4(const unsigned char *b)
{
	uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	static const struct {
		uint32_t net, mask;
		enum oidc_addr_class cls;
	} nets[] = {
		{0x00000000, 0xff000000, OIDC_ADDR_FORBIDDEN},  /* 0/8 "this network", 0.0.0.0 */
		{0x7f000000, 0xff000000, OIDC_ADDR_LOOPBACK},   /* 127/8 */
		{0x0a000000, 0xff000000, OIDC_ADDR_PRIVATE},    /* 10/8 */
		{0xac100000, 0xfff00000, OIDC_ADDR_PRIVATE},    /* 172.16/12 */
		{0xc0a80000, 0xffff0000, OIDC_ADDR_PRIVATE},    /* 192.168/16 */
		{0x64400000, 0xffc00000, OIDC_ADDR_PRIVATE},    /* 100.64/10 shared address space (CGNAT) */
		{0xc6120000, 0xfffe0000, OIDC_ADDR_PRIVATE},    /* 198.18/15 benchmarking */
		{0xa9fe0000, 0xffff0000, OIDC_ADDR_LINK_LOCAL}, /* 169.254/16, cloud metadata lives here */
		{0xc0000000, 0xffffff00, OIDC_ADDR_FORBIDDEN},  /* 192.0.0/24 IETF protocol assignments */
		{0xc0000200, 0xffffff00, OIDC_ADDR_FORBIDDEN},  /* 192.0.2/24 documentation */
		{0xc6336400, 0xffffff00, OIDC_ADDR_FORBIDDEN},  /* 198.51.100/24 documentation */
		{0xcb007100, 0xffffff00, OIDC_ADDR_FORBIDDEN},  /* 203.0.113/24 documentation */
		{0xc0586300, 0xffffff00, OIDC_ADDR_FORBIDDEN},  /* 192.88.99/24 6to4 relay anycast */
		{0xe0000000, 0xf0000000, OIDC_ADDR_FORBIDDEN},  /* 224/4 multicast */
		{0xf0000000, 0xf0000000, OIDC_ADDR_FORBIDDEN},  /* 240/4 reserved, 255.255.255.255 */
	};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if ((a & nets[i].mask) == nets[i].net)
			return nets[i].cls;
	return OIDC_ADDR_PUBLIC;
}

enum oidc_addr_class
oidc_addr_classify(int family, const void *addr)
{
	const unsigned char *b = addr;
	static const unsigned char zero[16];

	if (addr == NULL)
		return OIDC_ADDR_FORBIDDEN;
	if (family == AF_INET)
		return classify_v4(b);
	if (family != AF_INET6)
		return OIDC_ADDR_FORBIDDEN;
	if (memcmp(b, zero, 15) == 0)
		return b[15] == 1 ? OIDC_ADDR_LOOPBACK : OIDC_ADDR_FORBIDDEN;      /* ::1, :: */
	/* Forms that carry an IPv4 address are what that address is. */
	if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff)
		return classify_v4(b + 12);                                         /* ::ffff:a.b.c.d */
	if (memcmp(b, zero, 12) == 0)
		return classify_v4(b + 12);                                         /* ::a.b.c.d (deprecated) */
	if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && memcmp(b + 4, zero, 8) == 0)
		return classify_v4(b + 12);                                         /* 64:ff9b::/96 NAT64 */
	if (b[0] == 0x20 && b[1] == 0x02)
		return classify_v4(b + 2);                                          /* 2002::/16 6to4 */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
		return OIDC_ADDR_FORBIDDEN;                 /* 2001::/32 Teredo: the IPv4 inside is hidden */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return OIDC_ADDR_FORBIDDEN;                                         /* 2001:db8::/32 documentation */
	if ((b[0] & 0xfe) == 0xfc)
		return OIDC_ADDR_PRIVATE;                                           /* fc00::/7 unique local */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return OIDC_ADDR_LINK_LOCAL;                                        /* fe80::/10 */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return OIDC_ADDR_PRIVATE;                                           /* fec0::/10 site local */
	if (b[0] == 0xff)
		return OIDC_ADDR_FORBIDDEN;                                         /* ff00::/8 multicast */
	/* Only 2000::/3 is global unicast; the rest is reserved or special. */
	return (b[0] & 0xe0) == 0x20 ? OIDC_ADDR_PUBLIC : OIDC_ADDR_FORBIDDEN;
}

bool
oidc_addr_allowed(int family, const void *addr, const struct oidc_opts *o)
{
	switch (oidc_addr_classify(family, addr)) {
	case OIDC_ADDR_PUBLIC:
		return true;
	case OIDC_ADDR_LOOPBACK:
		return o->allow_loopback || o->allow_private;
	case OIDC_ADDR_PRIVATE:
		return o->allow_private;
	default:
		/* Link-local (cloud metadata), multicast, unspecified, documentation: never a provider. */
		return false;
	}
}

/* ------------------------------------------------------------------ URLs */

static bool
is_loopback_host(const char *h, size_t n)
{
	if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0))
		return true;
	if (n < 7 || strncmp(h, "127.", 4) != 0)
		return false;
	int dots = 0;
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '.')
			dots++;
		else if (h[i] < '0' || h[i] > '9')
			return false;
	}
	return dots == 3;
}

/*
 * The checks shared by issuers and endpoints (OpenID Connect Discovery 3:
 * https, no user info, no fragment; the issuer also no query). A host that
 * is an IP literal is held to the address rules at once; a name is checked
 * when it is resolved, at connect time (see open_socket).
 */
static const char *
url_problem(const char *url, bool issuer, const struct oidc_opts *o)
{
	size_t n = url != NULL ? strlen(url) : 0;
	const char *host;
	bool https;

	if (n == 0 || n > OIDC_URL_MAX)
		return "must be an absolute https URL of at most 512 characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '\\' || ch == '"' || ch == '<' || ch == '>' ||
		    ch == '{' || ch == '}' || ch == '|' || ch == '^' || ch == '`')
			return "must be printable ASCII without spaces";
	}
	if (strchr(url, '#') != NULL)
		return "must not have a fragment";
	if (issuer && strchr(url, '?') != NULL)
		return "must not have a query";
	if (strncasecmp(url, "https://", 8) == 0) {
		host = url + 8;
		https = true;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		host = url + 7;
		https = false;
	} else {
		return "must be an https URL";
	}
	size_t alen = strcspn(host, "/?");
	if (alen == 0)
		return "must name a host";
	if (memchr(host, '@', alen) != NULL)
		return "must not carry user information";
	/* The host without its port: "[v6]" keeps its brackets. */
	size_t hlen = alen;
	const char *port = NULL;
	if (host[0] == '[') {
		const char *close = memchr(host, ']', alen);
		if (close == NULL)
			return "has an invalid IPv6 address";
		hlen = (size_t)(close - host) + 1;
		if (hlen < alen && host[hlen] != ':')
			return "has an invalid host";
		if (hlen < alen)
			port = host + hlen + 1;
	} else {
		const char *colon = memchr(host, ':', alen);
		if (colon != NULL) {
			hlen = (size_t)(colon - host);
			port = colon + 1;
		}
		if (hlen == 0 || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") <
		    hlen)
			return "has an invalid host";
	}
	if (port != NULL) {
		size_t plen = (size_t)(host + alen - port);
		long v = 0;
		if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
			return "has an invalid port";
		for (size_t i = 0; i < plen; i++)
			v = v * 10 + (port[i] - '0');
		if (v < 1 || v > 65535)
			return "has an invalid port";
	}
	if (!https && !(o->allow_http_loopback && is_loopback_host(host, hlen)))
		return "must be an https URL";
	/* An IP literal is judged now; a name when it resolves. */
	char lit[64];
	unsigned char addr[16];
	if (host[0] == '[') {
		if (hlen - 2 >= sizeof(lit))
			return "has an invalid IPv6 address";
		memcpy(lit, host + 1, hlen - 2);
		lit[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, lit, addr) != 1)
			return "has an invalid IPv6 address";
		if (!oidc_addr_allowed(AF_INET6, addr, o))
			return "names an address in a network this service may not reach";
	} else if (hlen < sizeof(lit)) {
		memcpy(lit, host, hlen);
		lit[hlen] = '\0';
		if (inet_pton(AF_INET, lit, addr) == 1 && !oidc_addr_allowed(AF_INET, addr, o))
			return "names an address in a network this service may not reach";
	}
	return NULL;
}

const char *
oidc_issuer_problem(const char *url, const struct oidc_opts *o)
{
	return url_problem(url, true, o);
}

bool
oidc_url_acceptable(const char *url, const struct oidc_opts *o)
{
	return url_problem(url, false, o) == NULL;
}

/* ------------------------------------------------------------------ HTTP */

struct body {
	char *p;
	size_t len, max;
	bool too_large;
};

/* The buffer is allocated whole up front: no realloc leaves copies of a token behind. */
static size_t
on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_large = true;
		return 0;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

static void
body_free(struct body *b)
{
	if (b->p != NULL) {
		explicit_bzero(b->p, b->max + 1);
		free(b->p);
	}
	b->p = NULL;
}

/* What the connect-time address check needs, and what it found. */
struct call {
	const struct oidc_opts *o;
	bool refused;
};

/*
 * Every socket libcurl opens for a provider call goes through here, with
 * the address it resolved: the address checked is the address connected
 * to, so a name that resolves to a public address when checked and to a
 * private one when used (DNS rebinding) cannot slip through.
 */
static curl_socket_t
open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct call *c = ud;
	const void *ip = NULL;

	if (purpose == CURLSOCKTYPE_IPCXN && sa->family == AF_INET)
		ip = &((const struct sockaddr_in *)(const void *)&sa->addr)->sin_addr;
	else if (purpose == CURLSOCKTYPE_IPCXN && sa->family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)(const void *)&sa->addr)->sin6_addr;
	if (ip == NULL || !oidc_addr_allowed(sa->family, ip, c->o)) {
		c->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

/* The host part of a URL for log lines (never its path or query). */
static void
url_host(const char *url, char out[128])
{
	const char *p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	snprintf(out, 128, "%.*s", (int)strcspn(p, "/?#"), p);
}

/*
 * GET url, or POST form (x-www-form-urlencoded) with an extra header line.
 * The body (at most max bytes) lands in b, freed by the caller with body_free.
 */
static enum oidc_error
http_call(const char *url, const char *form, const char *header, const struct oidc_opts *o,
    size_t max, long *status, struct body *b)
{
	enum oidc_error res = OIDC_E_INTERNAL;
	struct curl_slist *hdrs = NULL, *tmp;
	struct call call = {o, false};
	char host[128];
	CURL *h;

	*status = 0;
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->p = malloc(max + 1);
	if (b->p == NULL)
		return OIDC_E_INTERNAL;
	b->p[0] = '\0';
	if ((h = curl_easy_init()) == NULL)
		return OIDC_E_INTERNAL;
	if ((tmp = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = tmp;
	if (header != NULL) {
		if ((tmp = curl_slist_append(hdrs, header)) == NULL)
			goto out;
		hdrs = tmp;
	}
	/*
	 * Only http(s), no redirects (a provider that moves must be reconfigured,
	 * not followed), a hard deadline for the whole exchange, no signals (the
	 * worker's own handlers stay in charge), and a size cap.
	 */
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
#else
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK ||
#endif
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    /* No proxy from the environment: the address check must see the provider itself. */
	    curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &call) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, b) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "overwatch-auth") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK)
		goto out;
	if (form != NULL && (curl_easy_setopt(h, CURLOPT_POSTFIELDS, form) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(form)) != CURLE_OK))
		goto out;
	CURLcode rc = curl_easy_perform(h);
	url_host(url, host);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		res = OIDC_OK;
	} else if (b->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		log_warning("sso: response of %s is larger than %zu bytes", host, max);
		res = OIDC_E_TOO_LARGE;
	} else if (rc == CURLE_OUT_OF_MEMORY) {
		res = OIDC_E_INTERNAL;
	} else if (call.refused) {
		log_warning("sso: %s resolves to an address in a network this service may not reach", host);
		res = OIDC_E_ADDRESS;
	} else {
		log_warning("sso: %s: %s", host, curl_easy_strerror(rc));
		res = OIDC_E_UNREACHABLE;
	}
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return res;
}

/* GET a JSON object; json_object_put by the caller. */
static enum oidc_error
fetch_json(const char *url, const struct oidc_opts *o, json_object **out)
{
	struct body b;
	long status;
	const char *why = NULL;
	char host[128];
	enum oidc_error r = http_call(url, NULL, NULL, o, DISCOVERY_MAX, &status, &b);

	*out = NULL;
	if (r == OIDC_OK) {
		url_host(url, host);
		if (status != 200) {
			log_warning("sso: %s answered HTTP %ld", host, status);
			r = OIDC_E_HTTP;
		} else if ((*out = json_parse_strict(b.p, b.len, &why)) == NULL ||
		    !json_object_is_type(*out, json_type_object)) {
			log_warning("sso: %s did not answer a JSON object", host);
			json_object_put(*out);
			*out = NULL;
			r = OIDC_E_MALFORMED;
		}
	}
	body_free(&b);
	return r;
}

static const char *
get_str(json_object *o, const char *name)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* ------------------------------------------------------------------ keys */

enum key_type { KT_RSA, KT_EC };

/* The signature algorithms accepted: asymmetric only, each tied to a key type (and curve). */
static const struct alg_rule {
	const char *alg;
	enum key_type kty;
	const char *crv;
} alg_rules[] = {
	{"RS256", KT_RSA, NULL}, {"RS384", KT_RSA, NULL}, {"RS512", KT_RSA, NULL},
	{"PS256", KT_RSA, NULL}, {"PS384", KT_RSA, NULL}, {"PS512", KT_RSA, NULL},
	{"ES256", KT_EC, "P-256"}, {"ES384", KT_EC, "P-384"}, {"ES512", KT_EC, "P-521"},
};
#define NRULES (sizeof(alg_rules) / sizeof(alg_rules[0]))

static const struct alg_rule *
alg_rule(const char *alg)
{
	for (size_t i = 0; alg != NULL && i < NRULES; i++)
		if (strcmp(alg_rules[i].alg, alg) == 0)
			return &alg_rules[i];
	return NULL;
}

struct key {
	cjose_jwk_t *jwk;
	char kid[KID_MAX + 1];
	bool has_kid;
	const struct alg_rule *rule;    /* the one algorithm this key verifies */
};

struct keyset {
	struct key k[MAX_KEYS];
	size_t n;
};

static void
keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		cjose_jwk_release(ks->k[i].jwk);
	ks->n = 0;
}

/* Base64url text libcjose can decode: its decoder asserts (aborts) on a length of 4n + 1. */
static bool
b64url_decodable(const char *s, size_t n)
{
	if (n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!encoding_b64url_char(s[i]))
			return false;
	return true;
}

/* Every key-material member cjose would decode is a decodable string (or absent). */
static bool
jwk_members_sane(json_object *jk)
{
	static const char *const members[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"};
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		json_object *v = NULL;
		if (!json_object_object_get_ex(jk, members[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_string) ||
		    !b64url_decodable(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
			return false;
	}
	return true;
}

/* One JWK into ks when it is a usable public signing key; silently skipped otherwise. */
static void
keyset_add(struct keyset *ks, json_object *jk)
{
	const char *kty = get_str(jk, "kty"), *use = get_str(jk, "use"), *alg = get_str(jk, "alg");
	const char *kid = get_str(jk, "kid"), *crv = get_str(jk, "crv");
	const struct alg_rule *rule = NULL;
	cjose_err err;

	if (ks->n >= MAX_KEYS || kty == NULL || (use != NULL && strcmp(use, "sig") != 0) ||
	    (kid != NULL && strlen(kid) > KID_MAX))
		return;
	if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)
		return;                 /* symmetric (oct) keys never verify a provider's token */
	if (!jwk_members_sane(jk))
		return;
	enum key_type kt = strcmp(kty, "RSA") == 0 ? KT_RSA : KT_EC;
	if (alg != NULL) {
		/* The key states its algorithm: that one only, and it must fit the key. */
		rule = alg_rule(alg);
		if (rule == NULL || rule->kty != kt || (rule->crv != NULL && (crv == NULL ||
		    strcmp(rule->crv, crv) != 0)))
			return;
	} else if (kt == KT_RSA) {
		rule = alg_rule("RS256");       /* OIDC's default for ID tokens */
	} else {
		for (size_t i = 0; crv != NULL && i < NRULES; i++)
			if (alg_rules[i].crv != NULL && strcmp(alg_rules[i].crv, crv) == 0)
				rule = &alg_rules[i];
		if (rule == NULL)
			return;
	}
	const char *text = json_object_to_json_string_ext(jk, JSON_C_TO_STRING_PLAIN);
	cjose_jwk_t *jwk = cjose_jwk_import(text, strlen(text), &err);
	if (jwk == NULL)
		return;
	cjose_jwk_kty_t ck = cjose_jwk_get_kty(jwk, &err);
	bool ok = kt == KT_RSA ? ck == CJOSE_JWK_KTY_RSA && cjose_jwk_get_keysize(jwk, &err) >= RSA_MIN_BITS :
	    ck == CJOSE_JWK_KTY_EC;
	if (!ok) {
		cjose_jwk_release(jwk);
		return;
	}
	struct key *k = &ks->k[ks->n++];
	memset(k, 0, sizeof(*k));
	k->jwk = jwk;
	k->rule = rule;
	if (kid != NULL) {
		snprintf(k->kid, sizeof(k->kid), "%s", kid);
		k->has_kid = true;
	}
}

static enum oidc_error
keyset_parse(const char *text, size_t n, struct keyset *ks)
{
	const char *why = NULL;
	json_object *doc = json_parse_strict(text, n, &why), *keys = NULL;

	ks->n = 0;
	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "keys", &keys) || !json_object_is_type(keys, json_type_array)) {
		json_object_put(doc);
		return OIDC_E_MALFORMED;
	}
	size_t len = json_object_array_length(keys);
	for (size_t i = 0; i < len && i < MAX_JWKS_ENTRIES; i++) {
		json_object *jk = json_object_array_get_idx(keys, i);
		if (json_object_is_type(jk, json_type_object))
			keyset_add(ks, jk);
	}
	json_object_put(doc);
	return ks->n > 0 ? OIDC_OK : OIDC_E_NO_KEYS;
}

/* ------------------------------------------------------------------ the ID token */

static bool
number_claim(json_object *claims, const char *name, long long *out)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(claims, name, &v))
		return false;
	/* Times far outside any calendar are no times: bounded, the leeway arithmetic cannot overflow. */
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		if (i < -1000000000000000LL || i > 1000000000000000LL)
			return false;
		*out = (long long)i;
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (d < -1e15 || d > 1e15)
			return false;
		*out = (long long)d;
		return true;
	}
	return false;
}

static const char *
arena_claim(json_object *claims, const char *name, struct arena *a)
{
	const char *s = get_str(claims, name);
	return s != NULL ? arena_strdup(a, s) : NULL;
}

static enum oidc_error
check_claims(json_object *claims, const struct oidc_expect *e, time_t now, struct arena *a,
    struct oidc_claims *out)
{
	json_object *aud = NULL, *v = NULL;
	const char *iss = get_str(claims, "iss"), *azp = get_str(claims, "azp");
	const char *nonce = get_str(claims, "nonce"), *sub = get_str(claims, "sub");
	size_t naud = 0;
	bool aud_ok = false;
	long long exp, iat, nbf;

	if (iss == NULL || strcmp(iss, e->issuer) != 0)
		return OIDC_E_ISS;
	if (!json_object_object_get_ex(claims, "aud", &aud))
		return OIDC_E_AUD;
	if (json_object_is_type(aud, json_type_string)) {
		naud = 1;
		aud_ok = strcmp(json_object_get_string(aud), e->client_id) == 0;
	} else if (json_object_is_type(aud, json_type_array)) {
		naud = json_object_array_length(aud);
		for (size_t i = 0; i < naud; i++) {
			json_object *x = json_object_array_get_idx(aud, i);
			if (json_object_is_type(x, json_type_string) &&
			    strcmp(json_object_get_string(x), e->client_id) == 0)
				aud_ok = true;
		}
	}
	if (!aud_ok)
		return OIDC_E_AUD;
	/* OIDC Core 3.1.3.7: with several audiences azp must be there; when there, it must be us. */
	if (json_object_object_get_ex(claims, "azp", &v) && (azp == NULL || strcmp(azp, e->client_id) != 0))
		return OIDC_E_AZP;
	if (naud > 1 && azp == NULL)
		return OIDC_E_AZP;
	if (!number_claim(claims, "exp", &exp) || (long long)now > exp + OIDC_LEEWAY)
		return OIDC_E_EXPIRED;
	if (!number_claim(claims, "iat", &iat) || iat > (long long)now + OIDC_LEEWAY)
		return OIDC_E_IAT;
	if (json_object_object_get_ex(claims, "nbf", &v) &&
	    (!number_claim(claims, "nbf", &nbf) || nbf > (long long)now + OIDC_LEEWAY))
		return OIDC_E_NBF;
	size_t want = strlen(e->nonce);
	if (nonce == NULL || strlen(nonce) != want || !util_ct_equal(nonce, e->nonce, want))
		return OIDC_E_NONCE;
	size_t sublen = sub != NULL ? strlen(sub) : 0;
	if (sublen == 0 || sublen > OIDC_SUBJECT_MAX)
		return OIDC_E_SUB;
	for (size_t i = 0; i < sublen; i++)
		if ((unsigned char)sub[i] < 0x21 || (unsigned char)sub[i] > 0x7e)
			return OIDC_E_SUB;

	memset(out, 0, sizeof(*out));
	out->sub = arena_strdup(a, sub);
	out->email = arena_claim(claims, "email", a);
	out->name = arena_claim(claims, "name", a);
	out->exp = exp;
	out->iat = iat;
	out->email_verified = -1;
	/* Some providers send the boolean as a string. */
	if (json_object_object_get_ex(claims, "email_verified", &v)) {
		if (json_object_is_type(v, json_type_boolean))
			out->email_verified = json_object_get_boolean(v) ? 1 : 0;
		else if (json_object_is_type(v, json_type_string))
			out->email_verified = strcmp(json_object_get_string(v), "true") == 0 ? 1 : 0;
		else
			out->email_verified = 0;
	}
	return out->sub != NULL ? OIDC_OK : OIDC_E_INTERNAL;
}

/* The protected header's alg and kid, read before any key is chosen. */
static enum oidc_error
read_header(const char *token, struct arena *a, const char **alg, const char **kid)
{
	size_t hlen = strcspn(token, "."), n = 0;
	const char *why = NULL;
	char *text = b64url_decode(token, hlen, a, &n);
	json_object *h;

	*alg = *kid = NULL;
	if (text == NULL || (h = json_parse_strict(text, n, &why)) == NULL)
		return OIDC_E_TOKEN_MALFORMED;
	if (!json_object_is_type(h, json_type_object) || get_str(h, "alg") == NULL) {
		json_object_put(h);
		return OIDC_E_TOKEN_MALFORMED;
	}
	*alg = arena_strdup(a, get_str(h, "alg"));
	*kid = get_str(h, "kid") != NULL ? arena_strdup(a, get_str(h, "kid")) : NULL;
	json_object_put(h);
	return *alg != NULL ? OIDC_OK : OIDC_E_INTERNAL;
}

static bool
compact_jws_shape(const char *t)
{
	size_t n = strlen(t), dots = 0, part = 0;

	if (n == 0 || n > OIDC_ID_TOKEN_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (t[i] == '.' || t[i] == '\0') {
			/* Never empty (an unsigned token has nothing after the second dot), never 4n + 1 long. */
			if (part == 0 || !b64url_decodable(t + i - part, part))
				return false;
			dots += t[i] == '.';
			part = 0;
		} else {
			part++;
		}
	}
	return dots == 2;
}

/* Signature and claims against ks; *unknown_kid set when no key of ks matches the token. */
static enum oidc_error
verify_with(const struct keyset *ks, const char *token, const struct oidc_expect *e, time_t now,
    struct arena *a, struct oidc_claims *out, bool *unknown_kid)
{
	const char *alg, *kid, *why = NULL;
	enum oidc_error r;
	cjose_err err;

	*unknown_kid = false;
	if (!compact_jws_shape(token))
		return OIDC_E_TOKEN_MALFORMED;
	if ((r = read_header(token, a, &alg, &kid)) != OIDC_OK)
		return r;
	if (alg_rule(alg) == NULL)
		return OIDC_E_ALG;      /* none, HS*, anything unknown */
	cjose_jws_t *jws = cjose_jws_import(token, strlen(token), &err);
	if (jws == NULL)
		return OIDC_E_TOKEN_MALFORMED;
	/* A kid names exactly one key; without one, every key pinned to this alg is tried. */
	r = OIDC_E_UNKNOWN_KEY;
	bool verified = false;
	for (size_t i = 0; i < ks->n && !verified; i++) {
		const struct key *k = &ks->k[i];
		if (kid != NULL ? !k->has_kid || strcmp(k->kid, kid) != 0 : strcmp(k->rule->alg, alg) != 0)
			continue;
		if (strcmp(k->rule->alg, alg) != 0) {
			r = OIDC_E_ALG;
			break;
		}
		if (cjose_jws_verify(jws, k->jwk, &err))
			verified = true;
		else
			r = OIDC_E_SIGNATURE;
	}
	if (!verified) {
		*unknown_kid = r == OIDC_E_UNKNOWN_KEY;
		cjose_jws_release(jws);
		return r;
	}
	uint8_t *plain = NULL;
	size_t plen = 0;
	json_object *claims = NULL;
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &err) ||
	    (claims = json_parse_strict((const char *)plain, plen, &why)) == NULL ||
	    !json_object_is_type(claims, json_type_object))
		r = OIDC_E_TOKEN_MALFORMED;
	else
		r = check_claims(claims, e, now, a, out);
	json_object_put(claims);
	cjose_jws_release(jws);
	return r;
}

enum oidc_error
oidc_verify_with_jwks(const char *jwks, size_t jwks_len, const char *id_token,
    const struct oidc_expect *e, time_t now, struct arena *a, struct oidc_claims *out)
{
	struct keyset ks;
	bool unknown = false;
	enum oidc_error r = keyset_parse(jwks, jwks_len, &ks);

	if (r == OIDC_OK)
		r = verify_with(&ks, id_token, e, now, a, out, &unknown);
	keyset_free(&ks);
	return r;
}

/* ------------------------------------------------------------------ provider metadata */

bool
oidc_same_issuer(const char *a, const char *b)
{
	size_t na = a != NULL ? strlen(a) : 0, nb = b != NULL ? strlen(b) : 0;
	while (na > 0 && a[na - 1] == '/')
		na--;
	while (nb > 0 && b[nb - 1] == '/')
		nb--;
	return a != NULL && b != NULL && na == nb && memcmp(a, b, na) == 0;
}

enum oidc_error
oidc_fetch_jwks(const char *uri, const struct oidc_opts *o, struct arena *a, const char **jwks)
{
	json_object *doc = NULL;
	struct keyset ks;
	char host[128];
	enum oidc_error r;

	*jwks = NULL;
	if (!oidc_url_acceptable(uri, o))
		return OIDC_E_INSECURE_URL;
	if ((r = fetch_json(uri, o, &doc)) != OIDC_OK)
		return r;
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	r = text != NULL ? keyset_parse(text, strlen(text), &ks) : OIDC_E_INTERNAL;
	if (r == OIDC_OK || r == OIDC_E_NO_KEYS)
		keyset_free(&ks);
	if (r != OIDC_OK) {
		url_host(uri, host);
		log_warning("sso: JWKS of %s has no usable signing key", host);
	} else if ((*jwks = arena_strdup(a, text)) == NULL) {
		r = OIDC_E_INTERNAL;
	}
	json_object_put(doc);
	return r;
}

enum oidc_error
oidc_fetch_provider(const char *issuer, const struct oidc_opts *o, struct arena *a,
    struct oidc_provider *out, const char **jwks)
{
	json_object *doc = NULL;
	const char *url, *problem;
	char host[128];
	enum oidc_error r;

	memset(out, 0, sizeof(*out));
	*jwks = NULL;
	if ((problem = oidc_issuer_problem(issuer, o)) != NULL)
		return OIDC_E_INSECURE_URL;
	size_t n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		n--;
	if ((url = arena_printf(a, "%.*s/.well-known/openid-configuration", (int)n, issuer)) == NULL)
		return OIDC_E_INTERNAL;
	url_host(issuer, host);
	if ((r = fetch_json(url, o, &doc)) != OIDC_OK)
		return r;
	const char *iss = get_str(doc, "issuer"), *authz = get_str(doc, "authorization_endpoint");
	const char *token = get_str(doc, "token_endpoint"), *jwks_uri = get_str(doc, "jwks_uri");
	if (iss == NULL || authz == NULL || token == NULL || jwks_uri == NULL) {
		log_warning("sso: discovery document of %s lacks issuer or an endpoint", host);
		r = OIDC_E_MALFORMED;
	} else if (!oidc_same_issuer(iss, issuer)) {
		/* OpenID Connect Discovery 4.3: a document for another issuer is an attack. */
		log_warning("sso: discovery document of %s names another issuer", host);
		r = OIDC_E_ISSUER_MISMATCH;
	} else if (!oidc_url_acceptable(authz, o) || !oidc_url_acceptable(token, o) ||
	    !oidc_url_acceptable(jwks_uri, o)) {
		/* Each endpoint is held to the issuer's rules: no internal URL through the back door. */
		log_warning("sso: discovery document of %s names an unacceptable endpoint URL", host);
		r = OIDC_E_INSECURE_URL;
	} else {
		out->issuer = arena_strdup(a, iss);
		out->authorization_endpoint = arena_strdup(a, authz);
		out->token_endpoint = arena_strdup(a, token);
		out->jwks_uri = arena_strdup(a, jwks_uri);
		if (!out->issuer || !out->authorization_endpoint || !out->token_endpoint || !out->jwks_uri)
			r = OIDC_E_INTERNAL;
	}
	json_object_put(doc);
	if (r == OIDC_OK)
		r = oidc_fetch_jwks(out->jwks_uri, o, a, jwks);
	return r;
}

/* ------------------------------------------------------------------ the two redirects' back channel */

const char *
oidc_authorization_url(const struct oidc_provider *p, const struct oidc_auth_request *r,
    struct arena *a)
{
	const char *ep = p->authorization_endpoint;
	const char *cid = form_escape(r->client_id, a), *ru = form_escape(r->redirect_uri, a);
	const char *scope = form_escape(r->scope, a), *state = form_escape(r->state, a);
	const char *nonce = form_escape(r->nonce, a), *ch = form_escape(r->code_challenge, a);

	if (!cid || !ru || !scope || !state || !nonce || !ch)
		return NULL;
	return arena_printf(a, "%s%cresponse_type=code&client_id=%s&redirect_uri=%s&scope=%s"
	    "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256", ep,
	    strchr(ep, '?') != NULL ? '&' : '?', cid, ru, scope, state, nonce, ch);
}

/* A provider's error code, for a log line: letters and '_' only, or "?". */
static void
error_code(json_object *doc, char out[48])
{
	const char *e = doc != NULL ? get_str(doc, "error") : NULL;
	size_t n = e != NULL ? strlen(e) : 0;

	if (n == 0 || n >= 48 || strspn(e, "abcdefghijklmnopqrstuvwxyz_") != n) {
		snprintf(out, 48, "?");
		return;
	}
	memcpy(out, e, n + 1);
}

enum oidc_error
oidc_exchange_code(const struct oidc_provider *p, const struct oidc_opts *o,
    const char *client_id, const char *client_secret, const char *code,
    const char *redirect_uri, const char *code_verifier, struct arena *a, const char **id_token)
{
	const char *ecode = form_escape(code, a), *eru = form_escape(redirect_uri, a);
	const char *ever = form_escape(code_verifier, a), *ecid = form_escape(client_id, a);
	char *esec = form_escape(client_secret, a), *creds = NULL, *header = NULL;
	const char *form, *why = NULL;
	json_object *doc = NULL;
	struct body b = {0};
	long status = 0;
	char host[128], err[48];
	enum oidc_error r = OIDC_E_INTERNAL;

	*id_token = NULL;
	if (!ecode || !eru || !ever || !ecid || !esec)
		goto out;
	form = arena_printf(a, "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s",
	    ecode, eru, ever);
	/* RFC 6749 2.3.1: client_secret_basic carries the form-encoded id and secret. */
	size_t clen = strlen(ecid) + strlen(esec) + 1;
	creds = malloc(clen + 1);
	header = malloc(32 + (clen + 2) / 3 * 4 + 1);
	if (form == NULL || creds == NULL || header == NULL)
		goto out;
	snprintf(creds, clen + 1, "%s:%s", ecid, esec);
	memcpy(header, "Authorization: Basic ", 21);
	encoding_base64((const unsigned char *)creds, clen, header + 21, false);
	r = http_call(p->token_endpoint, form, header, o, TOKEN_RESPONSE_MAX, &status, &b);
	if (r != OIDC_OK)
		goto out;
	url_host(p->token_endpoint, host);
	doc = json_parse_strict(b.p, b.len, &why);
	if (doc != NULL && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
	}
	if (status != 200) {
		error_code(doc, err);
		log_warning("sso: token endpoint of %s answered HTTP %ld (error %s)", host, status, err);
		if (doc != NULL && (strcmp(err, "invalid_client") == 0 || strcmp(err, "unauthorized_client") == 0))
			r = OIDC_E_CLIENT_REJECTED;
		else if (doc != NULL && status >= 400 && status < 500 && strcmp(err, "?") != 0)
			r = OIDC_E_GRANT_REJECTED;
		else
			r = OIDC_E_HTTP;
		goto out;
	}
	if (doc == NULL) {
		log_warning("sso: token endpoint of %s did not answer a JSON object", host);
		r = OIDC_E_MALFORMED;
		goto out;
	}
	const char *idt = get_str(doc, "id_token");
	if (idt == NULL) {
		log_warning("sso: token response of %s has no id_token", host);
		r = OIDC_E_NO_ID_TOKEN;
		goto out;
	}
	if (strlen(idt) > OIDC_ID_TOKEN_MAX) {
		r = OIDC_E_TOKEN_MALFORMED;
		goto out;
	}
	*id_token = arena_strdup(a, idt);
	r = *id_token != NULL ? OIDC_OK : OIDC_E_INTERNAL;
out:
	/* The provider's access and refresh tokens and our secret: gone from memory. */
	if (doc != NULL) {
		json_object_object_foreach(doc, k, v) {
			(void)k;
			if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
				explicit_bzero((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
		}
		json_object_put(doc);
	}
	body_free(&b);
	if (esec != NULL)
		explicit_bzero(esec, strlen(esec));
	if (creds != NULL) {
		explicit_bzero(creds, strlen(creds));
		free(creds);
	}
	if (header != NULL) {
		explicit_bzero(header, strlen(header));
		free(header);
	}
	return r;
}
