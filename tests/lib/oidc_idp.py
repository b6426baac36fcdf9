"""OpenID Connect providers for the SSO tests, standard library only.

Glewlwyd -- a real provider: the Debian package glewlwyd on loopback, set up
    the way tests/integration/README.md "Single sign-on tests" describes (sqlite DB,
    RS256 key from openssl, the OIDC plugin with PKCE allowed, a confidential
    client, users), plus BrowserSession, the small "user agent" that performs
    glewlwyd's login steps (its login page is a JS app the tests cannot run).

FakeProvider -- an http.server on loopback serving discovery, JWKS and a
    token endpoint whose id_token the test shapes (bad signature, wrong
    audience, expired, wrong nonce, alg none/HS256): the negative cases no
    real provider would produce. It also signs back-channel logout tokens
    (logout_token). Keys come from the openssl command line.
"""

import base64
import hashlib
import hmac
import http.client
import http.cookiejar
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from . import harness
from .client import Response

GLEWLWYD = "/usr/bin/glewlwyd"
GLEWLWYD_SQL = "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_glewlwyd():
    """Install glewlwyd when missing (preseed first:
    the default debconf answer breaks the postinst with dbconfig-no-thanks)."""
    if os.access(GLEWLWYD, os.X_OK) and shutil.which("sqlite3") and shutil.which("openssl"):
        return
    if os.geteuid() != 0:
        raise harness.SetupError("glewlwyd is not installed (apt-get install glewlwyd "
                                 "dbconfig-no-thanks sqlite3 openssl, as root)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["debconf-set-selections"], input="glewlwyd glewlwyd/config_type select "
                   "No configuration\n", text=True, check=True, env=env)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "glewlwyd",
                        "dbconfig-no-thanks", "sqlite3", "openssl"], capture_output=True,
                       text=True, env=env, timeout=600)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=600)
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                            "glewlwyd", "dbconfig-no-thanks", "sqlite3", "openssl"],
                           capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0 or not os.access(GLEWLWYD, os.X_OK):
        raise harness.SetupError("apt-get install glewlwyd failed: %s" % r.stderr[-600:])


# ---------------------------------------------------------------- HTTP client

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class BrowserSession:
    """A cookie jar and no automatic redirects: a test plays the browser."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  NoRedirect())

    def request(self, method, url, body=None, headers=None, timeout=15):
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return Response(r.status, r.reason, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.reason, e.headers, e.read())

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None


def free_port():
    return harness.free_port()


def openssl(*args, input_bytes=None):
    r = subprocess.run(["openssl"] + list(args), input=input_bytes, capture_output=True,
                       timeout=60)
    if r.returncode != 0:
        raise harness.SetupError("openssl %s failed: %s" % (args[0], r.stderr.decode()[-300:]))
    return r.stdout


# ---------------------------------------------------------------- glewlwyd

class Glewlwyd:
    """One glewlwyd on 127.0.0.1:port with its own sqlite DB in directory d."""

    CLIENT_ID = "overwatch"
    CLIENT_SECRET = "overwatch-client-secret-0123456789"

    def __init__(self, d, redirect_uris, spawn=None):
        ensure_glewlwyd()
        self.spawn = spawn          # harness.Harness.spawn: its cleanup stops us too
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.issuer = self.base + "/api/oidc"
        self.redirect_uris = list(redirect_uris)
        # Under FakeProvider's names too, for helpers that take either provider.
        self.client_id, self.client_secret = self.CLIENT_ID, self.CLIENT_SECRET
        self.proc = None
        self.log = self.dir / "glewlwyd.log"
        self.admin = None

    def start(self):
        db = self.dir / "glewlwyd.db"
        sql = subprocess.run(["zcat", GLEWLWYD_SQL], capture_output=True, check=True).stdout
        subprocess.run(["sqlite3", str(db)], input=sql, capture_output=True, check=True)
        key, pub = self.dir / "rsa.key", self.dir / "rsa.pub"
        openssl("genrsa", "-out", str(key), "2048")
        openssl("rsa", "-in", str(key), "-pubout", "-out", str(pub))
        self.key_pem, self.pub_pem = key.read_text(), pub.read_text()
        conf = self.dir / "glewlwyd.conf"
        # The secure_connection_* files must be named even with TLS off (2.7.5
        # refuses to start otherwise); they are never read.
        conf.write_text("""# generated by tests/lib/oidc_idp.py
