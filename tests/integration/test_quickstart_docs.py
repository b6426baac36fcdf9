"""The public documentation's eight curl commands against the real quick start
(README.md "Walk-through with curl", doc/api.md sections 4 and 6).

tools/quickstart itself runs, from a copy of this checkout (so that a quick
start the developer keeps running in the checkout's own state/ is never
stopped), on a free PORT with --detach, and is stopped with --stop. Each
command is the documentation's text, run by bash with the real curl: only the
host (`https://<your-instance>`) and the placeholders of values the server
hands out (tokens, the API key and its id) are replaced. Output options come
from a .curlrc (CURL_HOME), so not a character of a command changes. The
documentation's user, engineer@example.com with "your-password", is made with
overwatch-admin against the quick start, as the README shows.

Under Apache with mod_fcgid (the default) all eight work; under
`--frontend lighttpd` all work but the body-less logout, which lighttpd
answers 411 before the service sees it (README.md, lighttpd section), so the
token stays valid.

Also here, as a newcomer meets them after the quick start: the README's
walk-through shows these commands, and --check-config checks what
overwatch.conf(5) says it checks.
"""

import grp
import json
import os
import shutil
import stat
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from lib import harness, oidc_idp
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)
ORDER = 85

HOST = "https://<your-instance>"
EXAMPLE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."
EXAMPLE_KEY = "overwatch_ak_1a2b3c4d5e6f7890"

# The commands exactly as the public documentation writes them.
LOGIN = """curl -X POST "https://<your-instance>/api/v1/auth/login" \\
-H "Content-Type: application/json" \\
-d '{
"email": "engineer@example.com",
"password": "your-password"
}'"""
INCIDENTS_JWT = """curl -X GET "https://<your-instance>/api/v1/incidents" \\
-H "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..." """.rstrip()
REFRESH = """curl -X POST "https://<your-instance>/api/v1/auth/refresh" \\
-H "Content-Type: application/json" \\
-d '{
"refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."
}'"""
LOGOUT = """curl -X POST "https://<your-instance>/api/v1/auth/logout" \\
-H "Authorization: Bearer <access_token>" """.rstrip()
CREATE_KEY = """curl -X POST "https://<your-instance>/api/v1/api-keys" \\
-H "Authorization: Bearer <access_token>" \\
-H "Content-Type: application/json" \\
-d '{
"name": "CI/CD Pipeline",
"permissions": ["incidents:read", "incidents:create", "procedures:execute"]
}'"""
INCIDENTS_KEY = """curl -X GET "https://<your-instance>/api/v1/incidents" \\
-H "X-API-Key: overwatch_ak_1a2b3c4d5e6f7890" """.rstrip()
LIST_KEYS = """curl -X GET "https://<your-instance>/api/v1/api-keys" \\
-H "Authorization: Bearer <access_token>" """.rstrip()
DELETE_KEY = """curl -X DELETE "https://<your-instance>/api/v1/api-keys/<key_id>" \\
-H "Authorization: Bearer <access_token>" """.rstrip()
PERMISSIONS = ["incidents:read", "incidents:create", "procedures:execute"]


