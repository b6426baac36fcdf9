"""The shipped console blocks (etc/apache2/overwatch.conf and
overwatch-proxy.conf, etc/lighttpd/50-overwatch.conf) add the console's security headers and hide
the server's version (doc/SECURITY.md section 22).

Each test runs the web server on a free loopback port with the shipped file
as it is, only the console's directory pointed at the checkout's www/ and
the FastCGI socket at one that does not exist (the console is plain files).
"""

import subprocess
from pathlib import Path

from lib import harness
from lib.checks import expect
from lib.client import Endpoint

REPO = Path(__file__).resolve().parents[2]
CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
               "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
CONSOLE_HEADERS = {
    "Content-Security-Policy": CONSOLE_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def shipped(name, sock):
    text = (REPO / "etc" / name).read_text()
    return (text.replace("/usr/share/overwatch/www", str(REPO / "www"))
            .replace("/run/overwatch/overwatch.sock", sock))


def run_server(argv, log, port):
    out = open(log, "w")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    ep = Endpoint("console", port)

    def up():
        try:
            return ep.get("/overwatch/").status == 200
        except OSError:
            return p.poll() is not None
    harness.wait_for(up, 30, 0.1, "the web server to serve the console")
    expect(p.poll() is None, "the web server exited:\n" + harness.tail(log))
    return p, ep


def check_console(ep, what):
    r = ep.get("/overwatch/")
    expect(r.status == 200 and b"js/main.js" in r.body, "%s: the console is not served" % what, r)
    for name, value in CONSOLE_HEADERS.items():
        expect(r.header(name, "") == value, "%s: %s is not %r" % (what, name, value), r)
    # Plain HTTP here: HSTS belongs to HTTPS only.
    expect(r.header("Strict-Transport-Security") is None, "%s: HSTS over plain HTTP" % what, r)
    server = r.header("Server", "")
    expect("/" not in server and not any(ch.isdigit() for ch in server),
           "%s: the Server header tells a version: %r" % (what, server), r)


def test_lighttpd_console_block(fe):
    if fe.name != "lighttpd-socket":
        return
    d = Path(fe.harness.tmp) / "console-lighttpd"
    d.mkdir(exist_ok=True)
    port = harness.free_port()
    (d / "50-overwatch.conf").write_text(shipped("lighttpd/50-overwatch.conf", str(d / "none.sock")))
    conf = d / "lighttpd.conf"
    conf.write_text(
        'server.document-root = "%s"\nserver.bind = "127.0.0.1"\nserver.port = %d\n'
        'server.modules = ("mod_indexfile", "mod_alias", "mod_fastcgi")\n'
        'index-file.names = ("index.html")\ninclude "%s"\n'
        'server.modules += ("mod_staticfile")\n'
        'mimetype.assign = (".html" => "text/html", ".js" => "text/javascript")\n'
        % (d, port, d / "50-overwatch.conf"))
    p, ep = run_server([harness.which("lighttpd", "/usr/sbin"), "-D", "-f", str(conf)],
                       d / "lighttpd.out", port)
    try:
        check_console(ep, "lighttpd")
    finally:
        p.terminate()
        p.wait(30)


def test_apache_console_blocks(fe):
    if fe.name != "apache-fcgid":
        return
    # mod_fcgid's configuration and mod_proxy_fcgi's carry the same block.
    for name in ("overwatch.conf", "overwatch-proxy.conf"):
        apache_console_block(fe, name)


def apache_console_block(fe, name):
    d = Path(fe.harness.tmp) / ("console-apache-" + name)
    (d / "run").mkdir(parents=True, exist_ok=True)
    port = harness.free_port()
    (d / "overwatch.conf").write_text(shipped("apache2/" + name, str(d / "none.sock")))
    load = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, harness.APACHE_MODULES, m)
                     for m in ("mpm_event", "authz_core", "mime", "alias", "dir", "headers"))
    conf = d / "apache2.conf"
    conf.write_text(
        'ServerRoot "{d}"\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n'
        'PidFile "{d}/run/apache2.pid"\nDefaultRuntimeDir "{d}/run"\nMutex file:{d}/run default\n'
        'ErrorLog "{d}/error.log"\n{load}\nTypesConfig /etc/mime.types\n'
        'DirectoryIndex index.html\n'
        '{user}Include "{d}/overwatch.conf"\n'.format(
            d=d, port=port, load=load,
            user="User www-data\nGroup www-data\n" if fe.harness.root else ""))
    p, ep = run_server([harness.which("apache2", "/usr/sbin"), "-f", str(conf), "-DFOREGROUND"],
                       d / "apache.out", port)
    try:
        check_console(ep, "Apache " + name)
    finally:
        p.terminate()
        p.wait(30)
