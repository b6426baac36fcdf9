/* dispatch.c -- the request pipeline: the only path from FastCGI params to a reply. */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit.h"
#include "audit_syslog.h"
#include "auth.h"
#include "authorizer.h"
#include "credcache.h"
#include "handlers.h"
#include "jsonin.h"
#include "log.h"
#include "mfa_crypt.h"
#include "pepper.h"
#include "pwlist.h"
#include "reply.h"
#include "revlog.h"
#include "router.h"
#include "util.h"

int
dispatch_init(struct service *svc, const struct config *cfg, char err[CONFIG_ERR_LEN])
{
	char bad[80];

	memset(svc, 0, sizeof(*svc));
	svc->cfg = cfg;
	arena_init(&svc->arena, DISPATCH_ARENA_CAP);
	/* The common-password set, built once per process (a master's workers inherit it). */
	if (pwlist_init() != 0) {
		snprintf(err, CONFIG_ERR_LEN, "out of memory building the common-password list");
		return -1;
	}
	if (net_proxies_parse(&svc->proxies, cfg->trusted_proxies, bad, sizeof(bad)) != 0) {
		snprintf(err, CONFIG_ERR_LEN, "[service] trusted_proxies: '%s' is not an address or prefix", bad);
		return -1;
	}
	if (mfa_key_check(cfg, err) != 0 || audit_syslog_open(cfg, err) != 0)
		return -1;
	/* The pepper stays in this process for its workers: a reload re-reads it (dispatch_check). */
	if (pepper_load(cfg, err) != 0)
		return -1;
	if (authorizer_rules_parse(&svc->rules, cfg->authorizer_rules, err) != 0)
		return -1;
	if (token_keys_load(&svc->keys, cfg, err) != 0) {
		authorizer_rules_free(&svc->rules);
		return -1;
	}
	svc->db = db_new(cfg);
	if (svc->db == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "[database] servers: not a list of unix:PATH or HOST[:PORT]");
		token_keys_free(&svc->keys);
		authorizer_rules_free(&svc->rules);
		return -1;
	}
	/* A segment that is not ours only turns the cache off (revlog_open logs why). */
	revlog_open(cfg, true);
	credcache_init(cfg, revlog_epoch());
	return 0;
}

/*
 * The lookup and event of a cross-tenant 404 run here, after the answer
 * went out, so that neither its bytes nor its time differ from an unknown
 * id's (doc/SECURITY.md section 25).
 */
void
dispatch_after_reply(struct service *svc)
{
	if (!svc->probe.pending)
		return;
	audit_probe_run(&svc->probe, svc->cfg, svc->db, &svc->arena);
	arena_reset(&svc->arena);
}

int
dispatch_check(const struct config *cfg, char err[CONFIG_ERR_LEN])
{
	struct service svc;
	if (dispatch_init(&svc, cfg, err) != 0)
		return -1;
	dispatch_free(&svc);
	return 0;
}

void
dispatch_free(struct service *svc)
{
	credcache_free();
	revlog_close();
	db_free(svc->db);
	svc->db = NULL;
	token_keys_free(&svc->keys);
	authorizer_rules_free(&svc->rules);
	arena_free(&svc->arena);
}

enum status
h_fail(struct ctx *c, enum status st, const char *detail)
{
	reply_error(c->rep, st, detail);
	return st;
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
	c->body = jv_parse_strict(req->body, req->body_len, &why);
	if (c->body == NULL) {
		c->rep->detail = why;
		return ST_VALIDATION_ERROR;
	}
	if (!jv_validate_into(c->body, rt->fields, rt->nfields, &c->rep->errors, &c->in)) {
		c->rep->detail = "Request validation failed";
		return ST_VALIDATION_ERROR;
	}
	return ST_OK;
}

/* A form body (a provider's back-channel call): size, type, then read whole for request_form. */
static enum status
load_form(struct ctx *c, request_reader read, void *rctx)
{
	struct request *req = (struct request *)c->req;

	if (req->content_length > c->cfg->max_body)
		return ST_PAYLOAD_TOO_LARGE;
	if (!request_is_form(req))
		return ST_UNSUPPORTED_MEDIA_TYPE;
	return request_read_body(req, c->cfg->max_body, read, rctx, c->a);
}

/*
 * CORS for configured origins only (doc/api.md section 4): credentials allowed,
 * so the origin is echoed, never "*". Other origins get no CORS headers and
 * the browser keeps the response from them.
 */
static void
cors_headers(struct ctx *c)
{
	const char *origin = request_param(c->req, "HTTP_ORIGIN");
	if (!auth_origin_configured(c, origin))
		return;
	reply_header(c->rep, "Access-Control-Allow-Origin", origin);
	reply_header(c->rep, "Access-Control-Allow-Credentials", "true");
	reply_header(c->rep, "Vary", "Origin");
}

