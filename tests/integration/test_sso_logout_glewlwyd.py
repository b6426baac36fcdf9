"""Back-channel logout sent by a real provider (doc/api.md section 6, "Single
sign-on", back-channel logout; doc/sso.md section 8, and section 9 for
glewlwyd; OpenID Connect Back-Channel Logout 1.0).

glewlwyd 2.7.5 (oidc_idp.Glewlwyd) sends logout tokens only with session
management and back-channel logout on in its OIDC plugin (enable_logout), to
the backchannel_logout_uri of each client of the provider session that ends;
its ID tokens then carry that session's sid. The one way found to end such a
session: an application's RP-initiated logout with id_token_hint, confirmed
on glewlwyd's login page, which then calls DELETE /api/oidc/session/{sid}
(Glewlwyd.end_session plays both). The service keeps no ID token, so the
logout starts at another application of the same provider ("the wiki", a
second client the test plays in the same browser): the single logout an
operator expects. Each test registers its own client for its organization,
as a client has one backchannel_logout_uri. test_sso_logout.py covers the
refusals with tokens the fake provider shapes.
"""

import json
import time
import urllib.parse
import uuid
from pathlib import Path

from lib import api, checks, oidc_idp
from lib.checks import expect
from test_sso_logout import END_SESSION_REL, logout_events, session_row
from test_sso_roles import connection
from test_sso_roles_glewlwyd import Person, sign_in

# Verification and matching are the service's, not the web server's: one front-end.
FRONTENDS = ("lighttpd-socket",)

API = "/api/v1"
# The other application's callback: glewlwyd only names it in a redirect, never calls it.
WIKI_CALLBACK = "http://127.0.0.1:9/wiki/cb"
# glewlwyd starts its logout in a thread after answering; generous for a loaded machine.
LOGOUT_WAIT = 60

_glew = {}


def glewlwyd(fe):
    """One glewlwyd per run of this module, with session management and back-channel logout."""
    if fe.name not in _glew:
        d = Path(fe.harness.tmp) / "oidc-logout-glewlwyd"
        g = oidc_idp.Glewlwyd(d, [], spawn=fe.harness.spawn).start()
        g.enable_logout()
        _glew[fe.name] = g
    return _glew[fe.name]


class Setup:
    """An organization connected to its own glewlwyd client, whose back-channel logout
    URL is the organization's, and the wiki, another client of the same glewlwyd."""

    def __init__(self, fe, g):
        tag = uuid.uuid4().hex[:8]
        self.fe, self.g = fe, g
        self.org = api.Org(fe, "sso glewlwyd logout")
        self.client_id, secret = "ow-%s" % tag, "secret-%s" % uuid.uuid4().hex
        got = api.ok(self.org.client.put("/sso-connections", connection(
            g, client_id=self.client_id, client_secret=secret)), 200, "PUT /sso-connections")
        self.logout_url = "%s%s/auth/sso/%s/backchannel-logout" % (fe.base_url, API, self.org.id)
        g.add_client(self.client_id, secret, got["redirect_uri"], backchannel_logout_uri=self.logout_url)
        self.wiki = ("wiki-%s" % tag, "wiki-secret-%s" % uuid.uuid4().hex, WIKI_CALLBACK)
        g.add_client(*self.wiki)

    def sign_in(self, browser, who):
        """The whole SSO sign-in in this browser: the callback's JSON answer."""
        body = api.ok(sign_in(self.fe, self.org, who, browser), 200, "SSO sign-in of %s" % who.username)
        expect(body["user"]["email"] == who.email, "signed in as %r" % body["user"])
        return body

    def wiki_id_token(self, browser, who):
        return self.g.id_token_for(browser, *self.wiki, who.username, who.password)


def until_refused(s, client, what):
    """Poll GET /auth/me (bounded by LOGOUT_WAIT) until the token is refused; then the
    contract's 401. A timeout names the back-channel calls the organization saw."""
    deadline = time.monotonic() + LOGOUT_WAIT
    while client.get("/auth/me").status == 200:
        expect(time.monotonic() < deadline, "%s still served %d s after glewlwyd's logout; "
               "back-channel calls: %r" % (what, LOGOUT_WAIT, logout_events(s.org)[:3]))
        time.sleep(0.2)
    checks.error(client.get("/auth/me"), 401, "INVALID_TOKEN")


