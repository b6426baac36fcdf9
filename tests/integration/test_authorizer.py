"""FastCGI Authorizer role: the service guards a static folder and a CGI script.

Runs once for lighttpd and once for Apache. The front-end `fe` is only the
API (register, log in, create and revoke keys, log out); the guarded content
is served by web servers of the same kind that guarded.py starts from the
shipped examples (etc/lighttpd/60-overwatch-authorizer.conf,
etc/apache2/overwatch-authorizer.conf) with the service as their FastCGI
authorizer. Rules: /downloads/ needs incidents:read, /cgi-bin/ any valid
credential, /dash/ any valid credential with a redirect to /login.html for
browsers.

  lighttpd-socket -> lighttpd (mod_fastcgi "mode" => "authorizer")
  apache-fcgid    -> Apache with mod_authnz_fcgi, and Apache with mod_fcgid
                     FcgidAccessChecker

Where the web server passes the service's refusal through (lighttpd,
mod_authnz_fcgi) the client must get exactly the API's error: same status,
same JSON body, same WWW-Authenticate. mod_fcgid answers every refusal with
its own 401 page (a documented limitation of that variant): there the tests
check that the request was refused, never served.

test_service_judges_the_path_the_web_server_routed talks FastCGI straight to
the service, without the path hardening of the examples.
"""

import json
import struct

from lib import api
from lib import fcgi_client
from lib import checks
from lib import guarded
from lib.api import API, Org
from lib.checks import expect

FRONTENDS = ("lighttpd-socket", "apache-fcgid")
GUARDS = {"lighttpd-socket": ("lighttpd",), "apache-fcgid": ("apache-authnz", "apache-fcgid")}

STATIC = "/downloads/report.txt"
CGI = "/cgi-bin/env.py"
DASH = "/dash/"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# ---------------------------------------------------------------- set-up

def guards(fe):
    """The guarded web servers for this front-end's kind, started once per run."""
    cache = fe.harness.__dict__.setdefault("_authorizer_guards", {})
    out = []
    for kind in GUARDS[fe.name]:
        g = cache.get(kind)
        if g is None:
            try:
                g = guarded.STARTERS[kind](fe.harness)
            except Exception as e:  # noqa: BLE001 - reported by every test that needs it
                g = e
            cache[kind] = g
        if isinstance(g, Exception):
            raise AssertionError("%s did not start: %s: %s" % (kind, type(g).__name__, g))
        out.append(g)
    return out


class World:
    """One organization (through the API front-end) shared by this module's tests."""

    def __init__(self, fe):
        self.org = Org(fe, "authorizer")
        self.admin = self.org.admin
        self.viewer = self.org.user("viewer")
        self.reader = self.org.create_key(["incidents:read"], name="guard reader")
        self.other = self.org.create_key(["procedures:read"], name="guard no-incidents")


def world(fe):
    cache = fe.harness.__dict__.setdefault("_authorizer_world", {})
    if fe.name not in cache:
        cache[fe.name] = World(fe)
    return cache[fe.name]


def each(fe, check):
    """Run check(g) on every guarded server of fe's kind; report all failures."""
    failures = []
    for g in guards(fe):
        try:
            check(g)
        except AssertionError as e:
            failures.append("[%s] %s" % (g.name, e))
    if failures:
        raise AssertionError("\n".join(failures))


def bearer(token):
    return {"Authorization": "Bearer " + token}


def key_header(key):
    return {"X-API-Key": key["api_key"] if isinstance(key, dict) else key}


def cookie(token):
    return {"Cookie": "access_token=" + token}


# ---------------------------------------------------------------- checks

def no_variable_headers(r):
    leaked = [k for k in r.headers.keys() if k.lower().startswith("variable-")]
    expect(not leaked, "the authorizer's Variable- headers reached the client: %s" % leaked, r)


def served_static(r, what):
    expect(r.status == 200 and r.body == guarded.REPORT,
           "%s: the guarded static file was not served" % what, r)
    no_variable_headers(r)


def cgi_env(r, what):
    """200 from the CGI script: its environment."""
    expect(r.status == 200, "%s: the guarded CGI script did not answer 200" % what, r)
    no_variable_headers(r)
    body = r.json
    expect(isinstance(body, dict) and isinstance(body.get("env"), dict),
           "%s: not the CGI script's JSON" % what, r)
    return body["env"]