port={port}
bind_address="127.0.0.1"
external_url="{base}"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="console"
log_level="WARNING"
cookie_domain="127.0.0.1"
cookie_secure=0
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
user_middleware_module_path="/usr/lib/glewlwyd/user_middleware"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
use_secure_connection=false
secure_connection_key_file="{d}/none.key"
secure_connection_pem_file="{d}/none.pem"
secure_connection_ca_file="{d}/none.crt"
hash_algorithm="SHA512"
database =
{{
  type = "sqlite3"
  path = "{db}"
}};
""".format(port=self.port, base=self.base, d=self.dir, db=db))
        argv = [GLEWLWYD, "--config-file=%s" % conf]
        if self.spawn is not None:
            self.proc = self.spawn(argv, str(self.log))
        else:
            out = open(self.log, "ab")
            try:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=out, start_new_session=True)
            finally:
                out.close()

        def listening():
            if self.proc.poll() is not None:
                raise harness.SetupError("glewlwyd exited (%s):\n%s"
                                         % (self.proc.returncode, harness.tail(self.log)))
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        harness.wait_for(listening, 20, 0.05, "glewlwyd to listen")
        self.configure()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def _admin(self, method, path, body=None):
        r = self.admin.request(method, self.base + path, body=body)
        if r.status == 401:
            # The g_admin scope asks for the password again after 10 minutes
            # (gs_password_max_age of the init SQL): sign in again, once.
            self._admin_login()
            r = self.admin.request(method, self.base + path, body=body)
        if r.status not in (200, 201):
            raise harness.SetupError("glewlwyd %s %s: %d %r" % (method, path, r.status, r.body[:300]))
        return r

    def _admin_login(self):
        self.admin = BrowserSession()
        r = self.admin.request("POST", self.base + "/api/auth/",
                               {"username": "admin", "password": "password"})
        if r.status != 200:
            raise harness.SetupError("glewlwyd admin login: %d %r" % (r.status, r.body[:300]))

    def configure(self):
        self._admin_login()
        self._admin("POST", "/api/mod/plugin/", {
            "module": "oidc", "name": "oidc", "display_name": "OpenID Connect",
            "parameters": {
                "iss": self.issuer,
                "jwt-type": "rsa", "jwt-key-size": "256",
                "key": self.key_pem, "cert": self.pub_pem,
                "access-token-duration": 3600, "refresh-token-duration": 1209600,
                "code-duration": 600, "refresh-token-rolling": True,
                "allow-non-oidc": False,
                "auth-type-code-enabled": True, "auth-type-token-enabled": False,
                "auth-type-id-token-enabled": True, "auth-type-none-enabled": False,
                "auth-type-password-enabled": False, "auth-type-client-enabled": False,
                "auth-type-refresh-enabled": True,
                "auth-type-code-revoke-replayed": False,
                "scope": [], "additional-parameters": [], "claims": [],
                "jwks-show": True, "jwks-x5c": [],
                "request-parameter-allow": False,
                "subject-type": "public", "secret-type": "pairwise",
                "name-claim": "mandatory", "name-claim-scope": [],
                "email-claim": "mandatory", "email-claim-scope": [],
                "scope-claim": "no", "scope-claim-scope": [],
                "address-claim": {"type": "no", "mandatory": False},
                "allowed-scope": ["openid", "email", "profile"],
                "pkce-allowed": True, "pkce-method-plain-allowed": False,
                "introspection-revocation-allowed": False,
                "register-client-allowed": False,
                "session-management-allowed": False,
            },
        })
        self._admin("PUT", "/api/scope/openid", {
            "name": "openid", "display_name": "Open ID", "description": "OpenID Connect",
            "password_required": True, "password_max_age": 0, "scheme": {}})
        for name in ("email", "profile"):
            self._admin("POST", "/api/scope/", {
                "name": name, "display_name": name, "description": name,
                "password_required": True, "password_max_age": 0, "scheme": {}})
        self._admin("POST", "/api/client/", {
            "client_id": self.CLIENT_ID, "name": "Overwatch", "confidential": True,
            "password": self.CLIENT_SECRET, "redirect_uri": self.redirect_uris,
            "authorization_type": ["code", "refresh_token"],
            "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"],
            "enabled": True})

    def add_user(self, username, email, password, name=None):
        self._admin("POST", "/api/user/", {
            "username": username, "name": name or username.title(), "email": email,
            "password": password, "scope": ["openid", "email", "profile"], "enabled": True})

    def release_claim(self, claim, prop, multiple):
        """Every ID token carries the user property `prop` as `claim` (a JSON array
        when `multiple`, else a string; absent while the user has no value): the
        property is declared in the database user backend's data format
        (USER_DATABASE.md, "Specific data format"), then named among the OIDC
        plugin's additional claims, "mandatory" (OIDC.md, "Additional claims in
        the ID Token or the /userinfo endpoint"). Each module is reset to take it."""
        mod = self._admin("GET", "/api/mod/user/database").json
        mod["parameters"]["data-format"][prop] = {"multiple": multiple, "read": True, "write": True,
                                                  "profile-read": False, "profile-write": False}
        self._admin("PUT", "/api/mod/user/database", mod)
        self._admin("PUT", "/api/mod/user/database/reset")
        plugin = self._admin("GET", "/api/mod/plugin/oidc").json
        plugin["parameters"]["claims"].append({
            "name": claim, "user-property": prop, "type": "string", "boolean-value-true": "",
            "boolean-value-false": "", "mandatory": True, "on-demand": False, "scope": []})
        self._admin("PUT", "/api/mod/plugin/oidc", plugin)
        self._admin("PUT", "/api/mod/plugin/oidc/reset")

    def set_user_property(self, username, prop, value):
        """The user's property as glewlwyd's admin sets it; None removes it."""
        path = "/api/user/" + urllib.parse.quote(username)
        u = self._admin("GET", path).json
        u.pop("source", None)
        if value is None:
            u.pop(prop, None)
        else:
            u[prop] = value
        self._admin("PUT", path, u)
        got = self._admin("GET", path).json.get(prop)
        if got != value:
            raise harness.SetupError("glewlwyd kept %s=%r for %s, not %r" % (prop, got, username, value))

    def allow_redirect(self, uri):
        """Register one more redirect URI for the client (a connection saved later)."""
        path = "/api/client/" + urllib.parse.quote(self.CLIENT_ID)
        client = self._admin("GET", path).json
        client.pop("source", None)
        if uri not in client.get("redirect_uri", []):
            client["redirect_uri"] = client.get("redirect_uri", []) + [uri]
            self._admin("PUT", path, client)
            self.redirect_uris.append(uri)

    def login_steps(self, browser, authz_url, username, password):
        """What glewlwyd's login page would do, given the authorization URL the
        service redirected to: returns the provider's final 302 Response (to the
        service's callback with state and code, or with an error)."""
        r = browser.get(authz_url)
        if r.status != 302:
            raise AssertionError("glewlwyd authorization endpoint: %r" % r)
        loc = r.header("Location")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        if "callback_url" not in query:
            return r            # an error redirect straight to the client
        callback_url = query["callback_url"][0]
        if callback_url.startswith("/"):
            callback_url = self.base + callback_url
        a = browser.request("POST", self.base + "/api/auth/",
                            {"username": username, "password": password})
        if a.status != 200:
            raise AssertionError("glewlwyd login of %s: %r" % (username, a))
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(authz_url).query)
        client_id = params["client_id"][0]
        g = browser.request("PUT", self.base + "/api/auth/grant/%s" % urllib.parse.quote(client_id),
                            {"scope": params["scope"][0]})
        if g.status != 200:
            raise AssertionError("glewlwyd consent: %r" % g)
        sep = "&" if "?" in callback_url else "?"
        r = browser.get(callback_url + sep + "g_continue")
        if r.status != 302:
            raise AssertionError("glewlwyd code issue: %r" % r)
        return r

    # ------------------------------------------------------------ logout

    def enable_logout(self):
        """Session management and back-channel logout of the OIDC plugin (both off by
        default; doc/sso.md section 9): every ID token then carries the provider session's
        `sid`, the discovery document names `end_session_endpoint`, and ending a
        session posts a logout token to each client of that session that has a
        `backchannel_logout_uri`. The plugin refuses the reset without a session
        cookie name and lifetime."""
        plugin = self._admin("GET", "/api/mod/plugin/oidc").json
        plugin["parameters"].update({
            "session-management-allowed": True, "back-channel-logout-allowed": True,
            "front-channel-logout-allowed": False,
            "session-cookie-name": "GLEWLWYD2_OIDC_SID", "session-cookie-expiration": 2419200})
        self._admin("PUT", "/api/mod/plugin/oidc", plugin)
        self._admin("PUT", "/api/mod/plugin/oidc/reset")

    def add_client(self, client_id, secret, redirect_uri, backchannel_logout_uri=None):
        """One more confidential client. The logout properties are single strings, as
        the client database backend's data format declares them (a boolean is refused
        with 400): `backchannel_logout_session_required` is "true"."""
        client = {"client_id": client_id, "name": client_id, "confidential": True,
                  "password": secret, "redirect_uri": [redirect_uri],
                  "authorization_type": ["code", "refresh_token"],
                  "token_endpoint_auth_method": ["client_secret_basic"], "enabled": True}
        if backchannel_logout_uri is not None:
            client["backchannel_logout_uri"] = backchannel_logout_uri
            client["backchannel_logout_session_required"] = "true"
        self._admin("POST", "/api/client/", client)

    def id_token_for(self, browser, client_id, secret, redirect_uri, username, password):
        """Another application of the provider, played by the test: the code flow in
        this browser (nonce and PKCE), the code exchanged at the token endpoint; the
        ID token (its `sid` is the browser's provider session)."""
        verifier = b64u(os.urandom(32))
        q = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
            "scope": "openid email profile", "state": b64u(os.urandom(9)),
            "nonce": b64u(os.urandom(9)), "code_challenge_method": "S256",
            "code_challenge": b64u(hashlib.sha256(verifier.encode()).digest())})
        r = self.login_steps(browser, self.issuer + "/auth?" + q, username, password)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.header("Location")).query).get("code")
        if not code:
            raise AssertionError("glewlwyd issued no code to %s: %r" % (client_id, r))
        basic = base64.b64encode(("%s:%s" % (client_id, secret)).encode()).decode()
        t = BrowserSession().request("POST", self.issuer + "/token", body=urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code[0], "redirect_uri": redirect_uri,
            "code_verifier": verifier}).encode(), headers={
            "Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
        if t.status != 200:
            raise AssertionError("glewlwyd token endpoint for %s: %r" % (client_id, t))
        return t.json["id_token"]

    def end_session(self, browser, id_token):
        """An application's RP-initiated logout with id_token_hint, then what glewlwyd's
        login page does at its end-session prompt when the user confirms: DELETE
        /api/oidc/session/{sid} with the user's cookie, which ends that provider
        session and posts the logout tokens. Returns the sid ended."""
        r = browser.get(self.issuer + "/end_session?" + urllib.parse.urlencode({"id_token_hint": id_token}))
        loc = r.header("Location") or ""
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        if r.status != 302 or q.get("prompt") != ["end_session"] or not q.get("sid"):
            raise AssertionError("glewlwyd end_session with id_token_hint: %r %r" % (r, loc))
        d = browser.request("DELETE", "%s/session/%s" % (self.issuer, urllib.parse.quote(q["sid"][0])))
        if d.status != 200:
            raise AssertionError("glewlwyd DELETE session %s: %r" % (q["sid"][0], d))
        return q["sid"][0]


# ---------------------------------------------------------------- a provider we control

class RsaKey:
    """An RSA key from the openssl command line; signs RS256 with it."""

    def __init__(self, d, kid):
        self.kid = kid
        self.path = Path(d) / ("%s.key" % kid)
        openssl("genrsa", "-out", str(self.path), "2048")
        text = openssl("rsa", "-in", str(self.path), "-noout", "-modulus").decode()
        self.n = bytes.fromhex(text.strip().split("=", 1)[1])
        self.e = (65537).to_bytes(3, "big")
        self.pub_pem = openssl("rsa", "-in", str(self.path), "-pubout")

    def jwk(self, alg="RS256"):
        k = {"kty": "RSA", "kid": self.kid, "use": "sig", "n": b64u(self.n), "e": b64u(self.e)}
        if alg:
            k["alg"] = alg
        return k

    def sign(self, data):
        return openssl("dgst", "-sha256", "-sign", str(self.path), input_bytes=data)


def jws(header, claims, key=None, hmac_key=None, signature=None):
    """Compact JWS: RS256 with key, HS256 with hmac_key, or the given signature bytes."""
    signing_input = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64u(json.dumps(claims, separators=(",", ":")).encode()))
    if signature is not None:
        sig = signature
    elif hmac_key is not None:
        sig = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    elif key is not None:
        sig = key.sign(signing_input.encode())
    else:
        sig = b""
    return signing_input + "." + b64u(sig)