def test_logout_at_another_application_ends_the_sso_session_of_that_glewlwyd_session(fe):
    g = glewlwyd(fe)
    s = Setup(fe, g)
    p = Person(g, "una")
    laptop, phone = oidc_idp.BrowserSession(), oidc_idp.BrowserSession()
    on_laptop, on_phone = s.sign_in(laptop, p), s.sign_in(phone, p)
    expect(on_laptop["user"]["id"] == on_phone["user"]["id"], "one user, two sign-ins")
    # The wiki, signed in from the laptop too, shares the laptop's glewlwyd session.
    id_token = s.wiki_id_token(laptop, p)
    sid = api.jwt_claims(id_token).get("sid")
    expect(sid, "glewlwyd's ID token carries a sid: %r" % api.jwt_claims(id_token))
    expect(session_row(fe, on_laptop["access_token"]) == ["default", sid],
           "the laptop's SSO session keeps glewlwyd's sid %s" % sid)
    phone_sid = session_row(fe, on_phone["access_token"])[1]
    expect(phone_sid not in (sid, "NULL"), "the phone's own glewlwyd session: %r" % phone_sid)
    laptop_c = api.Client(fe, token=on_laptop["access_token"])
    phone_c = api.Client(fe, token=on_phone["access_token"])
    for who, what in ((laptop_c, "laptop"), (phone_c, "phone")):
        api.ok(who.get("/auth/me"), 200, "the %s's session before the logout" % what)

    # The user signs out of the wiki and confirms at glewlwyd: it posts the logout token here.
    expect(g.end_session(laptop, id_token) == sid, "the session glewlwyd ended")
    until_refused(s, laptop_c, "the laptop's session after glewlwyd's logout")
    checks.error(fe.post_json(API + "/auth/refresh", {"refresh_token": on_laptop["refresh_token"]}),
                 401, "INVALID_TOKEN")
    api.ok(phone_c.get("/auth/me"), 200, "the phone's session (another glewlwyd session)")
    api.ok(phone_c.get("/auth/me"), 200, "the phone's session, asked again")
    api.ok(s.org.client.get("/auth/me"), 200, "the admin's password session")
    events = logout_events(s.org)
    expect(len(events) == 1 and events[0]["outcome"] == "success", "one accepted call: %r" % events)
    expect(json.loads(events[0]["detail"]) == {"connection": "default", "by": "sid", "sessions_ended": 1},
           "audit detail %r" % events[0]["detail"])


def test_sign_out_in_the_console_links_glewlwyd_which_needs_an_id_token_hint(fe):
    """The service's RP-initiated logout names glewlwyd's end_session_endpoint with
    client_id (the service keeps no ID token); glewlwyd 2.7.5 answers such a request
    with an empty 200 and ends nothing (doc/sso.md section 9): its session, and
    the back-channel logout, stay for the wiki's logout."""
    g = glewlwyd(fe)
    s = Setup(fe, g)
    got = api.ok(s.org.client.get("/sso-connections"), 200, "GET /sso-connections")
    expect(got["end_session_endpoint"] == g.issuer + "/end_session", "the stored endpoint %r" % got)
    p = Person(g, "vic")
    browser = oidc_idp.BrowserSession()
    first = api.Client(fe, token=s.sign_in(browser, p)["access_token"])
    r = first.post("/auth/logout")
    api.ok(r, 204, "POST /auth/logout of the SSO session")
    link = r.headers.get("Link") or ""
    expect(link.startswith("<" + g.issuer + "/end_session?") and END_SESSION_REL in link, "Link %r" % link)
    checks.error(first.get("/auth/me"), 401, "INVALID_TOKEN")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(link[1:link.index(">")]).query)
    expect(q == {"client_id": [s.client_id], "post_logout_redirect_uri": [fe.base_url + "/"]},
           "the end-session parameters %r" % q)
    ended = browser.get(link[1:link.index(">")])
    expect(ended.status == 200 and ended.header("Location") is None and not ended.body,
           "glewlwyd's answer without id_token_hint: %r" % ended)
    # The glewlwyd session lives on: a new sign-in gets the same sid, and the wiki's logout ends it.
    second = s.sign_in(browser, p)
    id_token = s.wiki_id_token(browser, p)
    expect(session_row(fe, second["access_token"])[1] == api.jwt_claims(id_token)["sid"],
           "the same glewlwyd session after the console's sign-out")
    g.end_session(browser, id_token)
    until_refused(s, api.Client(fe, token=second["access_token"]), "the second session")
    expect([e["outcome"] for e in logout_events(s.org)] == ["success"],
           "one back-channel call, after the wiki's logout: %r" % logout_events(s.org))
