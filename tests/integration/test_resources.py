"""Organization-scoped resources (doc/api.md sections 2, 5, 6).

The permission of every route, for each role and for API keys; two
organizations that cannot reach each other's data; validation errors naming
their field; list paging; incidents, procedures, users (role changes,
deactivation, the last-admin rule, unlock, no role granted above the caller's
own); the audit trail of a full session.
"""

import getpass
import json
import secrets
import subprocess
import threading
import time
import uuid
from pathlib import Path

from lib import checks
from lib.checks import expect

from lib import api
from lib import harness
from lib import oidc_idp
from lib.api import Client, Org, ok, denied, not_found, validation_error

# The front-end the permission matrix runs on: it exercises the route table
# (one place in the service), not the web server.
MATRIX_FRONTEND = "lighttpd-socket"

# doc/api.md section 6: the permission of every endpoint that needs one.
ROUTE_PERMS = {
    ("POST", "/api/v1/api-keys"): "api_keys:create",
    ("GET", "/api/v1/api-keys"): "api_keys:read",
    ("DELETE", "/api/v1/api-keys/{id}"): "api_keys:delete",
    ("POST", "/api/v1/api-keys/{id}/rotate"): "api_keys:create",
    ("GET", "/api/v1/api-keys/{id}/activity"): "api_keys:read",
    ("GET", "/api/v1/api-key-policy"): "api_keys:read",
    ("PUT", "/api/v1/api-key-policy"): "users:manage",
    ("GET", "/api/v1/users"): "users:read",
    ("POST", "/api/v1/users"): "users:manage",
    ("PATCH", "/api/v1/users/{id}"): "users:manage",
    ("POST", "/api/v1/users/{id}/unlock"): "users:manage",
    ("DELETE", "/api/v1/users/{id}"): "users:manage",
    ("GET", "/api/v1/incidents"): "incidents:read",
    ("POST", "/api/v1/incidents"): "incidents:create",
    ("GET", "/api/v1/incidents/{id}"): "incidents:read",
    ("PATCH", "/api/v1/incidents/{id}"): "incidents:update",
    ("GET", "/api/v1/procedures"): "procedures:read",
    ("POST", "/api/v1/procedures"): "procedures:create",
    ("POST", "/api/v1/procedures/{id}/execute"): "procedures:execute",
    ("GET", "/api/v1/audit-log"): "audit:read",
    ("GET", "/api/v1/sso-connections"): "users:manage",
    ("PUT", "/api/v1/sso-connections"): "users:manage",
    ("POST", "/api/v1/sso-connections/test"): "users:manage",
    ("GET", "/api/v1/sso-connections/named"): "users:manage",
    ("GET", "/api/v1/sso-connections/named/{name}"): "users:manage",
    ("PUT", "/api/v1/sso-connections/named/{name}"): "users:manage",
    ("DELETE", "/api/v1/sso-connections/named/{name}"): "users:manage",
    ("DELETE", "/api/v1/users/{id}/mfa"): "users:manage",
    ("GET", "/api/v1/mfa-policy"): "users:read",
    ("PUT", "/api/v1/mfa-policy"): "users:manage",
    ("GET", "/api/v1/sso-policy"): "users:read",
    ("PUT", "/api/v1/sso-policy"): "users:manage",
}
LISTS = ("/users", "/incidents", "/procedures", "/api-keys", "/audit-log")
# The audit event of another organization's request for one of ours (doc/api.md section 6, Audit).
PROBED = "auth.cross_tenant_denied"
# What the matrix's request needs besides the route's permission: the role
# its body grants (a viewer).
# Creating a viewer, or changing or deleting one (the matrix's target), also
# takes the viewer's permissions: nobody grants, or changes a user holding,
# more than they hold themselves.
GRANT_NEEDS = {("POST", "/api/v1/users"): sorted(api.ROLE_PERMS["viewer"]),
               # A rotation makes a key and ends one.
               ("POST", "/api/v1/api-keys/{id}/rotate"): ["api_keys:delete"],
               ("PATCH", "/api/v1/users/{id}"): sorted(api.ROLE_PERMS["viewer"]),
               ("DELETE", "/api/v1/users/{id}"): sorted(api.ROLE_PERMS["viewer"])}


def only_on(fe, name):
    """True when this test should run here (on `name`, or wherever it is not started)."""
    return fe.name == name or name not in fe.harness.frontends


def ids(items):
    return [i.get("id") for i in items]


# ---------------------------------------------------------------- permissions