def identity(env, what, expected, absent=()):
    """The identity variables the protected application sees."""
    seen = {k: v for k, v in env.items() if k.startswith("OVERWATCH_")}
    for name, value in expected.items():
        if name == "OVERWATCH_PERMISSIONS":
            got = set(env.get(name, "").split())
            expect(got == set(value), "%s: %s is %r, not %s" % (what, name, env.get(name),
                                                                 " ".join(sorted(value))))
        else:
            expect(env.get(name) == value, "%s: %s is %r, not %r (CGI sees %s)"
                   % (what, name, env.get(name), value, json.dumps(seen)))
    for name in absent:
        expect(name not in env, "%s: %s is set for this principal: %r" % (what, name, env.get(name)))


def user_identity(org, user):
    return {
        "OVERWATCH_PRINCIPAL_TYPE": "user",
        "OVERWATCH_USER_ID": user.id,
        "OVERWATCH_ORGANIZATION_ID": org.id,
        "OVERWATCH_ROLE": user.role,
        "OVERWATCH_EMAIL": user.email,
        "OVERWATCH_PERMISSIONS": api.ROLE_PERMS[user.role],
    }


def key_identity(org, key):
    return {
        "OVERWATCH_PRINCIPAL_TYPE": "api_key",
        "OVERWATCH_API_KEY_ID": key["id"],
        "OVERWATCH_ORGANIZATION_ID": org.id,
        "OVERWATCH_PERMISSIONS": set(key["permissions"]),
    }


def refused(g, r, status, code, like=None, what=""):
    """The service refused: the API's error as sent (like: the API's own
    answer to the same credential, compared byte for byte), or -- behind
    mod_fcgid, which replaces every refusal -- at least a 401 that serves
    nothing."""
    expect(guarded.REPORT not in r.body and b'"env"' not in r.body,
           "%s: a refused request was served" % what, r)
    no_variable_headers(r)
    if not g.refusals_kept:
        expect(r.status == 401, "%s: mod_fcgid refusal is not its 401" % what, r)
        if status == 401 and like is not None:
            expect(r.header("WWW-Authenticate") == like.header("WWW-Authenticate"),
                   "%s: WWW-Authenticate is not the API's %r"
                   % (what, like.header("WWW-Authenticate")), r)
        return
    try:
        body = checks.error(r, status, code)
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None
    if status == 401:
        expect(r.header("WWW-Authenticate", "").startswith("Bearer"),
               "%s: a 401 without WWW-Authenticate: Bearer" % what, r)
    if like is not None:
        expect(like.status == status, "%s: the API itself answered %d, not %d"
               % (what, like.status, status), like)
        expect(r.body == like.body, "%s: body is not the API's %r" % (what, like.body), r)
        expect(r.header("WWW-Authenticate") == like.header("WWW-Authenticate"),
               "%s: WWW-Authenticate %r is not the API's %r"
               % (what, r.header("WWW-Authenticate"), like.header("WWW-Authenticate")), r)
    return body


# ---------------------------------------------------------------- tests

def test_unguarded_paths_need_no_credential(fe):
    def check(g):
        r = g.get("/public/hello.txt")
        expect(r.status == 200 and r.body == guarded.HELLO, "unguarded file not served", r)
        r = g.get("/login.html")
        expect(r.status == 200 and r.body == guarded.LOGIN, "login page not served", r)
    each(fe, check)


def test_no_credential_is_the_apis_401(fe):
    api_answer = fe.get(API + "/auth/me")

    def check(g):
        for path in (STATIC, CGI, "/downloads/missing.txt"):
            r = g.get(path)
            body = refused(g, r, 401, "INVALID_TOKEN", like=api_answer, what="GET %s" % path)
            if body is not None:
                expect(body["detail"] == "Token is missing", 'detail is not "Token is missing"', r)
    each(fe, check)


def test_bad_credentials_are_the_apis_401(fe):
    w = world(fe)
    cases = [
        ("malformed JWT", bearer("not.a.jwt"), "INVALID_TOKEN"),
        ("JWT with a bad signature", bearer(w.admin.token[:-4] + "AAAA"), "INVALID_TOKEN"),
        ("unknown API key", key_header("overwatch_ak_" + "A" * 36), "INVALID_API_KEY"),
        # The first credential present decides: a bad JWT is not skipped for a good key.
        ("bad JWT before a good key", dict(bearer("not.a.jwt"), **key_header(w.reader)),
         "INVALID_TOKEN"),
    ]
    answers = [(what, h, code, fe.get(API + "/auth/me", headers=h)) for what, h, code in cases]

    def check(g):
        for what, h, code, like in answers:
            refused(g, g.get(STATIC, headers=h), 401, code, like=like, what=what)
    each(fe, check)


