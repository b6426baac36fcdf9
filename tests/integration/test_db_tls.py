"""TLS to MariaDB (overwatch.conf(5), [database] tls, ca_file; README.md's
configuration table): a MariaDB of this module's own on 127.0.0.1, started by
the harness's MariaDB code with a throw-away CA and server certificate made
with openssl, and the service (a standalone master, spoken to over FastCGI)
and overwatch-admin pointed at it over TCP.

- required: the connection is encrypted (the server's own view of the
  service's session: performance_schema's Ssl_cipher per thread);
- verify: the right CA works; another CA, or a certificate of the right CA
  for another name, is refused: the service answers the documented 503
  SERVICE_UNAVAILABLE (never 500, no crash) and logs why;
- a server without TLS: required and verify refuse it (Connector/C alone
  would go on in clear text: src/db.c asks the session for its cipher).
Database connections only, the same behind every web server: one front-end.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from lib import fcgi_client, harness
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)

HEALTH = "/api/v1/health"
LOGIN = "/api/v1/auth/login"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
            "-keyout", name + ".key", "-out", name + ".pem", cwd=d)


def make_server_cert(d, ca, name, san):
    """A server certificate signed by ca for the subjectAltName san."""
    Path(d, name + ".ext").write_text("subjectAltName = %s\n" % san)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=overwatch-it-db",
            "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem", cwd=d)


class TlsDatabase:
    """A second harness whose MariaDB listens on 127.0.0.1 with TLS; the
    certificate it serves is d/server.pem (replace it, then reload())."""

    def __init__(self):
        self.h = harness.Harness()
        self.d = Path(self.h.tmp) / "pki"
        self.d.mkdir()
        make_ca(self.d, "ca")
        make_ca(self.d, "other-ca")
        make_server_cert(self.d, "ca", "good", "IP:127.0.0.1")
        make_server_cert(self.d, "ca", "wrong-name", "DNS:db.invalid")
        self.use("good")
        self.h.db_port = harness.free_port()
        self.tls_args = ["--ssl-ca=%s" % (self.d / "ca.pem"),
                         "--ssl-cert=%s" % (self.d / "server.pem"),
                         "--ssl-key=%s" % (self.d / "server.key")]
        # Per-thread status (Ssl_cipher of the service's own session).
        self.h.db_extra_args = self.tls_args + ["--performance-schema=ON"]
        self.h.prepare()
        self.masters = 0

    def use(self, name):
        for ext in ("pem", "key"):
            shutil.copyfile(self.d / ("%s.%s" % (name, ext)), self.d / ("server." + ext))

    def reload(self, name):
        self.use(name)
        self.h.sql("FLUSH SSL")

    def env(self, tls, ca=None):
        e = {"OVERWATCH_DATABASE_SOCKET": "", "OVERWATCH_DATABASE_HOST": "127.0.0.1",
             "OVERWATCH_DATABASE_PORT": str(self.h.db_port), "OVERWATCH_DATABASE_TLS": tls,
             "OVERWATCH_DATABASE_CONNECT_TIMEOUT": "5"}
        if ca is not None:
            e["OVERWATCH_DATABASE_CA_FILE"] = str(self.d / (ca + ".pem"))
        return e

    def master(self, tls, ca=None):
        """A master on this database; (Popen, socket, log path)."""
        self.masters += 1
        name = "tls-%d" % self.masters
        p, sock = self.h.start_master(name, workers=1, extra_env=self.env(tls, ca))
        return p, sock, Path(self.h.tmp) / name / "overwatch-fcgi.log"

    def admin(self, tls, ca=None):
        env = dict(self.h.env, **self.env(tls, ca))
        return subprocess.run([self.h.admin_bin, "--config", self.h.config, "migrate", "--dir",
                               self.h.sql_dir], capture_output=True, text=True, env=env, timeout=60)


def answers(sock):
    """(health status, login status, login body, login headers) over FastCGI."""
    hs, _, _, _ = fcgi_client.request(sock, "GET", HEALTH, timeout=30)
    body = json.dumps({"email": "nobody@example.com", "password": "x" * 14}).encode()
    ls, headers, lbody, _ = fcgi_client.request(sock, "POST", LOGIN, body=body,
                                                content_type="application/json", timeout=30)
    return hs, ls, lbody, headers


def expect_served(db, tls, ca=None):
    p, sock, log = db.master(tls, ca)
    try:
        hs, ls, body, _ = answers(sock)
        expect(hs == 200 and ls == 401, "tls = %s, ca %s: health %s, login %s %r; log:\n%s"
               % (tls, ca, hs, ls, body, harness.tail(log)))
        return cipher_of_service(db)
    finally:
        db.h.stop_process(p)


def expect_refused(db, tls, ca, why):
    """503 SERVICE_UNAVAILABLE with Retry-After (doc/api.md section 2), never
    500, the master alive, and the reason in the log."""
    p, sock, log = db.master(tls, ca)
    try:
        hs, ls, body, headers = answers(sock)
        text = body.decode("utf-8", "replace")
        expect(hs == 503 and ls == 503, "%s: health %s, login %s %s" % (why, hs, ls, text))
        err = json.loads(text)
        expect(err.get("code") == "SERVICE_UNAVAILABLE" and err.get("status_code") == 503,
               "%s: not the documented error body: %s" % (why, text))
        expect("retry-after" in headers, "%s: no Retry-After" % why)
        expect(p.poll() is None, "%s: the master died" % why)
        logged = log.read_text(errors="replace")
        expect("cannot connect to the database" in logged and
               any(w in logged for w in ("SSL", "TLS", "certificate", "ertificate")),
               "%s: the log does not say why:\n%s" % (why, logged[-1500:]))
    finally:
        db.h.stop_process(p)


def cipher_of_service(db):
    """Ssl_cipher of every session of the service's user, as the server sees them."""
    rows = db.h.sql(
        "SELECT s.VARIABLE_VALUE FROM performance_schema.status_by_thread s "
        "JOIN performance_schema.threads t ON t.THREAD_ID = s.THREAD_ID "
        "WHERE s.VARIABLE_NAME = 'Ssl_cipher' AND t.PROCESSLIST_USER = '%s'"
        % harness.DB_USER).stdout.splitlines()[1:]
    return rows


