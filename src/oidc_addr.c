/* oidc_addr.c -- where a provider call may go: address classes and the issuer and endpoint URL rules. */
#include "oidc.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

/* A port of 1 to 65535 in p[0..n), decimal digits only. */
static bool
port_valid(const char *p, size_t n)
{
	long v = 0;

	if (n == 0 || n > 5 || strspn(p, "0123456789") < n)
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v >= 1 && v <= 65535;
}

/* host[0..hlen) when it is an IP literal ("[v6]" with brackets, or v4): NULL when allowed or a name. */
static const char *
literal_problem(const char *host, size_t hlen, const struct oidc_opts *o)
{
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

/*
 * The checks shared by issuers and endpoints (OpenID Connect Discovery 3:
 * https, no user info, no fragment; the issuer also no query). A host that
 * is an IP literal is held to the address rules at once; a name is checked
 * when it is resolved, at connect time (open_socket in oidc_http.c).
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
	if (port != NULL && !port_valid(port, (size_t)(host + alen - port)))
		return "has an invalid port";
	if (!https && !(o->allow_http_loopback && is_loopback_host(host, hlen)))
		return "must be an https URL";
	/* An IP literal is judged now; a name when it resolves. */
	return literal_problem(host, hlen, o);
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