def test_jwt_grants_static_and_cgi_with_identity(fe):
    w = world(fe)

    def check(g):
        served_static(g.get(STATIC, headers=bearer(w.admin.token)), "JWT, static file")
        env = cgi_env(g.get(CGI, headers=bearer(w.admin.token)), "JWT, CGI")
        identity(env, "JWT", user_identity(w.org, w.admin), absent=("OVERWATCH_API_KEY_ID",))
    each(fe, check)


def test_api_key_grants_static_and_cgi_with_identity(fe):
    w = world(fe)

    def check(g):
        served_static(g.get(STATIC, headers=key_header(w.reader)), "API key, static file")
        env = cgi_env(g.get(CGI, headers=key_header(w.reader)), "API key, CGI")
        identity(env, "API key", key_identity(w.org, w.reader),
                 absent=("OVERWATCH_USER_ID", "OVERWATCH_ROLE", "OVERWATCH_EMAIL"))
    each(fe, check)


def test_cookie_grants_static_and_cgi_with_identity(fe):
    w = world(fe)

    def check(g):
        served_static(g.get(STATIC, headers=cookie(w.viewer.token)), "cookie, static file")
        env = cgi_env(g.get(CGI, headers=cookie(w.viewer.token)), "cookie, CGI")
        identity(env, "cookie", user_identity(w.org, w.viewer),
                 absent=("OVERWATCH_API_KEY_ID",))
    each(fe, check)


def test_key_lacking_the_prefix_permission_is_403(fe):
    w = world(fe)
    like = fe.get(API + "/incidents", headers=key_header(w.other))   # the API's own 403

    def check(g):
        r = g.get(STATIC, headers=key_header(w.other))
        refused(g, r, 403, "INSUFFICIENT_PERMISSIONS", like=like,
                what="procedures:read key on /downloads/ (incidents:read)")
        # The same key passes where the rule asks only for a valid credential.
        env = cgi_env(g.get(CGI, headers=key_header(w.other)), "procedures:read key, CGI")
        identity(env, "procedures:read key", key_identity(w.org, w.other))
    each(fe, check)


def test_dot_segments_cannot_dodge_a_prefix_rule(fe):
    # The web server routes the normalised path (/downloads/...) to the
    # authorizer; the service must judge that same path, not a spelling of
    # it that matches a weaker rule or none.
    w = world(fe)
    spellings = ("/cgi-bin/../downloads/report.txt", "/public/../downloads/report.txt",
                 "/./downloads/report.txt", "//downloads/report.txt",
                 "/cgi-bin/%2e%2e/downloads/report.txt", "/cgi-bin/.%2E/downloads/report.txt")

    def check(g):
        served = []
        for path in spellings:
            r = g.get(path, headers=key_header(w.other))
            if r.status == 200 or guarded.REPORT in r.body:
                served.append("%s -> %d" % (path, r.status))
        expect(not served, "a key lacking incidents:read got the /downloads/ file by "
               "spelling the path differently: %s" % "; ".join(served))
    each(fe, check)


class AuthorizerConnection(fcgi_client.Connection):
    """fcgi_client's connection, in the Authorizer role and without FCGI_STDIN
    (as mod_authnz_fcgi sends it)."""
    AUTHORIZER = 2

    def begin(self, params, end_params=True):
        data = fcgi_client._record(fcgi_client.BEGIN_REQUEST,
                                   struct.pack("!HB5x", self.AUTHORIZER, 0))
        data += fcgi_client._record(fcgi_client.PARAMS, fcgi_client.encode_params(params))
        data += fcgi_client._record(fcgi_client.PARAMS, b"")
        self.sock.sendall(data)


def authorize(address, raw_uri, path, headers):
    """The service's answer in the Authorizer role to GET raw_uri, which the
    web server resolved to `path` (SCRIPT_NAME)."""
    params = fcgi_client.cgi_params("GET", path, headers=headers)
    params["REQUEST_URI"] = raw_uri
    conn = AuthorizerConnection(address)
    try:
        conn.begin(params)
        return conn.read_response()
    finally:
        conn.close()


