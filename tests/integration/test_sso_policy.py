"""SSO-only organizations (doc/api.md section 6, "Single sign-on"; error code SSO_REQUIRED
of doc/api.md section 2).

An admin requires single sign-on for the organization: a right password then
gets 403 SSO_REQUIRED at login and at a password change, except for the named
break-glass admins (while they are admins). A wrong password is still the
401 of any login, so the setting tells nothing to who does not know the
password. Single sign-on itself goes on working (the fake provider).
"""

import uuid

from lib import api, checks
from lib.checks import expect
from test_sso_roles import connection, fake, only_one, sign_in

POLICY = "/sso-policy"


def sso_required(resp, what):
    try:
        return checks.error(resp, 403, "SSO_REQUIRED")
    except AssertionError as e:
        raise AssertionError("%s: %s" % (what, e)) from None


def test_sso_policy_shown_and_checked(fe):
    if only_one(fe):
        return
    org = api.Org(fe, "sso policy")
    got = api.ok(org.client.get(POLICY), 200, "GET /sso-policy")
    expect(got == {"require_sso": False, "break_glass_admins": []}, "default %r" % got)
    # Nobody but the break-glass admins could sign in: refused without a connection.
    api.validation_error(org.client.put(POLICY, {"require_sso": True}), "require_sso",
                         "require_sso without a connection")
    api.ok(org.client.put("/sso-connections", connection(fake(fe))), 200, "PUT /sso-connections")
    engineer = org.user("engineer")
    other = api.Org(fe, "sso policy other")
    for names, what in (([engineer.id], "an engineer"), ([other.admin.id], "another org's admin"),
                        (["not-a-uuid"], "not an id"), ([str(uuid.uuid4())], "nobody"),
                        ([org.admin.id] * 11, "eleven")):
        api.validation_error(org.client.put(POLICY, {"require_sso": True, "break_glass_admins": names}),
                             "break_glass_admins", "break_glass_admins: %s" % what)
    api.validation_error(org.client.put(POLICY, {"break_glass_admins": []}), "require_sso", "missing")
    api.validation_error(org.client.put(POLICY, {"require_sso": "yes"}), "require_sso", "a string")
    got = api.ok(org.client.get(POLICY), 200, "GET /sso-policy")
    expect(got == {"require_sso": False, "break_glass_admins": []}, "a refused PUT changed %r" % got)
    api.denied(engineer.client.put(POLICY, {"require_sso": True}), "an engineer's PUT")
    api.ok(engineer.client.get(POLICY), 200, "an engineer's GET")
    api.denied(org.user("viewer").client.get(POLICY), "a viewer's GET")
    got = api.ok(org.client.put(POLICY, {"require_sso": True,
                                         "break_glass_admins": [org.admin.id, org.admin.id.upper()]}),
                 200, "PUT /sso-policy")
    expect(got == {"require_sso": True, "break_glass_admins": [org.admin.id]}, "stored %r" % got)
    trail = org.client.list("/audit-log?action=organization.sso_policy_changed")
    expect(len(trail) == 1 and trail[0]["target"]["id"] == org.id, "audit %r" % trail)


def test_sso_only_refuses_passwords_but_break_glass(fe):
    if only_one(fe):
        return
    org = api.Org(fe, "sso only")
    api.ok(org.client.put("/sso-connections", connection(fake(fe))), 200, "PUT /sso-connections")
    engineer = org.user("engineer")
    glass = org.add_user("admin")
    api.ok(org.client.put(POLICY, {"require_sso": True, "break_glass_admins": [glass.id]}), 200,
           "PUT /sso-policy")
    sso_required(api.login(fe, engineer.email, engineer.password), "the engineer's password login")
    checks.error(api.login(fe, engineer.email, "wrong-" + engineer.password), 401, "INVALID_CREDENTIALS")
    sso_required(api.login(fe, org.admin.email, org.admin.password), "a plain admin's password login")
    sso_required(engineer.client.post("/auth/password", {"current_password": engineer.password,
                                                         "new_password": "a-new-password-123"}),
                 "the engineer's password change")
    refusals = [e["outcome"] for e in org.client.list("/audit-log?action=auth.login_failed")
                if e["target"]["id"] == engineer.id]
    expect(sorted(refusals) == ["failure", "sso_required"], "audit outcomes %r" % refusals)
    # The break-glass admin keeps the password, and may change it.
    api.ok(api.login(fe, glass.email, glass.password), 200, "the break-glass admin's login")
    glass.login()
    api.ok(glass.client.post("/auth/password", {"current_password": glass.password,
                                                "new_password": "glass-new-password-1"}),
           204, "the break-glass admin's password change")
    glass.password = "glass-new-password-1"
    # Single sign-on still signs users in.
    tag = uuid.uuid4().hex[:8]
    api.ok(sign_in(fe, org, "p-" + tag, "p-%s@fake.example" % tag), 200, "SSO sign-in")
    # Break-glass holds only while an admin.
    api.ok(org.client.patch("/users/" + glass.id, {"role": "engineer"}), 200, "demote break-glass")
    sso_required(api.login(fe, glass.email, glass.password), "the demoted break-glass admin")
    api.ok(org.client.put(POLICY, {"require_sso": False}), 200, "PUT /sso-policy off")
    api.ok(api.login(fe, engineer.email, engineer.password), 200, "password login with SSO not required")
