/* net.c -- trusted proxies: X-Forwarded-For and X-Forwarded-Proto count only from them. */
#include "net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int
parse_addr(const char *s, size_t n, int *family, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	/* [v6] as some proxies write it */
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
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

int
net_proxies_parse(struct net_proxies *p, const char *spec, char *bad, size_t badlen)
{
	const char *s = spec;

	p->n = 0;
	while (*s != '\0') {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		size_t n = strcspn(s, " \t,");
		const char *slash = memchr(s, '/', n);
		size_t alen = slash != NULL ? (size_t)(slash - s) : n;
		struct net_cidr *c = &p->list[p->n];
		if (p->n == NET_MAX_PROXIES || parse_addr(s, alen, &c->family, c->addr) != 0)
			goto fail;
		int max = c->family == AF_INET ? 32 : 128;
		c->prefix = max;
		if (slash != NULL) {
			char num[8];
			size_t ln = n - alen - 1;
			char *end;
			if (ln == 0 || ln >= sizeof(num))
				goto fail;
			memcpy(num, slash + 1, ln);
			num[ln] = '\0';
			long v = strtol(num, &end, 10);
			if (*end != '\0' || v < 0 || v > max)
				goto fail;
			c->prefix = (int)v;
		}
		p->n++;
		s += n;
		continue;
fail:
		snprintf(bad, badlen, "%.*s", (int)(n > 64 ? 64 : n), s);
		return -1;
	}
	return 0;
}

static bool
in_cidr(const struct net_cidr *c, int family, const unsigned char *addr)
{
	if (c->family != family)
		return false;
	int full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->addr, addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (addr[full] & mask);
}

static bool
trusted_bin(const struct net_proxies *p, int family, const unsigned char *addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (in_cidr(&p->list[i], family, addr))
			return true;
	return false;
}

bool
net_is_trusted(const struct net_proxies *p, const char *addr)
{
	unsigned char bin[16];
	int family;

	if (p->n == 0 || addr == NULL || parse_addr(addr, strlen(addr), &family, bin) != 0)
		return false;
	return trusted_bin(p, family, bin);
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

	if (remote_addr == NULL || parse_addr(remote_addr, strlen(remote_addr), &family, bin) != 0)
		return remote_addr != NULL ? remote_addr : "";
	if (forwarded_for == NULL || !trusted_bin(p, family, bin))
		return canonical(family, bin, a);
	/* Right to left: the first hop we do not trust is the client. */
	const char *end = forwarded_for + strlen(forwarded_for);
	while (end > forwarded_for) {
		const char *start = end;
		while (start > forwarded_for && start[-1] != ',')
			start--;
		unsigned char hop[16];
		int hf;
		if (parse_addr(start, (size_t)(end - start), &hf, hop) != 0)
			break;          /* garbage: stop at the last address we could read */
		family = hf;
		memcpy(bin, hop, sizeof(bin));
		if (!trusted_bin(p, hf, hop))
			break;
		end = start > forwarded_for ? start - 1 : start;
	}
	return canonical(family, bin, a);
}

const char *
net_throttle_key(const char *ip, int v6_prefix, struct arena *a)
{
	unsigned char bin[16];
	int family;
	char buf[INET6_ADDRSTRLEN];

	if (ip == NULL || parse_addr(ip, strlen(ip), &family, bin) != 0)
		return ip;
	if (family == AF_INET)
		return canonical(family, bin, a);
	if (v6_prefix < 0)
		v6_prefix = 0;
	if (v6_prefix > 128)
		v6_prefix = 128;
	int full = v6_prefix / 8, rest = v6_prefix % 8;
	if (rest != 0)
		bin[full++] &= (unsigned char)(0xff << (8 - rest));
	memset(bin + full, 0, (size_t)(16 - full));
	if (inet_ntop(AF_INET6, bin, buf, sizeof(buf)) == NULL)
		return NULL;
	return arena_printf(a, "%s/%d", buf, v6_prefix);
}
