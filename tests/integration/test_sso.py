"""Single sign-on with OpenID Connect (README.md "Single sign-on", doc/SECURITY.md
"Single sign-on and tenant admins").

The positive flow runs against a real provider: glewlwyd on loopback, set up
by oidc_idp.Glewlwyd as tests/integration/README.md "Single sign-on tests" describes
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

Saving a connection fetches the provider's discovery document and keys, so a
provider is up whenever a test saves a connection to it. Every provider
failure answers the one 502 text PROVIDER_DETAIL; the audit event says why.
"""

import getpass
import json
import socket
import time
import urllib.parse
import uuid
from pathlib import Path

from lib import api
from lib import checks
from lib import harness
from lib import oidc_idp
from lib.checks import expect
from test_identity import PW, bearer, expect_error, login, login_ok, new_email, set_cookies

# Every front-end: the provider calls happen inside whatever worker model it uses.

API = "/api/v1"
CONNECTIONS = API + "/sso-connections"
USERS = API + "/users"
ME = API + "/auth/me"
AUDIT = API + "/audit-log"
JSON_ACCEPT = {"Accept": "application/json"}
SSO_COOKIE = "ow_sso"
PROVIDER_DETAIL = "The organization's identity provider could not complete the sign-in; try again later"
CONNECTION_KEYS = {"issuer", "client_id", "allowed_domains", "auto_create", "link_existing_accounts",
                   "default_role", "enabled", "redirect_uri", "authorization_endpoint",
                   "token_endpoint", "jwks_uri", "fetched_at", "created_at", "updated_at",
                   "scopes", "userinfo_endpoint", "role_claim", "role_admin_values", "role_engineer_values", "role_viewer_values",
                   "rules_author_role", "end_session_endpoint"}

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
        """The detail of each sso.login_failed event of the org, oldest first, read as an
        operator reads it: GET /audit-log (doc/api.md section 6, Audit), checked against
        the stored row so that the API shows what was recorded."""
        events = self.audit("sso.login_failed")
        for e in events:
            expect("detail" in e, "an audit event without detail: %r" % e)
        shown = [e["detail"] for e in reversed(events)]
        stored = [row[0] for row in sql(self.fe, "SELECT detail FROM audit_log WHERE organization_id = "
                                        "'%s' AND action = 'sso.login_failed' ORDER BY occurred_at, id"
                                        % self.id)]
        expect(shown == stored[-len(shown):] if shown else not stored,
               "GET /audit-log shows %r, the table holds %r" % (shown, stored))
        return shown

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
                       (dict(base, issuer=glew.issuer + "?tenant=1"), "issuer"),
                       (dict(base, issuer=glew.issuer + "#x"), "issuer"),
                       (dict(base, issuer="https://127.0.0.1:99999/x"), "issuer"),
                       (dict(base, issuer="https://127.0.0.1:0/x"), "issuer"),
                       (dict(base, issuer=glew.issuer.replace("://", "://user:pw@")), "issuer"),
                       (dict(base, allowed_domains=["*.example.com"]), "allowed_domains"),
                       (dict(base, default_role="owner"), "default_role"),
                       (dict(base, client_id="has space"), "client_id")):
        r = g.put_connection(dict(bad, client_secret="x"))
        checks.error(r, 400, "VALIDATION_ERROR")
        expect(field in [e["field"] for e in r.json["errors"]], "errors name %s" % field, r)
    r = g.put_connection(dict(base, client_secret=glew.CLIENT_SECRET))
    expect(r.status == 200, "PUT /sso-connections", r)
    want = {"issuer": glew.issuer, "client_id": glew.CLIENT_ID, "allowed_domains": ["example.com"],
            "auto_create": True, "link_existing_accounts": False, "default_role": "engineer",
            "enabled": True, "redirect_uri": g.redirect_uri,
            "token_endpoint": glew.issuer + "/token", "jwks_uri": glew.issuer + "/jwks"}
    got = {k: r.json.get(k) for k in want}
    expect(got == want, "PUT answer %r, not %r" % (got, want), r)
    expect(set(r.json) == CONNECTION_KEYS, "connection keys %s" % sorted(r.json), r)
    expect(r.json["authorization_endpoint"].startswith(glew.issuer + "/")
           and r.json["fetched_at"].endswith("Z"), "fetched metadata %r" % r.json, r)
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
    """An existing password account is not taken over by a first sign-in with its email
    (glewlwyd sends no email_verified, and the connection is not trusted for linking):
    409 with what to do, an audit event; the signed-in user links it with ?link=1."""
    c = ctx(fe)
    g = c["g"]
    carol = user(c, "carol")
    email, carol_token = create_user_with_role(fe, g, "viewer", email=carol[1])
    before = g.users()[email]
    _, _, r = sign_in(c, g, carol, accept_json=True)
    body = expect_refused(r, 409, "CONFLICT", "carol's first sign-in onto her password account")
    expect("link" in body["detail"] and "password" in body["detail"], "detail says what to do", r)
    expect(g.failure_reasons()[-1] == "existing_account_email_unverified",
           "audit reason %r" % g.failure_reasons()[-1:])
    expect(not sql(fe, "SELECT user_id FROM sso_identities WHERE user_id = '%s'" % before["id"]),
           "a refused sign-in linked carol")
    # Signed in (bearer), carol links the identity herself.
    b = oidc_idp.BrowserSession()
    r = b.get(g.start + "?link=1", headers=bearer(carol_token))
    expect(r.status == 302, "start?link=1 as carol", r)
    back = c["glew"].login_steps(b, r.header("Location"), carol[0], carol[2])
    r = b.get(back.header("Location"), headers=JSON_ACCEPT)
    expect(r.status == 200, "carol's linking sign-in", r)
    expect(r.json["user"]["id"] == before["id"] and r.json["user"]["role"] == "viewer",
           "carol was not linked to her account: %r" % r.json["user"], r)
    linked = [e for e in g.audit("sso.login") if e["actor"]["id"] == before["id"]]
    expect(len(linked) == 1, "sso.login events of carol %r" % linked)
    # From now on a plain sign-in finds the link.
    _, _, r = sign_in(c, g, carol, accept_json=True)
    expect(r.status == 200 and r.json["user"]["id"] == before["id"], "carol's next sign-in", r)
    login_ok(fe, email)     # her password still works