class QuickStart:
    """A copy of the checkout (build outputs included, times kept, so the
    quick start's build step has nothing to do) running tools/quickstart."""

    def __init__(self, frontend):
        self.frontend = frontend

    def __enter__(self):
        self.top = Path(tempfile.mkdtemp(prefix="ow-qs-"))
        self.tree = self.top / "checkout"
        shutil.copytree(harness.REPO, self.tree, symlinks=True,
                        # Build trees of other test stages (the fuzzers rewrite their
                        # corpora while they run) are no part of the quick start.
                        ignore=shutil.ignore_patterns("state", ".git", "__pycache__",
                                                      "node_modules", "build", "crashes"))
        (self.top / "curl").mkdir()
        self.headers = self.top / "curl" / "headers"
        # Output options only: headers to a file, the status after the body.
        (self.top / "curl" / ".curlrc").write_text(
            'silent\nshow-error\ndump-header = "%s"\nwrite-out = "\\n%%{http_code}"\n'
            % self.headers)
        self.port = harness.free_port()
        # The caller's OVERWATCH_* must not reach the quick start.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OVERWATCH_")}
        self.env.update(PORT=str(self.port), CURL_HOME=str(self.top / "curl"))
        self.started = self.tool("--detach", "--frontend", self.frontend)
        if self.started.returncode != 0:
            self.stop()
            raise AssertionError("tools/quickstart --detach failed (exit %d):\n%s"
                                 % (self.started.returncode, self.started.stderr[-3000:]))
        return self

    def tool(self, *args):
        return subprocess.run([str(self.tree / "tools" / "quickstart"), *args], env=self.env,
                              capture_output=True, text=True, timeout=600, check=False)

    def admin(self, *args, stdin=""):
        return subprocess.run([str(self.tree / "overwatch-admin"), "--config",
                               str(self.tree / "state" / "overwatch.conf"), *args],
                              input=stdin, capture_output=True, text=True, timeout=60,
                              check=False)

    def curl(self, command, **values):
        """Run one documented command with the host and the given placeholders
        replaced; returns (status, headers text, body text)."""
        for placeholder, value in values.items():
            expect(placeholder in command, "no %s in %r" % (placeholder, command))
            command = command.replace(placeholder, value)
        command = command.replace(HOST, "http://127.0.0.1:%d" % self.port)
        if self.headers.exists():
            self.headers.unlink()
        r = subprocess.run(["bash", "-c", command], env=self.env, capture_output=True,
                           text=True, timeout=60, check=False)
        expect(r.returncode == 0, "curl failed (exit %d): %s\n%s"
               % (r.returncode, r.stderr, command))
        body, _, status = r.stdout.rpartition("\n")
        headers = self.headers.read_text() if self.headers.exists() else ""
        return int(status), headers, body

    def stop(self):
        """--stop, then the copy is removed; what --stop left behind, if anything."""
        stopped = self.tool("--stop")
        service_dir = self.tree / "state" / "servicedir"
        leftover = service_dir.read_text().strip() if service_dir.exists() else ""
        shutil.rmtree(self.top, ignore_errors=True)
        if stopped.returncode != 0:
            return "tools/quickstart --stop failed: %s" % stopped.stderr
        if leftover and os.path.exists(leftover):
            return "--stop left the service's copies in %s" % leftover
        return None

    def __exit__(self, exc_type, *exc):
        problem = self.stop()
        # A failure inside the block is the one to report.
        expect(exc_type is not None or problem is None, str(problem))


def service_dir_is_private(qs):
    """As root, what www-data reads sits in a 0750 directory of group
    www-data, secrets 0640 (doc/SECURITY.md "Local files of the quick start")."""
    if os.geteuid() != 0:
        return
    svc = Path((qs.tree / "state" / "servicedir").read_text().strip())
    web = grp.getgrnam("www-data").gr_gid
    st = os.lstat(svc)
    expect(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o750 and
           st.st_uid == 0 and st.st_gid == web,
           "%s: mode %o uid %d gid %d" % (svc, st.st_mode, st.st_uid, st.st_gid))
    for name in ("jwt.secret", "mfa.secret", "db.password", "overwatch.conf"):
        st = os.lstat(svc / name)
        expect(stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == web,
               "%s: mode %o gid %d" % (name, st.st_mode, st.st_gid))


def sso_callback_is_the_quick_starts(qs):
    """overwatch-admin sso-show against the quick start names its own callback
    URL, not a placeholder ([sso] redirect_base, overwatch.conf(5))."""
    idp = oidc_idp.FakeProvider(qs.top / "idp")
    try:
        r = qs.admin("sso-set", "--org", "demo", "--issuer", idp.issuer, "--client-id",
                     idp.client_id, stdin=idp.client_secret + "\n")
        expect(r.returncode == 0, "sso-set: %s" % r.stderr)
        r = qs.admin("sso-show", "--org", "demo")
    finally:
        idp.stop()
    want = "redirect_uri: http://127.0.0.1:%d/api/v1/auth/sso/demo/callback\n" % qs.port
    expect(want in r.stdout, "sso-show: %r" % r.stdout)


