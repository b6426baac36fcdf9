"""Single sign-on with OpenID Connect (issue 12; API.md section 6 "Single sign-on").

The positive flow runs against a real provider: glewlwyd on loopback, set up
by oidc_idp.Glewlwyd as ../shared/notes/oidc-test-idp-glewlwyd.md describes
(installed with apt-get when missing). The test plays the browser: a cookie
jar, redirects followed by hand, glewlwyd's login steps done the way its
login page would.

ID tokens no honest provider sends (bad signature, wrong audience, expired,
wrong nonce, alg none or HS256, ...) come from oidc_idp.FakeProvider, an
http.server on loopback with keys from the openssl command line.

Organizations (unique slugs per run):
  g   glewlwyd, auto_create, default_role engineer, domains [example.com];
      configured with PUT /sso-connections
  g2  glewlwyd, no auto_create, any domain; configured with overwatch-admin sso-set
  f   the fake provider, auto_create, default_role viewer
The provider-stopped test stops glewlwyd, so it comes last of the glewlwyd tests.
"""

import getpass
import json
import socket
import time
import urllib.parse
import uuid
from pathlib import Path

import checks
import harness
import oidc_idp
from checks import expect
from test_identity import PW, bearer, expect_error, login, login_ok, new_email, set_cookies

# Every front-end: the provider calls happen inside whatever worker model it uses.

API = "/api/v1"
CONNECTIONS = API + "/sso-connections"
USERS = API + "/users"
ME = API + "/auth/me"
AUDIT = API + "/audit-log"
JSON_ACCEPT = {"Accept": "application/json"}
SSO_COOKIE = "ow_sso"

_ctx = {}


# ------------------------------------------------------------------ set-up

def sql(fe, statement):
    """Rows (lists of text) of a statement on the test database."""
    h = fe.harness
    r = h.run([harness.which("mariadb", "/usr/bin"), "--no-defaults", "--socket=%s" % h.db_socket,
               "-u", getpass.getuser(), "-N", "-B", "-D", harness.DB_NAME, "-e", statement])
    return [line.split("\t") for line in r.stdout.splitlines()]


class Org:
    """An organization made with overwatch-admin, with an admin signed in by password."""

    def __init__(self, fe, tag):
        h = fe.harness
        self.fe = fe
        self.slug = "sso-%s-%s" % (tag, uuid.uuid4().hex[:8])
        self.id = h.admin("create-org", "SSO %s" % tag, "--slug", self.slug).stdout.strip()
        self.admin_email = new_email("ssoadmin")
        h.admin("create-user", "--org", self.slug, "--email", self.admin_email, "--name", "Admin",
                "--role", "admin", input_text=PW + "\n")
        self.token = login_ok(fe, self.admin_email)["access_token"]
        self.start = "%s%s/auth/sso/%s/start" % (fe.base_url, API, self.slug)
        self.redirect_uri = "%s%s/auth/sso/%s/callback" % (fe.base_url, API, self.slug)

    def users(self):
        r = self.fe.get(USERS + "?limit=200", headers=bearer(self.token))
        expect(r.status == 200, "GET /users as admin", r)
        return {u["email"]: u for u in r.json}

    def audit(self, action):
        r = self.fe.get(AUDIT + "?limit=200&action=" + action, headers=bearer(self.token))
        expect(r.status == 200, "GET /audit-log as admin", r)
        return r.json

    def failure_reasons(self):
        """The detail of each sso.login_failed event of the org, oldest first."""
        return [row[0] for row in sql(self.fe, "SELECT detail FROM audit_log WHERE organization_id = "
                                      "'%s' AND action = 'sso.login_failed' ORDER BY occurred_at"
                                      % self.id)]

    def put_connection(self, body):
        return self.fe.request("PUT", CONNECTIONS, body=json.dumps(body),
                               headers=bearer(self.token, **{"Content-Type": "application/json"}))


