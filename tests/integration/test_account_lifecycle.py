"""An account's end and its data (doc/api.md section 6): deleting a user
("DELETE /users/{id}": the caller's organization only, the last-admin rule,
no deleting above one's own role, the user's sessions and API keys ended at
once, the audit log keeping the event with the actor's id) and exporting
one's own data ("GET /auth/me/export"). The service behaves the same behind
every web server: one front-end.
"""

import subprocess

from lib import harness
from lib.api import PASSWORD, Client, Org, User, denied, login, not_found, ok, sql_rows
from lib.checks import error, expect

FRONTENDS = ("lighttpd-socket",)

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_delete_user_ends_sessions_and_keys(fe):
    org = Org(fe, "delete-user")
    victim = org.add_user("engineer")
    key_client, key = org.key_client(["incidents:read"], by=victim.client)
    ok(key_client.get("/incidents"), 200, "the victim's key before the delete")
    ok(victim.client.get("/auth/me"), 200, "the victim's token before the delete")
    ok(org.client.delete("/users/" + victim.id), 204, "DELETE /users/{id}")
    error(victim.client.get("/auth/me"), 401, "INVALID_TOKEN")
    error(key_client.get("/incidents"), 401, "INVALID_API_KEY")
    error(login(fe, victim.email, PASSWORD), 401, "INVALID_CREDENTIALS")
    users = [u["id"] for u in org.client.list("/users?limit=100")]
    expect(victim.id not in users, "the deleted user is still listed: %r" % users)
    revoked = sql_rows(fe, "SELECT revoked_at IS NOT NULL FROM overwatch_it.api_keys WHERE id = '%s'" % key["id"])
    expect(revoked == [["1"]], "the deleted user's key is not revoked: %r" % revoked)
    not_found(org.client.delete("/users/" + victim.id), "deleting the user again")
    trail = org.client.list("/audit-log?limit=200&action=user.deleted")
    expect(len(trail) == 1 and trail[0]["target"]["id"] == victim.id
           and trail[0]["actor"]["id"] == org.admin.id, "user.deleted: %r" % trail)
    # What the user did before is kept, with the user's id.
    kept = org.client.list("/audit-log?limit=200&action=api_key.created")
    expect(any(e["actor"]["id"] == victim.id for e in kept), "the user's events went: %r" % kept)


def test_delete_user_refusals(fe):
    org, other = Org(fe, "delete-refused"), Org(fe, "delete-refused-other")
    target = org.add_user("viewer", login_now=False)
    engineer = org.add_user("engineer")
    not_found(other.client.delete("/users/" + target.id), "a user of another organization")
    ok(org.client.get("/users"), 200, "the organization after the cross-tenant try")
    expect(any(u["id"] == target.id for u in org.client.list("/users?limit=100")),
           "another organization deleted the user")
    denied(engineer.client.delete("/users/" + target.id), "an engineer without users:manage")
    not_found(org.client.delete("/users/" + UNKNOWN), "an unknown user")
    not_found(org.client.delete("/users/not-a-uuid"), "not a UUID")
    # A key with users:manage but less than admin cannot delete an admin.
    manager, _ = org.key_client(["users:manage", "users:read"])
    second = org.add_user("admin", login_now=False)
    denied(manager.delete("/users/" + second.id), "deleting a user above the caller")
    # The last active admin stays.
    ok(org.client.delete("/users/" + second.id), 204, "deleting the second admin")
    error(org.client.delete("/users/" + org.admin.id), 409, "CONFLICT")
    ok(org.client.get("/auth/me"), 200, "the last admin after the refusal")


# ------------------------------------------------------------------ GET /auth/me/export

def test_export_own_data(fe):
    """GET /auth/me/export (doc/api.md section 6, Auth): the caller's profile,
    sessions, keys' metadata and the audit events by or about them, and
    nobody else's."""
    org = Org(fe, "export")
    me = org.add_user("engineer")
    me_again = User(fe, me.info, PASSWORD).login()
    neighbour = org.add_user("engineer")
    _, key = org.key_client(["incidents:read"], by=me.client)
    _, other_key = org.key_client(["incidents:read"], by=neighbour.client)
    body = ok(me.client.get("/auth/me/export"), 200, "GET /auth/me/export")
    expect(set(body) == {"user", "sessions", "api_keys", "audit_events"}, "members: %r" % body)
    expect(body["user"]["id"] == me.id and body["user"]["email"] == me.email, "user: %r" % body)
    sids = {s["id"] for s in body["sessions"]}
    expect(sids == {me.sid, me_again.sid}, "sessions %r, want %r" % (sids, {me.sid, me_again.sid}))
    expect(all(set(s) == {"id", "created_at", "expires_at", "revoked_at", "ip", "user_agent"}
               for s in body["sessions"]), "session members: %r" % body["sessions"])
    keys = body["api_keys"]
    expect([k["id"] for k in keys] == [key["id"]], "keys %r, want only %s" % (keys, key["id"]))
    expect(keys[0]["permissions"] == ["incidents:read"] and "api_key" not in keys[0]
           and key["api_key"] not in str(body), "key metadata: %r" % keys[0])
    actions = {(e["action"], e["actor"]["id"], e["target"]["id"]) for e in body["audit_events"]}
    expect(("api_key.created", me.id, key["id"]) in actions, "api_key.created missing: %r" % actions)
    expect(("user.created", org.admin.id, me.id) in actions, "user.created missing: %r" % actions)
    expect(all(me.id in (a, t) for _, a, t in actions), "others' events exported: %r" % actions)
    expect(other_key["id"] not in str(body), "the neighbour's key was exported")