def test_permission_matrix(fe):
    """Every route needing a permission: each role, a key lacking it, a key holding only it."""
    if not only_on(fe, MATRIX_FRONTEND):
        return
    table = {(m, p): perm for m, p, perm in api.routes(fe) if ":" in perm}
    expect(table == ROUTE_PERMS, "the route table differs from doc/api.md section 6:\n  only in "
           "the service: %r\n  only in doc/api.md: %r\n  different: %r" % (
               {k: v for k, v in table.items() if k not in ROUTE_PERMS},
               {k: v for k, v in ROUTE_PERMS.items() if k not in table},
               {k: (table[k], ROUTE_PERMS[k]) for k in table
                if k in ROUTE_PERMS and table[k] != ROUTE_PERMS[k]}))

    org = Org(fe, "matrix")
    admin = org.client
    target = org.add_user("viewer", login_now=False)
    incident = org.incident()
    procedure = org.procedure()

    def fresh_key_id():
        return org.create_key(["incidents:read"])["id"]

    # (method, path) -> (path maker, body maker, success status)
    requests = {
        ("POST", "/api/v1/api-keys"): (
            lambda: "/api-keys",
            lambda: {"name": api.unique("m"), "permissions": ["api_keys:create"]}, 201),
        ("GET", "/api/v1/api-keys"): (lambda: "/api-keys", None, 200),
        ("DELETE", "/api/v1/api-keys/{id}"): (lambda: "/api-keys/" + fresh_key_id(), None, 204),
        ("POST", "/api/v1/api-keys/{id}/rotate"): (
            lambda: "/api-keys/%s/rotate" % org.create_key(["api_keys:create"])["id"], None, 201),
        ("GET", "/api/v1/api-keys/{id}/activity"): (
            lambda: "/api-keys/%s/activity" % fresh_key_id(), None, 200),
        ("GET", "/api/v1/api-key-policy"): (lambda: "/api-key-policy", None, 200),
        ("PUT", "/api/v1/api-key-policy"): (
            lambda: "/api-key-policy", lambda: {"rotation_period_days": 90}, 200),
        ("GET", "/api/v1/users"): (lambda: "/users", None, 200),
        ("POST", "/api/v1/users"): (
            lambda: "/users",
            lambda: {"email": api.unique_email("m"), "name": "M", "role": "viewer",
                     "password": api.PASSWORD}, 201),
        ("PATCH", "/api/v1/users/{id}"): (
            lambda: "/users/" + target.id, lambda: {"name": api.unique("renamed")}, 200),
        ("POST", "/api/v1/users/{id}/unlock"): (lambda: "/users/%s/unlock" % target.id, None, 204),
        ("DELETE", "/api/v1/users/{id}"): (
            lambda: "/users/" + org.add_user("viewer", login_now=False).id, None, 204),
        ("GET", "/api/v1/incidents"): (lambda: "/incidents", None, 200),
        ("POST", "/api/v1/incidents"): (
            lambda: "/incidents", lambda: {"title": api.unique("m"), "severity": "low"}, 201),
        ("GET", "/api/v1/incidents/{id}"): (lambda: "/incidents/" + incident["id"], None, 200),
        ("PATCH", "/api/v1/incidents/{id}"): (
            lambda: "/incidents/" + incident["id"], lambda: {"status": "acknowledged"}, 200),
        ("GET", "/api/v1/procedures"): (lambda: "/procedures", None, 200),
        ("POST", "/api/v1/procedures"): (
            lambda: "/procedures", lambda: {"name": api.unique("m")}, 201),
        ("POST", "/api/v1/procedures/{id}/execute"): (
            lambda: "/procedures/%s/execute" % procedure["id"],
            lambda: {"incident_id": incident["id"]}, 202),
        ("GET", "/api/v1/audit-log"): (lambda: "/audit-log", None, 200),
        ("GET", "/api/v1/sso-connections"): (lambda: "/sso-connections", None, 200),
        ("PUT", "/api/v1/sso-connections"): (lambda: "/sso-connections", lambda: sso, 200),
        ("POST", "/api/v1/sso-connections/test"): (
            lambda: "/sso-connections/test", lambda: {"issuer": provider.issuer}, 200),
        ("GET", "/api/v1/sso-connections/named"): (lambda: "/sso-connections/named", None, 200),
        ("GET", "/api/v1/sso-connections/named/{name}"): (
            lambda: "/sso-connections/named/default", None, 200),
        ("PUT", "/api/v1/sso-connections/named/{name}"): (
            lambda: "/sso-connections/named/default", lambda: sso, 200),
        ("DELETE", "/api/v1/sso-connections/named/{name}"): (lambda: named_connection(), None, 204),
        ("DELETE", "/api/v1/users/{id}/mfa"): (lambda: "/users/%s/mfa" % target.id, None, 204),
        ("GET", "/api/v1/mfa-policy"): (lambda: "/mfa-policy", None, 200),
        ("PUT", "/api/v1/mfa-policy"): (lambda: "/mfa-policy", lambda: {"require": "none"}, 200),
        ("GET", "/api/v1/sso-policy"): (lambda: "/sso-policy", None, 200),
        ("PUT", "/api/v1/sso-policy"): (lambda: "/sso-policy", lambda: {"require_sso": False}, 200),
    }
    # A connection to read (GET sorts before the PUT that would create one).
    # Saving one fetches the provider's discovery document and keys: a fake
    # provider on loopback answers them (it lives as long as the test process).
    provider = oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc" / ("matrix-" + fe.name))
    sso = {"issuer": provider.issuer, "client_id": "matrix", "client_secret": "matrix-secret"}

    def named_connection():
        """A named connection of its own for each DELETE (at most 6 of the 10 an organization may have)."""
        name = "m-" + uuid.uuid4().hex[:8]
        ok(admin.request("PUT", "/sso-connections/named/" + name,
                         body=dict(sso, client_id=name)), 201, "PUT a named connection")
        return "/sso-connections/named/" + name
    ok(admin.request("PUT", "/sso-connections", body=sso), 200, "PUT /sso-connections")
    principals = {role: org.user(role).client for role in ("admin", "engineer", "viewer")}
    problems = []
    denied_viewer = set()
    for (method, route), perm in sorted(ROUTE_PERMS.items()):
        path_of, body_of, success = requests[(method, route)]
        without = [p for p in api.ALL_PERMS if p != perm]
        callers = [(role, c, perm in api.ROLE_PERMS[role]) for role, c in principals.items()]
        callers.append(("key without %s" % perm, org.key_client(without)[0], False))
        # Creating a viewer also takes the viewer's permissions: nobody grants a
        # role above their own (doc/SECURITY.md "API keys and roles").
        only = [perm] + GRANT_NEEDS.get((method, route), [])
        callers.append(("key with only %s" % " + ".join(only), org.key_client(only)[0], True))
        callers.append(("no credential", Client(fe), None))
        for who, client, allowed in callers:
            r = client.request(method, path_of(), body=body_of() if body_of else None)
            label = "%s %s as %s" % (method, route, who)
            try:
                if allowed is None:
                    checks.error(r, 401, "INVALID_TOKEN")
                elif allowed:
                    expect(r.status == success, "allowed, expected %d" % success, r)
                else:
                    denied(r, "not allowed")
                    if who == "viewer":
                        denied_viewer.add(perm)
            except AssertionError as e:
                problems.append("%s: %s" % (label, e))
    expect(not problems, "%d of %d checks failed:\n%s" % (
        len(problems), len(ROUTE_PERMS) * 6, "\n".join(problems)))
    # Each refusal is audited as permission.denied naming the permission.
    viewer = org.user("viewer")
    trail = admin.list("/audit-log?action=permission.denied&limit=200&actor_id=" + viewer.id)
    got = {(e.get("target") or {}).get("id") for e in trail}
    expect(got == denied_viewer, "permission.denied entries of the viewer name %r, not %r"
           % (sorted(got, key=str), sorted(denied_viewer)))
    expect(all(e["outcome"] == "denied" and e["actor"] == {"type": "user", "id": viewer.id}
               for e in trail), "permission.denied entries: %r" % trail[:2])


# ---------------------------------------------------------------- organizations

def test_two_organizations_cannot_reach_each_other(fe):
    orgs = []
    for label in ("iso-a", "iso-b"):
        o = Org(fe, label)
        o.member = o.add_user("engineer")
        o.inc = o.incident(description="secret of " + o.name)
        o.proc = o.procedure(description="runbook of " + o.name)
        o.execution = ok(o.client.post("/procedures/%s/execute" % o.proc["id"],
                                       {"incident_id": o.inc["id"]}), 202, "execute")
        o.keyc, o.key = o.key_client(list(api.ALL_PERMS))
        orgs.append(o)
    for me, other in ((orgs[0], orgs[1]), (orgs[1], orgs[0])):
        their_ids = {other.id, other.admin.id, other.member.id, other.inc["id"],
                     other.proc["id"], other.execution["id"], other.key["id"]}
        for who, c in (("admin", me.client), ("key", me.keyc)):
            what = "%s of %s" % (who, me.name)
            # Lists never show the other's rows (nor mention their ids or names).
            for path in LISTS + ("/incidents?status=open", "/incidents?status=acknowledged",
                                 "/audit-log?action=incident.created",
                                 "/audit-log?limit=200"):
                r = c.get(path)
                items = ok(r, 200, "%s GET %s" % (what, path))
                text = r.body.decode()
                if path.startswith("/audit-log"):
                    # The other's probes of this organization are recorded here,
                    # naming the prober by design (doc/api.md section 6, Audit):
                    # what is checked is that nothing else of theirs shows.
                    text = json.dumps([e for e in items if e["action"] != PROBED])
                leaked = [i for i in their_ids if i in text] + \
                    ([other.name] if other.name in text else [])
                expect(not leaked, "%s GET %s shows the other organization's %r"
                       % (what, path, leaked), r)
                if path in ("/users", "/incidents", "/procedures", "/api-keys"):
                    expect(items, "%s GET %s is empty: the test proves nothing" % (what, path))
            # Filtering by the other's actor finds nothing but its probes of this organization.
            for actor in (other.admin.id, other.key["id"]):
                events = c.list("/audit-log?actor_id=" + actor)
                expect(all(e["action"] == PROBED and e["outcome"] == "denied" for e in events),
                       "%s: audit-log?actor_id= of the other organization: %r" % (what, events))
            # Direct access by the other's ids (also in upper case) and by guessed ids.
            for oid in (other.inc["id"], other.inc["id"].upper(), api.random_uuid()):
                not_found(c.get("/incidents/" + oid), "%s GET /incidents/{theirs}" % what)
                not_found(c.patch("/incidents/" + oid, {"status": "resolved", "title": "pwned"}),
                          "%s PATCH /incidents/{theirs}" % what)
            for uid in (other.member.id, other.admin.id, api.random_uuid()):
                not_found(c.patch("/users/" + uid, {"name": "pwned", "active": False}),
                          "%s PATCH /users/{theirs}" % what)
                not_found(c.post("/users/%s/unlock" % uid), "%s unlock {theirs}" % what)
            for pid in (other.proc["id"], api.random_uuid()):
                not_found(c.post("/procedures/%s/execute" % pid, {}),
                          "%s executing the other's procedure" % what)
            not_found(c.post("/procedures/%s/execute" % me.proc["id"],
                             {"incident_id": other.inc["id"]}),
                      "%s executing its procedure for the other's incident" % what)
            not_found(c.post("/procedures/%s/execute" % me.proc["id"],
                             {"incident_id": api.random_uuid()}),
                      "%s executing for a guessed incident id" % what)
            for kid in (other.key["id"], api.random_uuid()):
                not_found(c.delete("/api-keys/" + kid), "%s deleting the other's key" % what)
        # Not even the other's key works for writing into my organization: it acts in its own.
        inc = ok(other.keyc.post("/incidents", {"title": api.unique("own"), "severity": "low"}),
                 201, "the other's key creating an incident")
        expect(inc["id"] not in ids(me.client.list("/incidents")),
               "an incident made by the other's key shows up here")
    # Nothing of either organization changed.
    for o in orgs:
        inc = ok(o.client.get("/incidents/" + o.inc["id"]), 200, "own incident")
        expect(inc["title"] == o.inc["title"] and inc["status"] == "open",
               "an incident was changed by the other organization: %r" % inc)
        users = {u["id"]: u for u in o.client.list("/users")}
        expect(users[o.member.id]["active"] and users[o.member.id]["name"] == "Engineer",
               "a user was changed by the other organization: %r" % users[o.member.id])
        ok(o.keyc.get("/incidents"), 200, "own key still works")
        ok(o.member.client.get("/incidents"), 200, "own member still works")