def test_service_judges_the_path_the_web_server_routed(fe):
    # The web servers choose the authorizer by the normalised path but pass
    # the raw REQUEST_URI; the service must not judge /cgi-bin/../downloads/f
    # by the /cgi-bin/ rule (nor //downloads/f by no rule). The examples
    # refuse such paths in the web server; this asks the service itself.
    w = world(fe)
    address = next(g.authorizer_address for g in guards(fe) if g.authorizer_address)
    lacking = {"X-API-Key": w.other["api_key"]}
    status, _, body, _ = authorize(address, STATIC, STATIC, lacking)
    expect(status == 403, "direct: a key lacking incidents:read on %s got %d %r"
           % (STATIC, status, body[:200]))
    status, headers, body, _ = authorize(address, CGI, CGI, lacking)
    expect(status == 200 and "variable-overwatch_api_key_id" in headers,
           "direct: the key on %s (any credential) got %d %r" % (CGI, status, body[:200]))
    granted = []
    for raw in ("/cgi-bin/../downloads/report.txt", "/cgi-bin/%2e%2e/downloads/report.txt",
                "/public/../downloads/report.txt", "/./downloads/report.txt",
                "//downloads/report.txt"):
        status, _, _, _ = authorize(address, raw, STATIC, lacking)
        if status == 200:
            granted.append(raw)
    expect(not granted, "the service granted a key lacking incidents:read these spellings of "
           "%s (its rule matching uses the raw REQUEST_URI): %s" % (STATIC, ", ".join(granted)))


def test_revoked_key_is_401_on_the_next_request(fe):
    w = world(fe)

    def check(g):
        key = w.org.create_key(["incidents:read"])
        served_static(g.get(STATIC, headers=key_header(key)), "key before revocation")
        r = w.org.client.delete("/api-keys/" + key["id"])
        expect(r.status == 204, "DELETE /api-keys/{id} is not 204", r)
        like = fe.get(API + "/incidents", headers=key_header(key))
        for path in (STATIC, CGI):
            refused(g, g.get(path, headers=key_header(key)), 401, "INVALID_API_KEY", like=like,
                    what="revoked key on %s" % path)
    each(fe, check)


def test_logged_out_token_is_401_on_the_next_request(fe):
    w = world(fe)

    def check(g):
        token = api.ok(api.login(fe, w.admin.email, api.PASSWORD), 200, "login")["access_token"]
        served_static(g.get(STATIC, headers=bearer(token)), "token before logout")
        r = fe.request("POST", API + "/auth/logout", headers=bearer(token))
        expect(r.status == 204, "POST /auth/logout is not 204", r)
        like = fe.get(API + "/auth/me", headers=bearer(token))
        for what, h in (("header", bearer(token)), ("cookie", cookie(token))):
            r = g.get(CGI, headers=h)
            body = refused(g, r, 401, "INVALID_TOKEN", like=like if what == "header" else None,
                           what="logged-out token (%s)" % what)
            if body is not None:
                expect(body["detail"] == "Token has been revoked",
                       'detail is not "Token has been revoked"', r)
    each(fe, check)


def test_redirect_rule_sends_browsers_to_the_login_page(fe):
    w = world(fe)
    api_401 = fe.get(API + "/auth/me")

    def check(g):
        cases = ((DASH, "/login.html?next=/dash/"),
                 ("/dash/index.html?tab=1&x=a b".replace(" ", "%20"),
                  "/login.html?next=/dash/index.html%3Ftab%3D1%26x%3Da%2520b"))
        for path, location in cases:
            r = g.get(path, headers={"Accept": HTML})
            if g.refusals_kept:
                expect(r.status == 302 and r.header("Location") == location,
                       "browser without credential on %s: not 302 to %s" % (path, location), r)
                expect(guarded.DASH not in r.body, "the redirect carries the page", r)
            else:
                refused(g, r, 302, None, what="browser on %s" % path)
        # An invalid token from a browser is redirected as well.
        r = g.get(DASH, headers=dict(bearer("not.a.jwt"), Accept=HTML))
        if g.refusals_kept:
            expect(r.status == 302, "browser with a bad token: not redirected", r)
        # Not a browser: the API's 401. A prefix without ",redirect": the 401.
        refused(g, g.get(DASH, headers={"Accept": "application/json"}), 401, "INVALID_TOKEN",
                like=api_401, what="API client on /dash/")
        refused(g, g.get(STATIC, headers={"Accept": HTML}), 401, "INVALID_TOKEN",
                like=api_401, what="browser on /downloads/ (no redirect rule)")
        # With a credential the page is served.
        r = g.get(DASH, headers=dict(cookie(w.admin.token), Accept=HTML))
        expect(r.status == 200 and r.body == guarded.DASH, "dashboard not served with a cookie", r)
    each(fe, check)


