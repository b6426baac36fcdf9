/* dispatch.c -- the request pipeline: the only path from FastCGI params to a reply. */
#include "dispatch.h"

#include <string.h>

#include "handlers.h"
#include "json.h"
#include "log.h"
#include "reply.h"
#include "router.h"

int
dispatch_init(struct service *svc, const struct config *cfg)
{
	svc->cfg = cfg;
	arena_init(&svc->arena, DISPATCH_ARENA_CAP);
	svc->db = db_new(cfg);
	return svc->db != NULL ? 0 : -1;
}

void
dispatch_free(struct service *svc)
{
	db_free(svc->db);
	svc->db = NULL;
	arena_free(&svc->arena);
}

/* Body checks in the order that costs the client least: size, type, syntax, fields. */
static enum status
load_body(struct ctx *c, const struct route *rt, request_reader read, void *rctx)
{
	struct request *req = (struct request *)c->req;
	const char *why = NULL;

	if (req->content_length > c->cfg->max_body)
		return ST_PAYLOAD_TOO_LARGE;
	if (!request_is_json(req))
		return ST_UNSUPPORTED_MEDIA_TYPE;
	enum status st = request_read_body(req, c->cfg->max_body, read, rctx, c->a);
	if (st != ST_OK)
		return st;
	c->body = json_parse_strict(req->body, req->body_len, &why);
	if (c->body == NULL) {
		c->rep->detail = why;
		return ST_VALIDATION_ERROR;
	}
	if (!json_validate(c->body, rt->fields, rt->nfields, &c->rep->errors)) {
		c->rep->detail = "Request validation failed";
		return ST_VALIDATION_ERROR;
	}
	return ST_OK;
}

static enum status
run(struct service *svc, struct ctx *c, struct request *req, char **envp, request_reader read,
    void *rctx)
{
	const char *why = NULL, *allow = NULL;
	enum status st = request_parse(req, envp, c->a, &why);

	if (st != ST_OK) {
		c->rep->detail = why;
		return st;
	}
	c->client_ip = req->remote_addr;
	c->rep->head_only = req->method == METHOD_HEAD;
	if (svc->cfg->environment == ENVIRONMENT_PRODUCTION) {
		c->rep->hsts = true;
		if (!req->https)
			return ST_HTTPS_REQUIRED;
	}
	const struct route *rt = router_match(req->method, req->path, c->a, c->path_params,
	    &c->npath_params, &allow, &st);
	if (rt == NULL) {
		c->rep->allow = allow;
		return st;
	}
	if (rt->json_body && (st = load_body(c, rt, read, rctx)) != ST_OK)
		return st;
	return rt->handler(c);
}

void
dispatch_request(struct service *svc, char **envp, request_reader read, void *rctx,
    response_writer write, void *wctx)
{
	struct request req;
	struct reply rep;
	struct ctx c = {
		.cfg = svc->cfg,
		.db = svc->db,
		.a = &svc->arena,
		.req = &req,
		.rep = &rep,
	};
	size_t len = 0;

	reply_init(&rep);
	enum status st = run(svc, &c, &req, envp, read, rctx);
	if (rep.status != st) {
		/* An outcome the reply does not show yet: an error drops any half-built body. */
		if (st >= ST_VALIDATION_ERROR)
			reply_clear(&rep);
		rep.status = st;
	}
	if (st == ST_SERVICE_UNAVAILABLE && rep.retry_after == 0)
		rep.retry_after = 5;
	if (st == ST_INTERNAL_ERROR)
		rep.detail = NULL;      /* never internals in a 500 */
	char *out = reply_render(&rep, c.a, &len);
	if (out == NULL) {
		static const char fallback[] =
		    "Status: 500 Internal Server Error\r\nContent-Type: application/json; charset=utf-8\r\n"
		    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n"
		    "{\"detail\":\"Internal server error\",\"status_code\":500,\"code\":\"INTERNAL_ERROR\"}";
		out = (char *)fallback;
		len = sizeof(fallback) - 1;
	}
	if (write(wctx, out, len) != 0)
		log_debug("client went away before the response was written");
	json_object_put(c.body);
	reply_clear(&rep);
	arena_reset(&svc->arena);
}
