"""API key rotation without downtime and each organization's key policy
(doc/api.md section 6, API keys: POST /api-keys/{id}/rotate,
GET/PUT /api-key-policy; `overwatch-admin keys --due`).

The service-side rules do not depend on the web server: every test runs on
one front-end.
"""

import time

from lib import api, checks
from lib.api import Client, Org, denied, invalid_key, not_found, ok, validation_error
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)
ROTATED = "API key has been rotated; use its successor"


def listed(org, key_id):
    for k in org.client.list("/api-keys"):
        if k["id"] == key_id:
            return k
    raise AssertionError("key %s is not listed" % key_id)


def rotate(org, key_id, body=None, by=None):
    return (by or org.client).post("/api-keys/%s/rotate" % key_id, body)


def test_rotation_keeps_both_keys_working_for_the_overlap(fe):
    org = Org(fe, "rotate")
    old_client, old = org.key_client(["incidents:read", "incidents:create"])
    r = ok(rotate(org, old["id"]), 201, "rotate")
    expect(r["api_key"].startswith("overwatch_ak_") and r["api_key"] != old["api_key"],
           "a new key is shown once", None)
    expect(r["name"] == old["name"] and sorted(r["permissions"]) == sorted(old["permissions"]),
           "same name and permissions", None)
    expect(r["rotated_from"] == old["id"] and r["expires_at"] is None, "linked, no expiry", None)
    valid_until = api.parse_time(r["previous_key_valid_until"])
    expect(abs(valid_until - (time.time() + 86400)) < 120, "default overlap is a day: %s"
           % r["previous_key_valid_until"], None)
    new_client = Client(fe, key=r["api_key"])
    ok(old_client.get("/incidents"), 200, "old key during the overlap")
    ok(new_client.get("/incidents"), 200, "new key")
    o, n = listed(org, old["id"]), listed(org, r["id"])
    expect(o["rotated_to"] == r["id"] and o["status"] == "active"
           and o["rotation_ends_at"] == r["previous_key_valid_until"], "old key listed: %s" % o, None)
    expect(n["rotated_from"] == old["id"] and n["rotated_to"] is None, "new key listed: %s" % n, None)
    events = org.client.list("/audit-log?action=api_key.rotated")
    expect(any((e.get("target") or {}).get("id") == old["id"] for e in events), "api_key.rotated audited", None)


def test_rotation_with_no_overlap_ends_the_old_key_at_once(fe):
    org = Org(fe, "rotate")
    old_client, old = org.key_client(["incidents:read"])
    # Used first, so that the workers' credential caches hold it: the
    # rotation is a revoking write and must reach them too.
    for _ in range(8):
        ok(old_client.get("/incidents"), 200, "old key before the rotation")
    r = ok(rotate(org, old["id"], {"overlap_seconds": 0}), 201, "rotate, overlap 0")
    for _ in range(8):
        body = invalid_key(old_client.get("/incidents"), "old key after an immediate rotation")
        expect(body["detail"] == ROTATED, "the detail says it was rotated", None)
    ok(Client(fe, key=r["api_key"]).get("/incidents"), 200, "new key")
    expect(listed(org, old["id"])["status"] == "rotated", "listed as rotated", None)
    expect(listed(org, old["id"])["effective_permissions"] == [], "no effective permissions", None)


def test_old_key_is_refused_once_a_short_overlap_ends(fe):
    org = Org(fe, "rotate")
    old_client, old = org.key_client(["incidents:read"])
    ok(rotate(org, old["id"], {"overlap_seconds": 3}), 201, "rotate, overlap 3 s")
    ok(old_client.get("/incidents"), 200, "old key inside the overlap")
    deadline = time.time() + 30
    while True:
        resp = old_client.get("/incidents")
        if resp.status != 200:
            break
        expect(time.time() < deadline, "old key still works 30 s after a 3 s overlap", resp)
        time.sleep(0.5)
    expect(invalid_key(resp, "after the overlap")["detail"] == ROTATED, "rotated detail", None)


def test_rotating_twice_is_a_conflict(fe):
    org = Org(fe, "rotate")
    _, old = org.key_client(["incidents:read"])
    ok(rotate(org, old["id"]), 201, "first rotation")
    checks.error(rotate(org, old["id"]), 409, "CONFLICT")


def test_rotation_of_what_is_not_a_live_key_of_the_organization(fe):
    org, other = Org(fe, "rotate"), Org(fe, "other")
    _, theirs = other.key_client(["incidents:read"])
    not_found(rotate(org, theirs["id"]), "another organization's key")
    not_found(rotate(org, api.random_uuid()), "unknown id")
    not_found(rotate(org, "not-a-uuid"), "not a UUID")
    _, revoked = org.key_client(["incidents:read"])
    ok(org.client.delete("/api-keys/" + revoked["id"]), 204, "revoke")
    not_found(rotate(org, revoked["id"]), "a revoked key")


def test_rotation_grants_nothing_the_caller_does_not_hold(fe):
    org = Org(fe, "rotate")
    _, admin_key = org.key_client(["users:manage", "incidents:read"])
    engineer = org.user("engineer").client
    denied(rotate(org, admin_key["id"], by=engineer), "engineer rotating a users:manage key")
    denied(rotate(org, admin_key["id"], by=org.user("viewer").client), "viewer (no api_keys:create)")
    # A key may rotate a key within its own permissions, if it may also delete keys.
    _, small = org.key_client(["incidents:read"])
    create_only, _ = org.key_client(["api_keys:create", "incidents:read"])
    body = denied(rotate(org, small["id"], by=create_only), "a key without api_keys:delete")
    expect("api_keys:delete" in body["detail"], "the detail names api_keys:delete", None)
    key_client, _ = org.key_client(["api_keys:create", "api_keys:delete", "incidents:read"])
    ok(rotate(org, small["id"], by=key_client), 201, "a key rotating a key it could mint")