def test_link_needs_a_signed_in_user_of_the_organization(fe):
    c = ctx(fe)
    g, f = c["g"], c["f"]
    # No credential, an API key, or a user of another organization: no link.
    r = oidc_idp.BrowserSession().get(g.start + "?link=1")
    expect_refused(r, 401, "INVALID_TOKEN", "link without a credential")
    _, other = create_user_with_role(fe, f, "admin")
    r = oidc_idp.BrowserSession().get(g.start + "?link=1", headers=bearer(other))
    expect_refused(r, 403, "INSUFFICIENT_PERMISSIONS", "link by a user of another organization")
    r = oidc_idp.BrowserSession().get(g.start + "?link=yes", headers=bearer(g.token))
    checks.error(r, 400, "VALIDATION_ERROR")
    # An identity already linked to another user (alice's) cannot be linked to the admin.
    b = oidc_idp.BrowserSession()
    r = b.get(g.start + "?link=1", headers=bearer(g.token))
    expect(r.status == 302, "start?link=1 as the admin", r)
    alice = user(c, "alice")
    back = c["glew"].login_steps(b, r.header("Location"), alice[0], alice[2])
    r = b.get(back.header("Location"), headers=JSON_ACCEPT)
    expect_refused(r, 409, "CONFLICT", "linking alice's identity to the admin")
    expect(g.failure_reasons()[-1] == "identity_linked_to_other_user",
           "audit reason %r" % g.failure_reasons()[-1:])


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
           and "link_existing_accounts: no" in r.stdout
           and "token_endpoint: %s/token\n" % glew.issuer in r.stdout
           and glew.CLIENT_SECRET not in r.stdout and "redirect_uri:" in r.stdout,
           "sso-show output %r" % r.stdout)
    # Another issuer keeps no stored secret (--keep-secret is refused), and a
    # provider that cannot be fetched is refused before anything is stored.
    other = oidc_idp.FakeProvider(Path(h.tmp) / "oidc" / ("cli-%s" % fe.name))
    try:
        r = h.admin("sso-set", "--org", g2.slug, "--issuer", other.issuer, "--client-id", "x",
                    "--keep-secret", check=False)
        expect(r.returncode == 65 and "client secret again" in r.stderr,
               "sso-set --keep-secret to another issuer: exit %d %r" % (r.returncode, r.stderr))
        expect(not any(m == "POST" for m, *_ in other.seen), "the other issuer got a token request")
    finally:
        other.stop()
    r = h.admin("sso-set", "--org", g2.slug, "--issuer", other.issuer, "--client-id", "x",
                input_text="s\n", check=False)
    expect(r.returncode == 65 and "could not be used" in r.stderr,
           "sso-set with a stopped provider: exit %d %r" % (r.returncode, r.stderr))
    forget_failure(fe, other.issuer)
    r = h.admin("sso-show", "--org", g2.slug)
    expect("issuer: %s\n" % glew.issuer in r.stdout, "a refused sso-set changed the connection")
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
    # An account of this organization: not taken over (no verified email, not trusted).
    dave = user(c, "dave")
    create_user_with_role(fe, g2, "engineer", email=dave[1])
    _, _, r = sign_in(c, g2, dave, accept_json=True)
    expect_refused(r, 409, "CONFLICT", "dave at g2")
    expect(g2.failure_reasons()[-3:] == ["no_account", "email_in_other_organization",
                                         "existing_account_email_unverified"],
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
    expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"], r)
    expect(time.monotonic() - t < 10, "the 502 took too long")
    expect(g.failure_reasons()[-1] == "provider_unreachable", "reason %r" % g.failure_reasons())
    # A provider that cannot be reached is refused when the connection is saved.
    dead = Org(fe, "dead")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = dead.put_connection({"issuer": "http://127.0.0.1:%d/realms/gone" % port,
                             "client_id": "x", "client_secret": "y"})
    checks.error(r, 400, "VALIDATION_ERROR")
    expect([e["field"] for e in r.json["errors"]] == ["issuer"]
           and "could not be reached" in r.json["errors"][0]["message"], "errors %r" % r.json, r)
    expect_error(fe.get(CONNECTIONS, headers=bearer(dead.token)), 404, "NOT_FOUND")
    r = oidc_idp.BrowserSession().get(dead.start)
    expect_refused(r, 404, "NOT_FOUND", "start without a saved connection")
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
    # The new set was stored with the connection: the next sign-in (any worker) needs no fetch.
    email2 = "rotated2-%s@fake.example" % uuid.uuid4().hex[:8]
    r = fake_flow(fe, lambda form, info: oidc_idp.jws(
        {"alg": "RS256", "kid": new.kid}, fake.claims(info, sub="rot-" + email2, email=email2), new))
    expect(r.status == 200, "a second token of the rotated key", r)
    expect(fake.requests.count(("GET", "/jwks")) == before + 1, "the rotated JWKS was not stored")


def test_token_endpoint_failures_are_502(fe):
    c, f, fake = fake_org(fe)
    email = "x-%s@fake.example" % uuid.uuid4().hex[:8]
    good = (lambda form, info: signed(fake, info, email))
    try:
        # One text for every provider failure (no oracle of what went wrong where).
        fake.token_status = 500
        r = fake_flow(fe, good)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "token endpoint 500")
        expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"], r)
        fake.token_status = None
        fake.token_body = b"<html>nonsense</html>"
        r = fake_flow(fe, good)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "token endpoint nonsense")
        expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"], r)
        fake.token_body = {"access_token": "a", "token_type": "Bearer"}
        r = fake_flow(fe, good)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "token response without id_token")
        expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"], r)
        fake.token_body = None
        # Our client secret is wrong: the provider says invalid_client.
        r = f.put_connection({"issuer": fake.issuer, "client_id": fake.client_id,
                              "client_secret": "not-the-secret", "auto_create": True})
        expect(r.status == 200, "PUT with another secret", r)
        r = fake_flow(fe, good)
        body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "wrong client secret")
        expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"], r)
    finally:
        fake.token_status = fake.token_body = None
        f.put_connection({"issuer": fake.issuer, "client_id": fake.client_id,
                          "client_secret": fake.client_secret, "auto_create": True,
                          "default_role": "viewer"})
    expect(f.failure_reasons()[-4:] == ["provider_http_error", "provider_response_malformed",
                                        "provider_no_id_token", "provider_client_rejected"],
           "audit reasons %r" % f.failure_reasons()[-4:])
    expect(email not in f.users(), "a user was created")


