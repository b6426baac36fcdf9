"""Web servers that guard other content with the service as FastCGI Authorizer (doc/api.md section 8).

Used by test_authorizer.py and tests/bench/authorizer.py; builds on harness.py
without changing it. Each guarded server is a harness.Frontend of its own (own
port, own directory under the harness's temp dir; not in harness.frontends,
which lists the API front-ends; harness.cleanup stops its processes) serving
one document root:

  /public/hello.txt        not guarded
  /public/report.txt       not guarded, the same bytes as /downloads/report.txt
                           (the benchmark's unprotected baseline)
  /login.html              not guarded (where browsers are sent)
  /downloads/report.txt    guarded: incidents:read
  /cgi-bin/env.py          guarded: any valid credential; a CGI script that
                           prints its environment and request body as JSON
  /dash/index.html         guarded: any valid credential; browsers (Accept:
                           text/html) are redirected to /login.html instead

The configurations are the shipped examples, with test paths and ports
filled in (so the tests check them too):

  lighttpd        etc/lighttpd/60-overwatch-authorizer.conf: mod_fastcgi
                  "mode" => "authorizer" entries pointing at a standalone
                  master started with harness.start_master(extra_env=
                  OVERWATCH_AUTHORIZER_*).
  apache-authnz   etc/apache2/overwatch-authorizer.conf: Apache's own
                  mod_authnz_fcgi with a standalone master on a loopback TCP
                  port; keeps the service's 401/403/302 answers and bodies.
  apache-fcgid    the commented mod_fcgid alternative of the same file:
                  FcgidAccessChecker spawning the service (rules in
                  FcgidInitialEnv). Grants work the same, but mod_fcgid turns
                  every refusal into its own 401 HTML page (refusals_kept is
                  False).

mod_fcgid's FcgidAuthorizer itself is not usable with these credentials: it
runs only after some Apache authn module has set a user (AuthType Basic
answers 401 to a Bearer token before the authorizer is asked; any other
AuthType gives 500 AH01796). See the Apache example's comments.
"""

import os
import pwd
import shutil
import socket
from pathlib import Path

from . import harness

RULES = "/downloads/=incidents:read /cgi-bin/=authenticated /dash/=authenticated,redirect"
LOGIN_URL = "/login.html"
SERVICE_ENV = {
    "OVERWATCH_AUTHORIZER_RULES": RULES,
    "OVERWATCH_AUTHORIZER_LOGIN_URL": LOGIN_URL,
}
GUARDED_REGEX = "^/(downloads|cgi-bin|dash)/"
# The Variable- headers of a granted answer (src/authorizer.c).
VARIABLES = ("OVERWATCH_PRINCIPAL_TYPE", "OVERWATCH_USER_ID", "OVERWATCH_API_KEY_ID",
             "OVERWATCH_ORGANIZATION_ID", "OVERWATCH_ROLE", "OVERWATCH_EMAIL",
             "OVERWATCH_PERMISSIONS")

REPORT = b"quarterly incident report\n"
HELLO = b"hello, world\n"
DASH = b"<!doctype html><title>dashboard</title><p>dashboard\n"
LOGIN = b"<!doctype html><title>login</title><p>please log in\n"

# What the protected application sees: {"env": {...}, "body": "..."}.
CGI_SCRIPT = r'''#!/usr/bin/python3
import json, os, sys
n = int(os.environ.get("CONTENT_LENGTH") or 0)
body = sys.stdin.buffer.read(n).decode("utf-8", "replace") if n > 0 else ""
out = json.dumps({"env": dict(os.environ), "body": body}, sort_keys=True)
sys.stdout.write("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n" + out)
'''


def make_docroot(h):
    """The document root every guarded server serves (made once per harness)."""
    www = Path(h.tmp) / "guarded-www"
    if www.exists():
        return www
    for sub in ("public", "downloads", "cgi-bin", "dash"):
        (www / sub).mkdir(parents=True)
    (www / "public" / "hello.txt").write_bytes(HELLO)
    (www / "downloads" / "report.txt").write_bytes(REPORT)
    (www / "public" / "report.txt").write_bytes(REPORT)
    (www / "dash" / "index.html").write_bytes(DASH)
    (www / "login.html").write_bytes(LOGIN)
    cgi = www / "cgi-bin" / "env.py"
    cgi.write_text(CGI_SCRIPT)
    for d, _, files in os.walk(www):
        os.chmod(d, 0o755)
        for f in files:
            os.chmod(os.path.join(d, f), 0o644)
    os.chmod(cgi, 0o755)
    return www


def _new_frontend(h, name):
    fe = harness.Frontend(h, name)
    fe.refusals_kept = True         # the service's 401/403/302 reach the client as sent
    fe.authorizer_address = None    # where the service listens, if not spawned by the server
    # Not added to h.frontends (tests iterate it to reach every API
    # front-end); harness.cleanup stops everything h.spawn started anyway.
    return fe


