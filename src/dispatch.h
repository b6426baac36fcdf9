/* dispatch.h -- one request through the pipeline: parse, route, validate, handle, reply. */
#ifndef OW_DISPATCH_H
#define OW_DISPATCH_H

#include <stddef.h>

#include "arena.h"
#include "audit_probe.h"
#include "authorizer.h"
#include "config.h"
#include "db.h"
#include "net.h"
#include "request.h"
#include "token.h"

#define DISPATCH_ARENA_CAP (4u * 1024 * 1024)

struct service {
	const struct config *cfg;
	struct db *db;
	struct arena arena;
	struct token_keys keys;
	struct net_proxies proxies;
	struct authorizer_rules rules;
	struct audit_probe probe;   /* a cross-tenant 404 to record after its answer */
};

/* Writes len bytes of response; returns 0 or -1. */
typedef int (*response_writer)(void *ctx, const char *buf, size_t len);

/*
 * Set up a worker's service state around cfg (which must outlive it): JWT
 * secrets, trusted proxies, the database handle. 0, or -1 with err set.
 */
int dispatch_init(struct service *svc, const struct config *cfg, char err[CONFIG_ERR_LEN]);
void dispatch_free(struct service *svc);
/* Work a request leaves for after its answer was sent (a cross-tenant 404's event); worker.c calls it. */
void dispatch_after_reply(struct service *svc);
/*
 * Everything a worker will load from cfg (secrets, proxies, authorizer
 * rules, database servers), loaded once and dropped: start-up and reload
 * refuse a configuration a worker would refuse. 0, or -1 with err set.
 */
int dispatch_check(const struct config *cfg, char err[CONFIG_ERR_LEN]);

/*
 * Answer one request: envp are its FastCGI params, read gives the body,
 * write takes the response. Everything allocated for it is released before
 * returning.
 */
void dispatch_request(struct service *svc, char **envp, request_reader read, void *rctx,
    response_writer write, void *wctx);

#endif
