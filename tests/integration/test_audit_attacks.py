"""Attacks an organization can see (doc/api.md section 6, Audit): a rejected
token of one of its sessions, a failed refresh, a CSRF rejection and another
organization's request for one of its ids (a cross-tenant 404) are
audited against that organization, at most 30 per organization per minute;
the rest are counted, and the next minute's first event says how many were
not recorded. The service behaves the same behind every web server: one
front-end.
"""

import time

from lib import harness
from lib.api import API, Org, login, random_uuid, sql_rows, wait_until
from lib.checks import error, expect

FRONTENDS = ("lighttpd-socket",)
PER_MINUTE = 30


def trail(org, action):
    return org.client.list("/audit-log?limit=200&action=" + action)


def logged_out(org):
    """A user of org whose session has ended, and its tokens."""
    u = org.add_user("viewer")
    access, refresh, sid = u.token, u.refresh, u.sid
    r = u.client.post("/auth/logout")
    expect(r.status == 204, "logout", r)
    return u, access, refresh, sid


def test_rejected_token_and_refresh_are_audited(fe):
    org, other = Org(fe, "attacked"), Org(fe, "bystander")
    u, access, refresh, sid = logged_out(org)
    error(fe.get(API + "/auth/me", headers={"Authorization": "Bearer " + access}), 401,
          "INVALID_TOKEN")
    error(fe.post_json(API + "/auth/refresh", {"refresh_token": refresh}), 401, "INVALID_TOKEN")
    for action in ("auth.token_rejected", "auth.refresh_failed"):
        events = trail(org, action)
        expect([(e["target"]["id"], e["outcome"]) for e in events] == [(sid, "denied")],
               "%s: %r" % (action, events))
        expect(trail(other, action) == [], "%s recorded for another organization" % action)
    # A token that was never valid belongs to no organization: nothing recorded here.
    error(fe.get(API + "/auth/me", headers={"Authorization": "Bearer " + access[:-4] + "AAAA"}),
          401, "INVALID_TOKEN")
    expect(len(trail(org, "auth.token_rejected")) == 1, "a forged token was recorded")


def test_csrf_rejection_is_audited(fe):
    org = Org(fe, "csrf")
    s = org.admin
    cookie = {"Cookie": "access_token=%s" % s.token, "Origin": "http://evil.example"}
    error(fe.request("POST", API + "/auth/logout", headers=cookie), 403, "CSRF_REJECTED")
    events = trail(org, "auth.csrf_rejected")
    expect([(e["target"]["id"], e["actor"]["id"]) for e in events] == [(s.sid, s.id)],
           "auth.csrf_rejected: %r" % events)


