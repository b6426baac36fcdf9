"""Single sign-on role mapping, scopes and claims (doc/api.md section 6, "Single sign-on";
doc/SECURITY.md "Single sign-on and tenant admins").

A connection names a claim of the ID token and, per role, the claim values that
give it; every sign-in applies it, down as well as up, with the default role as
the fallback, the last-admin rule kept, and never above what the rules' author
could grant. The ID tokens come from oidc_idp.FakeProvider, so that each test
chooses the claim's values.
"""

import json
import urllib.parse
import uuid
from pathlib import Path

from lib import api, checks, oidc_idp
from lib.checks import expect

API = "/api/v1"
JSON_ACCEPT = {"Accept": "application/json"}
RULES = {"role_claim": "groups", "role_admin_values": ["ow-admins"],
         "role_engineer_values": ["ow-eng", "ops"], "role_viewer_values": ["staff"]}

_fake = {}


def only_one(fe):
    """The mapping is the service's, not the web server's: one front-end is enough."""
    return fe.name != "lighttpd-socket"


def fake(fe):
    if fe.name not in _fake:
        _fake[fe.name] = oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc-roles" / uuid.uuid4().hex[:6])
    return _fake[fe.name]


def connection(fake, **extra):
    body = {"issuer": fake.issuer, "client_id": fake.client_id, "client_secret": fake.client_secret,
            "auto_create": True, "default_role": "viewer"}
    body.update(extra)
    return body


def sso_org(fe, **extra):
    org = api.Org(fe, "sso roles")
    api.ok(org.client.put("/sso-connections", connection(fake(fe), **extra)), 200,
           "PUT /sso-connections with role rules")
    return org


def sign_in(fe, org, sub, email, provider=None, **claims):
    """The whole flow at the fake provider with these extra claims: the callback's answer."""
    p = provider or fake(fe)
    p.mint = lambda form, info: oidc_idp.jws({"alg": "RS256", "kid": p.key.kid},
                                             p.claims(info, sub=sub, email=email, **claims), p.key)
    b = oidc_idp.BrowserSession()
    r = b.get("%s%s/auth/sso/%s/start" % (fe.base_url, API, org.id))
    expect(r.status == 302, "start", r)
    r = b.get(r.header("Location"))
    expect(r.status == 302, "the fake's authorization endpoint", r)
    return b.get(r.header("Location"), headers=JSON_ACCEPT)


def answered_role(fe, r, what):
    """The login body of a sign-in's answer r and the role GET /auth/me then shows."""
    body = api.ok(r, 200, what)
    me = api.ok(api.Client(fe, token=body["access_token"]).get("/auth/me"), 200, "GET /auth/me")
    expect(body["user"]["role"] == me["user"]["role"], "the sign-in's answer and /auth/me disagree", r)
    return body, me["user"]["role"]


def signed_in_role(fe, org, sub, email, **claims):
    return answered_role(fe, sign_in(fe, org, sub, email, **claims), "SSO sign-in with %r" % claims)


def last_login_detail(org, user_id, client=None):
    """The detail of the user's newest sso.login event, read by the org's admin (or client)."""
    events = [e for e in (client or org.client).list("/audit-log?action=sso.login&limit=200")
              if e["actor"]["id"] == user_id]
    expect(events, "no sso.login event of %s" % user_id)
    return json.loads(events[0]["detail"])


def test_role_rules_saved_shown_and_checked(fe):
    if only_one(fe):
        return
    org = sso_org(fe, **RULES)
    got = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
    for k, v in RULES.items():
        expect(got[k] == v, "%s shown as %r" % (k, got[k]), got)
    expect(got["rules_author_role"] == "admin", "rules_author_role %r" % got["rules_author_role"])
    # Without a claim there are no rules, and none are shown.
    api.ok(org.client.put("/sso-connections", connection(fake(fe))), 200, "PUT without rules")
    got = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
    expect(got["role_claim"] is None and got["rules_author_role"] is None
           and got["role_admin_values"] == [], "rules left behind: %r" % got)
    bad = [
        ({"role_admin_values": ["x"]}, "role_claim"),
        ({"role_claim": "two words", "role_admin_values": ["x"]}, "role_claim"),
        ({"role_claim": "g" * 129}, "role_claim"),
        ({"role_claim": "groups", "role_viewer_values": [""]}, "role_viewer_values"),
        ({"role_claim": "groups", "role_engineer_values": ["a\nb"]}, "role_engineer_values"),
        ({"role_claim": "groups", "role_admin_values": ["v" * 256]}, "role_admin_values"),
        ({"role_claim": "groups", "role_admin_values": ["v%d" % i for i in range(51)]},
         "role_admin_values"),
        ({"role_claim": "groups", "role_admin_values": [1]}, "role_admin_values"),
        ({"role_claim": "groups", "role_admin_values": "ow-admins"}, "role_admin_values"),
        ({"role_claim": 7}, "role_claim"),
    ]
    for extra, field in bad:
        api.validation_error(org.client.put("/sso-connections", connection(fake(fe), **extra)), field,
                             "PUT /sso-connections %r" % extra)
    got = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
    expect(got["role_claim"] is None, "a refused save changed the rules: %r" % got)


