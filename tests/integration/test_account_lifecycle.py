"""Deleting a user (doc/api.md section 6, "DELETE /users/{id}"): the caller's
organization only, the last-admin rule, no deleting above one's own role,
the user's sessions and API keys ended at once, and the audit log keeping
the event with the actor's id. The service behaves the same behind every
web server: one front-end.
"""

from lib.api import PASSWORD, Org, denied, login, not_found, ok, sql_rows
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
