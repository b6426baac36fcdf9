/* net_proxies.c -- the trusted proxies: the configured list, and whether an address is on it. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
		if (p->n == NET_MAX_PROXIES || net_addr_parse(s, alen, &c->family, c->addr) != 0)
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
cidr_contains(const struct net_cidr *c, int family, const unsigned char *addr)
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

bool
net_proxies_contain(const struct net_proxies *p, int family, const unsigned char *addr)
{
	for (size_t i = 0; i < p->n; i++)
		if (cidr_contains(&p->list[i], family, addr))
			return true;
	return false;
}

bool
net_is_trusted(const struct net_proxies *p, const char *addr)
{
	unsigned char bin[16];
	int family;

	if (p->n == 0 || addr == NULL || net_addr_parse(addr, strlen(addr), &family, bin) != 0)
		return false;
	return net_proxies_contain(p, family, bin);
}