def test_discovery_naming_another_issuer_is_refused_at_save(fe):
    c = ctx(fe)
    liar = oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc" / "liar")
    try:
        liar.discovery = lambda: dict(oidc_idp.FakeProvider.discovery(liar),
                                      issuer="https://login.example.com")
        org = Org(fe, "liar")
        r = org.put_connection({"issuer": liar.issuer, "client_id": "x", "client_secret": "y"})
        checks.error(r, 400, "VALIDATION_ERROR")
        expect("another issuer" in r.json["errors"][0]["message"], "errors %r" % r.json, r)
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


# ------------------------------------------------------------------ a hostile tenant's provider

def forget_failure(fe, issuer):
    """A port can come back: no failure remembered for an earlier provider on it."""
    sql(fe, "DELETE FROM sso_provider_failures WHERE issuer = '%s'" % issuer.replace("'", ""))


def fresh_fake(fe, tag):
    fake = oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc" / ("%s-%s-%s" % (tag, fe.name,
                                                                                uuid.uuid4().hex[:6])))
    forget_failure(fe, fake.issuer)
    return fake


def fake_connection(org, fake, **extra):
    body = {"issuer": fake.issuer, "client_id": fake.client_id, "client_secret": fake.client_secret,
            "auto_create": True, "default_role": "viewer"}
    body.update(extra)
    r = org.put_connection(body)
    expect(r.status == 200, "PUT a connection to %s" % fake.issuer, r)
    return r


