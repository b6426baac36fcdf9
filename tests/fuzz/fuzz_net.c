/*
 * fuzz_net.c -- trusted proxies and the client address: net_proxies_parse on
 * a configuration string, net_is_trusted and net_client_ip on REMOTE_ADDR and
 * X-Forwarded-For. Input: three lines, proxy list, remote address, XFF (a
 * missing line is absent). The fixed proxy list below is tried as well, so
 * XFF walking is reached even when the fuzzed list does not parse.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "net.h"

static struct arena arena;
static struct net_proxies fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char bad[80];

	(void)argc;
	(void)argv;
	arena_init(&arena, 1u << 20);
	if (net_proxies_parse(&fixed, "127.0.0.1 10.0.0.0/8, 192.168.1.0/24 ::1 fd00::/8 2001:db8::/33",
	    bad, sizeof(bad)) != 0)
		abort();
	return 0;
}

static void
check_ip(const char *ip)
{
	unsigned char buf[16];

	if (ip == NULL)
		abort();
	(void)strlen(ip);
	(void)inet_pton(AF_INET6, ip, buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	char *spec = fz_next(data, size, &off, '\n', NULL);
	char *remote = fz_next(data, size, &off, '\n', NULL);
	char *xff = fz_next(data, size, &off, '\n', NULL);
	struct net_proxies p;
	char bad[80];

	if (spec == NULL)
		spec = fz_strndup((const uint8_t *)"", 0);
	memset(&p, 0xa5, sizeof(p));
	int rc = net_proxies_parse(&p, spec, bad, sizeof(bad));
	if (rc == 0) {
		if (p.n > NET_MAX_PROXIES)
			abort();
		for (size_t i = 0; i < p.n; i++)
			if (p.list[i].prefix < 0 || p.list[i].prefix > (p.list[i].family == AF_INET ? 32 : 128))
				abort();
	} else {
		if (strnlen(bad, sizeof(bad)) >= sizeof(bad))
			abort();
		p.n = 0;
	}
	(void)net_is_trusted(&p, remote);
	(void)net_is_trusted(&fixed, remote);
	check_ip(net_client_ip(&p, remote, xff, &arena));
	check_ip(net_client_ip(&fixed, remote, xff, &arena));
	/* The key per-IP limits count under: always fits the 45-character ip columns. */
	const char *client = net_client_ip(&fixed, remote, xff, &arena);
	for (int prefix = 16; prefix <= 128; prefix += 8 + (int)(size % 5)) {
		const char *key = net_throttle_key(client, prefix, &arena);
		if (key == NULL || (client[0] != '\0' && strcmp(key, client) != 0 && strlen(key) > 45))
			abort();
	}
	/* The spec line doubles as an address. */
	(void)net_is_trusted(&fixed, spec);
	check_ip(net_client_ip(&fixed, spec, remote, &arena));
	arena_reset(&arena);
	free(spec);
	free(remote);
	free(xff);
	return 0;
}