def test_export_refusals(fe):
    org = Org(fe, "export-refused")
    key_client, _ = org.key_client(["incidents:read"])
    error(key_client.get("/auth/me/export"), 403, "INSUFFICIENT_PERMISSIONS")
    error(Client(fe).get("/auth/me/export"), 401, "INVALID_TOKEN")
    error(Client(fe, token="not.a.token").get("/auth/me/export"), 401, "INVALID_TOKEN")
    victim = org.add_user("viewer")
    ok(org.client.delete("/users/" + victim.id), 204, "delete the user")
    error(victim.client.get("/auth/me/export"), 401, "INVALID_TOKEN")


# ------------------------------------------------------------------ overwatch-admin purge

def purge(fe, **retention):
    """overwatch-admin purge with [retention] keys set through the environment; its output."""
    h = fe.harness
    env = dict(h.env)
    for key, value in retention.items():
        env["OVERWATCH_RETENTION_" + key.upper()] = str(value)
    r = subprocess.run([h.admin_bin, "--config", h.config, "purge"], capture_output=True,
                       text=True, env=env, timeout=120)
    expect(r.returncode == 0, "purge exited %d: %s" % (r.returncode, r.stderr))
    return r.stdout


def test_purge_retention(fe):
    """overwatch-admin purge (overwatch-admin(8)): accounts deactivated longer
    than [retention] deactivated_user_days go with their keys, audited as
    user.purged; audit events older than audit_days go; nothing else."""
    org = Org(fe, "retention")
    db = harness.DB_NAME
    old, recent, active = (org.add_user("engineer") for _ in range(3))
    key_client, key = org.key_client(["incidents:read"], by=old.client)
    for u in (old, recent):
        ok(org.client.patch("/users/" + u.id, {"active": False}), 200, "deactivate")
    stamps = sql_rows(fe, "SELECT id, deactivated_at IS NOT NULL FROM %s.users WHERE id IN "
                      "('%s', '%s', '%s') ORDER BY id" % (db, old.id, recent.id, active.id))
    want = sorted([[old.id, "1"], [recent.id, "1"], [active.id, "0"]])
    expect(stamps == want, "deactivated_at after PATCH: %r, want %r" % (stamps, want))
    fe.harness.sql("UPDATE %s.users SET deactivated_at = UTC_TIMESTAMP() - INTERVAL 40 DAY, "
                   "updated_at = UTC_TIMESTAMP() - INTERVAL 40 DAY WHERE id = '%s'; "
                   "UPDATE %s.users SET updated_at = UTC_TIMESTAMP() - INTERVAL 400 DAY "
                   "WHERE id = '%s'" % (db, old.id, db, active.id))
    # Two events of the organization made old: one past a year, one within it.
    events = org.client.list("/audit-log?limit=200&action=auth.login")
    expect(len(events) >= 4, "auth.login events: %r" % events)
    ancient, aged = events[0]["id"], events[1]["id"]
    fe.harness.sql("UPDATE %s.audit_log SET occurred_at = UTC_TIMESTAMP() - INTERVAL 400 DAY "
                   "WHERE id = '%s'; UPDATE %s.audit_log SET occurred_at = "
                   "UTC_TIMESTAMP() - INTERVAL 300 DAY WHERE id = '%s'" % (db, ancient, db, aged))

    out = purge(fe, audit_days=0)
    expect("0 audit events" in out and "0 users" in out, "purge keeping accounts (the default) and events: %r" % out)
    users = {u["id"] for u in org.client.list("/users?limit=100")}
    expect(old.id in users, "deactivated_user_days = 0 deleted an account")

    out = purge(fe, deactivated_user_days=30)
    expect("1 audit events" in out and "1 users" in out, "purge output: %r" % out)
    users = {u["id"] for u in org.client.list("/users?limit=100")}
    expect(old.id not in users and recent.id in users and active.id in users,
           "users after purge: %r" % users)
    revoked = sql_rows(fe, "SELECT revoked_at IS NOT NULL FROM %s.api_keys WHERE id = '%s'"
                       % (db, key["id"]))
    expect(revoked == [["1"]], "the purged user's key is not revoked: %r" % revoked)
    error(key_client.get("/incidents"), 401, "INVALID_API_KEY")
    purged = org.client.list("/audit-log?limit=200&action=user.purged")
    expect([(e["target"]["id"], e["actor"]["type"]) for e in purged] == [(old.id, "system")],
           "user.purged: %r" % purged)
    left = {e["id"] for e in org.client.list("/audit-log?limit=200&action=auth.login")}
    expect(ancient not in left and aged in left, "audit events after purge: %r" % left)
    # Again: nothing left to do.
    out = purge(fe, deactivated_user_days=30)
    expect("0 audit events" in out and "0 users" in out, "a second purge: %r" % out)