def concurrency(fe):
    """4 x the workers the front-end may run at once."""
    return 4 * max(harness.WORKERS, 4 if fe.name == "apache-fcgid" else harness.WORKERS)


def timed(fn):
    t = time.monotonic()
    r = fn()
    return r, time.monotonic() - t


def others_answer_quickly(fe, bystander, what):
    """/health and a password login of another organization, each within 1 s."""
    r, took = timed(lambda: fe.get(API + "/health"))
    expect(r.status == 200 and took < 1.0, "%s: /health took %.2f s" % (what, took), r)
    r, took = timed(lambda: login(fe, bystander))
    expect(r.status == 200 and took < 1.0, "%s: another organization's login took %.2f s"
           % (what, took), r)


def run_concurrently(n, fn):
    """Start n threads of fn(i); returns (threads, results list filled as they finish)."""
    import threading
    results = [None] * n

    def one(i):
        try:
            results[i] = timed(lambda: fn(i))
        except Exception as e:          # a timeout of the test's own client, say
            results[i] = (e, None)
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def settle(threads, left, bound):
    """Wait until at most `left` threads still run, at most `bound` seconds: the burst of
    requests the service answers at once has drained (mod_fcgid queues a burst larger
    than its process count for a second), the tarpit ones are still in flight."""
    end = time.monotonic() + bound
    while sum(t.is_alive() for t in threads) > left and time.monotonic() < end:
        time.sleep(0.05)
    return sum(t.is_alive() for t in threads)