def ctx(fe):
    """Organizations, glewlwyd and the fake provider, made once per run."""
    if fe.name in _ctx:
        return _ctx[fe.name]
    h = fe.harness
    c = {"g": Org(fe, "g"), "g2": Org(fe, "g2"), "f": Org(fe, "f")}
    d = Path(h.tmp) / "oidc"
    glew = oidc_idp.Glewlwyd(d / "glewlwyd", [c["g"].redirect_uri, c["g2"].redirect_uri],
                             spawn=h.spawn)
    glew.start()
    c["glew"] = glew
    c["users"] = {}
    for name, email in (("alice", "alice-%s@example.com"), ("bob", "bob-%s@other.test"),
                        ("carol", "carol-%s@example.com"), ("dave", "dave-%s@example.com"),
                        ("erin", "erin-%s@example.com"), ("frank", "frank-%s@example.com")):
        email = email % uuid.uuid4().hex[:8]
        password = "%s-pass-%s" % (name, uuid.uuid4().hex[:6])
        glew.add_user(name, email, password, name.title() + " Example")
        c["users"][name] = (name, email, password)
    c["fake"] = oidc_idp.FakeProvider(d / "fake")
    _ctx[fe.name] = c
    return c


def user(c, name):
    return c["users"][name]


# ------------------------------------------------------------------ the browser's part

def start(browser, org, **headers):
    return browser.get(org.start, headers=headers)


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def provider_login(c, org, who, browser=None):
    """Start at the service and sign in at glewlwyd: (browser, callback URL)."""
    b = browser or oidc_idp.BrowserSession()
    r = start(b, org)
    expect(r.status == 302, "GET start is not 302", r)
    _, _, password = who
    back = c["glew"].login_steps(b, r.header("Location"), who[0], password)
    cb = back.header("Location")
    expect(cb.startswith(org.redirect_uri + "?"), "glewlwyd sent the browser to %r" % cb)
    return b, cb


def sign_in(c, org, who, browser=None, accept_json=False):
    """The whole flow; returns (browser, callback URL, the service's answer to the callback)."""
    b, cb = provider_login(c, org, who, browser)
    r = b.get(cb, headers=JSON_ACCEPT if accept_json else {})
    return b, cb, r


def expect_refused(r, status, code, what):
    body = checks.error(r, status, code)
    expect(not (r.headers.get_all("Set-Cookie") or []) or all(
        not h.startswith(("access_token=", "refresh_token=")) for h in r.headers.get_all("Set-Cookie")),
        "%s: a refused sign-in set session cookies" % what, r)
    return body


def is_refused(r):
    return r.status in (401, 403) and (r.json or {}).get("code") in (
        "INVALID_CREDENTIALS", "INSUFFICIENT_PERMISSIONS")


# ------------------------------------------------------------------ the connection

