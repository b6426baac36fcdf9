"""Single sign-on role mapping with roles sent by a real provider (doc/api.md section 6,
"Single sign-on", role mapping; doc/sso.md section 4; doc/SECURITY.md "Single sign-on
and tenant admins").

glewlwyd (oidc_idp.Glewlwyd, as test_sso.py runs it) puts two user properties into
every ID token: `groups` as a JSON array, and `ow-role` as the namespaced string
claim `https://overwatch.test/role` (oidc_idp.Glewlwyd.release_claim). Each test
sets a user's properties at glewlwyd's admin API, signs the user in through the
whole flow (start, glewlwyd's login steps, callback), and reads the role the
service gave from the sign-in's answer, GET /auth/me and the sso.login event,
whose role_source says the claim arrived ("rule") or not ("role_claim_missing").
test_sso_roles.py covers the same rules with ID tokens the fake provider shapes.
"""

import uuid
from pathlib import Path

from lib import api, oidc_idp
from lib.checks import expect
from test_sso import sql
from test_sso_roles import answered_role, connection, expect_stored
from test_sso_roles import last_login_detail as login_detail

# The mapping is the service's, not the web server's: one front-end.
FRONTENDS = ("lighttpd-socket",)

JSON_ACCEPT = {"Accept": "application/json"}
ROLE_CLAIM = "https://overwatch.test/role"
RULES = {"role_claim": "groups", "role_admin_values": ["ow-admins"],
         "role_engineer_values": ["ow-eng", "sre"], "role_viewer_values": ["staff"]}

_glew = {}


def glewlwyd(fe):
    """One glewlwyd per run of this module, releasing the two claims."""
    if fe.name not in _glew:
        d = Path(fe.harness.tmp) / "oidc-roles-glewlwyd"
        g = oidc_idp.Glewlwyd(d, [], spawn=fe.harness.spawn).start()
        g.release_claim("groups", "groups", multiple=True)
        g.release_claim(ROLE_CLAIM, "ow-role", multiple=False)
        _glew[fe.name] = g
    return _glew[fe.name]


def save(g, client, what, **extra):
    """PUT the connection with client; glewlwyd learns its callback URL."""
    got = api.ok(client.put("/sso-connections", connection(g, **extra)), 200, what)
    g.allow_redirect(got["redirect_uri"])
    return got


def sso_org(fe, **extra):
    g = glewlwyd(fe)
    org = api.Org(fe, "sso glewlwyd roles")
    save(g, org.client, "PUT /sso-connections with role rules", **extra)
    return org


class Person:
    """A glewlwyd user with a unique email."""

    def __init__(self, g, label):
        tag = uuid.uuid4().hex[:8]
        self.g = g
        self.username = "%s-%s" % (label, tag)
        self.email = "%s-%s@glewlwyd.example" % (label, tag)
        self.password = "pw-%s-%s" % (label, uuid.uuid4().hex[:8])
        g.add_user(self.username, self.email, self.password, label.title() + " Glewlwyd")

    def claims(self, groups=None, role=None):
        """What glewlwyd's next ID token of this user says (None: no such claim)."""
        self.g.set_user_property(self.username, "groups", groups)
        self.g.set_user_property(self.username, "ow-role", role)


def sign_in(fe, org, who, browser=None):
    """Start at the service, glewlwyd's login steps, the callback: its answer (JSON).
    A new browser unless given one (that browser's glewlwyd session then continues)."""
    b = browser or oidc_idp.BrowserSession()
    r = b.get("%s/api/v1/auth/sso/%s/start" % (fe.base_url, org.id))
    expect(r.status == 302, "start", r)
    back = who.g.login_steps(b, r.header("Location"), who.username, who.password)
    return b.get(back.header("Location"), headers=JSON_ACCEPT)