def test_tarpit_provider_does_not_stall_start(fe):
    """/start is served from what the save stored: a provider that starts hanging
    after the save costs no worker, and other tenants do not wait."""
    tarpit = fresh_fake(fe, "tarpit-start")
    try:
        org = Org(fe, "tarpit-s")
        bystander = Org(fe, "bystander-s")
        fake_connection(org, tarpit)
        before = len(tarpit.seen)
        tarpit.hang()
        n = concurrency(fe)
        threads, results = run_concurrently(n, lambda i: oidc_idp.BrowserSession().get(org.start))
        settle(threads, 0, 2.5)
        others_answer_quickly(fe, bystander.admin_email, "tarpit issuer, /start in flight")
        for t in threads:
            t.join(30)
        for r, took in results:
            # (Not a tight bound on each: mod_fcgid spawns its processes as the requests come.)
            expect(took is not None and r.status == 302 and took < 10.0,
                   "a /start at a tarpit issuer: %r after %s s" % (getattr(r, "status", r), took))
            expect(r.header("Location").startswith(tarpit.base + "/authorize?"),
                   "start redirects to %r" % r.header("Location"))
        expect(len(tarpit.seen) == before, "/start called the provider: %r" % tarpit.seen[before:])
    finally:
        tarpit.stop()


def test_tarpit_provider_holds_at_most_one_worker_at_callback(fe):
    """The callback's token call: one caller per issuer at a time (the others get the
    502 at once), bounded by the timeout, then remembered as failing (502 at once)."""
    tarpit = fresh_fake(fe, "tarpit-cb")
    try:
        org = Org(fe, "tarpit-c")
        bystander = Org(fe, "bystander-c")
        fake_connection(org, tarpit)
        n = concurrency(fe)
        browsers, states = [], []
        for _ in range(n + 1):
            b = oidc_idp.BrowserSession()
            r = start(b, org)
            expect(r.status == 302, "start", r)
            browsers.append(b)
            states.append(query_of(r.header("Location"))["state"])
        tarpit.hang()

        def callback(i):
            return browsers[i].get("%s?%s" % (org.redirect_uri, urllib.parse.urlencode(
                {"state": states[i], "code": "code-%d" % i})), headers=JSON_ACCEPT, timeout=30)
        threads, results = run_concurrently(n, callback)
        in_flight = settle(threads, 1, 2.0)
        expect(in_flight >= 1, "no callback is waiting for the tarpit any more")
        others_answer_quickly(fe, bystander.admin_email, "tarpit issuer, callbacks in flight")
        for t in threads:
            t.join(40)
        for r, took in results:
            expect(took is not None, "a callback failed in the client: %r" % (r,))
            body = expect_refused(r, 502, "SSO_PROVIDER_ERROR", "callback at a tarpit")
            expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"], r)
            expect(took < 10, "a callback took %.1f s" % took)
        # One caller talked to the provider; every other one was answered without a call.
        posts = [x for x in tarpit.seen if x[0] == "POST"]
        expect(len(posts) == 1, "%d token requests reached the provider at once, not 1" % len(posts))
        reasons = org.failure_reasons()
        expect(reasons.count("provider_unreachable") == 1
               and reasons.count("provider_busy") + reasons.count("provider_recently_failed") == n - 1,
               "audit reasons %r" % reasons)
        # Remembered: the next callback answers at once, without a call.
        r, took = timed(lambda: callback(n))
        expect_refused(r, 502, "SSO_PROVIDER_ERROR", "callback while the failure is remembered")
        expect(took < 1.0, "the remembered failure took %.2f s" % took, r)
        expect(org.failure_reasons()[-1] == "provider_recently_failed",
               "audit reason %r" % org.failure_reasons()[-1:])
        expect(len([x for x in tarpit.seen if x[0] == "POST"]) == 1, "the provider was asked again")
    finally:
        tarpit.stop()
        forget_failure(fe, tarpit.issuer)