def test_connection_put_get_secret_write_only(fe):
    c = ctx(fe)
    g = c["g"]
    glew = c["glew"]
    # None yet.
    r = fe.get(CONNECTIONS, headers=bearer(g.token))
    expect_error(r, 404, "NOT_FOUND")
    # Creating needs the secret; the issuer must be https (http only on loopback); domains are domains.
    base = {"issuer": glew.issuer, "client_id": glew.CLIENT_ID, "auto_create": True,
            "default_role": "engineer", "allowed_domains": ["Example.COM"]}
    r = g.put_connection(base)
    checks.error(r, 400, "VALIDATION_ERROR")
    expect([e["field"] for e in r.json["errors"]] == ["client_secret"], "errors name client_secret", r)
    for bad, field in ((dict(base, issuer="http://idp.example.com/realms/x"), "issuer"),
                       (dict(base, issuer="ftp://127.0.0.1/x"), "issuer"),
                       (dict(base, allowed_domains=["*.example.com"]), "allowed_domains"),
                       (dict(base, default_role="owner"), "default_role"),
                       (dict(base, client_id="has space"), "client_id")):
        r = g.put_connection(dict(bad, client_secret="x"))
        checks.error(r, 400, "VALIDATION_ERROR")
        expect(field in [e["field"] for e in r.json["errors"]], "errors name %s" % field, r)
    r = g.put_connection(dict(base, client_secret=glew.CLIENT_SECRET))
    expect(r.status == 200, "PUT /sso-connections", r)
    want = {"issuer": glew.issuer, "client_id": glew.CLIENT_ID, "allowed_domains": ["example.com"],
            "auto_create": True, "default_role": "engineer", "enabled": True,
            "redirect_uri": g.redirect_uri}
    got = {k: r.json.get(k) for k in want}
    expect(got == want, "PUT answer %r, not %r" % (got, want), r)
    expect(set(r.json) == set(want) | {"created_at", "updated_at"}, "connection keys %s" % sorted(r.json), r)
    # GET: the same, never the secret.
    r = fe.get(CONNECTIONS, headers=bearer(g.token))
    expect(r.status == 200 and {k: r.json.get(k) for k in want} == want, "GET /sso-connections", r)
    expect(glew.CLIENT_SECRET.encode() not in r.body and b"client_secret" not in r.body,
           "GET shows the client secret", r)
    # An update without client_secret keeps the stored one (the sign-in below proves it).
    r = g.put_connection(base)
    expect(r.status == 200 and b"client_secret" not in r.body, "PUT without secret", r)
    # users:manage only: an engineer is refused, nobody without a credential.
    _, engineer = create_user_with_role(fe, g, "engineer")
    r = fe.get(CONNECTIONS, headers=bearer(engineer))
    expect_error(r, 403, "INSUFFICIENT_PERMISSIONS")
    r = fe.request("PUT", CONNECTIONS, body=json.dumps(dict(base, client_secret="x")),
                   headers=bearer(engineer, **{"Content-Type": "application/json"}))
    expect_error(r, 403, "INSUFFICIENT_PERMISSIONS")
    expect_error(fe.get(CONNECTIONS), 401, "INVALID_TOKEN")
    # Another organization sees only its own (none).
    expect_error(fe.get(CONNECTIONS, headers=bearer(c["f"].token)), 404, "NOT_FOUND")
    events = g.audit("sso_connection.created") + g.audit("sso_connection.updated")
    expect(len(events) == 2, "connection changes in the audit log: %r" % events)


def create_user_with_role(fe, org, role, email=None):
    email = email or new_email(role)
    r = fe.post_json(USERS, {"email": email, "name": role.title(), "role": role, "password": PW},
                     headers=bearer(org.token))
    expect(r.status == 201, "POST /users", r)
    return email, login_ok(fe, email)["access_token"]


def test_unknown_or_unconfigured_organization_404(fe):
    c = ctx(fe)
    for org in ("no-such-org-%s" % uuid.uuid4().hex[:6], str(uuid.uuid4()), c["f"].slug):
        for step in ("start", "callback?state=x&code=y"):
            r = fe.get("%s/auth/sso/%s/%s" % (API, org, step))
            body = expect_error(r, 404, "NOT_FOUND")
            expect("not configured" in body["detail"], "detail says SSO is not configured", r)


# ------------------------------------------------------------------ glewlwyd: the real flow