class FakeProvider:
    """Discovery, JWKS and token endpoint on 127.0.0.1; `mint` decides the id_token.

    mint(form, code_info) -> id_token string, given the token request's form
    fields and what the authorization request carried for that code
    ({"nonce", "code_challenge", "client_id", "redirect_uri", "state"}).
    The authorization endpoint answers at once with a redirect carrying a
    code (no login page). Codes are one-time; the client secret is checked.
    """

    def __init__(self, d, client_id="fake-client", client_secret="fake-secret-0123456789"):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RsaKey(self.dir, "fake-key-1")
        self.jwks_keys = [self.key.jwk()]
        self.codes = {}
        self.mint = None
        self.requests = []          # (method, path) seen, for cache tests
        self.token_status = None    # force an HTTP status at the token endpoint
        self.token_body = None      # force a raw body at the token endpoint
        self.seen = []              # (method, path, headers text, body bytes) of every request
        # The userinfo endpoint: None leaves it out of the discovery document;
        # else a dict answered as JSON to a Bearer access token this provider
        # issued (401 otherwise).
        self.userinfo = None
        self.userinfo_url = None    # another userinfo_endpoint for the discovery document
        self.access_tokens = set()
        # RP-initiated logout: an end_session_endpoint for the discovery document (None: none).
        self.end_session = None
        # A tarpit: while set, every request is accepted and never answered
        # (until release() or stop()), as a hostile provider would.
        self.hanging = False
        self._release = threading.Event()
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status, body, ctype="application/json", headers=None):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def tarpit(self):
                """Hold the connection without a byte of answer while hanging is set."""
                if not provider.hanging:
                    return False
                provider._release.wait(60)
                self.close_connection = True
                return True

            def do_GET(self):
                path, _, query = self.path.partition("?")
                provider.requests.append(("GET", path))
                provider.seen.append(("GET", path, str(self.headers), b""))
                if self.tarpit():
                    return
                if path == "/.well-known/openid-configuration":
                    return self.send(200, provider.discovery())
                if path == "/jwks":
                    return self.send(200, {"keys": provider.jwks_keys})
                if path == "/userinfo" and provider.userinfo is not None:
                    auth = self.headers.get("Authorization", "")
                    if not auth.startswith("Bearer ") or auth[7:] not in provider.access_tokens:
                        return self.send(401, {"error": "invalid_token"})
                    return self.send(200, provider.userinfo)
                if path == "/authorize":
                    q = dict(urllib.parse.parse_qsl(query))
                    code = b64u(os.urandom(18))
                    provider.codes[code] = q
                    loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                        {"code": code, "state": q.get("state", "")})
                    return self.send(302, b"", headers={"Location": loc})
                return self.send(404, {"error": "not_found"})

            def do_POST(self):
                path = self.path.partition("?")[0]
                provider.requests.append(("POST", path))
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                provider.seen.append(("POST", path, str(self.headers), raw))
                if self.tarpit():
                    return
                form = dict(urllib.parse.parse_qsl(raw.decode()))
                if path != "/token":
                    return self.send(404, {"error": "not_found"})
                if provider.token_status is not None:
                    return self.send(provider.token_status, provider.token_body or b"oops",
                                     ctype="text/plain")
                auth = self.headers.get("Authorization", "")
                want = "Basic " + base64.b64encode(
                    ("%s:%s" % (urllib.parse.quote(provider.client_id, safe=""),
                                urllib.parse.quote(provider.client_secret, safe=""))).encode()
                ).decode()
                if not hmac.compare_digest(auth, want):
                    return self.send(401, {"error": "invalid_client"})
                info = provider.codes.pop(form.get("code", ""), None)
                if info is None or form.get("grant_type") != "authorization_code" \
                        or form.get("redirect_uri") != info.get("redirect_uri"):
                    return self.send(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                challenge = b64u(hashlib.sha256(verifier.encode()).digest())
                if info.get("code_challenge_method") != "S256" \
                        or challenge != info.get("code_challenge"):
                    return self.send(400, {"error": "invalid_grant",
                                           "error_description": "PKCE verification failed"})
                if provider.token_body is not None:
                    return self.send(200, provider.token_body)
                id_token = provider.mint(form, info)
                access = "at-" + b64u(os.urandom(9))
                provider.access_tokens.add(access)
                return self.send(200, {"access_token": access,
                                       "token_type": "Bearer", "expires_in": 300,
                                       "id_token": id_token})

        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.issuer = self.base
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def discovery(self):
        d = self._discovery()
        if self.userinfo is not None:
            d["userinfo_endpoint"] = self.userinfo_url or self.base + "/userinfo"
        if self.end_session is not None:
            d["end_session_endpoint"] = self.end_session
        return d

    def _discovery(self):
        return {"issuer": self.issuer,
                "authorization_endpoint": self.base + "/authorize",
                "token_endpoint": self.base + "/token",
                "jwks_uri": self.base + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    def claims(self, info, **over):
        now = int(time.time())
        c = {"iss": self.issuer, "sub": "fake-subject-1", "aud": self.client_id,
             "exp": now + 300, "iat": now, "nonce": info.get("nonce"),
             "email": "fake.user@fake.example", "email_verified": True, "name": "Fake User"}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def logout_claims(self, **over):
        """A logout token's claims (Back-Channel Logout 1.0, 2.4): fresh, with a new jti;
        a claim given as None is left out."""
        c = {"iss": self.issuer, "aud": self.client_id, "iat": int(time.time()),
             "jti": b64u(os.urandom(12)),
             "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def logout_token(self, header=None, key=None, **over):
        """A logout token signed with this provider's key (or key), typed as 2.3 recommends."""
        k = key or self.key
        return jws(header or {"alg": "RS256", "kid": k.kid, "typ": "logout+jwt"},
                   self.logout_claims(**over), k)

    def hang(self):
        self._release.clear()
        self.hanging = True

    def release(self):
        self.hanging = False
        self._release.set()

    def stop(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()