def _wait_ready(fe, timeout=20.0):
    def answered():
        if fe.proc.poll() is not None:
            raise harness.SetupError("%s exited with status %s:\n%s" % (
                fe.name, fe.proc.returncode, "\n".join(harness.tail(f, 8) for f in fe.logs)))
        if fe.master is not None and fe.master.poll() is not None:
            raise harness.SetupError("%s: overwatch-fcgi master exited" % fe.name)
        try:
            return fe.get("/public/hello.txt", timeout=5).status == 200
        except OSError:
            return False
    harness.wait_for(answered, timeout, 0.1, "%s to serve /public/hello.txt" % fe.name)


def start_tcp_master(h, name, extra_env=None, workers=harness.WORKERS):
    """`overwatch-fcgi --listen 127.0.0.1:PORT` (mod_authnz_fcgi speaks TCP only)."""
    d = Path(h.tmp) / name
    d.mkdir(exist_ok=True)
    port = harness.free_port()
    log = str(d / "overwatch-fcgi.log")
    env = dict(h.env)
    env.update(h.service_env)
    env.update(extra_env or {})
    p = h.spawn([h.fcgi_bin, "--config", h.config, "--listen", "127.0.0.1:%d" % port,
                 "--workers", str(workers)], log, env=env)

    def listening():
        if p.poll() is not None:
            raise harness.SetupError("overwatch-fcgi exited with status %s:\n%s"
                                     % (p.returncode, harness.tail(log)))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return len(harness.children(p.pid)) >= workers
        except OSError:
            return False
    harness.wait_for(listening, 15, 0.05, "overwatch-fcgi to listen on port %d" % port)
    return p, port


# ---------------------------------------------------------------- lighttpd

LIGHTTPD_EXAMPLE = harness.REPO / "etc" / "lighttpd" / "60-overwatch-authorizer.conf"
APACHE_EXAMPLE = harness.REPO / "etc" / "apache2" / "overwatch-authorizer.conf"


def lighttpd_conf(fe, www, sock):
    example = LIGHTTPD_EXAMPLE.read_text()
    assert "/run/lighttpd/overwatch.sock" in example
    example = example.replace("/run/lighttpd/overwatch.sock", sock)
    return """# generated by tests/lib/guarded.py ({name})
server.modules = ("mod_accesslog", "mod_fastcgi", "mod_cgi")
server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/lighttpd-error.log"
accesslog.filename = "{d}/lighttpd-access.log"
server.tag = "lighttpd"
server.max-request-field-size = 32768
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html; charset=utf-8", ".txt" => "text/plain; charset=utf-8")
# As Debian's /etc/lighttpd/lighttpd.conf (the example replaces it).
server.http-parseopts = (
    "header-strict" => "enable", "host-strict" => "enable", "host-normalize" => "enable",
    "url-normalize-unreserved" => "enable", "url-normalize-required" => "enable",
    "url-ctrls-reject" => "enable", "url-path-2f-decode" => "enable",
    "url-path-dotseg-remove" => "enable",
)
# As Debian's 10-cgi.conf, without the alias to /usr/lib/cgi-bin/.
$HTTP["url"] =~ "^/cgi-bin/" {{
    cgi.assign = ("" => "")
}}

# ---- {example}
{text}
# ---- one more guarded prefix, as the example's
fastcgi.server += ("/dash/" => ((
    "socket" => "{sock}", "mode" => "authorizer", "check-local" => "disable",
)))
""".format(name=fe.name, www=www, port=fe.port, d=fe.dir, example=LIGHTTPD_EXAMPLE,
           text=example, sock=sock)


def start_lighttpd(h, name="guard-lighttpd", extra_env=None):
    www = make_docroot(h)
    fe = _new_frontend(h, name)
    fe.master, fe.socket = h.start_master(name, extra_env=dict(SERVICE_ENV, **(extra_env or {})))
    fe.authorizer_address = fe.socket
    fe.logs.append(str(fe.dir / "overwatch-fcgi.log"))
    conf = fe.dir / "lighttpd.conf"
    conf.write_text(lighttpd_conf(fe, www, fe.socket))
    lighttpd = harness.which("lighttpd", "/usr/sbin")
    r = h.run([lighttpd, "-tt", "-f", str(conf)], check=False)
    if r.returncode != 0:
        raise harness.SetupError("lighttpd config test failed: %s" % (r.stderr or r.stdout))
    fe.logs += [str(fe.dir / "lighttpd-error.log"), str(fe.dir / "lighttpd.out")]
    fe.proc = h.spawn([lighttpd, "-D", "-f", str(conf)], str(fe.dir / "lighttpd.out"))
    _wait_ready(fe)
    return fe


# ---------------------------------------------------------------- Apache

APACHE_BASE = """# generated by tests/lib/guarded.py ({name})
ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{d}/apache2.pid"
DefaultRuntimeDir "{d}/run"
Mutex file:{d}/run default
ErrorLog "{d}/apache-error.log"
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b %D" timed
CustomLog "{d}/apache-access.log" timed
{load}
{user}
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 10
MaxSpareThreads 50
LimitRequestFieldSize 32768
TypesConfig /etc/mime.types
AddType "text/plain; charset=utf-8" .txt
AddType "text/html; charset=utf-8" .html
ScriptSock "{d}/run/cgid.sock"
DocumentRoot "{www}"
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{www}">
    Require all granted
</Directory>
<Directory "{www}/cgi-bin">
    Options +ExecCGI
    SetHandler cgi-script
</Directory>
"""

