/*
 * fuzz_request.c -- the request pipeline up to the handler, as dispatch.c runs
 * it: request_parse over FastCGI params, client address and CORS/CSRF checks,
 * router_match, then for a route with a JSON body request_read_body,
 * jv_parse_strict and jv_validate against the route's fields, and the
 * error reply rendered, plus the parameter checks every handler starts with
 * (params_paging, params_uuid). No database: handlers are never called.
 *
 * Input: "NAME=value" lines (the FastCGI params), an empty line, the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "auth.h"
#include "config.h"
#include "handlers.h"
#include "jsonin.h"
#include "net.h"
#include "params.h"
#include "reply.h"
#include "request.h"
#include "router.h"
#include "util.h"

#define MAX_PARAMS 256
#define ARENA_CAP (4u * 1024 * 1024)    /* DISPATCH_ARENA_CAP */
#define MAX_BODY 65536                  /* [service] max_body default */

static struct net_proxies proxies;
static struct config cfg;
static struct arena arena;

struct body_reader {
	const uint8_t *p;
	size_t n, off;
	unsigned calls;
};

/* Hands the body out in uneven pieces, as a socket would. */
static long
read_body(void *ctx, char *buf, size_t n)
{
	struct body_reader *r = ctx;
	size_t left = r->n - r->off, chunk = 1 + (r->calls++ % 7) * 509;

	if (left == 0)
		return 0;
	if (chunk > n)
		chunk = n;
	if (chunk > left)
		chunk = left;
	memcpy(buf, r->p + r->off, chunk);
	r->off += chunk;
	return (long)chunk;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char bad[80];

	(void)argc;
	(void)argv;
	if (net_proxies_parse(&proxies, "127.0.0.1 10.0.0.0/8 ::1 fd00::/8", bad, sizeof(bad)) != 0)
		abort();
	cfg.environment = ENVIRONMENT_DEVELOPMENT;
	cfg.max_body = MAX_BODY;
	cfg.allowed_origins = (char *)"https://app.example.com, http://localhost:3000";
	cfg.trusted_proxies = (char *)"127.0.0.1 10.0.0.0/8 ::1 fd00::/8";
	arena_init(&arena, ARENA_CAP);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[MAX_PARAMS + 1];
	size_t nenv = 0, off = 0, len;
	const uint8_t *body = data + size;
	size_t body_len = 0;
	struct request req;
	struct reply rep;
	const char *why = NULL, *allow = NULL;
	const char *params[CTX_MAX_PATH_PARAMS];
	size_t nparams = 0;
	char *line;

	/* Params up to the first empty line; what follows is the body. */
	while (nenv < MAX_PARAMS && (line = fz_next(data, size, &off, '\n', &len)) != NULL) {
		if (len == 0) {
			free(line);
			if (off <= size) {
				body = data + off;
				body_len = size - off;
			}
			break;
		}
		envp[nenv++] = line;
	}
	envp[nenv] = NULL;

	reply_init(&rep);
	struct ctx c = {
		.cfg = &cfg, .proxies = &proxies, .a = &arena, .req = &req, .rep = &rep,
	};
	enum status st = request_parse(&req, envp, &arena, &why);
	if (st != ST_OK) {
		rep.detail = why;
		goto render;
	}
	/* Decoded text is valid UTF-8 without NUL, as request.h promises. */
	if (req.path == NULL || req.path[0] != '/' || !util_utf8_valid(req.path, strlen(req.path)))
		abort();
	for (size_t i = 0; i < req.nquery; i++)
		if (!util_utf8_valid(req.query[i].name, strlen(req.query[i].name)) ||
		    !util_utf8_valid(req.query[i].value, strlen(req.query[i].value)))
			abort();
	if (req.nquery > REQUEST_MAX_PAIRS || req.ncookies > REQUEST_MAX_PAIRS)
		abort();
	/* What dispatch.c's run() does before routing. */
	(void)request_is_json(&req);
	(void)request_query(&req, "page");
	(void)request_query(&req, "");
	(void)request_cookie(&req, "access_token");
	(void)request_cookie(&req, "refresh_token");
	c.client_ip = net_client_ip(&proxies, req.remote_addr,
	    request_param(&req, "HTTP_X_FORWARDED_FOR"), &arena);
	c.throttle_ip = c.client_ip != NULL ? net_throttle_key(c.client_ip, 64, &arena) : NULL;
	c.user_agent = request_param(&req, "HTTP_USER_AGENT");
	c.https = req.https;
	if (!c.https && net_is_trusted(&proxies, req.remote_addr)) {
		const char *proto = request_param(&req, "HTTP_X_FORWARDED_PROTO");
		c.https = proto != NULL && strcmp(proto, "https") == 0;
	}
	rep.head_only = req.method == METHOD_HEAD;
	(void)auth_method_unsafe(&c);
	(void)auth_same_origin(&c);

	const struct route *rt = router_match(req.method, req.path, &arena, params, &nparams,
	    &allow, &st);
	if (rt == NULL) {
		rep.allow = allow;
		goto render;
	}
	if (nparams > CTX_MAX_PATH_PARAMS)
		abort();
	/* The first thing handlers do with the query and the path. */
	memcpy(c.path_params, params, nparams * sizeof(params[0]));
	c.npath_params = nparams;
	{
		long limit, offset;
		char id[UUID_STR_LEN];
		if (params_paging(&c, &limit, &offset) == ST_OK &&
		    (limit < 1 || limit > PAGE_MAX || offset < 0))
			abort();
		for (size_t i = 0; i <= nparams; i++)
			if (params_uuid(&c, i, id) && strlen(id) != UUID_STR_LEN - 1)
				abort();
		rep.errors.n = 0;
	}
	bool want_body = rt->body == BODY_JSON ||
	    (rt->body == BODY_OPTIONAL_JSON && req.content_length > 0);
	st = ST_OK;
	if (want_body) {
		struct body_reader r = {.p = body, .n = body_len};
		if (req.content_length > cfg.max_body) {
			st = ST_PAYLOAD_TOO_LARGE;
		} else if (!request_is_json(&req)) {
			st = ST_UNSUPPORTED_MEDIA_TYPE;
		} else if ((st = request_read_body(&req, cfg.max_body, read_body, &r, &arena)) == ST_OK) {
			if (req.body == NULL || strlen(req.body) > req.body_len)
				abort();
			c.body = jv_parse_strict(req.body, req.body_len, &why);
			if (c.body == NULL) {
				rep.detail = why;
				st = ST_VALIDATION_ERROR;
			} else if (!jv_validate(c.body, rt->fields, rt->nfields, &rep.errors)) {
				rep.detail = "Request validation failed";
				st = ST_VALIDATION_ERROR;
			}
		}
	}
	/* A provider's form (the back-channel logout): the value the handler reads, decoded or refused. */
	if (rt->body == BODY_FORM && request_is_form(&req) && req.content_length <= cfg.max_body) {
		struct body_reader r = {.p = body, .n = body_len};
		bool bad = false;
		if (request_read_body(&req, cfg.max_body, read_body, &r, &arena) == ST_OK) {
			const char *v = request_form(&req, "logout_token", &arena, &bad);
			if (v != NULL && bad)
				abort();
		}
	}
render:
	{
		const char *origin = request_param(&req, "HTTP_ORIGIN");
		if (req.envp != NULL && auth_origin_configured(&c, origin)) {
			reply_header(&rep, "Access-Control-Allow-Origin", origin);
			reply_header(&rep, "Vary", "Origin");
		}
		rep.status = st;
		size_t out_len = 0;
		char *out = reply_render(&rep, &arena, &out_len);
		if (out != NULL && strlen(out) > out_len)
			abort();
	}
	json_object_put(c.body);
	reply_clear(&rep);
	arena_reset(&arena);
	for (size_t i = 0; i < nenv; i++)
		free(envp[i]);
	return 0;
}
