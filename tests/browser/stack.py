#!/usr/bin/env python3
"""Start the stack the browser tests drive, print where it is, stop it on SIGTERM.

Reuses tests/lib/harness.py: a private MariaDB in a temp dir, one
standalone `overwatch-fcgi` master (workers 2) and a lighttpd on a free
loopback port that serves www/ as its document root and /api/v1/ through
FastCGI -- the quick start's layout, without touching the checkout's state/
or port 8080.

The master gets a short access-token lifetime (OVERWATCH_JWT_ACCESS_TTL,
default 15 s here) so the test sees the console refresh before expiry.

Users, made through the API (registration is on in the harness): an admin
who registers the organization, and through POST /users an engineer, a
user the test locks out and one who sets up two-factor sign-in; and the
admin of a second organization whose policy the test makes require it. Once everything answers it prints one line

    READY {"base_url": ..., "users": {"admin": {"email", "password"}, ...}, ...}

and then waits. SIGTERM, SIGINT, SIGHUP or end of standard input (the test
that started it went away) stop everything and remove the temp dir
(--keep leaves it). Standard library only.
"""

import argparse
import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the shared package tests/lib
from lib import harness  # noqa: E402


def api(fe, method, path, body=None, token=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    r = fe.request(method, "/api/v1" + path, body=body, headers=headers)
    return r


def expect(r, status, what):
    if r.status != status:
        raise harness.SetupError("%s: expected %d, got %r" % (what, status, r))
    return r.json


def make_users(fe):
    suffix = secrets.token_hex(4)
    users = {}
    for name in ("admin", "engineer", "locked", "mfa", "forced"):
        users[name] = {"email": "%s-%s@browser.example" % (name, suffix),
                       "password": "Pw-" + secrets.token_urlsafe(18)}
    admin = users["admin"]
    expect(api(fe, "POST", "/auth/register", {
        "email": admin["email"], "password": admin["password"],
        "name": "Ada Admin", "organization_name": "Browser Test Org"}), 201, "register")
    login = expect(api(fe, "POST", "/auth/login",
                       {"email": admin["email"], "password": admin["password"]}), 200, "login")
    token = login["access_token"]
    for name, role, full in (("engineer", "engineer", "Eve Engineer"),
                             ("locked", "viewer", "Lou Locked"),
                             ("mfa", "engineer", "Tess Twofactor")):
        u = users[name]
        expect(api(fe, "POST", "/users", {"email": u["email"], "password": u["password"],
                                           "name": full, "role": role}, token),
               201, "create user " + name)
    # The admin of an organization of its own, whose policy the test sets to
    # require two-factor sign-in (the others' sign-ins stay password only).
    forced = users["forced"]
    expect(api(fe, "POST", "/auth/register", {
        "email": forced["email"], "password": forced["password"],
        "name": "Fay Forced", "organization_name": "Browser Test Forced Org"}), 201, "register forced")
    return users


def start(h, access_ttl):
    """Master + lighttpd (like harness.start_lighttpd_socket, with extra_env)."""
    last = None
    for attempt in range(3):          # a port taken between probe and bind: retry
        fe = harness.Frontend(h, "browser%d" % attempt)
        h.frontends[fe.name] = fe
        try:
            fe.master, fe.socket = h.start_master(
                fe.name, extra_env={"OVERWATCH_JWT_ACCESS_TTL": str(access_ttl)})
            fe.logs.append(str(fe.dir / "overwatch-fcgi.log"))
            h.start_lighttpd(fe, {"socket": '"%s"' % fe.socket,
                                  "check-local": '"disable"'})
            return fe
        except harness.SetupError as e:
            last = e
            h.stop_frontend(fe)
    raise last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--access-ttl", type=int,
                    default=int(os.environ.get("OVERWATCH_BROWSER_ACCESS_TTL", "15")),
                    help="access-token lifetime in seconds (default 15)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()

    stop = threading.Event()
    ready = False

    def on_signal(signum, _frame):
        stop.set()
        if not ready:                 # still starting: abandon it, clean up below
            raise KeyboardInterrupt
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    h = harness.Harness(keep=args.keep)
    rc = 0
    try:
        h.prepare()
        fe = start(h, args.access_ttl)
        users = make_users(fe)
        ready = True
        info = {"base_url": fe.base_url, "users": users, "access_ttl": args.access_ttl,
                "tmp": h.tmp, "logs": fe.logs}
        print("READY " + json.dumps(info), flush=True)
        if not sys.stdin.isatty():
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.5):
            for p in (fe.proc, fe.master, h.db_proc):
                if p is not None and p.poll() is not None:
                    print("stack.py: %s exited with status %s" % (p.args[0], p.returncode),
                          file=sys.stderr, flush=True)
                    for log in fe.logs:
                        print(harness.tail(log), file=sys.stderr)
                    rc = 1
                    stop.set()
                    break
    except harness.SetupError as e:
        print("stack.py: setup failed: %s" % e, file=sys.stderr, flush=True)
        rc = 2
    except KeyboardInterrupt:
        rc = 130
    finally:
        h.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