static enum status
preflight(struct ctx *c, const char *allow)
{
	const char *methods = arena_printf(c->a, "%s, OPTIONS", allow);
	reply_header(c->rep, "Allow", methods != NULL ? methods : allow);
	if (auth_origin_configured(c, request_param(c->req, "HTTP_ORIGIN")) &&
	    request_param(c->req, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") != NULL) {
		reply_header(c->rep, "Access-Control-Allow-Methods", allow);
		reply_header(c->rep, "Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key");
		reply_header(c->rep, "Access-Control-Max-Age", "600");
	}
	reply_json(c->rep, ST_NO_CONTENT, NULL);
	return ST_NO_CONTENT;
}

/*
 * The service's only BEGIN, COMMIT and ROLLBACK (doc/HACKING.md section 3),
 * so that no handler can forget a rollback or the after-commit hooks.
 */
enum status
dispatch_tx(struct ctx *c, tx_step step, void *arg)
{
	if (c->in_tx)
		return step(c, arg);

	unsigned revocations = revlog_mark();
	enum db_result r = db_begin(c->db);
	if (r != DB_OK)
		return reply_db_status(r);
	c->in_tx = true;
	enum status st = step(c, arg);
	/* A revoking write is logged for other hosts in its own transaction. */
	if (st < ST_VALIDATION_ERROR && (r = revlog_log(c->db)) != DB_OK)
		st = reply_db_status(r);
	bool commit_failed = false;
	if (st < ST_VALIDATION_ERROR && (r = db_commit(c->db)) != DB_OK) {
		st = reply_db_status(r);
		commit_failed = true;
	}
	c->in_tx = false;
	if (st >= ST_VALIDATION_ERROR) {
		/* Any failure, ST_RETRY included, leaves nothing behind: the rerun starts clean. */
		db_rollback(c->db);
		c->nafter_commit = 0;
		/*
		 * A failed COMMIT (a node leaving the cluster: 1180) may have
		 * committed all the same: announce its revocations, as a needless
		 * bump of the epoch only costs the host's caches a refill.
		 */
		if (commit_failed && revlog_mark() != revocations)
			revlog_announce();
		else
			revlog_rollback(revocations);
	} else {
		/* Committed: every worker of the host drops what it cached, before anyone is answered. */
		revlog_announce();
	}
	for (size_t i = 0; i < c->nafter_commit; i++)
		c->after_commit[i].fn(c, c->after_commit[i].arg);
	c->nafter_commit = 0;
	audit_flush_refusals(c);
	return st;
}

int
dispatch_after_commit(struct ctx *c, after_commit_fn fn, void *arg)
{
	if (!c->in_tx) {
		fn(c, arg);
		return 0;
	}
	if (c->nafter_commit >= CTX_MAX_AFTER_COMMIT)
		return -1;
	c->after_commit[c->nafter_commit++] = (struct ctx_after_commit){fn, arg};
	return 0;
}

static enum status
route_step(struct ctx *c, void *arg)
{
	const struct route *rt = arg;
	return rt->handler(c);
}

#define HANDLER_ATTEMPTS 4

/*
 * Run the handler, inside a transaction when its route says TX_WRITE. A
 * transaction that lost a deadlock (or, on Galera, a certification
 * conflict) was rolled back whole by dispatch_tx, so running the handler
 * again is safe. The service's one retry of lost transactions: bounded,
 * with jitter so that the two losers do not collide again in step.
 */
static enum status
run_handler(struct ctx *c, const struct route *rt)
{
	enum status st = ST_RETRY;

	for (int attempt = 1; attempt <= HANDLER_ATTEMPTS; attempt++) {
		st = rt->tx == TX_WRITE ? dispatch_tx(c, route_step, (void *)rt) : rt->handler(c);
		if (st != ST_RETRY)
			break;
		reply_clear(c->rep);
		c->rep->nheaders = 0;
		c->rep->errors.n = 0;
		c->rep->detail = NULL;
		c->rep->retry_after = 0;
		c->rep->status = ST_OK;
		if (attempt < HANDLER_ATTEMPTS) {
			unsigned char r = 0;
			util_random(&r, 1);
			struct timespec ts = {0, (long)(attempt * 5 + r % 20) * 1000000L};
			nanosleep(&ts, NULL);
			log_info("transaction conflict: attempt %d of %s %s", attempt + 1,
			    router_method_name(rt->method), rt->pattern);
		}
	}
	return st;
}

/*
 * The User-Agent as the session and audit rows store it: at most 512
 * characters of valid UTF-8. A client may send any bytes, and a value the
 * utf8mb4 column refuses would fail the login that records it.
 */
#define USER_AGENT_CHARS 512

static const char *
user_agent_of(const struct request *req, struct arena *a)
{
	const char *raw = request_param(req, "HTTP_USER_AGENT");
	if (raw == NULL)
		return NULL;
	size_t size = strlen(raw) + 1;
	if (size > USER_AGENT_CHARS * 4 + 1)
		size = USER_AGENT_CHARS * 4 + 1;
	char *out = arena_alloc(a, size);
	if (out == NULL)
		return NULL;
	util_utf8_clean(out, size, raw, USER_AGENT_CHARS);
	return out;
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
	c->client_ip = net_client_ip(&svc->proxies, req->remote_addr,
	    request_param(req, "HTTP_X_FORWARDED_FOR"), c->a);
	c->throttle_ip = net_throttle_key(c->client_ip, (int)svc->cfg->lockout_ipv6_prefix, c->a);
	if (c->client_ip == NULL || c->throttle_ip == NULL)
		return ST_INTERNAL_ERROR;
	c->user_agent = user_agent_of(req, c->a);
	c->https = req->https;
	if (!c->https && net_is_trusted(&svc->proxies, req->remote_addr)) {
		const char *proto = request_param(req, "HTTP_X_FORWARDED_PROTO");
		c->https = proto != NULL && strcasecmp(proto, "https") == 0;
	}
	c->rep->head_only = req->method == METHOD_HEAD;
	if (svc->cfg->environment == ENVIRONMENT_PRODUCTION) {
		c->rep->hsts = true;
		if (!c->https)
			return ST_HTTPS_REQUIRED;
	}
	if (authorizer_role(req))
		return authorizer_handle(c, &svc->rules);
	/*
	 * Registration switched off answers as an unknown path (doc/api.md
	 * section 6, register), whatever the method and before the body is
	 * read: a 405 or a preflight's 204 listing POST, or the body's 400 or
	 * 415, would tell that the route is there.
	 */
	if (!svc->cfg->registration && router_path_of(h_auth_register, req->path, c->a))
		return ST_NOT_FOUND;
	const struct route *rt = router_match(req->method, req->path, c->a, c->path_params,
	    &c->npath_params, &allow, &st);
	if (rt == NULL) {
		if (req->method == METHOD_OPTIONS && st == ST_METHOD_NOT_ALLOWED)
			return preflight(c, allow);
		c->rep->allow = allow;
		return st;
	}
	if (rt->auth == ROUTE_CREDENTIAL) {
		if ((st = auth_authenticate(c)) != ST_OK)
			return st;
		if ((st = auth_require(c, rt->permission)) != ST_OK) {
			audit_record(c, c->principal.org_id, "permission.denied", "denied", "permission",
			    permission_name((enum permission)rt->permission));
			return st;
		}
	}
	bool want_body = rt->body == BODY_JSON ||
	    (rt->body == BODY_OPTIONAL_JSON && req->content_length > 0);
	if (want_body && (st = load_body(c, rt, read, rctx)) != ST_OK)
		return st;
	if (rt->body == BODY_FORM && (st = load_form(c, read, rctx)) != ST_OK)
		return st;
	return run_handler(c, rt);
}

void
dispatch_request(struct service *svc, char **envp, request_reader read, void *rctx,
    response_writer write, void *wctx)
{
	struct request req = {0};
	struct reply rep;
	struct ctx c = {
		.cfg = svc->cfg,
		.keys = &svc->keys,
		.proxies = &svc->proxies,
		.db = svc->db,
		.a = &svc->arena,
		.req = &req,
		.rep = &rep,
	};
	size_t len = 0;

	reply_init(&rep);
	enum status st = run(svc, &c, &req, envp, read, rctx);
	revlog_settle(c.db);    /* revoking writes made outside a transaction, before the reply */
	if (req.envp != NULL)
		cors_headers(&c);
	if (rep.status != st) {
		/* An outcome the reply does not show yet: an error drops any half-built body. */
		if (st >= ST_VALIDATION_ERROR)
			reply_clear(&rep);
		rep.status = st;
	}
	if (st == ST_RETRY)
		log_warning("transaction conflict persisted after %d attempts", HANDLER_ATTEMPTS);
	if ((st == ST_SERVICE_UNAVAILABLE || st == ST_RETRY) && rep.retry_after == 0)
		rep.retry_after = 5;
	if (st == ST_INTERNAL_ERROR)
		rep.detail = NULL;      /* never internals in a 500 */
	char *out = reply_render(&rep, c.a, &len);
	if (out == NULL) {
		static const char fallback[] =
		    "Status: 500 Internal Server Error\r\nContent-Type: application/json; charset=utf-8\r\n"
		    REPLY_FIXED_HEADERS "\r\n"
		    "{\"detail\":\"Internal server error\",\"status_code\":500,\"code\":\"INTERNAL_ERROR\"}";
		out = (char *)fallback;
		len = sizeof(fallback) - 1;
	}
	if (write(wctx, out, len) != 0)
		log_debug("client went away before the response was written");
	if (st == ST_NOT_FOUND)
		audit_probe_note(&c, &svc->probe);
	/*
	 * The body may hold a password or a token: wiped in json-c's strings and
	 * in the arena's copy before either is given back (doc/SECURITY.md
	 * section 8), as the arena is not wiped at reset.
	 */
	jv_wipe(c.body);
	json_object_put(c.body);
	if (req.body != NULL)
		explicit_bzero(req.body, req.body_len);
	reply_clear(&rep);
	arena_reset(&svc->arena);
}