def test_full_sign_in_creates_user_with_configured_role(fe):
    c = ctx(fe)
    g = c["g"]
    alice = user(c, "alice")
    expect(alice[1] not in g.users(), "alice exists before her first sign-in")
    b = oidc_idp.BrowserSession()
    r = start(b, g)
    checks.common_headers(r)
    expect(r.status == 302, "start is not 302", r)
    loc = r.header("Location")
    expect(loc.startswith(c["glew"].issuer + "/auth?"), "start redirects to %r" % loc, r)
    q = query_of(loc)
    expect(q.get("response_type") == "code" and q.get("client_id") == c["glew"].CLIENT_ID
           and q.get("redirect_uri") == g.redirect_uri and q.get("code_challenge_method") == "S256"
           and len(q.get("code_challenge", "")) == 43 and len(q.get("state", "")) >= 43
           and len(q.get("nonce", "")) >= 43 and "openid" in q.get("scope", "").split(),
           "authorization request parameters %r" % q, r)
    cookies = set_cookies(r)
    expect(set(cookies) == {SSO_COOKIE}, "start sets cookies %s" % sorted(cookies), r)
    value, attrs, raw = cookies[SSO_COOKIE]
    expect(len(value) == 43 and attrs == {"path": API + "/auth/sso", "max-age": "600",
                                          "httponly": True, "samesite": "Lax"},
           "binding cookie %r" % raw, r)
    expect(value not in loc, "the binding value travels to the provider", r)
    back = c["glew"].login_steps(b, loc, alice[0], alice[2])
    cb = back.header("Location")
    expect(query_of(cb).get("state") == q["state"], "glewlwyd returns our state")
    r = b.get(cb)
    expect(r.status == 302 and r.header("Location") == "/", "callback is not a 302 to the console", r)
    cookies = set_cookies(r)
    expect({"access_token", "refresh_token"} <= set(cookies), "callback sets %s" % sorted(cookies), r)
    access = cookies["access_token"][0]
    expect(cookies["access_token"][1].get("samesite") == "Strict", "session cookie attributes", r)
    # The tokens work on the API, as for a password login.
    me = fe.get(ME, headers=bearer(access))
    expect(me.status == 200, "GET /auth/me with the SSO access token", me)
    u = me.json["user"]
    expect(u["email"] == alice[1] and u["role"] == "engineer" and u["organization_id"] == g.id
           and u["name"] == "Alice Example", "SSO user %r" % u, me)
    r = fe.post_json(API + "/auth/refresh", {"refresh_token": cookies["refresh_token"][0]})
    expect(r.status == 200, "refresh with the SSO refresh token", r)
    r = fe.get(API + "/incidents", headers=bearer(access))
    expect(r.status == 200, "engineer reads incidents", r)
    listed = g.users()[alice[1]]
    expect(listed["role"] == "engineer" and listed["active"], "users list shows %r" % listed)
    # No password: a password login is refused like any wrong one.
    expect_error(login(fe, alice[1], "whatever-password"), 401, "INVALID_CREDENTIALS")
    # Audit: user created, sso.login and auth.login, actor the new user.
    for action in ("sso.login", "auth.login", "user.created"):
        ev = [e for e in g.audit(action) if e["actor"]["id"] == u["id"]]
        expect(len(ev) == 1, "%s events of alice: %r" % (action, ev))
    c["alice_id"] = u["id"]


def test_second_sign_in_with_json_accept_reuses_the_link(fe):
    c = ctx(fe)
    g = c["g"]
    _, _, r = sign_in(c, g, user(c, "alice"), accept_json=True)
    expect(r.status == 200, "callback with Accept: application/json is not 200", r)
    body = checks.json_body(r)
    expect(set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
           and body["token_type"] == "bearer" and body["user"]["id"] == c["alice_id"],
           "login body %r" % body, r)
    expect({"access_token", "refresh_token"} <= set(set_cookies(r)), "JSON answer sets the cookies", r)
    expect(sum(1 for e in g.users() if e.startswith("alice-")) == 1, "a second alice was created")
    rows = sql(fe, "SELECT user_id, last_login_at IS NOT NULL FROM sso_identities WHERE "
               "organization_id = '%s'" % g.id)
    expect(rows == [[c["alice_id"], "1"]], "sso_identities rows %r" % rows)


def test_existing_user_is_linked_by_email_and_keeps_role(fe):
    c = ctx(fe)
    g = c["g"]
    carol = user(c, "carol")
    email, _ = create_user_with_role(fe, g, "viewer", email=carol[1])
    before = g.users()[email]
    _, _, r = sign_in(c, g, carol, accept_json=True)
    expect(r.status == 200, "carol's sign-in", r)
    expect(r.json["user"]["id"] == before["id"] and r.json["user"]["role"] == "viewer",
           "carol was not linked to her account: %r" % r.json["user"], r)
    login_ok(fe, email)     # her password still works


def test_disallowed_email_domain_is_refused(fe):
    c = ctx(fe)
    g = c["g"]
    bob = user(c, "bob")
    _, _, r = sign_in(c, g, bob)
    body = expect_refused(r, 403, "INSUFFICIENT_PERMISSIONS", "bob")
    expect("domain" in body["detail"], "detail names the domain rule", r)
    expect(bob[1] not in g.users(), "bob was created")
    expect(g.failure_reasons()[-1] == "domain_not_allowed", "audit reason %r" % g.failure_reasons())