def test_tls_to_mariadb(fe):
    db = TlsDatabase()
    try:
        # required: encrypted, whatever the certificate; the server says so.
        p, sock, log = db.master("required")
        try:
            hs, ls, body, _ = answers(sock)
            expect(hs == 200 and ls == 401, "required: %s %s %r\n%s"
                   % (hs, ls, body, harness.tail(log)))
            ciphers = cipher_of_service(db)
            expect(ciphers and all(c.strip() for c in ciphers),
                   "the service's session is not encrypted: %r" % ciphers)
        finally:
            db.h.stop_process(p)
        # verify: the right CA and name.
        expect_served(db, "verify", "ca")
        r = db.admin("verify", "ca")
        expect(r.returncode == 0, "overwatch-admin with tls = verify: %s" % r.stderr)
        # verify: another CA.
        expect_refused(db, "verify", "other-ca", "another CA")
        r = db.admin("verify", "other-ca")
        expect(r.returncode == 69, "overwatch-admin accepted another CA: %d %s"
               % (r.returncode, r.stdout + r.stderr))
        # verify: the right CA, another name; required still takes it.
        db.reload("wrong-name")
        expect_refused(db, "verify", "ca", "a certificate for another host name")
        expect_served(db, "required")
        db.reload("good")
        # A server without TLS: required refuses it, off takes it.
        db.h.stop_mariadb()
        db.h.db_extra_args = ["--performance-schema=ON", "--skip-ssl"]
        db.h.start_mariadb()
        expect_refused(db, "required", None, "a server without TLS")
        expect_refused(db, "verify", "ca", "a server without TLS, verify")
        r = db.admin("required")
        expect(r.returncode == 69, "overwatch-admin used a server without TLS: %d %s"
               % (r.returncode, r.stdout + r.stderr))
        ciphers = expect_served(db, "off")
        expect(ciphers and not any(c.strip() for c in ciphers),
               "tls = off against a server without TLS: %r" % ciphers)
    finally:
        db.h.cleanup()