# ---------------------------------------------------------------- validation

def long(n, c="x"):
    return c * n


def test_validation_errors_name_their_field(fe):
    org = Org(fe, "valid")
    c = org.client
    victim = org.add_user("viewer", login_now=False)
    incident = org.incident()
    procedure = org.procedure()
    pw = api.PASSWORD

    def user(**kw):
        body = {"email": api.unique_email("v"), "name": "V", "role": "viewer", "password": pw}
        body.update(kw)
        return {k: v for k, v in body.items() if v is not MISSING}

    def incident_body(**kw):
        body = {"title": "T", "severity": "low"}
        body.update(kw)
        return {k: v for k, v in body.items() if v is not MISSING}

    cases = [
        # POST /users {email, name, role, password?} (no password: an activation link)
        ("POST", "/users", user(email=MISSING), "email"),
        ("POST", "/users", user(email=""), "email"),
        ("POST", "/users", user(email="ab"), "email"),
        ("POST", "/users", user(email=long(250) + "@x.io"), "email"),
        ("POST", "/users", user(email="no-at-sign.example.com"), "email"),
        ("POST", "/users", user(email=5), "email"),
        ("POST", "/users", user(email=None), "email"),
        ("POST", "/users", user(name=MISSING), "name"),
        ("POST", "/users", user(name=""), "name"),
        ("POST", "/users", user(name=long(201)), "name"),
        ("POST", "/users", user(name=["V"]), "name"),
        ("POST", "/users", user(role=MISSING), "role"),
        ("POST", "/users", user(role="superuser"), "role"),
        ("POST", "/users", user(role="Admin"), "role"),
        ("POST", "/users", user(role=1), "role"),
        ("POST", "/users", user(password=None), "password"),
        ("POST", "/users", user(password=long(11)), "password"),
        ("POST", "/users", user(password=long(1025)), "password"),
        ("POST", "/users", user(password=123456789012345), "password"),
        # PATCH /users/{id} {name?, role?, active?}
        ("PATCH", "/users/" + victim.id, {"name": ""}, "name"),
        ("PATCH", "/users/" + victim.id, {"name": long(201)}, "name"),
        ("PATCH", "/users/" + victim.id, {"name": 3}, "name"),
        ("PATCH", "/users/" + victim.id, {"name": None}, "name"),
        ("PATCH", "/users/" + victim.id, {"role": "root"}, "role"),
        ("PATCH", "/users/" + victim.id, {"role": None}, "role"),
        ("PATCH", "/users/" + victim.id, {"active": "false"}, "active"),
        ("PATCH", "/users/" + victim.id, {"active": 0}, "active"),
        ("PATCH", "/users/" + victim.id, {"active": None}, "active"),
        # POST /incidents {title, severity, description?}
        ("POST", "/incidents", incident_body(title=MISSING), "title"),
        ("POST", "/incidents", incident_body(title=""), "title"),
        ("POST", "/incidents", incident_body(title=long(501)), "title"),
        ("POST", "/incidents", incident_body(title=42), "title"),
        ("POST", "/incidents", incident_body(severity=MISSING), "severity"),
        ("POST", "/incidents", incident_body(severity="urgent"), "severity"),
        ("POST", "/incidents", incident_body(severity="HIGH"), "severity"),
        ("POST", "/incidents", incident_body(severity=None), "severity"),
        ("POST", "/incidents", incident_body(description=long(10001)), "description"),
        ("POST", "/incidents", incident_body(description=7), "description"),
        ("POST", "/incidents", incident_body(description={"a": 1}), "description"),
        # PATCH /incidents/{id} {title?, severity?, status?, description?}
        ("PATCH", "/incidents/" + incident["id"], {"title": ""}, "title"),
        ("PATCH", "/incidents/" + incident["id"], {"title": long(501)}, "title"),
        ("PATCH", "/incidents/" + incident["id"], {"title": None}, "title"),
        ("PATCH", "/incidents/" + incident["id"], {"severity": "sev1"}, "severity"),
        ("PATCH", "/incidents/" + incident["id"], {"status": "closed"}, "status"),
        ("PATCH", "/incidents/" + incident["id"], {"status": "OPEN"}, "status"),
        ("PATCH", "/incidents/" + incident["id"], {"status": 1}, "status"),
        ("PATCH", "/incidents/" + incident["id"], {"description": long(10001)}, "description"),
        ("PATCH", "/incidents/" + incident["id"], {"description": False}, "description"),
        # POST /procedures {name, description?}
        ("POST", "/procedures", {}, "name"),
        ("POST", "/procedures", {"name": ""}, "name"),
        ("POST", "/procedures", {"name": long(201)}, "name"),
        ("POST", "/procedures", {"name": 1.5}, "name"),
        ("POST", "/procedures", {"name": "P", "description": long(10001)}, "description"),
        ("POST", "/procedures", {"name": "P", "description": []}, "description"),
        # POST /procedures/{id}/execute {incident_id?}
        ("POST", "/procedures/%s/execute" % procedure["id"], {"incident_id": "abc"}, "incident_id"),
        ("POST", "/procedures/%s/execute" % procedure["id"], {"incident_id": 12}, "incident_id"),
        ("POST", "/procedures/%s/execute" % procedure["id"], {"incident_id": long(36, "z")},
         "incident_id"),
        # POST /api-keys: test_apikeys.test_create_validation
    ]
    problems = []
    for method, path, body, field in cases:
        try:
            validation_error(c.request(method, path, body=body), field,
                             "%s %s %s" % (method, path.split("/")[1], _short(body)))
        except AssertionError as e:
            problems.append(str(e))
    # A body that is not an object, and several errors at once.
    for method, path in (("POST", "/users"), ("POST", "/incidents"), ("POST", "/procedures"),
                         ("PATCH", "/incidents/" + incident["id"]),
                         ("PATCH", "/users/" + victim.id)):
        for body in ("[]", '"text"', "42"):
            r = c.request(method, path, body=body)
            if r.status != 400 or (r.json or {}).get("code") != "VALIDATION_ERROR":
                problems.append("%s %s with body %s: %r" % (method, path, body, r))
    r = c.post("/users", {})
    # password is optional (without one the user gets an activation link).
    expect(not any(e.get("field") == "password" for e in (r.json or {}).get("errors", [])),
           "POST /users {}: password named as required", r)
    for field in ("email", "name", "role"):
        try:
            validation_error(r, field, "POST /users {}")
        except AssertionError as e:
            problems.append(str(e))
    expect(not problems, "%d validation checks failed:\n%s" % (len(problems), "\n".join(problems)))

    # The limits are exact: the longest accepted values (in characters, not bytes) work.
    u = ok(c.post("/users", user(name=long(200, "é"), password=long(12, "p"))), 201,
           "a 200-character name and a 12-character password")
    expect(u["name"] == long(200, "é"), "the 200-character name is not stored as sent")
    ok(c.patch("/users/" + victim.id, {"name": long(200, "ü")}), 200, "PATCH a 200-character name")
    i = ok(c.post("/incidents", {"title": long(500, "ß"), "severity": "critical",
                                 "description": long(10000, "d")}), 201, "the longest incident")
    expect(i["title"] == long(500, "ß") and len(i["description"]) == 10000,
           "the longest incident is not stored as sent")
    ok(c.patch("/incidents/" + incident["id"], {"description": None}), 200, "description: null")
    ok(c.post("/procedures", {"name": long(200, "n"), "description": None}), 201,
       "the longest procedure name")
    # None of the refused requests created anything.
    titles = {x["title"] for x in c.list("/incidents?limit=200")}
    expect(titles <= {incident["title"], long(500, "ß")}, "a refused request created an incident")


