"""Logout that follows the provider (doc/api.md section 6, "Single sign-on",
back-channel logout and RP-initiated logout; doc/sso.md; doc/SECURITY.md
"Single sign-on and tenant admins").

A session an SSO sign-in makes keeps the connection and the provider's sid;
a provider's logout token (OpenID Connect Back-Channel Logout 1.0) posted to
POST /auth/sso/{organization}/backchannel-logout is verified like an ID token
(keys, iss, aud, iat, events, jti once, no nonce) and ends the session of its
sid, or every SSO session of its sub, as a revocation every worker sees at
once. Everything else is a 400 with the JSON error, never a 500. The tokens
come from oidc_idp.FakeProvider, which signs them with its own key.
"""

import json
import re
import time
import urllib.parse
import uuid
from pathlib import Path

from lib import api, checks, harness, oidc_idp
from lib.checks import expect
from test_revocation import rounds, served, token_refused

API = "/api/v1"
JSON_ACCEPT = {"Accept": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The Link relation naming the provider's end-session URL (doc/api.md section 6, logout).
END_SESSION_REL = "https://openid.net/specs/openid-connect-rpinitiated-1_0.html"

_fake = {}


def only_one(fe):
    """Verification and matching are the service's, not the web server's: one front-end is enough."""
    return fe.name != "lighttpd-socket"


def new_fake(fe, tag):
    return oidc_idp.FakeProvider(Path(fe.harness.tmp) / "oidc-logout" / ("%s-%s" % (tag, uuid.uuid4().hex[:6])))


def fake(fe):
    if fe.name not in _fake:
        _fake[fe.name] = new_fake(fe, fe.name)
    return _fake[fe.name]


def sso_org(fe, provider=None):
    p = provider or fake(fe)
    org = api.Org(fe, "sso logout")
    api.ok(org.client.put("/sso-connections", {
        "issuer": p.issuer, "client_id": p.client_id, "client_secret": p.client_secret,
        "auto_create": True, "default_role": "viewer"}), 200, "PUT /sso-connections")
    return org


def sign_in(fe, org, sub, email, sid=None, provider=None):
    """The whole flow at the fake provider, its ID token carrying sid: (client, token answer)."""
    p = provider or fake(fe)
    p.mint = lambda form, info: oidc_idp.jws({"alg": "RS256", "kid": p.key.kid},
                                             p.claims(info, sub=sub, email=email, sid=sid), p.key)
    b = oidc_idp.BrowserSession()
    r = b.get("%s%s/auth/sso/%s/start" % (fe.base_url, API, org.id))
    expect(r.status == 302, "start", r)
    r = b.get(r.header("Location"))
    expect(r.status == 302, "the fake's authorization endpoint", r)
    body = api.ok(b.get(r.header("Location"), headers=JSON_ACCEPT), 200, "SSO sign-in of %s" % sub)
    return api.Client(fe, token=body["access_token"]), body


def person(tag):
    return "sub-%s-%s" % (tag, uuid.uuid4().hex[:8]), "%s-%s@fake.example" % (tag, uuid.uuid4().hex[:8])


def post_logout(fe, org, token=None, raw=None, headers=FORM):
    body = raw if raw is not None else "logout_token=" + urllib.parse.quote(token, safe="")
    return fe.request("POST", "%s/auth/sso/%s/backchannel-logout" % (API, org.id), body=body,
                      headers=headers)


def logout_ok(fe, org, token, ended):
    r = post_logout(fe, org, token)
    body = api.ok(r, 200, "back-channel logout")
    expect(body == {"sessions_ended": ended}, "expected %d sessions ended" % ended, r)
    expect(r.header("Cache-Control") == "no-store", "Cache-Control of the logout answer", r)
    return body


def session_row(fe, access_token):
    sid = api.jwt_claims(access_token)["sid"]
    rows = api.sql_rows(fe, "SELECT sso_connection, sso_sid FROM %s.sessions WHERE id = '%s'"
                        % (harness.DB_NAME, sid))
    expect(len(rows) == 1, "session %s not stored: %r" % (sid, rows))
    return rows[0]


def logout_events(org):
    return org.client.list("/audit-log?action=sso.backchannel_logout&limit=200")


def test_sso_session_keeps_connection_and_provider_sid(fe):
    if only_one(fe):
        return
    org = sso_org(fe)
    sub, email = person("keep")
    client, body = sign_in(fe, org, sub, email, sid="prov-session-1")
    expect(session_row(fe, body["access_token"]) == ["default", "prov-session-1"],
           "the SSO session's origin", body)
    _, body = sign_in(fe, org, sub, email)
    expect(session_row(fe, body["access_token"]) == ["default", "NULL"],
           "an ID token without sid: the connection only", body)
    # A password sign-in's session is no SSO session.
    expect(session_row(fe, org.client.token) == ["NULL", "NULL"], "a password session's origin")


def test_logout_by_sid_ends_that_session_everywhere(fe):
    org = sso_org(fe)
    sub, email = person("sid")
    one, _ = sign_in(fe, org, sub, email, sid="sid-one-" + uuid.uuid4().hex[:6])
    two, _ = sign_in(fe, org, sub, email, sid="sid-two-" + uuid.uuid4().hex[:6])
    sid_one = api.jwt_claims(one.token)["sid"]
    provider_sid = session_row(fe, one.token)[1]
    for who in (one, two):
        rounds(lambda: who.get("/auth/me"), served, "an SSO session before the logout token")
    logout_ok(fe, org, fake(fe).logout_token(sid=provider_sid), 1)
    rounds(lambda: one.get("/auth/me"), token_refused, "the session the logout token names")
    rounds(lambda: two.get("/auth/me"), served, "the user's other SSO session")
    rows = api.sql_rows(fe, "SELECT revoked_at IS NOT NULL FROM %s.sessions WHERE id = '%s'"
                        % (harness.DB_NAME, sid_one))
    expect(rows == [["1"]], "the session is revoked, not deleted: %r" % rows)
    events = logout_events(org)
    expect(events and events[0]["outcome"] == "success" and json.loads(events[0]["detail"]) ==
           {"connection": "default", "by": "sid", "sessions_ended": 1}, "audit: %r" % events[:1])


def test_logout_by_sub_ends_every_sso_session_of_that_user(fe):
    if only_one(fe):
        return
    org = sso_org(fe)
    sub, email = person("subj")
    other_sub, other_email = person("bystander")
    mine = [sign_in(fe, org, sub, email, sid="s-%d-%s" % (i, uuid.uuid4().hex[:6]))[0] for i in range(2)]
    mine.append(sign_in(fe, org, sub, email)[0])
    theirs, _ = sign_in(fe, org, other_sub, other_email, sid="s-other-" + uuid.uuid4().hex[:6])
    logout_ok(fe, org, fake(fe).logout_token(sub=sub), 3)
    for c in mine:
        checks.error(c.get("/auth/me"), 401, "INVALID_TOKEN")
    api.ok(theirs.get("/auth/me"), 200, "another user's SSO session")
    api.ok(org.client.get("/auth/me"), 200, "the admin's password session")
    expect(json.loads(logout_events(org)[0]["detail"])["by"] == "sub", "audit names the sub match")
    # A subject nobody is linked to ends nothing, and that is no error.
    logout_ok(fe, org, fake(fe).logout_token(sub="nobody-" + uuid.uuid4().hex), 0)


def refusals(p, other_key):
    """(what, form body, reason) of logout tokens the service must refuse."""
    now = int(time.time())
    ev = {"http://schemas.openid.net/event/backchannel-logout": {}}
    tok = p.logout_token
    hdr = {"alg": "RS256", "kid": p.key.kid}
    q = lambda t: "logout_token=" + urllib.parse.quote(t, safe="")
    return [
        ("no logout_token", "", "logout_token_missing"),
        ("another field only", "token=" + tok(sid="x"), "logout_token_missing"),
        ("two logout_tokens", q(tok(sid="x")) + "&" + q(tok(sid="y")), "logout_token_unreadable"),
        ("a bad escape", "logout_token=%zz", "logout_token_unreadable"),
        ("not a JWT", q("not-a-jwt"), "id_token_malformed"),
        ("oversized", q(tok(sid="x", pad="p" * 20000)), "id_token_malformed"),
        ("alg none, no signature", q(oidc_idp.jws({"alg": "none"}, p.logout_claims(sid="x"))),
         "id_token_malformed"),
        ("alg none, a signature", q(oidc_idp.jws({"alg": "none"}, p.logout_claims(sid="x"),
                                                 signature=b"sig")), "id_token_algorithm"),
        ("HS256 with the client secret", q(oidc_idp.jws({"alg": "HS256", "kid": p.key.kid},
                                                        p.logout_claims(sid="x"),
                                                        hmac_key=p.client_secret.encode())),
         "id_token_algorithm"),
        ("another key, same kid", q(tok(key=other_key, header=hdr, sid="x")), "id_token_signature"),
        ("an unknown kid", q(tok(header={"alg": "RS256", "kid": "nobody"}, sid="x")),
         "id_token_unknown_key"),
        ("another audience", q(tok(aud="someone-else", sid="x")), "id_token_audience"),
        ("another issuer", q(tok(iss="https://idp.invalid", sid="x")), "id_token_issuer"),
        ("a nonce", q(tok(nonce="n", sid="x")), "id_token_nonce"),
        ("no events", q(tok(events=None, sid="x")), "logout_token_events"),
        ("another event", q(tok(events={"http://example.com/other": {}}, sid="x")),
         "logout_token_events"),
        ("the event not an object", q(tok(events={list(ev)[0]: "yes"}, sid="x")),
         "logout_token_events"),
        ("no jti", q(tok(jti=None, sid="x")), "logout_token_jti"),
        ("neither sub nor sid", q(tok()), "logout_token_sid"),
        ("a sid with a space", q(tok(sid="a b")), "logout_token_sid"),
        ("a numeric sub", q(tok(sub=7)), "id_token_subject"),
        ("issued long ago", q(tok(iat=now - 1000, sid="x")), "logout_token_stale"),
        ("issued in the future", q(tok(iat=now + 1000, sid="x")), "id_token_iat"),
        ("no iat", q(tok(iat=None, sid="x")), "id_token_iat"),
        ("expired", q(tok(exp=now - 1000, sid="x")), "id_token_expired"),
    ]


def test_refused_logout_tokens_are_400_and_end_nothing(fe):
    if only_one(fe):
        return
    p = fake(fe)
    org = sso_org(fe)
    sub, email = person("refused")
    client, _ = sign_in(fe, org, sub, email, sid="refused-sid")
    other_key = oidc_idp.RsaKey(p.dir, "other-" + uuid.uuid4().hex[:6])
    cases = refusals(p, other_key)
    for what, raw, reason in cases:
        r = post_logout(fe, org, raw=raw)
        body = checks.error(r, 400, "VALIDATION_ERROR")
        expect(reason in body["detail"], "%s: refused for %r, expected %s" % (what, body["detail"], reason), r)
        expect(r.header("Cache-Control") == "no-store", "%s: Cache-Control" % what, r)
    api.ok(client.get("/auth/me"), 200, "the session after every refused token")
    # Refusals are audited as attacks (outcome "denied", the per-organization budget).
    got = [e["detail"] for e in reversed(logout_events(org)) if e["outcome"] == "denied"]
    expect(got == [c[2] for c in cases], "audited reasons %r" % got)
    # Not a form: the media type is refused before any token is read.
    checks.error(post_logout(fe, org, raw=json.dumps({"logout_token": p.logout_token(sid="x")}),
                             headers={"Content-Type": "application/json"}), 415, None)
    # A jti is good once: the replay is refused, even for a token that ended nothing.
    token = p.logout_token(sid="refused-sid")
    logout_ok(fe, org, token, 1)
    body = checks.error(post_logout(fe, org, token), 400, "VALIDATION_ERROR")
    expect("logout_token_replayed" in body["detail"], "a replayed logout token", body)


def test_logout_token_of_another_organizations_provider_is_refused(fe):
    if only_one(fe):
        return
    p, q = fake(fe), new_fake(fe, "other")
    try:
        mine, theirs = sso_org(fe, p), sso_org(fe, q)
        sub, email = person("tenant")
        client, body = sign_in(fe, mine, sub, email, sid="tenant-sid", provider=p)
        # The other tenant's provider names this organization's user and session.
        for token in (q.logout_token(sid="tenant-sid"), q.logout_token(sub=sub),
                      q.logout_token(sid="tenant-sid", iss=p.issuer)):
            checks.error(post_logout(fe, mine, token), 400, "VALIDATION_ERROR")
        # This organization's provider's token at the other organization's endpoint.
        r = post_logout(fe, theirs, p.logout_token(sid="tenant-sid"))
        checks.error(r, 400, "VALIDATION_ERROR")
        api.ok(client.get("/auth/me"), 200, "the session after another tenant's tokens")
        r = fe.request("POST", API + "/auth/sso/no-such-org/backchannel-logout",
                       body="logout_token=" + p.logout_token(sid="x"), headers=FORM)
        checks.error(r, 404, "NOT_FOUND")
    finally:
        q.stop()


def test_sign_out_of_an_sso_session_links_the_providers_end_session_url(fe):
    if only_one(fe):
        return
    p = new_fake(fe, "rp")
    try:
        p.end_session = p.base + "/logout?tenant=acme"
        org = sso_org(fe, p)
        got = api.ok(org.client.get("/sso-connections"), 200, "GET /sso-connections")
        expect(got["end_session_endpoint"] == p.end_session, "the stored end_session_endpoint", got)
        sub, email = person("rp")
        client, _ = sign_in(fe, org, sub, email, sid="rp-sid", provider=p)
        r = client.post("/auth/logout")
        # The contract's 204; the provider's end-session URL in a Link header.
        api.ok(r, 204, "POST /auth/logout of an SSO session")
        link = r.headers.get("Link") or ""
        m = re.fullmatch(r'<([^>]*)>; rel="%s"' % re.escape(END_SESSION_REL), link)
        expect(m is not None, "a Link header with the end-session relation", link)
        body = {"Link": link}
        url = urllib.parse.urlsplit(m.group(1))
        q = urllib.parse.parse_qs(url.query)
        expect("%s://%s%s" % (url.scheme, url.netloc, url.path) == p.base + "/logout", "the endpoint", body)
        expect(q == {"tenant": ["acme"], "client_id": [p.client_id],
                     "post_logout_redirect_uri": [fe.base_url + "/"]},
               "client_id and the console to come back to, no id_token_hint", body)
        expect(any(h.startswith("access_token=;") for h in r.headers.get_all("Set-Cookie") or []),
               "the session cookies are expired", r)
        checks.error(client.get("/auth/me"), 401, "INVALID_TOKEN")
        # A password session of the same organization ends here only.
        api.ok(org.client.post("/auth/logout"), 204, "POST /auth/logout of a password session")
        # A provider naming no endpoint, or one the URL rules refuse: the session ends here only.
        for end_session in (None, "javascript:alert(1)", "http://169.254.169.254/logout"):
            p.end_session = end_session
            org2 = sso_org(fe, p)
            got = api.ok(org2.client.get("/sso-connections"), 200, "GET /sso-connections")
            expect(got["end_session_endpoint"] is None, "%r stored" % end_session, got)
            other_sub, other_email = person("rp-none")
            client, _ = sign_in(fe, org2, other_sub, other_email, provider=p)
            r = client.post("/auth/logout")
            api.ok(r, 204, "logout with end_session_endpoint %r" % end_session)
            expect(r.headers.get("Link") is None, "no Link without a usable endpoint", r)
    finally:
        p.stop()