def test_unsafe_cookie_request_needs_a_matching_origin(fe):
    w = world(fe)
    like = fe.request("POST", API + "/incidents", body=json.dumps({"title": "x"}),
                      headers=dict(cookie(w.admin.token), **{"Content-Type": "application/json"}))
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def check(g):
        own = "http://127.0.0.1:%d" % g.port
        for what, extra in (("no Origin", {}),
                            ("foreign Origin", {"Origin": "http://evil.example"}),
                            ("foreign Referer", {"Referer": "http://evil.example/page"})):
            r = g.request("POST", CGI, body="a=1", headers=dict(cookie(w.admin.token), **form,
                                                                **extra))
            refused(g, r, 403, "CSRF_REJECTED", like=like, what="cookie POST, %s" % what)
        for what, extra in (("own Origin", {"Origin": own}),
                            ("own Referer", {"Referer": own + "/dash/"})):
            r = g.request("POST", CGI, body="a=1", headers=dict(cookie(w.admin.token), **form,
                                                                **extra))
            env = cgi_env(r, "cookie POST, %s" % what)
            expect(env.get("REQUEST_METHOD") == "POST" and r.json.get("body") == "a=1",
                   "cookie POST, %s: the CGI did not get the request body" % what, r)
        # Header credentials are not subject to the Origin check, and the
        # authorizer's body limit does not apply to the protected application.
        big = "b" * (100 * 1024)
        r = g.request("POST", CGI, body=big, headers=dict(bearer(w.admin.token), **form))
        cgi_env(r, "Bearer POST without Origin, 100 KiB body")
        expect(r.json.get("body") == big, "the CGI did not get the 100 KiB body", r)
    each(fe, check)


def audit_form(path, limit=64):
    """What the audit log keeps of a path: printable ASCII units (a byte, or
    %XX for a byte outside 0x21..0x7e and for '%'); over `limit` bytes, the
    units that fit in limit - 3 and "..."."""
    units = [chr(b) if 0x20 < b < 0x7f and b != 0x25 else "%%%02X" % b
             for b in path.encode("utf-8")]
    full = "".join(units)
    if len(full) <= limit:
        return full
    out = ""
    for u in units:
        if len(out) + len(u) > limit - 3:
            break
        out += u
    return out + "..."


def test_denial_of_a_long_or_non_ascii_path_is_audited(fe):
    """permission.denied names the path it refused. A path longer than the
    audit target column, or not ASCII, was lost (the insert failed quietly):
    it is stored cut to 64 printable ASCII bytes, non-ASCII bytes as %XX, a
    cut marked with "..." (doc/SECURITY.md, "Audit trail")."""
    if fe.name != "lighttpd-socket":
        return      # the service's own behaviour: one front-end is enough
    import urllib.parse
    w = world(fe)
    address = next(g.authorizer_address for g in guards(fe) if g.authorizer_address)
    key = w.org.create_key(["procedures:read"], name="guard audit")
    lacking = {"X-API-Key": key["api_key"]}
    long_ascii = "/downloads/" + "a" * 80 + ".txt"
    accented = "/downloads/" + "\u00e9t\u00e9" * 5 + "/r\u00e9sum\u00e9.txt"
    for path in (long_ascii, accented):
        raw = urllib.parse.quote(path)
        status, _, body, _ = authorize(address, raw, path, lacking)
        expect(status == 403, "%r: expected 403, got %d %r" % (path, status, body[:200]))
    trail = w.org.client.list("/audit-log?action=permission.denied&actor_id=" + key["id"])
    targets = sorted(e["target"]["id"] for e in trail)
    want_long, want_accented = audit_form(long_ascii), audit_form(accented)
    expect(want_long == long_ascii[:61] + "...", "audit_form is wrong: %r" % want_long)
    expect(len(trail) == 2, "expected 2 permission.denied events, got %d: %r" % (len(trail), targets))
    expect(want_long in targets, "long path stored as %r, not %r" % (targets, want_long))
    expect(want_accented in targets, "non-ASCII path stored as %r, not %r"
           % (targets, want_accented))
    for t in targets:
        expect(len(t) <= 64 and all(0x20 < ord(ch) < 0x7f for ch in t),
               "audit target %r is not printable ASCII of at most 64 bytes" % t)