def test_organization_without_auto_create_and_admin_cli(fe):
    c = ctx(fe)
    g2 = c["g2"]
    glew = c["glew"]
    h = fe.harness
    # Configured with overwatch-admin: the secret from stdin, never printed.
    r = h.admin("sso-set", "--org", g2.slug, "--issuer", glew.issuer, "--client-id", glew.CLIENT_ID,
                input_text=glew.CLIENT_SECRET + "\n")
    expect("created" in r.stdout, "sso-set output %r" % r.stdout)
    r = h.admin("sso-show", "--org", g2.slug)
    expect("issuer: %s\n" % glew.issuer in r.stdout and "auto_create: no" in r.stdout
           and glew.CLIENT_SECRET not in r.stdout and "redirect_uri:" in r.stdout,
           "sso-show output %r" % r.stdout)
    r = h.admin("sso-set", "--org", g2.slug, "--issuer", "http://idp.example.com/x", "--client-id",
                "x", input_text="s\n", check=False)
    expect(r.returncode == 65, "sso-set with an http issuer: exit %d" % r.returncode)
    r = h.admin("sso-show", "--org", c["f"].slug, check=False)
    expect(r.returncode == 66, "sso-show without a connection: exit %d" % r.returncode)
    # Unknown email: refused, nothing created.
    erin = user(c, "erin")
    _, _, r = sign_in(c, g2, erin)
    expect_refused(r, 403, "INSUFFICIENT_PERMISSIONS", "erin")
    expect(not sql(fe, "SELECT id FROM users WHERE email = '%s'" % erin[1]), "erin was created")
    # An email of another organization's account: refused.
    _, _, r = sign_in(c, g2, user(c, "alice"))
    expect_refused(r, 403, "INSUFFICIENT_PERMISSIONS", "alice at g2")
    # An account of this organization: linked.
    dave = user(c, "dave")
    create_user_with_role(fe, g2, "engineer", email=dave[1])
    _, _, r = sign_in(c, g2, dave, accept_json=True)
    expect(r.status == 200 and r.json["user"]["email"] == dave[1], "dave at g2", r)
    expect(g2.failure_reasons()[-2:] == ["no_account", "email_in_other_organization"],
           "audit reasons %r" % g2.failure_reasons())


def test_wrong_reused_expired_or_foreign_state_is_refused(fe):
    c = ctx(fe)
    g, g2 = c["g"], c["g2"]
    dave = user(c, "dave")
    b, cb = provider_login(c, g, dave)
    q = query_of(cb)
    # A state we never issued.
    wrong = cb.replace("state=" + urllib.parse.quote(q["state"], safe=""), "state=" + "A" * 43)
    expect(wrong != cb, "state not found in the callback URL")
    expect_refused(b.get(wrong), 401, "INVALID_CREDENTIALS", "wrong state")
    expect_refused(b.get(g.redirect_uri + "?code=" + q["code"]), 401, "INVALID_CREDENTIALS",
                   "no state")
    # The real callback in another browser (no binding cookie): refused, and the state is spent.
    r = oidc_idp.BrowserSession().get(cb)
    expect_refused(r, 401, "INVALID_CREDENTIALS", "other browser")
    expect_refused(b.get(cb), 401, "INVALID_CREDENTIALS", "state spent by the other browser")
    # Another browser's binding cookie value does not match either.
    b2, cb2 = provider_login(c, g, dave)
    thief = oidc_idp.BrowserSession()
    thief.get(g.start)                       # a binding cookie of its own
    expect_refused(thief.get(cb2), 401, "INVALID_CREDENTIALS", "foreign binding")
    # A state used at another organization's callback.
    b3, cb3 = provider_login(c, g, dave)
    foreign = cb3.replace(g.redirect_uri, g2.redirect_uri)
    expect_refused(b3.get(foreign), 401, "INVALID_CREDENTIALS", "state of another organization")
    # An expired state.
    b4, cb4 = provider_login(c, g, dave)
    st = query_of(cb4)["state"]
    sql(fe, "UPDATE sso_states SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND "
            "WHERE state = '%s'" % st.replace("'", ""))
    expect_refused(b4.get(cb4), 401, "INVALID_CREDENTIALS", "expired state")
    reasons = g.failure_reasons()[-6:]
    expect(reasons == ["state_unknown", "state_missing", "state_browser_mismatch", "state_unknown",
                       "state_browser_mismatch", "state_expired"], "audit reasons %r" % reasons)
    expect(g2.failure_reasons()[-1:] == ["state_other_organization"],
           "g2 reasons %r" % g2.failure_reasons())
    expect(dave[1] not in g.users(), "a refused dave was created")