def test_rules_never_grant_above_their_author(fe):
    if only_one(fe):
        return
    org = api.Org(fe, "sso roles author")
    viewer_perms = ["incidents:read", "procedures:read"]
    engineer_perms = viewer_perms + ["incidents:create", "incidents:update", "procedures:execute",
                                     "api_keys:read", "api_keys:create", "api_keys:delete",
                                     "users:read"]
    as_viewer, _ = org.key_client(viewer_perms + ["users:manage"])
    as_engineer, _ = org.key_client(engineer_perms + ["users:manage"])
    for client, extra in ((as_viewer, {"role_engineer_values": ["ow-eng"]}),
                          (as_viewer, {"role_admin_values": ["ow-admins"]}),
                          (as_engineer, {"role_admin_values": ["ow-admins"]})):
        r = client.put("/sso-connections", connection(fake(fe), role_claim="groups", **extra))
        api.denied(r, "rules %r by a key without those permissions" % extra)
    expect(api.not_found(org.client.get("/sso-connections"), "nothing saved") is not None, "saved")
    api.ok(as_engineer.put("/sso-connections", connection(
        fake(fe), role_claim="groups", role_engineer_values=["ow-eng"], role_viewer_values=["staff"])),
        200, "rules within the engineer's key")
    got = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
    expect(got["rules_author_role"] == "engineer", "author role %r" % got["rules_author_role"])
    # Whatever the token says, the mapped role is no more than the author's.
    tag = uuid.uuid4().hex[:8]
    _, role = signed_in_role(fe, org, "s-" + tag, "e-%s@fake.example" % tag, groups=["ow-eng", "ow-admins"])
    expect(role == "engineer", "mapped to %s" % role)


def test_role_follows_the_claim_at_every_sign_in(fe):
    if only_one(fe):
        return
    org = sso_org(fe, default_role="engineer", **RULES)
    tag = uuid.uuid4().hex[:8]
    sub, email = "r-" + tag, "r-%s@fake.example" % tag
    body, role = signed_in_role(fe, org, sub, email, groups=["staff", "ow-eng"])
    expect(role == "engineer", "a new user mapped to %s" % role)
    uid = body["user"]["id"]
    expect(last_login_detail(org, uid)["role_source"] == "rule", "detail of the first sign-in")
    up, role = signed_in_role(fe, org, sub, email, groups=["ow-admins"])
    expect(role == "admin", "promoted to %s" % role)
    d = last_login_detail(org, uid)
    expect(d["role"] == "admin" and d["previous_role"] == "engineer", "detail %r" % d)
    admin_token = up["access_token"]
    api.ok(api.Client(fe, token=admin_token).get("/sso-connections"), 200, "the admin's session")
    _, role = signed_in_role(fe, org, sub, email, groups="staff")
    expect(role == "viewer", "demoted to %s" % role)
    # The admin session of a moment ago holds the new role at once.
    api.denied(api.Client(fe, token=admin_token).get("/sso-connections"),
               "the session signed in as admin after the demotion")
    _, role = signed_in_role(fe, org, sub, email, groups=["nobody"])
    expect(role == "engineer", "no rule matched: the default role, not %s" % role)
    expect(last_login_detail(org, uid)["role_source"] == "no_rule_matched", "detail")
    _, role = signed_in_role(fe, org, sub, email)
    expect(role == "engineer", "no claim: the default role, not %s" % role)
    expect(last_login_detail(org, uid)["role_source"] == "role_claim_missing", "detail")
    expect_stored(org, uid, "engineer", 3)


def expect_stored(org, uid, role, changes):
    """The user's role as GET /users lists it, after `changes` role changes (user.updated)."""
    user = [u for u in org.client.list("/users?limit=200") if u["id"] == uid]
    expect(user and user[0]["role"] == role, "stored %r" % user)
    updates = [e for e in org.client.list("/audit-log?action=user.updated&limit=200")
               if e["target"]["id"] == uid]
    expect(len(updates) == changes, "%d user.updated events for %d role changes"
           % (len(updates), changes))


