/* net.h -- who is the client, and did it come over HTTPS: trusted proxies and forwarded headers. */
#ifndef OW_NET_H
#define OW_NET_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

#define NET_MAX_PROXIES 32

struct net_cidr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int prefix;
};

struct net_proxies {
	struct net_cidr list[NET_MAX_PROXIES];
	size_t n;
};

/*
 * Address text s[0..n) (surrounding blanks and "[v6]" brackets allowed) into
 * *family and out (4 or 16 bytes); an IPv4-mapped IPv6 address is its IPv4
 * address. 0, or -1 when s is no address.
 */
int net_addr_parse(const char *s, size_t n, int *family, unsigned char out[16]);

/* The trusted proxies (net_proxies.c). */
/* Parse a space-separated list of addresses with optional /prefix; -1 names the bad entry in *bad. */
int net_proxies_parse(struct net_proxies *p, const char *spec, char *bad, size_t badlen);
/* True if the binary address addr of family is in the list. */
bool net_proxies_contain(const struct net_proxies *p, int family, const unsigned char *addr);
/* True if the textual address addr is in the list. */
bool net_is_trusted(const struct net_proxies *p, const char *addr);

/* The client (net.c). */

/*
 * The client address: remote_addr, or, when the peer is a trusted proxy, the
 * nearest untrusted hop of X-Forwarded-For (walking from the right). The
 * result is canonical inet_ntop text in the arena.
 */
const char *net_client_ip(const struct net_proxies *p, const char *remote_addr,
    const char *forwarded_for, struct arena *a);

/*
 * The key per-IP limits count under: ip itself for IPv4, the IPv6 network
 * of v6_prefix bits as "net::/prefix" (one host gets a whole /64, so a full
 * address would give it 2^64 fresh budgets). ip is canonical text from
 * net_client_ip; anything else (a non-address REMOTE_ADDR) is returned as
 * it is. In the arena; NULL only when the arena is full.
 */
const char *net_throttle_key(const char *ip, int v6_prefix, struct arena *a);
/*
 * The client network an API key's activity names (IPv4 /24, IPv6 /64) as
 * "net/prefix"; ip itself when it is no address. In the arena.
 */
const char *net_network(const char *ip, struct arena *a);

#endif