def test_reused_state_and_replayed_code_are_refused(fe):
    c = ctx(fe)
    g = c["g"]
    frank = user(c, "frank")
    b, cb, r = sign_in(c, g, frank)
    expect(r.status == 302, "frank's sign-in", r)
    # The same callback again: the state is spent.
    expect_refused(b.get(cb), 401, "INVALID_CREDENTIALS", "reused state")
    # A fresh state of the same browser with the old code: the provider refuses the code.
    r = start(b, g)
    expect(r.status == 302, "second start", r)
    state2 = query_of(r.header("Location"))["state"]
    replay = "%s?%s" % (g.redirect_uri, urllib.parse.urlencode(
        {"state": state2, "code": query_of(cb)["code"]}))
    body = expect_refused(b.get(replay), 401, "INVALID_CREDENTIALS", "replayed code")
    expect("authorization code" in body["detail"], "detail names the code", r)
    expect(g.failure_reasons()[-2:] == ["state_unknown", "code_rejected"],
           "audit reasons %r" % g.failure_reasons())


def test_deactivated_sso_user_is_refused(fe):
    c = ctx(fe)
    g = c["g"]
    r = fe.request("PATCH", "%s/%s" % (USERS, c["alice_id"]), body=json.dumps({"active": False}),
                   headers=bearer(g.token, **{"Content-Type": "application/json"}))
    expect(r.status == 200, "deactivate alice", r)
    try:
        _, _, r = sign_in(c, g, user(c, "alice"))
        body = expect_refused(r, 403, "INSUFFICIENT_PERMISSIONS", "deactivated alice")
        expect("deactivated" in body["detail"], "detail says deactivated", r)
    finally:
        fe.request("PATCH", "%s/%s" % (USERS, c["alice_id"]), body=json.dumps({"active": True}),
                   headers=bearer(g.token, **{"Content-Type": "application/json"}))


def test_provider_stopped_is_a_502(fe):
    c = ctx(fe)
    g = c["g"]
    frank = user(c, "frank")
    b, cb = provider_login(c, g, frank)
    c["glew"].stop()
    t = time.monotonic()
    r = b.get(cb)
    body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "provider stopped")
    expect("could not be reached" in body["detail"], "detail %r" % body["detail"], r)
    expect(time.monotonic() - t < 10, "the 502 took too long")
    expect(g.failure_reasons()[-1] == "provider_unreachable", "reason %r" % g.failure_reasons())
    # A provider that was never reached: the start itself answers 502, sets no cookie.
    dead = Org(fe, "dead")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = dead.put_connection({"issuer": "http://127.0.0.1:%d/realms/gone" % port,
                             "client_id": "x", "client_secret": "y"})
    expect(r.status == 200, "PUT a connection to a dead provider", r)
    r = oidc_idp.BrowserSession().get(dead.start)
    expect_refused(r, 502, "SSO_PROVIDER_ERROR", "start with the provider down")
    expect(not r.headers.get_all("Set-Cookie"), "a failed start set a cookie", r)


# ------------------------------------------------------------------ the fake provider: ID tokens

def fake_org(fe):
    c = ctx(fe)
    f, fake = c["f"], c["fake"]
    if not c.get("fake_configured"):
        r = f.put_connection({"issuer": fake.issuer, "client_id": fake.client_id,
                              "client_secret": fake.client_secret, "auto_create": True,
                              "default_role": "viewer"})
        expect(r.status == 200, "PUT the fake provider's connection", r)
        c["fake_configured"] = True
    return c, f, fake


def fake_flow(fe, mint, accept_json=True):
    """Start, the fake's immediate redirect with a code, callback: the callback's answer."""
    c, f, fake = fake_org(fe)
    fake.mint = mint
    b = oidc_idp.BrowserSession()
    r = start(b, f)
    expect(r.status == 302, "start at the fake provider", r)
    r = b.get(r.header("Location"))
    expect(r.status == 302, "the fake's authorization endpoint", r)
    return b.get(r.header("Location"), headers=JSON_ACCEPT if accept_json else {})