def test_secret_not_sent_to_a_new_issuer_or_token_endpoint(fe):
    """The stored client secret is write-only: a new issuer, or a discovery document
    now naming another token endpoint, needs it typed again; it never reaches them."""
    honest, attacker = fresh_fake(fe, "honest"), fresh_fake(fe, "attacker")
    try:
        org = Org(fe, "secret")
        fake_connection(org, honest)
        body = {"issuer": attacker.issuer, "client_id": honest.client_id, "auto_create": True}
        r = org.put_connection(body)
        checks.error(r, 400, "VALIDATION_ERROR")
        expect([e["field"] for e in r.json["errors"]] == ["client_secret"], "errors %r" % r.json, r)
        r = fe.get(CONNECTIONS, headers=bearer(org.token))
        expect(r.json["issuer"] == honest.issuer, "the refused PUT changed the issuer", r)
        # Same issuer, but its discovery now names the attacker's token endpoint.
        honest.discovery = lambda: dict(oidc_idp.FakeProvider.discovery(honest),
                                        token_endpoint=attacker.base + "/token")
        r = org.put_connection({"issuer": honest.issuer, "client_id": honest.client_id,
                                "auto_create": True})
        checks.error(r, 400, "VALIDATION_ERROR")
        expect([e["field"] for e in r.json["errors"]] == ["client_secret"], "errors %r" % r.json, r)
        honest.discovery = lambda: oidc_idp.FakeProvider.discovery(honest)
        # A sign-in still goes to the honest provider, with the secret.
        honest.mint = lambda form, info: oidc_idp.jws(
            {"alg": "RS256", "kid": honest.key.kid},
            honest.claims(info, sub="s-" + uuid.uuid4().hex[:6],
                          email="secret-%s@fake.example" % uuid.uuid4().hex[:6]), honest.key)
        b = oidc_idp.BrowserSession()
        r = b.get(b.get(org.start).header("Location"))
        r = b.get(r.header("Location"), headers=JSON_ACCEPT)
        expect(r.status == 200, "sign-in at the honest provider", r)
        secret = honest.client_secret.encode()
        basic = __import__("base64").b64encode(("%s:%s" % (honest.client_id, honest.client_secret))
                                               .encode())
        for method, path, headers, raw in attacker.seen:
            expect(method != "POST", "the attacker's provider got a %s %s" % (method, path))
            expect(secret not in raw and secret not in headers.encode()
                   and basic not in headers.encode(), "the secret reached the attacker")
    finally:
        honest.stop()
        attacker.stop()


def test_provider_urls_cannot_reach_internal_networks(fe):
    """Issuer and discovery endpoints: https (http only to loopback in development),
    no query, valid port, and never a private, link-local or metadata address."""
    if fe.name != "lighttpd-socket":
        return          # the rule is the service's, not the front-end's
    org = Org(fe, "ssrf")
    probe = fresh_fake(fe, "probe")
    try:
        for issuer in ("https://10.0.0.1/realms/x", "https://169.254.169.254/latest",
                       "https://[fd00::1]/x", "https://[::ffff:192.168.1.1]/x", "https://0.0.0.0/x",
                       probe.issuer + "/?x=1", "https://127.0.0.1:65536/x"):
            r = org.put_connection({"issuer": issuer, "client_id": "x", "client_secret": "y"})
            checks.error(r, 400, "VALIDATION_ERROR")
            expect([e["field"] for e in r.json["errors"]] == ["issuer"], "%s: %r" % (issuer, r.json), r)
        # A discovery document naming internal URLs as its endpoints.
        for key, url in (("token_endpoint", "https://169.254.169.254/latest/meta-data"),
                         ("jwks_uri", "https://10.1.2.3/keys"),
                         ("token_endpoint", "http://192.168.0.10/token"),
                         ("authorization_endpoint", "https://[fe80::1]/auth")):
            probe.discovery = (lambda k, u: lambda: dict(oidc_idp.FakeProvider.discovery(probe),
                                                         **{k: u}))(key, url)
            r = org.put_connection({"issuer": probe.issuer, "client_id": "x", "client_secret": "y"})
            checks.error(r, 400, "VALIDATION_ERROR")
            expect("acceptable https URL" in r.json["errors"][0]["message"],
                   "%s %s: %r" % (key, url, r.json), r)
        expect_error(fe.get(CONNECTIONS, headers=bearer(org.token)), 404, "NOT_FOUND")
    finally:
        probe.stop()