class _Missing:
    pass


MISSING = _Missing()


def _short(body):
    text = repr(body)
    return text if len(text) < 80 else text[:77] + "..."


# ---------------------------------------------------------------- lists

def test_lists_newest_first_with_limit_and_offset(fe):
    org = Org(fe, "lists")
    c = org.client
    made = {
        "/users": [org.add_user("viewer", login_now=False).id for _ in range(2)],
        "/incidents": [org.incident()["id"] for _ in range(3)],
        "/procedures": [org.procedure()["id"] for _ in range(3)],
        "/api-keys": [org.create_key(["incidents:read"])["id"] for _ in range(3)],
    }
    made["/users"].insert(0, org.admin.id)
    for path in LISTS:
        items = c.list(path)
        stamp = "occurred_at" if path == "/audit-log" else "created_at"
        times = [api.parse_time(i[stamp]) for i in items]
        expect(times == sorted(times, reverse=True), "GET %s is not newest first" % path)
        if path in made:
            expect(ids(items) == list(reversed(made[path])),
                   "GET %s: %r is not the creation order reversed %r"
                   % (path, ids(items), list(reversed(made[path]))))
        n = len(items)
        expect(n >= 3, "GET %s has fewer than 3 items" % path)
        expect(ids(c.list(path + "?limit=2")) == ids(items)[:2], "GET %s?limit=2" % path)
        expect(ids(c.list(path + "?limit=2&offset=1")) == ids(items)[1:3],
               "GET %s?limit=2&offset=1" % path)
        expect(ids(c.list(path + "?offset=%d" % (n - 1))) == ids(items)[n - 1:],
               "GET %s?offset=n-1" % path)
        expect(c.list(path + "?offset=%d" % (n + 5)) == [], "GET %s past the end" % path)
        expect(len(c.list(path + "?limit=1")) == 1, "GET %s?limit=1" % path)
        expect(len(c.list(path + "?limit=200")) == n, "GET %s?limit=200" % path)
        for bad in ("0", "201", "abc", "-1", "1.5", "", "1e2", "0x10", "99999999999999999999"):
            validation_error(c.get(path + "?limit=" + bad), "limit",
                             "GET %s?limit=%s" % (path, bad))
        for bad in ("-1", "abc", "1.5"):
            validation_error(c.get(path + "?offset=" + bad), "offset",
                             "GET %s?offset=%s" % (path, bad))


def test_list_default_50_and_max_200(fe):
    org = Org(fe, "bulk")
    # 230 incidents, oldest first, written straight into MariaDB (a second apart).
    fe.harness.sql(
        "INSERT INTO overwatch_it.incidents (id, organization_id, title, severity, status, "
        "created_by_type, created_by_id, created_at, updated_at) "
        "SELECT UUID(), '%s', CONCAT('bulk ', LPAD(seq, 3, '0')), 'low', 'open', 'user', '%s', "
        "UTC_TIMESTAMP(6) - INTERVAL seq SECOND, UTC_TIMESTAMP(6) FROM overwatch_it.seq_1_to_230"
        % (org.id, org.admin.id))
    c = org.client
    default = c.list("/incidents")
    expect(len(default) == 50, "no ?limit= returns %d items, not 50" % len(default))
    expect([i["title"] for i in default] == ["bulk %03d" % n for n in range(1, 51)],
           "the default page is not the 50 newest")
    top = c.list("/incidents?limit=200")
    expect(len(top) == 200, "?limit=200 returns %d" % len(top))
    expect([i["title"] for i in top] == ["bulk %03d" % n for n in range(1, 201)],
           "?limit=200 is not the 200 newest in order")
    rest = c.list("/incidents?limit=200&offset=200")
    expect([i["title"] for i in rest] == ["bulk %03d" % n for n in range(201, 231)],
           "?offset=200 is not the 30 oldest")
    validation_error(c.get("/incidents?limit=201"), "limit", "?limit=201")


# ---------------------------------------------------------------- incidents

INCIDENT_FIELDS = {"id", "title", "severity", "status", "description", "created_by", "created_at"}


def test_incidents_create_get_update(fe):
    org = Org(fe, "incidents")
    c = org.client
    r = c.post("/incidents", {"title": "Database down", "severity": "critical",
                              "description": "primary unreachable"})
    inc = ok(r, 201, "POST /incidents")
    expect(INCIDENT_FIELDS <= set(inc), "incident lacks %s" % (INCIDENT_FIELDS - set(inc)), r)
    expect(api.UUID_RE.fullmatch(inc["id"]), "incident id is not a UUID", r)
    expect((inc["title"], inc["severity"], inc["status"], inc["description"]) ==
           ("Database down", "critical", "open", "primary unreachable"), "created incident", r)
    expect(inc["created_by"] == {"type": "user", "id": org.admin.id}, "created_by of a user", r)
    api.parse_time(inc["created_at"])
    got = ok(c.get("/incidents/" + inc["id"]), 200, "GET /incidents/{id}")
    expect(got == inc, "GET returns %r, POST returned %r" % (got, inc))
    got = ok(c.get("/incidents/" + inc["id"].upper()), 200, "GET /incidents/{ID in upper case}")
    expect(got["id"] == inc["id"], "upper-case id")

    r = c.patch("/incidents/" + inc["id"], {"status": "acknowledged", "severity": "high"})
    upd = ok(r, 200, "PATCH /incidents/{id}")
    expect((upd["title"], upd["severity"], upd["status"], upd["description"]) ==
           ("Database down", "high", "acknowledged", "primary unreachable"),
           "PATCH changed what it was not asked to, or not what it was", r)
    expect(upd["created_by"] == inc["created_by"] and upd["created_at"] == inc["created_at"],
           "PATCH changed created_by/created_at", r)
    upd = ok(c.patch("/incidents/" + inc["id"], {"title": "DB back", "status": "resolved",
                                                  "description": None}), 200, "PATCH 2")
    expect((upd["title"], upd["status"], upd["description"]) == ("DB back", "resolved", None),
           "PATCH title/status/description: %r" % upd)
    same = ok(c.patch("/incidents/" + inc["id"], {}), 200, "PATCH {}")
    expect({k: same[k] for k in INCIDENT_FIELDS} == {k: upd[k] for k in INCIDENT_FIELDS},
           "an empty PATCH changed the incident")
    expect(ok(c.get("/incidents/" + inc["id"]), 200, "GET")["status"] == "resolved",
           "the update is not stored")

    # Created by an API key: created_by names the key.
    kc, k = org.key_client(["incidents:create", "incidents:read", "incidents:update"])
    kinc = ok(kc.post("/incidents", {"title": "From CI", "severity": "low"}), 201, "key POST")
    expect(kinc["created_by"] == {"type": "api_key", "id": k["id"]},
           "created_by of a key: %r" % kinc["created_by"])
    expect(kinc["description"] is None, "description defaults to null")
    ok(kc.patch("/incidents/" + inc["id"], {"status": "open"}), 200, "key PATCH")
    expect(ok(c.get("/incidents/" + inc["id"]), 200, "GET")["created_by"]["type"] == "user",
           "an update by a key changed created_by")

    for bad in (api.random_uuid(), "not-a-uuid", "1", inc["id"] + "0"):
        not_found(c.get("/incidents/" + bad), "GET /incidents/%s" % bad)
        not_found(c.patch("/incidents/" + bad, {"status": "open"}), "PATCH /incidents/%s" % bad)


