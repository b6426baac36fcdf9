/* net.c -- who is the client: address text, X-Forwarded-For behind trusted proxies, the per-IP throttle key. */
#include "net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

int
net_addr_parse(const char *s, size_t n, int *family, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];

	util_trim_blank(&s, &n);
	/* [v6] as some proxies write it */
	util_strip_pair(&s, &n, '[', ']');
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		/* An IPv4-mapped IPv6 address is the IPv4 address. */
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(out, mapped, 12) == 0) {
			memmove(out, out + 12, 4);
			*family = AF_INET;
			return 0;
		}
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static const char *
canonical(int family, const unsigned char *bin, struct arena *a)
{
	char buf[INET6_ADDRSTRLEN];
	if (inet_ntop(family, bin, buf, sizeof(buf)) == NULL)
		return NULL;
	return arena_strdup(a, buf);
}

const char *
net_client_ip(const struct net_proxies *p, const char *remote_addr, const char *forwarded_for,
    struct arena *a)
{
	unsigned char bin[16];
	int family;

	if (remote_addr == NULL || net_addr_parse(remote_addr, strlen(remote_addr), &family, bin) != 0)
		return remote_addr != NULL ? remote_addr : "";
	if (forwarded_for == NULL || !net_proxies_contain(p, family, bin))
		return canonical(family, bin, a);
	/* Right to left: the first hop we do not trust is the client. */
	const char *end = forwarded_for + strlen(forwarded_for);
	while (end > forwarded_for) {
		const char *start = end;
		while (start > forwarded_for && start[-1] != ',')
			start--;
		unsigned char hop[16];
		int hf;
		if (net_addr_parse(start, (size_t)(end - start), &hf, hop) != 0)
			break;          /* garbage: stop at the last address we could read */
		family = hf;
		memcpy(bin, hop, sizeof(bin));
		if (!net_proxies_contain(p, hf, hop))
			break;
		end = start > forwarded_for ? start - 1 : start;
	}
	return canonical(family, bin, a);
}

/* The network of v4_prefix / v6_prefix bits around ip, as "net/prefix"; ip itself when no address. */
static const char *
network_of(const char *ip, int v4_prefix, int v6_prefix, struct arena *a)
{
	unsigned char bin[16];
	int family;
	char buf[INET6_ADDRSTRLEN];

	if (ip == NULL || net_addr_parse(ip, strlen(ip), &family, bin) != 0)
		return ip;
	int prefix = family == AF_INET ? v4_prefix : v6_prefix, bytes = family == AF_INET ? 4 : 16;
	if (prefix < 0)
		prefix = 0;
	if (prefix > bytes * 8)
		prefix = bytes * 8;
	int full = prefix / 8, rest = prefix % 8;
	if (rest != 0)
		bin[full++] &= (unsigned char)(0xff << (8 - rest));
	memset(bin + full, 0, (size_t)(bytes - full));
	if (inet_ntop(family, bin, buf, sizeof(buf)) == NULL)
		return NULL;
	return arena_printf(a, "%s/%d", buf, prefix);
}

const char *
net_throttle_key(const char *ip, int v6_prefix, struct arena *a)
{
	unsigned char bin[16];
	int family;

	if (ip != NULL && net_addr_parse(ip, strlen(ip), &family, bin) == 0 && family == AF_INET)
		return canonical(family, bin, a);
	return network_of(ip, 32, v6_prefix, a);
}

const char *
net_network(const char *ip, struct arena *a)
{
	return network_of(ip, 24, 64, a);
}
