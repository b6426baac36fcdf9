"""Several single sign-on connections per organization (doc/api.md section 6,
"Single sign-on", named connections; doc/sso.md section 10; doc/SECURITY.md
"Single sign-on and tenant admins").

An organization keeps its "default" connection (GET/PUT /sso-connections)
and may add named ones (GET /sso-connections/named, GET/PUT/DELETE
/sso-connections/named/{name}), each with its own provider, domains and role
rules; /auth/sso/{organization}/start?connection=NAME starts at that
connection's provider, the sign-in's session records the connection, and a
provider's logout token ends only the sessions signed in through the
connection its iss and aud name. Two providers run here: two
oidc_idp.FakeProvider instances, each its own issuer with its own key.
"""

import json
import urllib.parse
import uuid
from pathlib import Path

from lib import api, checks, harness, oidc_idp
from lib.checks import expect
from test_revocation import rounds, served, token_refused

API = "/api/v1"
JSON_ACCEPT = {"Accept": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NAMED = "/sso-connections/named"
NOT_CONFIGURED = "Single sign-on is not configured for this organization"
STAFF_RULES = {"role_claim": "groups", "role_engineer_values": ["staff-eng"]}
CONTRACTOR_RULES = {"role_claim": "groups", "role_viewer_values": ["contractors"]}

_fakes = {}


def only_one(fe):
    """Connections are the service's, not the web server's: one front-end is enough."""
    return fe.name != "lighttpd-socket"


def fakes(fe):
    """Two providers, each its own issuer and key: staff and contractors."""
    if fe.name not in _fakes:
        d = Path(fe.harness.tmp) / "oidc-connections"
        _fakes[fe.name] = tuple(oidc_idp.FakeProvider(d / ("%s-%s" % (tag, uuid.uuid4().hex[:6])))
                                for tag in ("staff", "contractors"))
    return _fakes[fe.name]


def connection(p, domains, **extra):
    body = {"issuer": p.issuer, "client_id": p.client_id, "client_secret": p.client_secret,
            "auto_create": True, "default_role": "viewer", "allowed_domains": domains}
    body.update(extra)
    return body


def two_connection_org(fe):
    """An organization: staff at the default connection, contractors at a named one."""
    staff, contractors = fakes(fe)
    org = api.Org(fe, "sso connections")
    api.ok(org.client.put("/sso-connections", connection(staff, ["staff.example"], **STAFF_RULES)),
           200, "PUT /sso-connections")
    got = api.ok(org.client.put(NAMED + "/contractors",
                                connection(contractors, ["contractors.example"], **CONTRACTOR_RULES)),
                 201, "PUT %s/contractors" % NAMED)
    expect(got["name"] == "contractors", "the new connection's name", got)
    return org


def start_url(fe, org, name=None):
    q = "" if name is None else "?connection=" + urllib.parse.quote(name, safe="")
    return "%s%s/auth/sso/%s/start%s" % (fe.base_url, API, org.id, q)


def sign_in(fe, org, p, sub, email, name=None, **claims):
    """The whole flow through connection name at provider p: the callback's answer."""
    p.mint = lambda form, info: oidc_idp.jws({"alg": "RS256", "kid": p.key.kid},
                                             p.claims(info, sub=sub, email=email, **claims), p.key)
    b = oidc_idp.BrowserSession()
    r = b.get(start_url(fe, org, name))
    expect(r.status == 302, "start of connection %r" % name, r)
    expect(r.header("Location").startswith(p.base + "/authorize?"),
           "connection %r starts at another provider" % name, r)
    r = b.get(r.header("Location"))
    expect(r.status == 302, "the fake's authorization endpoint", r)
    return b.get(r.header("Location"), headers=JSON_ACCEPT)


def signed_in(fe, org, p, name, tag, domain, **claims):
    sub = "sub-%s-%s" % (tag, uuid.uuid4().hex[:8])
    email = "%s-%s@%s" % (tag, uuid.uuid4().hex[:8], domain)
    body = api.ok(sign_in(fe, org, p, sub, email, name, **claims), 200, "sign-in through %r" % name)
    return body, sub


def session_connection(fe, access_token):
    sid = api.jwt_claims(access_token)["sid"]
    rows = api.sql_rows(fe, "SELECT sso_connection FROM %s.sessions WHERE id = '%s'"
                        % (harness.DB_NAME, sid))
    expect(len(rows) == 1, "session %s not stored: %r" % (sid, rows))
    return rows[0][0]


def me_of(fe, body):
    client = api.Client(fe, token=body["access_token"])
    return lambda: client.get("/auth/me")


def still_served(fe, body, what):
    """Served by every worker: a revocation that ended it would show on one of them."""
    rounds(me_of(fe, body), served, what)


def refused(fe, body, what):
    """Refused by every worker at once (the credential caches heard of the revocation)."""
    rounds(me_of(fe, body), token_refused, what)


def test_each_connection_starts_at_its_provider_and_maps_its_own_roles(fe):
    if only_one(fe):
        return
    staff, contractors = fakes(fe)
    org = two_connection_org(fe)
    body, _ = signed_in(fe, org, staff, None, "staff", "staff.example", groups=["staff-eng"])
    expect(body["user"]["role"] == "engineer", "the default connection's rule", body)
    expect(session_connection(fe, body["access_token"]) == "default", "the staff session's connection")
    # The same claim value means nothing at the contractors' connection: its own rules.
    body, _ = signed_in(fe, org, contractors, "contractors", "ext", "contractors.example",
                        groups=["staff-eng", "contractors"])
    expect(body["user"]["role"] == "viewer", "the named connection's rules", body)
    expect(session_connection(fe, body["access_token"]) == "contractors",
           "the contractor session's connection")
    # Each connection's domains: a contractor's email at the staff connection is refused.
    r = sign_in(fe, org, staff, "sub-x-" + uuid.uuid4().hex[:6],
                "x-%s@contractors.example" % uuid.uuid4().hex[:6])
    checks.error(r, 403, "INSUFFICIENT_PERMISSIONS")
    events = org.client.list("/audit-log?action=sso.login&limit=50")
    expect(any(json.loads(e["detail"]).get("connection") == "contractors" for e in events),
           "no sso.login event names the contractors' connection", events)


def test_named_connections_listed_shown_and_secrets_never_read_back(fe):
    if only_one(fe):
        return
    staff, contractors = fakes(fe)
    org = two_connection_org(fe)
    listed = org.client.list(NAMED)
    expect([c["name"] for c in listed] == ["contractors", "default"], "the list's names", listed)
    one = api.ok(org.client.get(NAMED + "/contractors"), 200, "GET %s/contractors" % NAMED)
    default = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
    expect(one["issuer"] == contractors.issuer and default["issuer"] == staff.issuer,
           "each name shows its own provider", [one, default])
    expect("name" not in default, "GET /sso-connections keeps its shape", default)
    expect(listed[1]["issuer"] == staff.issuer, "the default connection is listed by its name", listed)
    expect(one["redirect_uri"] == default["redirect_uri"], "one callback URL per organization", one)
    for what, r in (("list", org.client.get(NAMED)), ("one", org.client.get(NAMED + "/contractors"))):
        text = r.body.decode()
        expect("client_secret" not in text and contractors.client_secret not in text,
               "the %s reads a secret back" % what, r)
    # A save without the secret keeps it while the provider stays; a new one is not asked again.
    update = connection(contractors, ["contractors.example"], default_role="viewer")
    del update["client_secret"]
    api.ok(org.client.put(NAMED + "/contractors", update), 200, "PUT without the secret")
    update.update(allowed_domains=[], client_id="newcomer-client")
    r = org.client.put(NAMED + "/newcomer", update)
    api.validation_error(r, "client_secret", "a new connection without its secret")


def test_a_domain_maps_to_at_most_one_connection(fe):
    if only_one(fe):
        return
    staff, contractors = fakes(fe)
    org = two_connection_org(fe)
    for domains in (["staff.example"], ["other.example", "STAFF.example"]):
        r = org.client.put(NAMED + "/more", connection(contractors, domains, client_id="more-client"))
        body = api.validation_error(r, "allowed_domains", "a domain the default connection claims")
        expect("default" in json.dumps(body["errors"]), "the error names the other connection", r)
    # The default connection may not take the named one's domain either.
    r = org.client.put("/sso-connections", connection(staff, ["staff.example", "contractors.example"]))
    api.validation_error(r, "allowed_domains", "the default taking a named connection's domain")
    # Saving a connection again with its own domains is no overlap.
    api.ok(org.client.put(NAMED + "/contractors", connection(contractors, ["contractors.example"])),
           200, "the same connection saved again")
    api.not_found(org.client.get(NAMED + "/more"), "a refused save created nothing")


def test_a_named_connection_has_the_default_ones_guards(fe):
    """doc/api.md, named connections: the same checks as PUT /sso-connections.
    An internal issuer is refused before any call and nothing is saved;
    role rules above the author's own permissions are refused."""
    if only_one(fe):
        return
    staff, _ = fakes(fe)
    org = api.Org(fe, "sso named guards")
    for issuer in ("https://10.0.0.1/realms/x", "https://169.254.169.254/latest",
                   "https://[fd00::1]/x"):
        r = org.client.put(NAMED + "/internal", connection(staff, [], issuer=issuer))
        api.validation_error(r, "issuer", "named connection at %s" % issuer)
    api.not_found(org.client.get(NAMED + "/internal"), "a refused save left a connection")
    viewer_perms = ["incidents:read", "procedures:read"]
    as_viewer, _ = org.key_client(viewer_perms + ["users:manage"])
    r = as_viewer.put(NAMED + "/ext", connection(staff, [], role_claim="groups",
                                                 role_admin_values=["ow-admins"]))
    api.denied(r, "admin rules on a named connection by a viewer's key")
    api.not_found(org.client.get(NAMED + "/ext"), "a refused save left a connection")


def test_at_most_ten_connections_per_organization(fe):
    if only_one(fe):
        return
    staff, _ = fakes(fe)
    org = api.Org(fe, "sso ten connections")
    for i in range(10):
        api.ok(org.client.put(NAMED + "/c%d" % i, connection(staff, ["d%d.example" % i],
                                                            client_id="client-%d" % i)),
               201, "connection %d" % i)
    r = org.client.put(NAMED + "/c10", connection(staff, ["d10.example"], client_id="client-10"))
    checks.error(r, 409, "CONFLICT")
    r = org.client.put("/sso-connections", connection(staff, ["d11.example"], client_id="client-11"))
    checks.error(r, 409, "CONFLICT")
    expect(len(org.client.list(NAMED)) == 10, "a refused eleventh was stored")
    # An existing one can still be saved, and a deleted one makes room.
    api.ok(org.client.put(NAMED + "/c3", connection(staff, ["d3.example"], client_id="client-3")),
           200, "saving an existing connection at the limit")
    api.ok(org.client.delete(NAMED + "/c3"), 204, "DELETE c3")
    api.ok(org.client.put(NAMED + "/c10", connection(staff, ["d10.example"], client_id="client-10")),
           201, "the tenth again after a delete")


def test_other_organizations_connections_are_invisible(fe):
    if only_one(fe):
        return
    org = two_connection_org(fe)
    other = api.Org(fe, "sso connections other")
    api.not_found(other.client.get(NAMED + "/contractors"), "another organization's connection")
    api.not_found(other.client.delete(NAMED + "/contractors"), "DELETE of another's connection")
    expect(other.client.list(NAMED) == [], "another organization lists its connections")
    api.ok(org.client.get(NAMED + "/contractors"), 200, "the owner still has it")
    # Unknown connection at /start: the same answer as an organization without SSO.
    for url in (start_url(fe, org, "nosuch"), start_url(fe, other, "contractors"),
                start_url(fe, org, "Bad Name!"), start_url(fe, org, "x" * 40), start_url(fe, other)):
        r = fe.request("GET", url[len(fe.base_url):])
        body = checks.error(r, 404, "NOT_FOUND")
        expect(body["detail"] == NOT_CONFIGURED, "the answer of an organization without SSO", r)


def test_bad_connection_names_are_json_errors(fe):
    if only_one(fe):
        return
    staff, _ = fakes(fe)
    org = api.Org(fe, "sso connection names")
    body = connection(staff, [])
    # (Control bytes are the web server's to refuse, before the service sees the request.)
    for name in ("x" * 33, "Caps", "caf%C3%A9", "dot.name", "a%2Fb", "under_score", "-", "a-",
                 "sp%20ace", ".."):
        for method in ("GET", "PUT", "DELETE"):
            r = org.client.request(method, NAMED + "/" + name, body=body if method == "PUT" else None)
            expect(r.status in (400, 404, 422), "%s %s: expected a 400/404/422" % (method, name), r)
            checks.error(r, r.status, None)
            if r.status == 400 and "%" not in name and "." not in name:
                api.validation_error(r, "name", "%s %s" % (method, name))
    expect(org.client.list(NAMED) == [], "a bad name was stored")


def test_deleting_a_connection_ends_its_sessions(fe):
    if only_one(fe):
        return
    staff, contractors = fakes(fe)
    org = two_connection_org(fe)
    theirs, _ = signed_in(fe, org, contractors, "contractors", "gone", "contractors.example")
    ours, _ = signed_in(fe, org, staff, None, "stays", "staff.example")
    api.ok(org.client.delete(NAMED + "/contractors"), 204, "DELETE the contractors' connection")
    refused(fe, theirs, "a session of the deleted connection")
    still_served(fe, ours, "a session of the default connection")
    api.not_found(org.client.get(NAMED + "/contractors"), "the deleted connection")
    r = fe.request("GET", start_url(fe, org, "contractors")[len(fe.base_url):])
    checks.error(r, 404, "NOT_FOUND")
    events = org.client.list("/audit-log?action=sso_connection.deleted&limit=10")
    expect(events and json.loads(events[0]["detail"]) == {"name": "contractors", "sessions_ended": 1},
           "the deletion's audit event", events)
    api.not_found(org.client.delete(NAMED + "/contractors"), "a second DELETE")


def test_backchannel_logout_of_one_provider_spares_the_other(fe):
    if only_one(fe):
        return
    staff, contractors = fakes(fe)
    org = two_connection_org(fe)
    shared_sid = "same-sid-" + uuid.uuid4().hex[:6]
    ours, _ = signed_in(fe, org, staff, None, "a", "staff.example", sid=shared_sid)
    theirs, sub = signed_in(fe, org, contractors, "contractors", "b", "contractors.example",
                            sid=shared_sid)
    path = "%s/auth/sso/%s/backchannel-logout" % (API, org.id)
    r = fe.request("POST", path, headers=FORM,
                   body="logout_token=" + contractors.logout_token(sid=shared_sid))
    expect(api.ok(r, 200, "the contractors' logout") == {"sessions_ended": 1}, "one session ended", r)
    refused(fe, theirs, "the contractor's session")
    still_served(fe, ours, "the staff session with the same provider sid")
    events = org.client.list("/audit-log?action=sso.backchannel_logout&limit=10")
    expect(json.loads(events[0]["detail"])["connection"] == "contractors", "the event's connection", events)
    # By sub: the staff provider's token ends the staff sessions only.
    r = fe.request("POST", path, headers=FORM, body="logout_token=" + staff.logout_token(sid=shared_sid))
    expect(api.ok(r, 200, "the staff logout") == {"sessions_ended": 1}, "the staff session ended", r)
    refused(fe, ours, "the staff session")


def test_sso_only_organization_satisfied_by_a_named_connection(fe):
    if only_one(fe):
        return
    _, contractors = fakes(fe)
    org = api.Org(fe, "sso connections policy")
    r = org.client.put("/sso-policy", {"require_sso": True})
    expect(r.status in (400, 409), "require_sso without any connection", r)
    api.ok(org.client.put(NAMED + "/contractors", connection(contractors, ["contractors.example"])),
           201, "a named connection only")
    api.ok(org.client.put("/sso-policy", {"require_sso": True}), 200, "require_sso with a named one")
    api.not_found(org.client.get("/sso-connections"), "no default connection")
    # The last enabled connection of an SSO-only organization is not deleted under its users.
    checks.error(org.client.delete(NAMED + "/contractors"), 409, "CONFLICT")
    api.ok(org.client.put("/sso-policy", {"require_sso": False}), 200, "require_sso off")
    api.ok(org.client.delete(NAMED + "/contractors"), 204, "DELETE once the policy is off")