def test_incidents_status_filter(fe):
    org = Org(fe, "filter")
    c = org.client
    a, b, d = org.incident(), org.incident(), org.incident()
    ok(c.patch("/incidents/" + b["id"], {"status": "resolved"}), 200, "resolve b")
    ok(c.patch("/incidents/" + d["id"], {"status": "acknowledged"}), 200, "ack d")
    expect(ids(c.list("/incidents?status=open")) == [a["id"]], "?status=open")
    expect(ids(c.list("/incidents?status=resolved")) == [b["id"]], "?status=resolved")
    expect(ids(c.list("/incidents?status=acknowledged")) == [d["id"]], "?status=acknowledged")
    expect(ids(c.list("/incidents")) == [d["id"], b["id"], a["id"]], "no filter: newest first")
    expect(ids(c.list("/incidents?status=open&limit=1&offset=1")) == [], "filter with paging")
    for bad in ("closed", "OPEN", "", "open,resolved"):
        validation_error(c.get("/incidents?status=" + bad), "status", "?status=%s" % bad)


# ---------------------------------------------------------------- procedures

def test_procedures_create_list_execute(fe):
    org = Org(fe, "procedures")
    c = org.client
    r = c.post("/procedures", {"name": "Restart DB", "description": "systemctl restart"})
    proc = ok(r, 201, "POST /procedures")
    expect(api.UUID_RE.fullmatch(proc.get("id", "")) and proc.get("name") == "Restart DB"
           and proc.get("description") == "systemctl restart", "created procedure", r)
    expect(proc.get("created_by") == {"type": "user", "id": org.admin.id}, "created_by", r)
    p2 = org.procedure()
    expect(ids(c.list("/procedures")) == [p2["id"], proc["id"]], "procedures newest first")
    listed = c.list("/procedures")[1]
    expect(listed["name"] == "Restart DB" and listed["description"] == "systemctl restart",
           "listed procedure: %r" % listed)

    inc = org.incident()
    engineer = org.user("engineer")
    kc, k = org.key_client(["procedures:execute"])
    runs = [
        ("no body", c.post("/procedures/%s/execute" % proc["id"]), None,
         {"type": "user", "id": org.admin.id}),
        ("empty object", c.post("/procedures/%s/execute" % proc["id"], {}), None,
         {"type": "user", "id": org.admin.id}),
        ("incident_id", engineer.client.post("/procedures/%s/execute" % proc["id"],
                                             {"incident_id": inc["id"]}), inc["id"],
         {"type": "user", "id": engineer.id}),
        ("incident_id: null", c.post("/procedures/%s/execute" % proc["id"],
                                     {"incident_id": None}), None,
         {"type": "user", "id": org.admin.id}),
        ("by an API key", kc.post("/procedures/%s/execute" % proc["id"],
                                  {"incident_id": inc["id"].upper()}), inc["id"],
         {"type": "api_key", "id": k["id"]}),
    ]
    seen = set()
    for what, r, incident_id, by in runs:
        ex = ok(r, 202, "execute with %s" % what)
        for f in ("id", "procedure_id", "status", "requested_by", "created_at"):
            expect(f in ex, "execution lacks %s" % f, r)
        expect(api.UUID_RE.fullmatch(ex["id"]) and ex["id"] not in seen, "execution id", r)
        seen.add(ex["id"])
        expect(ex["procedure_id"] == proc["id"] and ex["status"] == "queued",
               "execution procedure_id/status", r)
        expect(ex["requested_by"] == by, "requested_by %r, want %r" % (ex["requested_by"], by), r)
        if "incident_id" in ex:
            expect(ex["incident_id"] == incident_id, "execution incident_id", r)
        api.parse_time(ex["created_at"])
    not_found(c.post("/procedures/%s/execute" % api.random_uuid(), {}), "unknown procedure")
    not_found(c.post("/procedures/not-a-uuid/execute", {}), "malformed procedure id")
    not_found(c.post("/procedures/%s/execute" % proc["id"], {"incident_id": api.random_uuid()}),
              "unknown incident_id")
    other = Org(fe, "procedures-other")
    not_found(c.post("/procedures/%s/execute" % proc["id"],
                     {"incident_id": other.incident()["id"]}), "another organization's incident_id")
    trail = c.list("/audit-log?action=procedure.executed")
    expect(len(trail) == len(runs),
           "procedure.executed entries: %d, want %d" % (len(trail), len(runs)))
    expect(trail[0]["actor"] == {"type": "api_key", "id": k["id"]},
           "the key's execution is not audited with the key as actor: %r" % trail[0])


# ---------------------------------------------------------------- users

def test_users_create_list_and_conflict(fe):
    org = Org(fe, "users")
    c = org.client
    email = api.unique_email("Mixed.Case")
    r = c.post("/users", {"email": "  " + email.upper() + " ", "name": "Jane Doe",
                          "role": "engineer", "password": api.PASSWORD})
    u = ok(r, 201, "POST /users")
    expect(set(u) == api.USER_FIELDS, "user fields are %s" % sorted(u), r)
    expect(api.UUID_RE.fullmatch(u["id"]), "user id", r)
    expect(u["email"] == email.lower(), "email not trimmed and lower-cased: %r" % u["email"], r)
    expect((u["name"], u["role"], u["organization_id"], u["active"], u["locked_until"]) ==
           ("Jane Doe", "engineer", org.id, True, None), "created user", r)
    api.parse_time(u["created_at"])
    users = c.list("/users")
    expect(ids(users) == [u["id"], org.admin.id], "GET /users: newest first, both users")
    expect(users[0] == u, "listed user %r differs from the created one %r" % (users[0], u))
    expect(all(set(x) == api.USER_FIELDS for x in users), "listed user fields")

    body = ok(api.login(fe, email, api.PASSWORD), 200, "the new user logs in")
    expect(body["user"]["role"] == "engineer" and body["user"]["organization_id"] == org.id,
           "login of the new user: %r" % body["user"])

    for dup in (email, email.upper(), " %s " % email):
        r = c.post("/users", {"email": dup, "name": "Dup", "role": "viewer",
                              "password": api.PASSWORD})
        checks.error(r, 409, "CONFLICT")
    # An address of another organization answers like a malformed one, not
    # 409 (doc/SECURITY.md, "Request edge"): an admin cannot probe who has an
    # account elsewhere.
    other = Org(fe, "users-other")
    r = c.post("/users", {"email": other.admin.email, "name": "Dup", "role": "viewer",
                          "password": api.PASSWORD})
    validation_error(r, "email", "POST /users with another organization's address")
    expect(len(c.list("/users")) == 2, "a refused duplicate created a user")
    # An engineer reads users but cannot create them.
    eng = api.User(fe, u, api.PASSWORD).login()
    expect(len(eng.client.list("/users")) == 2, "engineer's GET /users")
    denied(eng.client.post("/users", {"email": api.unique_email(), "name": "X", "role": "admin",
                                      "password": api.PASSWORD}), "engineer creating a user")