def test_rotation_body_is_validated(fe):
    org = Org(fe, "rotate")
    _, k = org.key_client(["incidents:read"])
    for bad in (-1, 2592001, "60", 1.5, None):
        validation_error(rotate(org, k["id"], {"overlap_seconds": bad}), "overlap_seconds",
                         "overlap_seconds %r" % (bad,))
    ok(rotate(org, k["id"], {"overlap_seconds": 2592000}), 201, "the 30-day maximum")


def test_key_policy_defaults_and_who_may_change_it(fe):
    org = Org(fe, "policy")
    expect(ok(org.client.get("/api-key-policy"), 200, "policy") ==
           {"rotation_period_days": 90, "max_key_lifetime_days": None}, "defaults", None)
    denied(org.user("engineer").client.put("/api-key-policy", {"rotation_period_days": 30}),
           "engineer changing the policy")
    for field, body in (("rotation_period_days", {"rotation_period_days": 0}),
                        ("rotation_period_days", {}),
                        ("max_key_lifetime_days", {"rotation_period_days": 30,
                                                   "max_key_lifetime_days": 0}),
                        ("max_key_lifetime_days", {"rotation_period_days": 30,
                                                   "max_key_lifetime_days": "7"})):
        validation_error(org.client.put("/api-key-policy", body), field, "policy %r" % body)
    set_ = ok(org.client.put("/api-key-policy", {"rotation_period_days": 30,
                                                   "max_key_lifetime_days": 14}), 200, "set")
    expect(set_ == {"rotation_period_days": 30, "max_key_lifetime_days": 14}, "echoed", None)
    other = Org(fe, "other")
    expect(ok(other.client.get("/api-key-policy"), 200, "other org")["rotation_period_days"] == 90,
           "another organization keeps its own policy", None)


def test_longest_key_life_bounds_new_keys(fe):
    org = Org(fe, "policy")
    ok(org.client.put("/api-key-policy", {"rotation_period_days": 90,
                                           "max_key_lifetime_days": 30}), 200, "set")
    k = org.create_key(["incidents:read"])
    expires = api.parse_time(k["expires_at"])
    expect(abs(expires - (time.time() + 30 * 86400)) < 120, "no expires_at: gets 30 days", None)
    late = api.rfc3339(time.time() + 31 * 86400)
    validation_error(org.client.post("/api-keys", {"name": "late", "permissions": ["incidents:read"],
                                                   "expires_at": late}), "expires_at", "31 days")
    ok(org.client.put("/api-key-policy", {"rotation_period_days": 90,
                                           "max_key_lifetime_days": None}), 200, "unset")
    expect(org.create_key(["incidents:read"])["expires_at"] is None, "no bound again", None)


def test_rotation_due_and_the_admin_listing(fe):
    org = Org(fe, "due")
    _, k = org.key_client(["incidents:read"])
    entry = listed(org, k["id"])
    due_at = api.parse_time(entry["rotation_due_at"])
    created = api.parse_time(entry["created_at"])
    expect(abs(due_at - created - 90 * 86400) < 2 and entry["rotation_due"] is False,
           "due 90 days after creation: %s" % entry, None)
    # Make it 100 days old: due now, and listed by overwatch-admin keys --due.
    fe.harness.sql("UPDATE overwatch_it.api_keys SET created_at = UTC_TIMESTAMP(6) - "
                   "INTERVAL 100 DAY WHERE id = '%s'" % k["id"])
    expect(listed(org, k["id"])["rotation_due"] is True, "due after 90 days", None)
    out = fe.harness.admin("keys", "--due").stdout
    expect(k["id"] in out and k["prefix"] in out, "keys --due lists it: %r" % out, None)
    r = ok(rotate(org, k["id"]), 201, "rotate")
    expect(listed(org, k["id"])["rotation_due"] is False, "a rotated key is no longer due", None)
    expect(listed(org, r["id"])["rotation_due"] is False, "its successor is new", None)
    expect(k["id"] not in fe.harness.admin("keys", "--due").stdout, "no longer listed", None)
    bad = fe.harness.admin("keys", check=False)
    expect(bad.returncode != 0, "keys without --due is a usage error", None)


def test_keys_due_lists_a_tenants_key_name_without_its_control_characters(fe):
    """A tenant names its keys: a tab or newline in a name must not forge a
    line or a column of `overwatch-admin keys --due` (what a cron job mails)."""
    org = Org(fe, "due")
    k = org.create_key(["incidents:read"], name="ci\tfake\nother-org\tline")
    fe.harness.sql("UPDATE overwatch_it.api_keys SET created_at = UTC_TIMESTAMP(6) - "
                   "INTERVAL 100 DAY WHERE id = '%s'" % k["id"])
    lines = [l for l in fe.harness.admin("keys", "--due").stdout.splitlines() if k["id"] in l]
    expect(len(lines) == 1, "one line for the key: %r" % lines, None)
    cols = lines[0].split("\t")
    expect(len(cols) == 6 and cols[1] == k["id"] and cols[2] == "ci?fake?other-org?line",
           "six columns, the name's control characters shown as '?': %r" % cols, None)