def signed_in_role(fe, org, who, **claims):
    """Sign in with these claims: (login body, role) after checking /auth/me agrees."""
    who.claims(**claims)
    body, role = answered_role(fe, sign_in(fe, org, who), "sign-in of %s with %r"
                               % (who.username, claims))
    expect(body["user"]["email"] == who.email, "signed in as %r" % body["user"])
    return body, role


def test_groups_from_glewlwyd_move_the_role_up_and_down(fe):
    g = glewlwyd(fe)
    org = sso_org(fe, **RULES)
    p = Person(g, "ivy")
    body, role = signed_in_role(fe, org, p, groups=["staff"])
    uid = body["user"]["id"]
    expect(role == "viewer", "a new user in staff mapped to %s" % role)
    d = login_detail(org, uid)
    expect(d["created"] is True and d["role_source"] == "rule" and d["issuer"] == g.issuer,
           "detail of the first sign-in %r" % d)
    _, role = signed_in_role(fe, org, p, groups=["staff", "sre"])
    expect(role == "engineer", "staff and sre mapped to %s" % role)
    up, role = signed_in_role(fe, org, p, groups=["ow-eng", "ow-admins", "staff"])
    expect(role == "admin", "ow-admins mapped to %s" % role)
    d = login_detail(org, uid)
    expect(d["role"] == "admin" and d["previous_role"] == "engineer" and d["role_source"] == "rule",
           "detail of the promotion %r" % d)
    as_admin = api.Client(fe, token=up["access_token"])
    api.ok(as_admin.get("/sso-connections"), 200, "the session signed in as admin")
    _, role = signed_in_role(fe, org, p, groups=["staff"])
    expect(role == "viewer", "back in staff only: %s" % role)
    d = login_detail(org, uid)
    expect(d["previous_role"] == "admin" and "role_kept" not in d, "detail of the demotion %r" % d)
    api.denied(as_admin.get("/sso-connections"), "the admin session after the demotion")
    # Values compare exactly: another case is no match; the default role applies.
    _, role = signed_in_role(fe, org, p, groups=["OW-ADMINS", "Staff"])
    expect(role == "viewer" and login_detail(org, uid)["role_source"] == "no_rule_matched",
           "case-changed values: %s %r" % (role, login_detail(org, uid)))
    # No groups at glewlwyd: the claim is absent from the ID token.
    _, role = signed_in_role(fe, org, p, groups=None)
    expect(role == "viewer" and login_detail(org, uid)["role_source"] == "role_claim_missing",
           "no claim: %s %r" % (role, login_detail(org, uid)))
    expect_stored(org, uid, "viewer", 3)


def test_default_role_when_no_rule_matches_glewlwyd_groups(fe):
    g = glewlwyd(fe)
    org = sso_org(fe, default_role="engineer", **RULES)
    p = Person(g, "jon")
    body, role = signed_in_role(fe, org, p, groups=["contractors"])
    expect(role == "engineer", "no matching group: the default role, not %s" % role)
    uid = body["user"]["id"]
    expect(login_detail(org, uid)["role_source"] == "no_rule_matched", "detail")
    _, role = signed_in_role(fe, org, p, groups=["staff"])
    expect(role == "viewer", "a viewer rule below the default role still applies: %s" % role)


def test_namespaced_string_claim_from_glewlwyd(fe):
    """A custom claim named by a URL, sent as one string, not an array."""
    g = glewlwyd(fe)
    org = sso_org(fe, role_claim=ROLE_CLAIM, role_admin_values=["boss"],
                  role_engineer_values=["builder"])
    p = Person(g, "kim")
    body, role = signed_in_role(fe, org, p, groups=["ow-admins"], role="builder")
    uid = body["user"]["id"]
    expect(role == "engineer", "the string claim builder mapped to %s" % role)
    _, role = signed_in_role(fe, org, p, groups=["staff"], role="boss")
    expect(role == "admin", "the string claim boss mapped to %s" % role)
    _, role = signed_in_role(fe, org, p, groups=["ow-admins"], role=None)
    expect(role == "viewer", "without the custom claim (groups are not the role claim): %s" % role)
    expect(login_detail(org, uid)["role_source"] == "role_claim_missing", "detail")