def test_users_update(fe):
    org = Org(fe, "update")
    c = org.client
    u = org.add_user("viewer", login_now=False)
    r = c.patch("/users/" + u.id, {"name": "Renamed"})
    body = ok(r, 200, "PATCH name")
    expect(set(body) == api.USER_FIELDS, "PATCH returns the full user", r)
    expect((body["id"], body["name"], body["role"], body["active"]) ==
           (u.id, "Renamed", "viewer", True), "PATCH name", r)
    body = ok(c.patch("/users/" + u.id, {"role": "engineer"}), 200, "PATCH role")
    expect((body["name"], body["role"]) == ("Renamed", "engineer"), "PATCH role: %r" % body)
    body = ok(c.patch("/users/" + u.id, {"active": False}), 200, "PATCH active")
    expect(body["active"] is False and body["role"] == "engineer", "PATCH active: %r" % body)
    body = ok(c.patch("/users/" + u.id, {"active": True, "role": "viewer", "name": "Back"}),
              200, "PATCH all three")
    expect((body["name"], body["role"], body["active"]) == ("Back", "viewer", True),
           "PATCH all three: %r" % body)
    listed = {x["id"]: x for x in c.list("/users")}[u.id]
    expect(listed == body, "GET /users after PATCH: %r" % listed)
    for bad in (api.random_uuid(), "nope"):
        not_found(c.patch("/users/" + bad, {"name": "x"}), "PATCH /users/%s" % bad)
        not_found(c.post("/users/%s/unlock" % bad), "unlock /users/%s" % bad)
    trail = c.list("/audit-log?action=user.updated")
    expect(len(trail) == 4 and all(e["target"] == {"type": "user", "id": u.id} for e in trail),
           "user.updated entries: %r" % trail[:2])


def test_no_role_above_the_callers_own(fe):
    """POST /users and PATCH /users/{id} grant a role only within the caller's permissions.

    Every role, by every kind of caller that reaches the routes: the admin,
    keys with all permissions, with the engineer's permissions and
    users:manage, with the viewer's and users:manage, with users:manage alone
    (and the engineer and viewer, who do not reach them). A refusal is 403
    INSUFFICIENT_PERMISSIONS, writes nothing (no user, no role or name
    change) and is audited as permission.denied naming the role.
    """
    if not only_on(fe, MATRIX_FRONTEND):
        return
    org = Org(fe, "grant")
    manage = ["users:read", "users:manage"]
    everything = {"admin", "engineer", "viewer"}
    kinds = [   # (label, the key's permissions, the roles it may grant)
        ("key with every permission", list(api.ALL_PERMS), everything),
        ("key with the engineer's permissions + users:manage",
         sorted(api.ROLE_PERMS["engineer"]) + ["users:manage"], {"engineer", "viewer"}),
        ("key with the viewer's permissions + users:manage",
         sorted(api.ROLE_PERMS["viewer"]) + manage, {"viewer"}),
        ("key with users:manage only", ["users:manage"], set()),
        ("key with the engineer's permissions but incidents:update + users:manage",
         sorted(api.ROLE_PERMS["engineer"] - {"incidents:update"}) + ["users:manage"], {"viewer"}),
    ]
    callers = [("admin", org.client, everything, None)]   # (label, client, may grant, key)
    for label, perms, may in kinds:
        client, key = org.key_client(perms)
        callers.append((label, client, may, key))
    problems = []
    for label, client, may, key in callers:
        target = org.add_user("viewer", login_now=False, name="Target")
        for role in ("admin", "engineer", "viewer"):
            email = api.unique_email("grant-" + role)
            r = client.post("/users", {"email": email, "name": "New", "role": role,
                                       "password": api.PASSWORD})
            what = "%s creating a%s %s" % (label, "n" if role == "admin" else "", role)
            try:
                if role in may:
                    expect(ok(r, 201, what)["role"] == role, "created with another role", r)
                else:
                    denied(r, what)
                    expect(email not in {u["email"] for u in org.client.list("/users?limit=200")},
                           "%s: the refused user exists" % what)
            except AssertionError as e:
                problems.append(str(e))
            what = "%s changing a viewer's role to %s" % (label, role)
            r = client.patch("/users/" + target.id, {"role": role, "name": "Renamed " + role})
            try:
                if role in may:
                    body = ok(r, 200, what)
                    expect((body["role"], body["name"]) == (role, "Renamed " + role),
                           "%s: %r" % (what, body))
                    ok(org.client.patch("/users/" + target.id, {"role": "viewer", "name": "Target"}),
                       200, "reset the target")
                else:
                    denied(r, what)
                    now = {u["id"]: u for u in org.client.list("/users?limit=200")}[target.id]
                    expect((now["role"], now["name"]) == ("viewer", "Target"),
                           "%s: the refused change was written: %r" % (what, now))
            except AssertionError as e:
                problems.append(str(e))
        if key is not None and len(may) < 3:
            trail = org.client.list("/audit-log?action=permission.denied&actor_id=" + key["id"])
            got = sorted((e.get("target") or {}).get("id") for e in trail)
            want = sorted(r for r in ("admin", "engineer", "viewer") if r not in may) * 2
            if got != sorted(want) or not all(
                    e["target"]["type"] == "role" and e["outcome"] == "denied" for e in trail):
                problems.append("%s: permission.denied entries %r, want two per refused role %r"
                                % (label, [e.get("target") for e in trail], sorted(set(want))))
    # The engineer and the viewer do not reach the routes at all.
    for role in ("engineer", "viewer"):
        u = org.user(role)
        denied(u.client.post("/users", {"email": api.unique_email(), "name": "X", "role": "viewer",
                                        "password": api.PASSWORD}), "%s creating a user" % role)
        denied(u.client.patch("/users/" + u.id, {"role": "admin"}), "%s promoting itself" % role)
    expect(not problems, "%d refusals or grants went wrong:\n%s"
           % (len(problems), "\n".join(problems)))


def test_role_change_applies_to_the_next_request(fe):
    org = Org(fe, "demote")
    eng = org.add_user("engineer")
    token_client = eng.client
    ok(token_client.post("/incidents", {"title": "before", "severity": "low"}), 201,
       "engineer creating an incident")
    ok(org.client.patch("/users/" + eng.id, {"role": "viewer"}), 200, "demote to viewer")
    denied(token_client.post("/incidents", {"title": "after", "severity": "low"}),
           "the same token after the demotion")
    ok(token_client.get("/incidents"), 200, "viewer still reads incidents")
    me = ok(token_client.get("/auth/me"), 200, "/auth/me")
    expect(me["user"]["role"] == "viewer" and set(me["permissions"]) == api.ROLE_PERMS["viewer"],
           "/auth/me after the demotion: %r" % me)
    ok(org.client.patch("/users/" + eng.id, {"role": "admin"}), 200, "promote to admin")
    ok(token_client.get("/audit-log"), 200, "the same token after the promotion")
    ok(token_client.post("/incidents", {"title": "again", "severity": "low"}), 201, "as admin")


def test_deactivation_revokes_sessions_at_once(fe):
    org = Org(fe, "deactivate")
    u = org.add_user("engineer")
    second = api.User(fe, u.info, u.password).login()
    for s in (u, second):
        ok(s.client.get("/auth/me"), 200, "a session before deactivation")
    ok(org.client.patch("/users/" + u.id, {"active": False}), 200, "deactivate")
    for s in (u, second):
        checks.error(s.client.get("/incidents"), 401, "INVALID_TOKEN")
        r = fe.post_json(api.API + "/auth/refresh", {"refresh_token": s.refresh})
        checks.error(r, 401, "INVALID_TOKEN")
    r = api.login(fe, u.email, u.password)
    expect(r.status == 401, "a deactivated user logged in", r)
    # Reactivation does not bring the revoked sessions back.
    ok(org.client.patch("/users/" + u.id, {"active": True}), 200, "reactivate")
    for s in (u, second):
        checks.error(s.client.get("/incidents"), 401, "INVALID_TOKEN")
    fresh = api.User(fe, u.info, u.password).login()
    ok(fresh.client.get("/incidents"), 200, "a new session after reactivation")