def test_fake_provider_good_token_signs_in(fe):
    _, f, fake = fake_org(fe)
    sub = "good-" + uuid.uuid4().hex[:8]
    email = "good-%s@fake.example" % uuid.uuid4().hex[:8]
    r = fake_flow(fe, lambda form, info: oidc_idp.jws(
        {"alg": "RS256", "kid": fake.key.kid}, fake.claims(info, sub=sub, email=email), fake.key))
    expect(r.status == 200 and r.json["user"]["email"] == email and r.json["user"]["role"] == "viewer",
           "a good token from the fake provider", r)
    expect(fe.get(ME, headers=bearer(r.json["access_token"])).status == 200, "its access token")


def refused_token(fe, what, status, reason, mint):
    _, f, fake = fake_org(fe)
    email = "refused-%s@fake.example" % uuid.uuid4().hex[:8]
    r = fake_flow(fe, lambda form, info: mint(fake, info, email))
    expect_refused(r, status, "INVALID_CREDENTIALS" if status == 401 else "INSUFFICIENT_PERMISSIONS"
                   if status == 403 else "SSO_PROVIDER_ERROR", what)
    expect(f.failure_reasons()[-1] == reason, "%s: audit reason %r, not %r"
           % (what, f.failure_reasons()[-1], reason))
    expect(email not in f.users(), "%s: a user was created" % what)
    return r


def signed(fake, info, email, header=None, key=None, **claims):
    claims.setdefault("sub", "s-" + uuid.uuid4().hex[:8])
    return oidc_idp.jws(header or {"alg": "RS256", "kid": fake.key.kid},
                        fake.claims(info, email=email, **claims), key or fake.key)


def test_id_token_bad_signature_is_refused(fe):
    c = ctx(fe)
    other = c.setdefault("other_key", oidc_idp.RsaKey(c["fake"].dir, "other"))
    refused_token(fe, "signed by another key under the published kid", 401, "id_token_signature",
                  lambda fake, info, email: signed(fake, info, email, key=other))

    def tampered(fake, info, email):
        h, p, s = signed(fake, info, email).split(".")
        forged = oidc_idp.b64u(json.dumps(dict(json.loads(oidc_idp.b64u_decode(p)),
                                               sub="admin")).encode())
        return "%s.%s.%s" % (h, forged, s)
    refused_token(fe, "claims changed under the signature", 401, "id_token_signature", tampered)


def test_id_token_wrong_audience_is_refused(fe):
    refused_token(fe, "wrong audience", 401, "id_token_audience",
                  lambda fake, info, email: signed(fake, info, email, aud="another-client"))
    refused_token(fe, "several audiences, no azp", 401, "id_token_azp",
                  lambda fake, info, email: signed(fake, info, email, aud=[fake.client_id, "other"]))


def test_id_token_expired_is_refused(fe):
    now = int(time.time())
    refused_token(fe, "expired", 401, "id_token_expired",
                  lambda fake, info, email: signed(fake, info, email, exp=now - 120, iat=now - 420))
    refused_token(fe, "issued in the future", 401, "id_token_iat",
                  lambda fake, info, email: signed(fake, info, email, iat=now + 600, exp=now + 900))


def test_id_token_wrong_nonce_is_refused(fe):
    refused_token(fe, "wrong nonce", 401, "id_token_nonce",
                  lambda fake, info, email: signed(fake, info, email, nonce="not-the-nonce"))
    refused_token(fe, "no nonce", 401, "id_token_nonce",
                  lambda fake, info, email: signed(fake, info, email, nonce=None))


def test_id_token_wrong_issuer_or_algorithm_is_refused(fe):
    refused_token(fe, "wrong issuer", 401, "id_token_issuer",
                  lambda fake, info, email: signed(fake, info, email, iss="http://127.0.0.1:1/evil"))
    refused_token(fe, "alg none", 401, "id_token_algorithm",
                  lambda fake, info, email: oidc_idp.jws({"alg": "none", "kid": fake.key.kid},
                                                         fake.claims(info, email=email), signature=b"x"))
    refused_token(fe, "HS256 keyed with the public key", 401, "id_token_algorithm",
                  lambda fake, info, email: oidc_idp.jws({"alg": "HS256", "kid": fake.key.kid},
                                                         fake.claims(info, email=email),
                                                         hmac_key=fake.key.pub_pem))
    refused_token(fe, "unknown kid", 401, "id_token_unknown_key",
                  lambda fake, info, email: signed(fake, info, email,
                                                   header={"alg": "RS256", "kid": "nobody"}))