def mfa_offered(qs, access):
    """The quick start sets [mfa] secret_file (a key made like the JWT
    secret), so enrolment answers 200 with an otpauth URI rather than 404
    (doc/api.md section 6, "Two-factor sign-in")."""
    key = qs.tree / "state" / "mfa.secret"
    expect(key.stat().st_size >= 32 and stat.S_IMODE(key.stat().st_mode) == 0o600,
           "state/mfa.secret: %r" % (key.stat(),))
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/auth/mfa/totp" % qs.port,
                                 data=b"{}", method="POST",
                                 headers={"Authorization": "Bearer " + access,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, body = r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()[:300]
    expect(status == 200 and body["otpauth_uri"].startswith("otpauth://totp/") and
           body["digits"] == 6 and body["period"] == 30,
           "POST /auth/mfa/totp on the quick start: %d %r" % (status, body if status != 200 else ""))


def answer(qs, status, command, **values):
    got, headers, body = qs.curl(command, **values)
    expect(got == status, "expected %d, got %d for:\n%s\nheaders:\n%s\nbody: %r"
           % (status, got, command, headers, body[:400]))
    return json.loads(body) if body.strip() else None, headers


def engineer(qs):
    """The documentation's user, made with overwatch-admin as the README says."""
    r = qs.admin("create-user", "--org", "demo", "--email", "engineer@example.com",
                 "--name", "Jane Doe", "--role", "engineer", stdin="your-password\n")
    expect(r.returncode == 0, "overwatch-admin create-user: %s" % r.stderr)


def login(qs):
    body, headers = answer(qs, 200, LOGIN)
    expect(body["token_type"] == "bearer" and body["expires_in"] == 3600,
           "login: token_type/expires_in %r" % body)
    user = body["user"]
    expect(user["email"] == "engineer@example.com" and user["name"] == "Jane Doe" and
           user["role"] == "engineer" and user["organization_id"],
           "login: user %r" % user)
    cookies = [line for line in headers.splitlines() if line.lower().startswith("set-cookie:")]
    expect(len(cookies) == 2 and all("HttpOnly" in c for c in cookies),
           "login sets both tokens as httpOnly cookies: %r" % cookies)
    return body["access_token"], body["refresh_token"]


def logout_check(qs, access, refresh):
    """The documentation's logout, then what it promises: the token is dead."""
    _, headers = answer(qs, 204, LOGOUT, **{"<access_token>": access})
    expect("access_token=;" in headers and "Max-Age=0" in headers,
           "logout expires the cookies:\n%s" % headers)
    body, _ = answer(qs, 401, INCIDENTS_JWT, **{EXAMPLE_JWT: access})
    expect(body["code"] == "INVALID_TOKEN", "a logged-out token: %r" % body)
    body, _ = answer(qs, 401, REFRESH, **{EXAMPLE_JWT: refresh})
    expect(body["code"] == "INVALID_TOKEN", "the logged-out session's refresh: %r" % body)


def test_documentation_commands_on_the_apache_quickstart(fe):
    with QuickStart("apache") as qs:
        expect("Apache with mod_fcgid" in qs.started.stdout and
               "export B=http://127.0.0.1:%d/api/v1" % qs.port in qs.started.stdout,
               "the quick start names Apache and prints the B= line:\n%s" % qs.started.stdout)
        creds = (qs.tree / "state" / "demo.credentials").read_text()
        expect("slug=demo\n" in creds, "demo.credentials names the slug:\n%s" % creds)
        service_dir_is_private(qs)
        sso_callback_is_the_quick_starts(qs)
        engineer(qs)

        access, refresh = login(qs)                                         # 1
        body, _ = answer(qs, 200, INCIDENTS_JWT, **{EXAMPLE_JWT: access})   # 2
        expect(body is not None, "GET /incidents with a Bearer token")
        body, _ = answer(qs, 200, REFRESH, **{EXAMPLE_JWT: refresh})        # 3
        expect(set(body) >= {"access_token", "token_type", "expires_in"} and
               body["expires_in"] == 3600 and body["access_token"] != access,
               "refresh: %r" % body)
        logout_check(qs, body["access_token"], refresh)                     # 4

        access, _ = login(qs)
        mfa_offered(qs, access)
        bearer = {"<access_token>": access}
        key, _ = answer(qs, 201, CREATE_KEY, **bearer)                      # 5
        expect(key["name"] == "CI/CD Pipeline" and key["permissions"] == PERMISSIONS and
               key["api_key"].startswith("overwatch_ak_") and key["id"] and key["created_at"],
               "created key: %r" % {k: v for k, v in key.items() if k != "api_key"})
        answer(qs, 200, INCIDENTS_KEY, **{EXAMPLE_KEY: key["api_key"]})     # 6
        keys, _ = answer(qs, 200, LIST_KEYS, **bearer)                      # 7
        expect(isinstance(keys, list) and [k["id"] for k in keys] == [key["id"]] and
               all("api_key" not in k for k in keys),
               "the list holds the key, never its value: %r" % keys)
        answer(qs, 204, DELETE_KEY, **bearer, **{"<key_id>": key["id"]})    # 8
        body, _ = answer(qs, 401, INCIDENTS_KEY, **{EXAMPLE_KEY: key["api_key"]})
        expect(body["code"] == "INVALID_API_KEY", "a deleted key: %r" % body)


def test_lighttpd_quickstart_refuses_only_the_bodyless_logout(fe):
    with QuickStart("lighttpd") as qs:
        expect("lighttpd" in qs.started.stdout and "411" in qs.started.stdout,
               "the quick start says what lighttpd does:\n%s" % qs.started.stdout)
        engineer(qs)
        access, refresh = login(qs)
        answer(qs, 200, INCIDENTS_JWT, **{EXAMPLE_JWT: access})
        body, _ = answer(qs, 200, REFRESH, **{EXAMPLE_JWT: refresh})
        access = body["access_token"]
        mfa_offered(qs, access)
        got, headers, text = qs.curl(LOGOUT, **{"<access_token>": access})
        expect(got == 411 and "Server: lighttpd" in headers and '"code"' not in text,
               "lighttpd's own 411 for the body-less logout, got %d:\n%s%s"
               % (got, headers, text[:300]))
        # lighttpd never asked the service: the session is still alive.
        answer(qs, 200, INCIDENTS_JWT, **{EXAMPLE_JWT: access})
        bearer = {"<access_token>": access}
        key, _ = answer(qs, 201, CREATE_KEY, **bearer)
        answer(qs, 200, INCIDENTS_KEY, **{EXAMPLE_KEY: key["api_key"]})
        answer(qs, 200, LIST_KEYS, **bearer)
        answer(qs, 204, DELETE_KEY, **bearer, **{"<key_id>": key["id"]})


def test_readme_walkthrough_runs_the_documentation_commands(fe):
    """README.md's walk-through shows each command as the documentation
    writes it (host as $B), the logout without a body or Content-Length."""
    readme = (harness.REPO / "README.md").read_text()
    walk = readme[readme.index("## Walk-through with curl"):readme.index("## Deploying")]
    for command in (LOGIN, INCIDENTS_JWT, REFRESH, LOGOUT, CREATE_KEY, INCIDENTS_KEY,
                    LIST_KEYS, DELETE_KEY):
        first = command.splitlines()[0].replace(HOST + "/api/v1", "$B")
        first = first.replace("<key_id>", "$KEY_ID")
        expect(first in walk, "the walk-through lacks %r" % first)
    logout = walk[walk.index(LOGOUT.splitlines()[0].replace(HOST + "/api/v1", "$B")):]
    logout = logout[:logout.index("```")]
    expect("-d" not in logout and "Content-Length" not in logout,
           "the walk-through's logout is not the documentation's:\n%s" % logout)


def test_check_config_checks_authorizer_rules_and_trusted_proxies(fe):
    """overwatch.conf(5): --check-config judges [authorizer] rules and
    [service] trusted_proxies as start-up does."""
    h = fe.harness
    for name, value, key in (("OVERWATCH_AUTHORIZER_RULES", "/downloads/=no-such-permission", "rules"),
                             ("OVERWATCH_SERVICE_TRUSTED_PROXIES", "not-an-address", "trusted_proxies")):
        env = dict(h.env, **{name: value})
        r = subprocess.run([h.fcgi_bin, "--check-config", "--config", h.config], env=env,
                           capture_output=True, text=True, timeout=30, check=False)
        expect(r.returncode != 0 and key in r.stderr,
               "--check-config with %s=%s: exit %d, %r" % (name, value, r.returncode, r.stderr))
    r = subprocess.run([h.fcgi_bin, "--check-config", "--config", h.config], env=h.env,
                       capture_output=True, text=True, timeout=30, check=False)
    expect(r.returncode == 0, "--check-config of the harness's own file: %r" % r.stderr)