def test_last_active_admin_cannot_be_demoted_or_deactivated(fe):
    org = Org(fe, "lastadmin")
    c, me = org.client, org.admin.id
    for change in ({"role": "engineer"}, {"role": "viewer"}, {"active": False},
                   {"role": "viewer", "active": False}):
        checks.error(c.patch("/users/" + me, change), 409, "CONFLICT")
    body = ok(c.patch("/users/" + me, {"role": "admin", "active": True, "name": "Still"}), 200,
              "a no-op change of the last admin")
    expect((body["role"], body["active"]) == ("admin", True), "last admin: %r" % body)
    # A second admin who is inactive does not count.
    second = org.add_user("admin")
    ok(c.patch("/users/" + second.id, {"active": False}), 200, "deactivate the second admin")
    checks.error(c.patch("/users/" + me, {"role": "engineer"}), 409, "CONFLICT")
    ok(c.patch("/users/" + second.id, {"active": True}), 200, "reactivate the second admin")
    # Two active admins: one may go, then the other is the last.
    body = ok(c.patch("/users/" + me, {"role": "engineer"}), 200, "demote one of two admins")
    expect(body["role"] == "engineer", "demoted: %r" % body)
    second.login()
    for change in ({"role": "viewer"}, {"active": False}):
        checks.error(second.client.patch("/users/" + second.id, change), 409, "CONFLICT")
    denied(c.patch("/users/" + second.id, {"role": "viewer"}), "the demoted admin's token")
    roles = {u["id"]: (u["role"], u["active"]) for u in second.client.list("/users")}
    expect(roles[second.id] == ("admin", True) and roles[me] == ("engineer", True),
           "roles after the refused changes: %r" % roles)