def test_unverified_email_is_refused(fe):
    refused_token(fe, "email_verified false", 403, "email_unverified",
                  lambda fake, info, email: signed(fake, info, email, email_verified=False))


def test_rotated_key_is_fetched_once_more(fe):
    c, f, fake = fake_org(fe)
    new = oidc_idp.RsaKey(fake.dir, "fake-key-2")
    fake.jwks_keys = [new.jwk()]
    before = fake.requests.count(("GET", "/jwks"))
    email = "rotated-%s@fake.example" % uuid.uuid4().hex[:8]
    r = fake_flow(fe, lambda form, info: oidc_idp.jws(
        {"alg": "RS256", "kid": new.kid}, fake.claims(info, sub="rot-" + email, email=email), new))
    expect(r.status == 200, "a token of the rotated key", r)
    expect(fake.requests.count(("GET", "/jwks")) == before + 1,
           "JWKS fetched %d more times, not once" % (fake.requests.count(("GET", "/jwks")) - before))
    fake.key = new


def test_token_endpoint_failures_are_502(fe):
    c, f, fake = fake_org(fe)
    email = "x-%s@fake.example" % uuid.uuid4().hex[:8]
    good = (lambda form, info: signed(fake, info, email))
    try:
        fake.token_status = 500
        r = fake_flow(fe, good)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "token endpoint 500")
        expect("unexpected HTTP status" in body["detail"], "detail %r" % body["detail"], r)
        fake.token_status = None
        fake.token_body = b"<html>nonsense</html>"
        r = fake_flow(fe, good)
        expect_refused(r, 502, "SSO_PROVIDER_ERROR", "token endpoint nonsense")
        fake.token_body = {"access_token": "a", "token_type": "Bearer"}
        r = fake_flow(fe, good)
        expect_refused(r, 502, "SSO_PROVIDER_ERROR", "token response without id_token")
        fake.token_body = None
        # Our client secret is wrong: the provider says invalid_client.
        r = f.put_connection({"issuer": fake.issuer, "client_id": fake.client_id,
                              "client_secret": "not-the-secret", "auto_create": True})
        expect(r.status == 200, "PUT with another secret", r)
        r = fake_flow(fe, good)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "wrong client secret")
        expect("client credentials" in body["detail"], "detail %r" % body["detail"], r)
    finally:
        fake.token_status = fake.token_body = None
        f.put_connection({"issuer": fake.issuer, "client_id": fake.client_id,
                          "client_secret": fake.client_secret, "auto_create": True,
                          "default_role": "viewer"})
    expect(f.failure_reasons()[-4:] == ["provider_http_error", "provider_response_malformed",
                                        "provider_no_id_token", "provider_client_rejected"],
           "audit reasons %r" % f.failure_reasons()[-4:])
    expect(email not in f.users(), "a user was created")


def test_discovery_naming_another_issuer_is_502(fe):
    c = ctx(fe)
    liar = oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc" / "liar")
    try:
        liar.discovery = lambda: dict(oidc_idp.FakeProvider.discovery(liar),
                                      issuer="https://login.example.com")
        org = Org(fe, "liar")
        r = org.put_connection({"issuer": liar.issuer, "client_id": "x", "client_secret": "y"})
        expect(r.status == 200, "PUT", r)
        r = oidc_idp.BrowserSession().get(org.start)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "discovery of another issuer")
        expect("another issuer" in body["detail"], "detail %r" % body["detail"], r)
    finally:
        liar.stop()


def test_client_secret_never_logged(fe):
    c = ctx(fe)
    secrets_ = [c["glew"].CLIENT_SECRET, c["fake"].client_secret, "not-the-secret"]
    for log in fe.logs + [str(fe.dir / "lighttpd-access.log")]:
        try:
            text = Path(log).read_text(errors="replace")
        except OSError:
            continue
        for s in secrets_:
            expect(s not in text, "%s holds a client secret" % log)