def test_sso_never_demotes_the_last_admin(fe):
    if only_one(fe):
        return
    org = sso_org(fe, **RULES)
    tag = uuid.uuid4().hex[:8]
    sub, email = "la-" + tag, "la-%s@fake.example" % tag
    body, role = signed_in_role(fe, org, sub, email, groups=["ow-admins"])
    expect(role == "admin", "promoted to %s" % role)
    sso_admin = api.Client(fe, token=body["access_token"])
    # The SSO admin demotes the password admin: the SSO user is now the last admin.
    api.ok(sso_admin.patch("/users/" + org.admin.id, {"role": "viewer"}), 200, "PATCH the other admin")
    _, role = signed_in_role(fe, org, sub, email, groups=["staff"])
    expect(role == "admin", "the last admin was demoted to %s" % role)
    d = last_login_detail(org, body["user"]["id"], sso_admin)
    expect(d.get("role_kept") == "last_admin" and d["role"] == "admin", "detail %r" % d)
    # With another admin back, the rule applies.
    api.ok(sso_admin.patch("/users/" + org.admin.id, {"role": "admin"}), 200, "PATCH it back")
    _, role = signed_in_role(fe, org, sub, email, groups=["staff"])
    expect(role == "viewer", "not demoted with another admin: %s" % role)


def test_scopes_per_connection(fe):
    """Scopes are the connection's too (default openid email profile), checked as RFC 6749
    scope tokens with openid among them, and sent as saved in the authorization request."""
    if only_one(fe):
        return
    org = sso_org(fe)
    got = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
    expect(got["scopes"] == "openid email profile", "default scopes %r" % got["scopes"])
    for bad in ("email profile", "openid em\"ail", "openid caf\u00e9", "openid " + " ".join(
            "s%d" % i for i in range(20)), "", "openid " + "x" * 250):
        api.validation_error(org.client.put("/sso-connections", connection(fake(fe), scopes=bad)),
                             "scopes", "scopes %r" % bad)
    got = api.ok(org.client.put("/sso-connections", connection(
        fake(fe), scopes=" openid  groups email openid")), 200, "PUT scopes")
    expect(got["scopes"] == "openid groups email", "stored scopes %r" % got["scopes"])
    r = oidc_idp.BrowserSession().get("%s%s/auth/sso/%s/start" % (fe.base_url, API, org.id))
    expect(r.status == 302, "start", r)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.header("Location")).query))
    expect(q.get("scope") == "openid groups email", "the authorization request asks %r" % q.get("scope"))
    # A save without scopes goes back to the default (a PUT replaces the connection).
    got = api.ok(org.client.put("/sso-connections", connection(fake(fe))), 200, "PUT without scopes")
    expect(got["scopes"] == "openid email profile", "scopes after a save without them %r" % got["scopes"])


def test_email_from_userinfo_when_the_id_token_lacks_it(fe):
    if only_one(fe):
        return
    p = oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc-userinfo" / uuid.uuid4().hex[:6])
    try:
        tag = uuid.uuid4().hex[:8]
        sub, email = "u-" + tag, "u-%s@fake.example" % tag
        p.userinfo = {"sub": sub, "email": email, "email_verified": True}
        org = api.Org(fe, "sso userinfo")
        got = api.ok(org.client.put("/sso-connections", connection(p)), 200, "PUT /sso-connections")
        expect(got["userinfo_endpoint"] == p.base + "/userinfo", "userinfo_endpoint %r" % got)
        body = api.ok(sign_in(fe, org, sub, None, provider=p), 200, "sign-in with email from userinfo")
        expect(body["user"]["email"] == email, "the user's email %r" % body["user"]["email"])
        asked = [s for s in p.seen if s[1] == "/userinfo"]
        expect(len(asked) == 1 and "Bearer at-" in asked[0][2], "userinfo requests %r" % asked)
        # An email in the ID token: no userinfo call.
        tag2 = uuid.uuid4().hex[:8]
        api.ok(sign_in(fe, org, "t-" + tag2, "t-%s@fake.example" % tag2, provider=p), 200, "sign-in")
        expect(len([s for s in p.seen if s[1] == "/userinfo"]) == 1, "userinfo asked needlessly")
        # An answer about someone else is not used (OpenID Connect Core 5.3.2).
        p.userinfo = {"sub": "someone-else", "email": "victim@fake.example", "email_verified": True}
        r = sign_in(fe, org, "v-" + tag, None, provider=p)
        checks.error(r, 502, "SSO_PROVIDER_ERROR")
        failed = org.client.list("/audit-log?action=sso.login_failed")
        expect(failed and failed[0]["detail"] == "userinfo_subject", "audit %r" % failed[:1])
        expect("victim@fake.example" not in [u["email"] for u in org.client.list("/users?limit=200")],
               "a user was made from another subject's userinfo")
        # A userinfo endpoint off the issuer's rules is refused when the connection is saved.
        p.userinfo_url = "http://169.254.169.254/latest/meta-data"
        r = org.client.put("/sso-connections", connection(p))
        api.validation_error(r, "issuer", "a link-local userinfo endpoint")
    finally:
        p.stop()