def apache_example(variant):
    """The example's mod_authnz_fcgi part, or its commented mod_fcgid alternative."""
    text = APACHE_EXAMPLE.read_text()
    if variant == "authnz":
        text = text[:text.index("# --- Alternative: mod_fcgid")]
        assert "fcgi://127.0.0.1:9071/" in text
        return text
    block = text[text.index("#<IfModule mod_fcgid.c>"):]
    return "\n".join(line[1:] if line.startswith("#") else line for line in block.splitlines())


def apache_conf(h, fe, www, variant, fcgi_bin=None, fcgi_port=None, env=None):
    mods = ["mpm_event", "authn_core", "authz_core", "mime", "alias", "dir", "cgid", "headers"]
    mods += ["authnz_fcgi"] if variant == "authnz" else ["fcgid"]
    load = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, harness.APACHE_MODULES, m)
                     for m in mods)
    user = "User www-data\nGroup www-data\n" if h.root else ""
    conf = APACHE_BASE.format(name=fe.name, d=fe.dir, port=fe.port, load=load, user=user,
                              www=www)
    example = apache_example(variant).replace('"^/(downloads|cgi-bin)/"', '"%s"' % GUARDED_REGEX)
    if variant == "authnz":
        example = example.replace("fcgi://127.0.0.1:9071/", "fcgi://127.0.0.1:%d/" % fcgi_port)
    else:
        initial_env = "\n".join('    FcgidInitialEnv %s "%s"' % kv for kv in env.items())
        lines = []
        for line in example.splitlines():
            if "FcgidInitialEnv OVERWATCH_AUTHORIZER_RULES" in line:
                line = initial_env
            elif "FcgidAccessChecker" in line:
                line = '        FcgidAccessChecker "%s --config %s"' % (fcgi_bin, h.config)
            lines.append(line)
        example = """LogLevel warn fcgid:info
FcgidIPCDir "{d}/fcgid"
FcgidProcessTableFile "{d}/fcgid_shm"
FcgidMaxProcessesPerClass 4
FcgidMinProcessesPerClass 0
FcgidIOTimeout 30
FcgidConnectTimeout 10
""".format(d=fe.dir) + "\n".join(lines)
    return conf + "\n# ---- %s (%s)\n" % (APACHE_EXAMPLE, variant) + example + "\n"


def start_apache(h, variant="authnz", name=None, extra_env=None):
    """variant "authnz" (mod_authnz_fcgi + standalone TCP master) or "fcgid"
    (mod_fcgid FcgidAccessChecker spawning the service)."""
    assert variant in ("authnz", "fcgid")
    www = make_docroot(h)
    fe = _new_frontend(h, name or "guard-apache-" + variant)
    fe.refusals_kept = variant == "authnz"
    for sub in ("run", "fcgid"):
        (fe.dir / sub).mkdir()
    env = dict(SERVICE_ENV, **(extra_env or {}))
    if variant == "authnz":
        fe.master, port = start_tcp_master(h, fe.name, extra_env=env)
        fe.authorizer_address = ("127.0.0.1", port)
        fe.logs.append(str(fe.dir / "overwatch-fcgi.log"))
        text = apache_conf(h, fe, www, variant, fcgi_port=port)
    else:
        fcgi_bin = h.fcgi_bin
        if h.root:
            # As in harness.start_apache: www-data runs a copy of the binary.
            fcgi_bin = str(fe.dir / "overwatch-fcgi")
            shutil.copy2(h.fcgi_bin, fcgi_bin)
            www_data = pwd.getpwnam("www-data")
            os.chown(fe.dir / "fcgid", www_data.pw_uid, www_data.pw_gid)
        text = apache_conf(h, fe, www, variant, fcgi_bin=fcgi_bin, env=env)
    if h.root:
        www_data = pwd.getpwnam("www-data")
        os.chown(fe.dir / "run", www_data.pw_uid, www_data.pw_gid)
    conf = fe.dir / "apache2.conf"
    conf.write_text(text)
    apache = harness.which("apache2", "/usr/sbin")
    r = h.run([apache, "-t", "-f", str(conf)], check=False)
    if r.returncode != 0:
        raise harness.SetupError("apache2 config test failed: %s" % (r.stderr or r.stdout))
    fe.logs += [str(fe.dir / "apache-error.log"), str(fe.dir / "apache.out")]
    fe.proc = h.spawn([apache, "-f", str(conf), "-DFOREGROUND"], str(fe.dir / "apache.out"))
    _wait_ready(fe)
    return fe


STARTERS = {
    "lighttpd": start_lighttpd,
    "apache-authnz": lambda h, **kw: start_apache(h, "authnz", **kw),
    "apache-fcgid": lambda h, **kw: start_apache(h, "fcgid", **kw),
}