def test_attack_events_are_bounded_and_counted(fe):
    org = Org(fe, "flood")
    _, access, _, _ = logged_out(org)
    tries = 3 * PER_MINUTE
    # Started early in a minute, so that the flood stays in one.
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)
    flood_minute = int(time.time() // 60)
    for _ in range(tries):
        error(fe.get(API + "/auth/me", headers={"Authorization": "Bearer " + access}), 401,
              "INVALID_TOKEN")
    one_minute = int(time.time() // 60) == flood_minute
    recorded = len(trail(org, "auth.token_rejected"))
    # One minute, or two if the flood crossed a minute's end: never all of it.
    expect(PER_MINUTE <= recorded <= 2 * PER_MINUTE,
           "%d events recorded of %d tries" % (recorded, tries))
    counted = sql_rows(fe, "SELECT SUM(hits) FROM %s.audit_budget WHERE organization_id = '%s'"
                       % (harness.DB_NAME, org.id))
    expect(counted == [[str(tries)]], "counted %r, want %d" % (counted, tries))
    # The next minute's first event says how many the last one did not record.
    # Rather than wait up to a minute, move the flood's window to the minute
    # before the current one: the service reads the budget by window_start.
    # Not in a minute's last 3 s, so that the move and the request share one.
    # A flood that crossed a minute's end (a loaded machine) left two windows:
    # then wait for the next minute instead.
    if not one_minute or time.time() % 60 > 57:
        time.sleep(61 - time.time() % 60)
    if one_minute:
        shift = int(time.time() // 60) - 1 - flood_minute
        sql_rows(fe, "UPDATE %s.audit_budget SET window_start = window_start + INTERVAL %d "
                 "MINUTE WHERE organization_id = '%s'" % (harness.DB_NAME, shift, org.id))
    error(fe.get(API + "/auth/me", headers={"Authorization": "Bearer " + access}), 401,
          "INVALID_TOKEN")
    suppressed = trail(org, "audit.suppressed")
    expect(len(suppressed) >= 1 and sum(int(e["target"]["id"]) for e in suppressed) ==
           tries - recorded, "audit.suppressed %r after %d recorded of %d" %
           (suppressed, recorded, tries))


def same_answer(probe, unknown, what):
    """A 404 for another organization's id is the 404 of an id nobody has:
    status, body and every header but Date (no oracle)."""
    def shape(r):
        return (r.status, r.body, sorted((k.lower(), v) for k, v in r.headers.items()
                                         if k.lower() != "date"))
    expect(probe.status == 404, "%s: not 404" % what, probe)
    expect(shape(probe) == shape(unknown), "%s: %r differs from an unknown id's %r"
           % (what, shape(probe), shape(unknown)))


def test_cross_tenant_404_is_audited_for_the_probed_organization(fe):
    """A user or key of organization A asking for an id of organization B gets
    the same 404 as for an unknown id; B's trail then holds an
    auth.cross_tenant_denied event naming the actor, its organization and
    address; A's holds nothing (it would tell A that the id exists), nor
    does an unknown id or a found one leave an event anywhere."""
    prober, victim = Org(fe, "prober"), Org(fe, "probed")
    target = victim.add_user("viewer", login_now=False)
    vkey = victim.create_key(["users:read"])
    inc = victim.incident()
    key_client, akey = prober.key_client(["api_keys:read", "incidents:read"])
    probes = (
        (prober.client, "POST", "/users/%s/unlock", target.id, "user", prober.admin.id),
        (prober.client, "GET", "/api-keys/%s/activity", vkey["id"], "api_key", prober.admin.id),
        (prober.client, "GET", "/incidents/%s", inc["id"], "incident", prober.admin.id),
        (key_client, "GET", "/incidents/%s", inc["id"], "incident", akey["id"]),
    )
    for client, method, path, target_id, _, _ in probes:
        same_answer(client.request(method, path % target_id),
                    client.request(method, path % random_uuid()), path)
    found = prober.client.post("/users/%s/unlock" % prober.admin.id)
    expect(found.status == 204, "unlock of the prober's own admin", found)

    def events():
        return trail(victim, "auth.cross_tenant_denied")
    got = wait_until(lambda: len(events()) >= len(probes) and events(), 30)
    seen = sorted((e["target"]["type"], e["target"]["id"], e["actor"]["id"], e["outcome"],
                   e["detail"]) for e in got or [])
    want = sorted((kind, tid, actor, "denied", "actor_organization_id=" + prober.id)
                  for _, _, _, tid, kind, actor in probes)
    expect(seen == want, "the probed organization's events %r, want %r" % (seen, want))
    expect(all(e["ip"] for e in got), "an event without the client address: %r" % got)
    expect(trail(prober, "auth.cross_tenant_denied") == [],
           "the prober's own organization was told of the other organization's ids")
    # Nothing came of the unknown ids or of the found user: no event in any organization.
    rows = sql_rows(fe, "SELECT COUNT(*) FROM %s.audit_log WHERE action = 'auth.cross_tenant_denied' "
                        "AND (organization_id = '%s' OR detail = 'actor_organization_id=%s')"
                    % (harness.DB_NAME, prober.id, prober.id))
    expect(rows == [[str(len(probes))]], "events of the prober: %r, want %d" % (rows, len(probes)))


def admin_audit(fe, *args, code=0):
    h = fe.harness
    r = h.admin("audit", *args, check=False)
    expect(r.returncode == code, "overwatch-admin audit %s exited %d: %s"
           % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def test_operator_sees_failures_of_no_organization(fe):
    """overwatch-admin audit (overwatch-admin(8)): sign-in failures against
    unknown addresses, which no organization's log holds, newest first and
    per client IP; an organization's own failures are not among them."""
    org = Org(fe, "stuffing")
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2))
    tries = 3
    for i in range(tries):
        error(login(fe, "nobody-%d-%s@example.org" % (i, org.id[:8]), "Wrong password 1"), 401,
              "INVALID_CREDENTIALS")
    error(login(fe, org.admin.email, "Wrong password 1"), 401, "INVALID_CREDENTIALS")
    lines = [l.split("\t") for l in admin_audit(fe, "--since", since).splitlines()]
    mine = [l for l in lines if l[1] == "auth.login_failed"]
    expect(len(mine) >= tries and all(len(l) == 7 for l in lines), "audit lines: %r" % lines)
    expect(all(l[0] >= since for l in lines), "lines before --since: %r" % lines)
    expect(not any(org.admin.id in l for l in lines), "an organization's failure listed: %r" % lines)
    by_ip = [l.split("\t") for l in admin_audit(fe, "--since", since, "--by-ip").splitlines()]
    expect(len(by_ip) >= 1 and all(len(l) == 4 for l in by_ip)
           and sum(int(l[1]) for l in by_ip) == len(lines), "--by-ip: %r, lines %r" % (by_ip, lines))
    one = admin_audit(fe, "--since", since, "--limit", "1").splitlines()
    expect(len(one) == 1, "--limit 1: %r" % one)
    for bad in (["--limit", "0"], ["--limit", "x"], ["--since", "yesterday"], ["--since"],
                ["--verbose"]):
        admin_audit(fe, *bad, code=64)
