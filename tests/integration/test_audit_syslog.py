"""The audit log's copy in syslog (overwatch.conf(5), [audit] syslog; README.md,
"Database users"): every audit event the service records is also one syslog
line (RFC 3164, tag overwatch-audit, a JSON object) with the configured
facility, received here by a real Unix datagram socket that the service is
pointed at ([audit] syslog_socket), as a syslog daemon's /dev/log would be.
No password or token is ever in a line; a missing daemon costs no request.
The service's own doing, not the web server's: one front-end.
"""

import json
import os
import re
import socket
import time
from contextlib import contextmanager

from lib import harness
from lib.api import PASSWORD, Org, login, sql_rows
from lib.checks import error, expect

FRONTENDS = ("lighttpd-socket",)

LOCAL3 = 19                 # syslog facility code of local3
INFO, NOTICE = 6, 5
LINE = re.compile(r"^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d overwatch-audit\[(\d+)\]: (\{.*\})$")


@contextmanager
def stack(h, label, env):
    """A master with env behind a lighttpd of its own; its Frontend."""
    fe = harness.Frontend(h, "%s-%d" % (label, int(time.time() * 1000) % 100000))
    try:
        fe.master, fe.socket = h.start_master(fe.name, extra_env=env)
        fe.logs.append(str(fe.dir / "overwatch-fcgi.log"))
        h.start_lighttpd(fe, {"socket": '"%s"' % fe.socket, "check-local": '"disable"'})
        yield fe
    finally:
        h.stop_frontend(fe)


def receive(sock, until, seconds=30):
    """Datagrams (text) until until(lines) holds or the generous bound passes."""
    lines = []
    deadline = time.monotonic() + seconds
    while not until(lines) and time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            lines.append(sock.recv(65536).decode("utf-8"))
        except socket.timeout:
            break
    return lines


def test_every_audit_event_goes_to_syslog(fe):
    h = fe.harness
    path = os.path.join(h.tmp, "syslog-%d.sock" % os.getpid())
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    os.chmod(path, 0o666)
    try:
        env = {"OVERWATCH_AUDIT_SYSLOG": "true", "OVERWATCH_AUDIT_SYSLOG_SOCKET": path,
               "OVERWATCH_AUDIT_SYSLOG_FACILITY": "local3"}
        with stack(h, "audit-syslog", env) as sfe:
            org = Org(sfe, "audit-syslog")
            wrong = "not the password %d" % os.getpid()
            error(login(sfe, org.admin.email, wrong), 401, "INVALID_CREDENTIALS")
            rows = sql_rows(fe, "SELECT id, action, outcome FROM %s.audit_log WHERE "
                                "organization_id = '%s'" % (harness.DB_NAME, org.id))
            expect(len(rows) >= 3, "too few events recorded: %r" % rows)
            want = {r[0]: (r[1], r[2]) for r in rows}

            def seen_all(lines):
                return want.keys() <= {json.loads(m.group(3)).get("id") for m in
                                       map(LINE.match, lines) if m}
            lines = receive(rx, seen_all)
            secrets = (PASSWORD, wrong, org.admin.token, org.admin.refresh)
    finally:
        rx.close()
        os.unlink(path)
    expect(seen_all(lines), "events missing from syslog: db %r, lines %r" % (want, lines))
    for line in lines:
        m = LINE.match(line)
        expect(m is not None, "not one RFC 3164 line with a JSON object: %r" % line)
        ev = json.loads(m.group(3))
        for s in secrets:
            expect(s not in line, "a secret in a syslog line: %r" % line)
        if ev["id"] not in want:
            continue
        action, outcome = want[ev["id"]]
        expect(ev["action"] == action and ev["outcome"] == outcome
               and ev["organization_id"] == org.id, "line %r is not row %r" % (ev, want[ev["id"]]))
        severity = INFO if outcome == "success" else NOTICE
        expect(int(m.group(1)) == LOCAL3 * 8 + severity, "priority of %r" % line)
        expect(ev["ip"] == "127.0.0.1" and "actor_type" in ev and "user_agent" in ev,
               "fields of %r" % ev)
    outcomes = {v[1] for v in want.values()}
    expect("success" in outcomes and len(outcomes) > 1, "no failure among %r" % want)


def test_absent_syslog_daemon_costs_no_request(fe):
    """Nothing listens at syslog_socket: every request is answered as
    usual, the events are in the database, and the service says once that
    lines are dropped."""
    h = fe.harness
    path = os.path.join(h.tmp, "no-syslog-here.sock")
    env = {"OVERWATCH_AUDIT_SYSLOG": "true", "OVERWATCH_AUDIT_SYSLOG_SOCKET": path}
    with stack(h, "audit-nosyslog", env) as sfe:
        org = Org(sfe, "audit-nosyslog")
        for _ in range(3):
            error(login(sfe, org.admin.email, "wrong password here"), 401, "INVALID_CREDENTIALS")
        n = sql_rows(fe, "SELECT COUNT(*) FROM %s.audit_log WHERE organization_id = '%s'"
                     % (harness.DB_NAME, org.id))
        expect(int(n[0][0]) >= 4, "events not recorded: %r" % n)
    log = (sfe.dir / "overwatch-fcgi.log").read_text(errors="replace")
    pids = re.findall(r"overwatch-fcgi\[(\d+)\] warning: \[audit\] syslog: cannot send", log)
    expect(0 < len(pids) == len(set(pids)), "not one warning per worker: %r" % pids)