def test_last_admin_rule_holds_under_concurrent_demotions(fe):
    """Two admins demoting each other at the same moment: one admin always remains."""
    for _ in range(2):
        org = Org(fe, "race")
        a, b = org.admin, org.add_user("admin")
        results = {}
        start = threading.Barrier(2)

        def demote(who, target):
            start.wait()
            results[who.id] = who.client.patch("/users/" + target.id, {"role": "viewer"})
        threads = [threading.Thread(target=demote, args=(a, b)),
                   threading.Thread(target=demote, args=(b, a))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        statuses = sorted(r.status for r in results.values())
        expect(statuses in ([200, 403], [200, 409]),
               "concurrent demotions answered %r (want one 200, the other 403 or 409)" % statuses)
        # The one who was demoted lost users:read; the other still reads the users.
        winner = a if results[a.id].status == 200 else b
        admins = [u["id"] for u in winner.client.list("/users")
                  if u["role"] == "admin" and u["active"]]
        expect(admins == [winner.id], "active admins after the race: %r" % admins)


def held_transaction(fe, statements):
    """A MariaDB session of the harness's administrator, inside a transaction
    that has run statements and stays open until commit_held."""
    p = subprocess.Popen([harness.which("mariadb", "/usr/bin"), "--no-defaults",
                          "--socket=%s" % fe.harness.db_socket, "-u", getpass.getuser(), "-N", "-B",
                          "-n", harness.DB_NAME], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    p.stdin.write("START TRANSACTION; %s; SELECT 'held';\n" % statements)
    p.stdin.flush()
    line = p.stdout.readline().strip()
    expect(line == "held", "the held transaction did not start: %r" % line)
    return p


def commit_held(p, statements):
    out, _ = p.communicate("%s; COMMIT;\n" % statements, timeout=30)
    expect(p.returncode == 0, "the held transaction failed: %s" % out)


def test_last_admin_rule_judges_the_target_as_it_is_when_locked(fe):
    """A role change reads the session's proof (step-up) before it locks the
    admins, and that first read fixes the transaction's snapshot. A user made
    the only admin while the change waited for the lock must be judged as the
    admin they now are: 409, never a 200 that leaves no admin (doc/api.md,
    the last active admin cannot be demoted)."""
    org = Org(fe, "snapshot")
    boss, target = org.admin, org.add_user("viewer")
    held = held_transaction(fe, "UPDATE organizations SET admin_guard = admin_guard + 1 "
                                "WHERE id = '%s'" % org.id)
    res = {}
    t = threading.Thread(target=lambda: res.setdefault(
        "r", boss.client.patch("/users/" + target.id, {"role": "viewer"})))
    t.start()
    try:
        # The PATCH has read its proof and waits for the organization's row.
        res["waited"] = api.wait_until(lambda: api.sql_rows(fe, "SELECT COUNT(*) FROM information_schema.innodb_trx "
                                                "WHERE trx_state = 'LOCK WAIT'")[0][0] != "0", 20)
    finally:
        commit_held(held, "UPDATE users SET role = 'admin' WHERE id = '%s'; "
                          "UPDATE users SET role = 'viewer' WHERE id = '%s'" % (target.id, boss.id))
        t.join(30)
    admins = api.sql_rows(fe, "SELECT id FROM %s.users WHERE organization_id = '%s' AND role = 'admin' "
                              "AND active = 1" % (harness.DB_NAME, org.id))
    expect(res.get("waited"), "the PATCH never waited for the held organization row")
    checks.error(res.get("r"), 409, "CONFLICT")
    expect(admins == [[target.id]], "active admins after the change: %r" % admins)


def test_unlock(fe):
    org = Org(fe, "unlock")
    u = org.add_user("viewer", login_now=False)
    for _ in range(5):
        checks.error(api.login(fe, u.email, "wrong password " + secrets.token_hex(4)), 401,
                     "INVALID_CREDENTIALS")
    r = api.login(fe, u.email, u.password)
    checks.error(r, 423, "ACCOUNT_LOCKED")
    expect((r.header("Retry-After") or "").isdigit(), "423 without Retry-After", r)
    listed = {x["id"]: x for x in org.client.list("/users")}[u.id]
    until = api.parse_time(listed["locked_until"])
    expect(until > time.time(), "locked_until is not in the future: %r" % listed)
    ok(org.client.post("/users/%s/unlock" % u.id), 204, "POST /users/{id}/unlock")
    listed = {x["id"]: x for x in org.client.list("/users")}[u.id]
    expect(listed["locked_until"] is None, "locked_until after unlock: %r" % listed)
    ok(api.login(fe, u.email, u.password), 200, "login after unlock")
    ok(org.client.post("/users/%s/unlock" % u.id), 204, "unlocking an unlocked user")
    trail = org.client.list("/audit-log?action=user.unlocked")
    expect(trail and trail[0]["target"] == {"type": "user", "id": u.id},
           "user.unlocked: %r" % trail)


# ---------------------------------------------------------------- audit

def test_audit_trail_of_a_full_session(fe):
    ua = "overwatch-it-audit/" + secrets.token_hex(4)
    org = Org(fe, "audit", user_agent=ua)          # auth.register, auth.login
    admin = org.admin
    sid = admin.sid
    checks.error(api.login(fe, admin.email, "not the password at all", ua), 401,
                 "INVALID_CREDENTIALS")           # auth.login_failed
    key = org.create_key(api.SEED_PERMS)           # api_key.created
    kc = Client(fe, key=key["api_key"], user_agent=ua)
    inc = ok(kc.post("/incidents", {"title": "via key", "severity": "medium"}), 201,
             "incident by the key")               # incident.created
    ok(org.client.delete("/api-keys/" + key["id"]), 204, "delete key")   # api_key.deleted
    ok(org.client.post("/auth/logout"), 204, "logout")                   # auth.logout
    reader = api.User(fe, admin.info, admin.password, ua).login()
    # api_key.new_ip comes from the key's batched usage flush, a second or so
    # after its use: its place in the trail is not the session's order.
    trail = [e for e in reader.client.list("/audit-log") if e.get("action") != "api_key.new_ip"]
    user = {"type": "user", "id": admin.id}
    expected = [   # oldest first: (action, outcome, actor or None, acceptable targets)
        ("auth.register", "success", user, [user, {"type": "organization", "id": org.id}]),
        ("auth.login", "success", user, [{"type": "session", "id": sid}, user]),
        ("auth.login_failed", "failure", None, [user]),
        ("api_key.created", "success", user, [{"type": "api_key", "id": key["id"]}]),
        ("incident.created", "success", {"type": "api_key", "id": key["id"]},
         [{"type": "incident", "id": inc["id"]}]),
        ("api_key.deleted", "success", user, [{"type": "api_key", "id": key["id"]}]),
        ("auth.logout", "success", user, [{"type": "session", "id": sid}, user]),
    ]
    positions = []
    now = time.time()
    for action, outcome, actor, targets in expected:
        hits = [(n, e) for n, e in enumerate(trail) if e.get("action") == action
                and e.get("target") in targets]
        expect(len(hits) == 1, "%d entries for %s with target in %r; trail: %r"
               % (len(hits), action, targets, [(e.get("action"), e.get("target")) for e in trail]))
        n, e = hits[0]
        positions.append(n)
        for f in ("id", "occurred_at", "action", "outcome", "actor", "ip", "user_agent", "target"):
            expect(f in e, "%s entry lacks %s: %r" % (action, f, e))
        expect(e["outcome"] == outcome, "%s outcome %r" % (action, e["outcome"]))
        if actor is not None:
            expect(e["actor"] == actor, "%s actor %r, want %r" % (action, e["actor"], actor))
        else:
            expect(isinstance(e["actor"], dict) and "type" in e["actor"], "%s actor" % action)
        expect(e["ip"] == "127.0.0.1", "%s ip %r" % (action, e["ip"]))
        expect(e["user_agent"] == ua, "%s user_agent %r, want %r" % (action, e["user_agent"], ua))
        expect(abs(api.parse_time(e["occurred_at"]) - now) < 120, "%s occurred_at" % action)
    expect(positions == sorted(positions, reverse=True),
           "the trail is not newest first: positions %r" % positions)
    expect(trail[0]["action"] == "auth.login" and trail[0]["actor"] == user,
           "the newest entry is not the reader's login: %r" % trail[0])

    c = reader.client
    only = c.list("/audit-log?action=api_key.created")
    expect(only and all(e["action"] == "api_key.created" for e in only)
           and key["id"] in [e["target"]["id"] for e in only], "?action= filter: %r" % only)
    by_key = c.list("/audit-log?actor_id=" + key["id"])
    expect([e["action"] for e in by_key] == ["incident.created"], "?actor_id=<key>: %r" % by_key)
    by_admin = c.list("/audit-log?actor_id=" + admin.id.upper())
    expect(by_admin and all(e["actor"] == user for e in by_admin), "?actor_id=<admin>")
    both = c.list("/audit-log?action=auth.logout&actor_id=" + admin.id)
    expect(len(both) == 1, "?action=&actor_id=: %r" % both)
    expect(c.list("/audit-log?action=no.such.action") == [], "?action=unknown")
    # ?since=: move the registration a day back, then ask for the last hour.
    fe.harness.sql("UPDATE overwatch_it.audit_log SET occurred_at = occurred_at - INTERVAL 1 DAY "
                   "WHERE organization_id = '%s' AND action = 'auth.register'" % org.id)
    recent = [e for e in c.list("/audit-log?since=" + api.rfc3339(time.time() - 3600))
              if e.get("action") != "api_key.new_ip"]
    actions = [e["action"] for e in recent]
    expect("auth.register" not in actions and "auth.logout" in actions,
           "?since=<an hour ago>: %r" % actions)
    expect(len(recent) == len(trail) - 1, "?since= dropped more than the old entry")
    everything = c.list("/audit-log?since=" + api.rfc3339(time.time() - 3 * 86400))
    expect("auth.register" in [e["action"] for e in everything], "?since=<3 days ago>")
    expect(c.list("/audit-log?since=" + api.rfc3339(time.time() + 3600)) == [], "?since=<future>")
    expect(len(c.list("/audit-log?since=2026-01-01T00:00:00.5Z&limit=2")) == 2,
           "?since= with fractional seconds and ?limit=")
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "1700000000", "2026-01-01",
                "2026-02-30T00:00:00Z"):
        validation_error(c.get("/audit-log?since=" + bad), "since", "?since=%s" % bad)
    validation_error(c.get("/audit-log?actor_id=abc"), "actor_id", "?actor_id=abc")


def test_state_changes_by_a_key_name_the_key(fe):
    """doc/api.md "Audit": every state change made with a key names the key as actor."""
    org = Org(fe, "keyactor")
    kc, k = org.key_client(list(api.ALL_PERMS))
    actor = {"type": "api_key", "id": k["id"]}
    u = ok(kc.post("/users", {"email": api.unique_email("bykey"), "name": "By Key",
                              "role": "viewer", "password": api.PASSWORD}), 201, "key POST /users")
    ok(kc.patch("/users/" + u["id"], {"name": "Renamed by key"}), 200, "key PATCH /users")
    ok(kc.post("/users/%s/unlock" % u["id"]), 204, "key unlock")
    inc = ok(kc.post("/incidents", {"title": "by key", "severity": "low"}), 201, "key incident")
    ok(kc.patch("/incidents/" + inc["id"], {"status": "resolved"}), 200, "key PATCH incident")
    proc = ok(kc.post("/procedures", {"name": "by key"}), 201, "key POST /procedures")
    expect(proc["created_by"] == actor, "procedure created_by: %r" % proc["created_by"])
    ok(kc.post("/procedures/%s/execute" % proc["id"]), 202, "key execute")
    child = ok(kc.post("/api-keys", {"name": "child", "permissions": ["incidents:read"]}), 201,
               "key POST /api-keys")
    ok(kc.delete("/api-keys/" + child["id"]), 204, "key DELETE /api-keys")
    ok(kc.delete("/users/" + u["id"]), 204, "key DELETE /users")
    want = {
        "user.created": {"type": "user", "id": u["id"]},
        "user.updated": {"type": "user", "id": u["id"]},
        "user.unlocked": {"type": "user", "id": u["id"]},
        "user.deleted": {"type": "user", "id": u["id"]},
        "incident.created": {"type": "incident", "id": inc["id"]},
        "incident.updated": {"type": "incident", "id": inc["id"]},
        "procedure.created": {"type": "procedure", "id": proc["id"]},
        "procedure.executed": {"type": "procedure", "id": proc["id"]},
        "api_key.created": {"type": "api_key", "id": child["id"]},
        "api_key.deleted": {"type": "api_key", "id": child["id"]},
    }
    trail = org.client.list("/audit-log?actor_id=" + k["id"])
    got = {e["action"]: e["target"] for e in trail}
    expect(got == want, "entries with the key as actor: %r, want %r" % (got, want))
    expect(all(e["actor"] == actor and e["outcome"] == "success" for e in trail),
           "actor/outcome of the key's entries: %r" % trail[:2])


def test_no_change_to_a_user_above_the_caller(fe):
    """PATCH /users/{id} changes only users whose role the caller could grant:
    a key with users:manage and an engineer's permissions may rename,
    deactivate or re-role an engineer or a viewer, but not touch an admin
    (403 INSUFFICIENT_PERMISSIONS, nothing written, permission.denied audited
    with the user as target)."""
    if not only_on(fe, MATRIX_FRONTEND):
        return
    org = Org(fe, "above")
    second_admin = org.add_user("admin", login_now=False, name="Second Admin")
    engineer = org.add_user("engineer", login_now=False, name="Eng")
    client, key = org.key_client(sorted(api.ROLE_PERMS["engineer"]) + ["users:manage"])
    for body in ({"name": "Renamed"}, {"active": False}, {"role": "viewer"}):
        denied(client.patch("/users/" + second_admin.id, body),
               "engineer-level key changing an admin with %r" % body)
    now = {u["id"]: u for u in org.client.list("/users?limit=200")}[second_admin.id]
    expect((now["name"], now["role"], now["active"]) == ("Second Admin", "admin", True),
           "a refused change to the admin was written: %r" % now)
    trail = org.client.list("/audit-log?action=permission.denied&actor_id=" + key["id"])
    expect(sum(1 for e in trail if (e.get("target") or {}).get("id") == second_admin.id) == 3,
           "three permission.denied entries naming the admin expected: %r"
           % [e.get("target") for e in trail])
    body = ok(client.patch("/users/" + engineer.id, {"name": "Eng 2", "role": "viewer"}), 200,
              "engineer-level key changing an engineer")
    expect((body["name"], body["role"]) == ("Eng 2", "viewer"), "change not applied: %r" % body)
    # The admin itself still may.
    ok(org.client.patch("/users/" + second_admin.id, {"name": "Renamed by admin"}), 200,
       "the admin renaming another admin")
