"""The notification hook (doc/api.md section 6 "Notifications", [notify]): mail
through a real SMTP conversation with a sink started here (lib/smtp_sink.py)
and a webhook on loopback. A user hears of a password change, a sign-in from a
new address, an API key made for them and a change of their second factor, and
gets their activation and reset links; nothing goes to an address without an
account; a failed delivery is retried; a wedged mail server never holds up a
request.

Each test starts a master of its own with [notify] set through the environment
(the suite's shared instance has no hook); its workers drain the outbox of the
shared database. One front-end: the hook does not depend on the web server.
"""

import contextlib
import http.server
import json
import re
import threading
import time

from lib.api import API, PASSWORD, Client, Org, login, ok, sql_rows, unique_email
from lib.checks import expect
from lib.smtp_sink import SmtpSink
from test_identity_config import client_ip, own_instance, xff
from test_mfa import fresh_step, hotp

FRONTENDS = ("lighttpd-socket",)

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
FROM = "overwatch@notify.test"
NEW_PASSWORD = "a brand new passphrase 42"


@contextlib.contextmanager
def hooked(fe, name, **env):
    sink = SmtpSink()
    base = {"OVERWATCH_NOTIFY_SMTP_URL": sink.url, "OVERWATCH_NOTIFY_MAIL_FROM": FROM,
            "OVERWATCH_NOTIFY_RETRY_DELAY": "1",
            "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    base.update(env)
    try:
        with own_instance(fe, name, base) as own:
            yield own, sink
    finally:
        sink.stop()


def mail(sink, to, event, what, timeout=20.0):
    m = sink.wait(lambda m: to in m[1] and m[2]["X-Overwatch-Event"] == event, timeout)
    expect(m is not None, "%s: no %s mail to %s within %ds (got %r)" % (
        what, event, to, timeout, [(r, x["X-Overwatch-Event"]) for _, r, x in sink.messages]))
    sender, _, msg = m
    expect(sender.strip("<>") == FROM and msg["From"] == FROM and msg["To"] == to,
           "%s: sender and headers: %r %r %r" % (what, sender, msg["From"], msg["To"]))
    return msg.get_content()


def outbox(fe, user_id):
    return int(sql_rows(fe, "SELECT COUNT(*) FROM overwatch_it.notification_outbox "
                            "WHERE user_id = '%s'" % user_id)[0][0])


def test_reset_link_by_mail_and_password_change_notice(fe):
    with hooked(fe, "notify-reset") as (own, sink):
        org = Org(own, "notify")
        user = org.add_user("viewer", login_now=False)
        nobody = unique_email("nobody")
        ip = client_ip()
        for email in (nobody, user.email):
            ok(own.post_json(API + "/auth/password-reset", {"email": email}, headers=xff(ip)), 202,
               "reset request")
        text = mail(sink, user.email, "reset_link", "reset request")
        tokens = TOKEN_RE.findall(text)
        expect(len(tokens) == 1, "one token in the mail: %r" % text)
        ok(own.post_json(API + "/auth/password-reset/confirm",
                         {"token": tokens[0], "password": NEW_PASSWORD}, headers=xff(ip)), 204,
           "confirm with the mailed link")
        text = mail(sink, user.email, "password_changed", "reset confirmed")
        expect(ip in text, "the notice names the client address: %r" % text)
        ok(login(own, user.email, NEW_PASSWORD), 200, "login with the new password")
        expect(sink.sent_to(nobody) == [], "nothing to an address without an account")
        expect(outbox(own, user.id) == 0, "delivered notifications leave the outbox")


def test_activation_link_by_mail(fe):
    with hooked(fe, "notify-activation") as (own, sink):
        org = Org(own, "notify")
        email = unique_email("invited")
        body = ok(org.client.post("/users", {"email": email, "name": "I", "role": "viewer"}), 201,
                  "POST /users without a password")
        text = mail(sink, email, "activation_link", "activation")
        expect(TOKEN_RE.findall(text) == [body["activation"]["token"]],
               "the mailed link is the one answered: %r" % text)


def test_sign_in_key_and_mfa_notices(fe):
    with hooked(fe, "notify-events") as (own, sink):
        org = Org(own, "notify")
        user = org.add_user("engineer", login_now=False)
        ip_a, ip_b = client_ip(), client_ip()
        token = ok(own.post_json(API + "/auth/login", {"email": user.email, "password": PASSWORD},
                                 headers=xff(ip_a)), 200, "login from A")["access_token"]
        expect(ip_a in mail(sink, user.email, "new_sign_in", "first sign-in from A"),
               "the new address is named")
        ok(own.post_json(API + "/auth/login", {"email": user.email, "password": PASSWORD},
                         headers=xff(ip_a)), 200, "login from A again")
        c = Client(own, token=token)
        key = ok(c.post("/api-keys", {"name": "deploy bot", "permissions": ["incidents:read"]}),
                 201, "POST /api-keys")
        text = mail(sink, user.email, "api_key_created", "key creation")
        expect("deploy bot" in text and key["prefix"] in text, "the key is named: %r" % text)
        # Queued in order and delivered in order: the key's notice came after
        # the second sign-in from A, which therefore told nobody.
        expect(len(sink.sent_to(user.email, "new_sign_in")) == 1, "A is no longer new")
        ok(own.post_json(API + "/auth/login", {"email": user.email, "password": PASSWORD},
                         headers=xff(ip_b)), 200, "login from B")
        from_b = sink.wait(lambda m: user.email in m[1] and m[2]["X-Overwatch-Event"] == "new_sign_in"
                           and ip_b in m[2].get_content(), 20)
        expect(from_b is not None, "a sign-in from B is new: %r" % sink.sent_to(user.email))
        step = fresh_step()
        secret = ok(c.post("/auth/mfa/totp"), 200, "enrol")["secret"]
        ok(c.post("/auth/mfa/totp/confirm", {"code": hotp(secret, step - 1)}), 200, "confirm")
        expect("enabled" in mail(sink, user.email, "mfa_changed", "MFA enrolled"), "enabled")
        ok(org.client.delete("/users/%s/mfa" % user.id), 204, "admin reset")
        sink.wait(lambda m: user.email in m[1] and "reset by" in m[2].get_content(), 20)
        texts = [m[2].get_content() for m in sink.sent_to(user.email, "mfa_changed")]
        expect(any("reset by an administrator" in t for t in texts), "reset notice: %r" % texts)


def test_failed_delivery_is_retried(fe):
    with hooked(fe, "notify-retry") as (own, sink):
        sink.reject = True
        org = Org(own, "notify")
        user = org.add_user("viewer", login_now=False)
        before = sink.attempts
        ok(own.post_json(API + "/auth/password-reset", {"email": user.email},
                         headers=xff(client_ip())), 202, "reset request")
        expect(sink.wait_attempts(before + 2, 30), "the refused delivery was tried again")
        expect(sink.sent_to(user.email) == [], "nothing accepted while refusing")
        expect(outbox(own, user.id) >= 1, "kept in the outbox while undelivered")
        sink.reject = False
        mail(sink, user.email, "reset_link", "after the server recovered", timeout=30)


def test_wedged_mail_server_does_not_hold_up_requests(fe):
    with hooked(fe, "notify-hang", OVERWATCH_NOTIFY_TIMEOUT="10") as (own, sink):
        org = Org(own, "notify")
        user = org.add_user("viewer", login_now=False)
        sink.hang = True
        worst = 0.0
        for i in range(6):
            t0 = time.monotonic()
            ok(own.post_json(API + "/auth/password-reset", {"email": user.email},
                             headers=xff(client_ip())), 202, "reset request %d" % i)
            ok(own.get(API + "/health"), 200, "health %d" % i)
            worst = max(worst, time.monotonic() - t0)
        # Each request's answer is out before its worker delivers; a worker
        # stuck on the wedged server (up to timeout = 10 s) leaves the
        # requests to the other one.
        expect(worst < 5.0, "a request waited %.1f s on a wedged mail server" % worst)
        expect(sink.sent_to(user.email) == [], "nothing delivered by a wedged server")


class _Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.headers.get("Content-Type"), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_gets_each_notification(fe):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    srv.seen = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        env = {"OVERWATCH_NOTIFY_WEBHOOK_URL": "http://127.0.0.1:%d/hook" % srv.server_address[1]}
        with hooked(fe, "notify-webhook", **env) as (own, sink):
            org = Org(own, "notify")
            user = org.add_user("viewer")
            ok(user.client.post("/auth/password", {"current_password": PASSWORD,
                                                   "new_password": NEW_PASSWORD}), 204, "change")
            mail(sink, user.email, "password_changed", "both ways: mail")
            deadline = time.monotonic() + 20
            got = []
            while time.monotonic() < deadline and not got:
                got = [json.loads(b) for t, b in list(srv.seen)
                       if json.loads(b).get("event") == "password_changed"
                       and json.loads(b).get("user_id") == user.id]
                time.sleep(0.1)
            expect(len(got) == 1, "the webhook got the change once: %r" % srv.seen)
            expect(got[0]["email"] == user.email and set(got[0]) == {
                "event", "user_id", "email", "detail", "created_at"}, "its shape: %r" % got[0])
            expect(all(t == "application/json" for t, _ in srv.seen), "JSON bodies")
    finally:
        srv.shutdown()