def test_glewlwyd_never_demotes_the_last_admin(fe):
    g = glewlwyd(fe)
    org = sso_org(fe, **RULES)
    p = Person(g, "lea")
    body, role = signed_in_role(fe, org, p, groups=["ow-admins"])
    expect(role == "admin", "promoted to %s" % role)
    uid = body["user"]["id"]
    sso_admin = api.Client(fe, token=body["access_token"])
    # The SSO admin demotes the registering admin: the SSO user is the last admin.
    api.ok(sso_admin.patch("/users/" + org.admin.id, {"role": "engineer"}), 200,
           "PATCH the other admin to engineer")
    for groups in (["staff"], None):
        _, role = signed_in_role(fe, org, p, groups=groups)
        expect(role == "admin", "the last admin went to %s with groups %r" % (role, groups))
        d = login_detail(org, uid, sso_admin)
        expect(d.get("role_kept") == "last_admin" and d["role"] == "admin", "detail %r" % d)
    engineer = org.admin.login().client
    api.denied(engineer.get("/sso-connections"), "the demoted password admin")
    # Another admin again: the rule applies at the next sign-in.
    api.ok(sso_admin.patch("/users/" + org.admin.id, {"role": "admin"}), 200, "PATCH it back")
    _, role = signed_in_role(fe, org, p, groups=["staff"])
    expect(role == "viewer", "not demoted with another admin: %s" % role)
    d = login_detail(org, uid)
    expect("role_kept" not in d and d["previous_role"] == "admin", "detail %r" % d)


def test_glewlwyd_roles_never_above_the_rules_author(fe):
    g = glewlwyd(fe)
    org = api.Org(fe, "sso glewlwyd author")
    engineer_wide, _ = org.key_client(sorted(api.ROLE_PERMS["engineer"] | {"users:manage"}))
    # Rules giving admin are refused to a key that does not hold admin's permissions.
    r = engineer_wide.put("/sso-connections", connection(g, **RULES))
    api.denied(r, "admin rules saved by an engineer-wide key")
    api.not_found(org.client.get("/sso-connections"), "the refused rules were stored")
    rules = {"role_claim": "groups", "role_engineer_values": ["ow-eng"], "role_viewer_values": ["staff"]}
    got = save(g, engineer_wide, "rules within the engineer-wide key", **rules)
    expect(got["rules_author_role"] == "engineer", "rules_author_role %r" % got["rules_author_role"])
    p = Person(g, "max")
    body, role = signed_in_role(fe, org, p, groups=["ow-admins", "ow-eng"])
    expect(role == "engineer", "an engineer's rules gave %s" % role)
    uid = body["user"]["id"]
    # The sign-in clips too: rules that do give admin, recorded as an engineer's (a row
    # no save makes today; the sign-in must not trust that it never exists).
    sql(fe, "UPDATE sso_connections SET role_rules = JSON_SET(role_rules, '$.admin', "
            "JSON_ARRAY('ow-admins')) WHERE organization_id = '%s'" % org.id)
    _, role = signed_in_role(fe, org, p, groups=["ow-admins"])
    expect(role == "engineer", "rules above their author gave %s" % role)
    d = login_detail(org, uid)
    expect(d.get("role_clipped") is True and d["role"] == "engineer", "detail %r" % d)
    # The organization's admin saves admin rules: recorded as admin, no clip.
    got = save(g, org.client, "admin rules by the admin", **RULES)
    expect(got["rules_author_role"] == "admin", "rules_author_role %r" % got["rules_author_role"])
    _, role = signed_in_role(fe, org, p, groups=["ow-admins"])
    expect(role == "admin", "the admin's rules gave %s" % role)
    expect("role_clipped" not in login_detail(org, uid), "clipped under an admin's rules")