def test_production_refuses_loopback_and_private_providers(fe):
    """In production even loopback is off limits (after DNS: localhost is refused at
    connect time), and plain http is refused everywhere."""
    if fe.name != "lighttpd-socket":
        return
    from test_identity_config import own_instance
    env = {"OVERWATCH_SERVICE_ENVIRONMENT": "production",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    https = {"X-Forwarded-Proto": "https"}
    probe = fresh_fake(fe, "prod-probe")
    try:
        with own_instance(fe, "sso-prod", env) as own:
            email = new_email("prodadmin")
            r = own.post_json(API + "/auth/register", {"email": email, "password": PW, "name": "P",
                                                       "organization_name": "P " + uuid.uuid4().hex[:6]},
                              headers=https)
            expect(r.status == 201, "register in production", r)
            r = own.post_json(API + "/auth/login", {"email": email, "password": PW}, headers=https)
            expect(r.status == 200, "login in production", r)
            token = r.json["access_token"]
            for issuer, says in ((probe.issuer, "https"),
                                 ("https://localhost:%d" % probe.port, "may not reach"),
                                 ("https://127.0.0.1:%d" % probe.port, "may not reach"),
                                 ("https://[::ffff:127.0.0.1]:%d" % probe.port, "may not reach")):
                r = own.request("PUT", CONNECTIONS, body=json.dumps(
                    {"issuer": issuer, "client_id": "x", "client_secret": "y"}),
                    headers=bearer(token, **dict(https, **{"Content-Type": "application/json"})))
                checks.error(r, 400, "VALIDATION_ERROR")
                expect(says in r.json["errors"][0]["message"], "%s: %r" % (issuer, r.json), r)
            expect(probe.seen == [], "the provider on loopback was reached: %r" % probe.seen)
        # The operator opens loopback and private ranges for an on-premises provider:
        # the same issuer now gets as far as the connection (the fake speaks no TLS).
        env["OVERWATCH_SSO_ALLOW_PRIVATE_NETWORKS"] = "true"
        with own_instance(fe, "sso-prod-onprem", env) as own:
            email = new_email("onprem")
            r = own.post_json(API + "/auth/register", {"email": email, "password": PW, "name": "P",
                                                       "organization_name": "P " + uuid.uuid4().hex[:6]},
                              headers=https)
            expect(r.status == 201, "register in production", r)
            token = own.post_json(API + "/auth/login", {"email": email, "password": PW},
                                  headers=https).json["access_token"]
            r = own.request("PUT", CONNECTIONS, body=json.dumps(
                {"issuer": "https://localhost:%d" % probe.port, "client_id": "x", "client_secret": "y"}),
                headers=bearer(token, **dict(https, **{"Content-Type": "application/json"})))
            checks.error(r, 400, "VALIDATION_ERROR")
            msg = r.json["errors"][0]["message"]
            expect("could not be reached" in msg and "may not reach" not in msg,
                   "allow_private_networks: %r" % r.json, r)
    finally:
        probe.stop()


def test_existing_account_linked_only_when_verified_and_trusted(fe):
    """A first sign-in onto an existing password account: refused unless the id_token
    says email_verified true AND the connection has link_existing_accounts."""
    fake = fresh_fake(fe, "link")
    try:
        org = Org(fe, "link")
        email, _ = create_user_with_role(fe, org, "viewer")
        uid = org.users()[email]["id"]

        def attempt(**claims):
            sub = "link-" + uuid.uuid4().hex[:8]
            fake.mint = lambda form, info: oidc_idp.jws(
                {"alg": "RS256", "kid": fake.key.kid}, fake.claims(info, sub=sub, email=email, **claims),
                fake.key)
            b = oidc_idp.BrowserSession()
            r = b.get(b.get(org.start).header("Location"))
            return b.get(r.header("Location"), headers=JSON_ACCEPT)

        fake_connection(org, fake)
        expect_refused(attempt(email_verified=True), 409, "CONFLICT", "verified, connection not trusted")
        expect(org.failure_reasons()[-1] == "existing_account_linking_disabled",
               "reason %r" % org.failure_reasons()[-1:])
        fake_connection(org, fake, link_existing_accounts=True)
        r = fe.get(CONNECTIONS, headers=bearer(org.token))
        expect(r.json["link_existing_accounts"] is True, "link_existing_accounts not stored", r)
        body = expect_refused(attempt(email_verified=None), 409, "CONFLICT", "trusted, no email_verified")
        expect("link" in body["detail"], "detail %r" % body["detail"], r)
        expect_refused(attempt(email_verified="false"), 403, "INSUFFICIENT_PERMISSIONS",
                       "trusted, verified 'false'")
        expect(org.failure_reasons()[-2:] == ["existing_account_email_unverified", "email_unverified"],
               "reasons %r" % org.failure_reasons()[-2:])
        r = attempt(email_verified=True)
        expect(r.status == 200 and r.json["user"]["id"] == uid and r.json["user"]["role"] == "viewer",
               "verified and trusted: linked", r)
    finally:
        fake.stop()


def test_default_role_within_the_callers_permissions(fe):
    """Nobody hands out a role above their own through SSO: a key holding only
    users:manage cannot set default_role admin (nor any role it does not hold)."""
    fake = fresh_fake(fe, "role")
    try:
        o = api.Org(fe, "sso-role")
        client, _ = o.key_client(["users:manage"])
        body = {"issuer": fake.issuer, "client_id": fake.client_id, "client_secret": fake.client_secret}
        for role in ("admin", "engineer"):
            r = client.request("PUT", "/sso-connections", dict(body, default_role=role, auto_create=True))
            api.denied(r, "default_role %s by a users:manage key" % role)
        r = client.request("PUT", "/sso-connections", dict(body, default_role="admin"))
        api.denied(r, "default_role admin by a users:manage key, auto_create off")
        expect(not any(m == "POST" for m, *_ in fake.seen), "a refused PUT reached the token endpoint")
        # A key holding every permission of engineer may hand out engineer, not admin.
        eng = ["incidents:read", "incidents:create", "incidents:update", "procedures:read",
               "procedures:execute", "api_keys:read", "api_keys:create", "api_keys:delete",
               "users:read", "users:manage"]
        client2, _ = o.key_client(eng)
        r = client2.request("PUT", "/sso-connections", dict(body, default_role="engineer",
                                                              auto_create=True))
        expect(r.status == 200 and r.json["default_role"] == "engineer", "engineer by a wide key", r)
        r = client2.request("PUT", "/sso-connections", dict(body, default_role="admin"))
        api.denied(r, "default_role admin by an engineer-wide key")
        # The organization's admin may set admin.
        r = o.admin.client.request("PUT", "/sso-connections", dict(body, default_role="admin"))
        expect(r.status == 200 and r.json["default_role"] == "admin", "admin sets admin", r)
    finally:
        fake.stop()


def test_connection_saved_before_metadata_was_stored_needs_a_save(fe):
    """A connection from before the provider metadata was kept: no outbound call at
    /start to make up for it, the one 502, and a save fixes it."""
    fake = fresh_fake(fe, "legacy")
    try:
        org = Org(fe, "legacy")
        fake_connection(org, fake)
        sql(fe, "UPDATE sso_connections SET provider_issuer = '', authorization_endpoint = '', "
                "token_endpoint = '', jwks_uri = '', jwks = NULL, fetched_at = NULL "
                "WHERE organization_id = '%s'" % org.id)
        r = fe.get(CONNECTIONS, headers=bearer(org.token))
        expect(r.status == 200 and r.json["token_endpoint"] is None and r.json["fetched_at"] is None,
               "GET of a connection without metadata", r)
        before = len(fake.seen)
        body = expect_refused(oidc_idp.BrowserSession().get(org.start), 502, "SSO_PROVIDER_ERROR",
                              "start without stored metadata")
        expect(body["detail"] == PROVIDER_DETAIL, "detail %r" % body["detail"])
        expect(org.failure_reasons()[-1] == "provider_metadata_missing",
               "reason %r" % org.failure_reasons()[-1:])
        expect(len(fake.seen) == before, "/start called the provider")
        # Saved again (the token endpoint is new to the row: the secret is asked for).
        r = org.put_connection({"issuer": fake.issuer, "client_id": fake.client_id})
        checks.error(r, 400, "VALIDATION_ERROR")
        fake_connection(org, fake)
        r = oidc_idp.BrowserSession().get(org.start)
        expect(r.status == 302, "start after the save", r)
    finally:
        fake.stop()
