"""API keys and the permission model (doc/api.md sections 3, 5, 6 "API keys").

The seed's flow (create, use with X-API-Key, list without secrets, delete,
refused everywhere), privilege escalation, validation, expiry, the checksum
that refuses a mistyped key before any database statement, usage summaries,
organization scoping of keys, and a key bound to its creator and parent: its
effective permissions and status, its refusal when the user at the top of its
chain is deactivated or deleted or a key above it is revoked or expired, the
expiry bound of a child, one statement per request, and migration 004's
backfill.
"""

import base64
import hashlib
import json
import threading
import time
import zlib
from pathlib import Path

from lib.checks import expect

from lib import api, harness
from lib.api import Client, Org, ok, denied, invalid_key, not_found, validation_error

CREATE_FIELDS = {"id", "name", "api_key", "prefix", "permissions", "created_at", "expires_at"}
# The front-end the statement-counting test runs on (see its docstring).
COUNTING_FRONTEND = "lighttpd-socket"


def mistype(key, position):
    """key with the character at `position` replaced by another base62 character."""
    c = key[position]
    repl = "b" if c != "b" else "c"
    return key[:position] + repl + key[position + 1:]


def listed(client, key_id):
    return [k for k in client.list("/api-keys") if k.get("id") == key_id]


def well_formed_key(body):
    """body + the 6-character base62 CRC32 checksum of src/apikey.c."""
    v = zlib.crc32(body.encode()) & 0xffffffff
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    check = ""
    for _ in range(6):
        check = alphabet[v % 62] + check
        v //= 62
    return body + check


def test_seed_flow_create_use_list_delete(fe):
    org = Org(fe, "seed")
    r = org.client.post("/api-keys", {"name": "CI/CD Pipeline", "permissions": api.SEED_PERMS})
    body = ok(r, 201, "POST /api-keys with the seed's body")
    expect(set(body) == CREATE_FIELDS, "201 body fields are %s, not %s"
           % (sorted(body), sorted(CREATE_FIELDS)), r)
    key, key_id = body["api_key"], body["id"]
    expect(isinstance(key, str) and api.KEY_RE.fullmatch(key),
           "api_key does not match overwatch_ak_[0-9A-Za-z]{36}", r)
    expect(api.UUID_RE.fullmatch(key_id), "id is not a UUID", r)
    expect(body["name"] == "CI/CD Pipeline", "name not echoed", r)
    expect(sorted(body["permissions"]) == sorted(api.SEED_PERMS), "permissions not echoed", r)
    expect(isinstance(body["prefix"], str) and body["prefix"].startswith("overwatch_ak_")
           and key.startswith(body["prefix"]) and len(body["prefix"]) < len(key) - 16,
           "prefix is not a short leading part of the key", r)
    created = api.parse_time(body["created_at"])
    expect(abs(created - time.time()) < 120, "created_at is not now", r)
    expect(body["expires_at"] is None, "expires_at of a key without expiry is not null", r)

    # Use it, as the seed does.
    kc = Client(fe, key=key)
    incidents = ok(kc.get("/incidents"), 200, "GET /incidents with X-API-Key")
    expect(isinstance(incidents, list), "GET /incidents is not an array")
    me = ok(kc.get("/auth/me"), 200, "GET /auth/me with X-API-Key")
    expect(me.get("type") == "api_key", "/auth/me type is not api_key", r)
    expect(me.get("api_key") == {"id": key_id, "name": "CI/CD Pipeline", "prefix": body["prefix"]},
           "/auth/me api_key is not {id, name, prefix}: %r" % me.get("api_key"))
    expect(sorted(me.get("permissions") or []) == sorted(api.SEED_PERMS),
           "/auth/me permissions: %r" % me.get("permissions"))
    expect(me.get("organization_id") == org.id, "/auth/me organization_id")
    expect(key not in json.dumps(me), "/auth/me shows the key itself")

    # Listed without its value or any digest.
    r = org.client.get("/api-keys")
    keys = ok(r, 200, "GET /api-keys")
    mine = [k for k in keys if k.get("id") == key_id]
    expect(len(mine) == 1, "the new key is not listed once", r)
    item = mine[0]
    for f in ("id", "name", "prefix", "permissions", "created_at", "expires_at", "last_used_at",
              "created_by"):
        expect(f in item, "listed key lacks %s" % f, r)
    expect("api_key" not in item, "the list returns api_key", r)
    expect(item["prefix"] == body["prefix"], "listed prefix differs", r)
    expect(sorted(item["permissions"]) == sorted(api.SEED_PERMS), "listed permissions", r)
    expect(item["created_by"] == {"type": "user", "id": org.admin.id},
           "created_by is not the admin: %r" % item["created_by"], r)
    text = r.body.decode()
    digest = hashlib.sha256(key.encode()).digest()
    secret_forms = [key, key[len(body["prefix"]):], digest.hex(), digest.hex().upper(),
                    base64.b64encode(digest).decode(), base64.urlsafe_b64encode(digest).decode()]
    for s in secret_forms:
        expect(s not in text, "GET /api-keys contains the key or its digest (%s...)" % s[:12], r)
    expect(not api.HEX64_RE.search(text), "GET /api-keys contains a 64-hex string", r)
    for name in item:
        expect("digest" not in name and "hash" not in name and "secret" not in name,
               "listed key has a field %r" % name, r)

    # Delete: 204, gone from the list, refused on its next use on every front-end.
    ok(org.client.delete("/api-keys/" + key_id), 204, "DELETE /api-keys/{id}")
    expect(not listed(org.client, key_id), "a deleted key is still listed")
    for other in api.frontends_up(fe):
        for path in ("/incidents", "/auth/me"):
            invalid_key(Client(other, key=key).get(path),
                        "deleted key on %s GET %s" % (other.name, path))
    not_found(org.client.delete("/api-keys/" + key_id), "DELETE of an already deleted key")

    # The refusals are in the organization's audit trail.
    trail = org.client.list("/audit-log?action=api_key.rejected")
    hits = [e for e in trail if (e.get("target") or {}).get("id") == key_id]
    expect(hits, "no api_key.rejected entry names the deleted key: %r" % trail[:3])
    expect(hits[0]["target"] == {"type": "api_key", "id": key_id}
           and hits[0]["outcome"] == "failure", "api_key.rejected entry: %r" % hits[0])


def test_mistyped_key_costs_no_database_statement(fe):
    """A key whose checksum does not match is refused before any database statement.

    Measured with MariaDB's global Com_stmt_execute (every statement the
    service runs is a prepared one; harness.sql's SHOW STATUS is not). Noise:
    workers flush API-key usage batches once a second, so the test waits 1.5 s
    first, and each attempt starts with a 0.3 s window that must be quiet; an
    attempt with noise, or in which the control (a well-formed unknown key)
    did not move the counter, is repeated (5 attempts at most). The verdict
    "mistyped keys cost statements" needs two clean attempts. Other front-ends
    are idle while this one is tested; it runs on one front-end only, as it is
    about the service, not the web server.
    Order matters: the service audits at most 10 rejected keys a minute per
    worker, so after a flood of bad keys an audit INSERT would be suppressed
    and a statement-costing refusal could go unseen; this test therefore runs
    before the tests that send many bad keys.
    """
    if fe.name != COUNTING_FRONTEND and COUNTING_FRONTEND in fe.harness.frontends:
        return
    org = Org(fe, "count")
    kc, k = org.key_client(["incidents:read"])
    good = k["api_key"]
    ok(kc.get("/incidents"), 200, "the genuine key")
    # Mistyped in the random part, in the checksum, and in the tag's case.
    mistyped = [mistype(good, 20), mistype(good, len(good) - 1),
                "Overwatch_ak_" + good[len("overwatch_ak_"):]]
    for m in mistyped:
        assert m != good and len(m) == len(good)
    unknown_random = "overwatch_ak_" + "A" * 30
    # A well-formed unknown key: recompute the CRC32 checksum the service uses.
    unknown = well_formed_key(unknown_random)
    expect(well_formed_key(good[:-6]) == good, "the test's checksum is not the service's")

    time.sleep(1.5)       # the genuine key's usage batch is flushed by now
    seen = []
    costly = 0
    for attempt in range(5):
        q0 = api.stmt_executes(fe)
        time.sleep(0.3)
        q1 = api.stmt_executes(fe)
        for m in mistyped:
            invalid_key(Client(fe, key=m).get("/incidents"), "mistyped key %s" % m)
        time.sleep(0.3)
        q2 = api.stmt_executes(fe)
        invalid_key(Client(fe, key=unknown).get("/incidents"), "well-formed unknown key")
        time.sleep(0.3)
        q3 = api.stmt_executes(fe)
        seen.append("quiet %d, mistyped %d, unknown %d" % (q1 - q0, q2 - q1, q3 - q2))
        if q1 != q0 or q3 == q2:
            time.sleep(1.0)
            continue      # something else ran, or the counter did not see the control
        if q2 == q1:
            return        # mistyped: no statement; unknown: at least one
        costly += 1
        if costly >= 2:
            break         # twice in a quiet window: the mistyped keys cost statements
    rows = api.sql_rows(fe, "SELECT COUNT(*) FROM overwatch_it.audit_log WHERE action = "
                            "'api_key.rejected' AND detail LIKE 'malformed key%' "
                            "AND occurred_at > UTC_TIMESTAMP() - INTERVAL 1 MINUTE")
    raise AssertionError(
        "Com_stmt_execute deltas per attempt (%d mistyped keys, then 1 well-formed unknown "
        "key): %s; want mistyped 0 and unknown >= 1 in a quiet window. api_key.rejected "
        "rows with detail 'malformed key' written in the last minute: %s"
        % (len(mistyped), "; ".join(seen), rows[0][0]))


def test_expired_key_is_401(fe):
    """Works until expires_at, 401 INVALID_API_KEY after, and the refusal is audited.

    Rejected keys are audited at most 10 a minute per worker (a flood must not
    flood the log), so this runs before the tests that send many bad keys.
    """
    org = Org(fe, "expiry")
    expires = int(time.time()) + 2
    k = org.create_key(["incidents:read"], expires_at=api.rfc3339(expires))
    kc = Client(fe, key=k["api_key"])
    ok(kc.get("/incidents"), 200, "a key before its expires_at")
    listed_key = listed(org.client, k["id"])
    expect(listed_key and listed_key[0]["expires_at"] == api.rfc3339(expires),
           "listed expires_at: %r" % listed_key)
    time.sleep(max(0.0, expires - time.time()) + 0.3)
    invalid_key(kc.get("/incidents"), "a key after its expires_at")
    invalid_key(kc.get("/auth/me"), "a key after its expires_at (/auth/me)")
    trail = org.client.list("/audit-log?action=api_key.rejected")
    expect([e for e in trail if (e.get("target") or {}).get("id") == k["id"]],
           "the expired key's refusal is not in the audit log")


def test_usage_is_summarised(fe):
    org = Org(fe, "usage")
    kc, k = org.key_client(["incidents:read"])
    item = listed(org.client, k["id"])[0]
    expect(item.get("last_used_at") is None and item.get("use_count", 0) == 0,
           "an unused key has usage: %r" % item)
    t0 = time.time()
    uses = 4
    for _ in range(uses):
        ok(kc.get("/incidents"), 200, "use of the key")

    def summary():
        it = listed(org.client, k["id"])[0]
        return it if it.get("use_count") == uses else None
    item = api.wait_until(summary, 3.5, 0.2)
    last = listed(org.client, k["id"])[0]
    expect(item, "use_count is not %d within 3.5 s: %r" % (uses, last))
    expect(item.get("last_used_ip") == "127.0.0.1", "last_used_ip: %r" % item)
    used = api.parse_time(item.get("last_used_at"))
    expect(t0 - 2 <= used <= time.time() + 1, "last_used_at %r is not the time of use" % item)
    # Usage of a refused key is not counted.
    invalid_key(Client(fe, key=mistype(k["api_key"], 14)).get("/incidents"), "mistyped key")
    time.sleep(1.2)
    expect(listed(org.client, k["id"])[0].get("use_count") == uses,
           "use_count moved after a refused request")


def test_privilege_escalation_refused(fe):
    org = Org(fe, "escalate")
    viewer, engineer = org.user("viewer"), org.user("engineer")
    name = api.unique("escalation")

    # A viewer holds no api_keys:create at all.
    denied(viewer.client.post("/api-keys", {"name": name, "permissions": ["incidents:read"]}),
           "viewer creating a key")
    # An engineer cannot grant what the role lacks.
    for perms in (["users:manage"], ["incidents:read", "users:manage"], ["audit:read"],
                  ["procedures:create"], list(api.ALL_PERMS)):
        denied(engineer.client.post("/api-keys", {"name": name, "permissions": perms}),
               "engineer granting %s" % perms)
    # ... but can grant its role's permissions.
    eng_key = org.create_key(sorted(api.ROLE_PERMS["engineer"]), by=engineer.client)
    expect(sorted(eng_key["permissions"]) == sorted(api.ROLE_PERMS["engineer"]),
           "engineer's key permissions: %r" % eng_key["permissions"])

    # A key without api_keys:create cannot mint a key, even one weaker than itself.
    weak, weak_k = org.key_client(["incidents:read", "incidents:create", "api_keys:read"])
    denied(weak.post("/api-keys", {"name": name, "permissions": ["incidents:read"]}),
           "a key without api_keys:create minting a key")

    # A key with api_keys:create can mint only a subset of its own list.
    minter, minter_k = org.key_client(["api_keys:create", "incidents:read"])
    for perms in (["incidents:create"], ["incidents:read", "users:manage"], ["api_keys:read"]):
        denied(minter.post("/api-keys", {"name": name, "permissions": perms}),
               "a key granting %s it lacks" % perms)
    child = ok(minter.post("/api-keys", {"name": api.unique("child"),
                                         "permissions": ["incidents:read"]}),
               201, "a key minting a subset of its permissions")
    expect(api.KEY_RE.fullmatch(child["api_key"]), "minted key format")
    expect(child["permissions"] == ["incidents:read"], "minted key permissions")
    ok(Client(fe, key=child["api_key"]).get("/incidents"), 200, "the minted key works")
    denied(Client(fe, key=child["api_key"]).post("/incidents", {"title": "x", "severity": "low"}),
           "the minted key used beyond its permissions")
    listing = org.client.list("/api-keys")
    by_id = {k["id"]: k for k in listing}
    expect(by_id.get(child["id"], {}).get("created_by")
           == {"type": "api_key", "id": minter_k["id"]},
           "created_by of a key minted by a key: %r" % by_id.get(child["id"]))
    expect(by_id.get(eng_key["id"], {}).get("created_by") == {"type": "user", "id": engineer.id},
           "created_by of the engineer's key: %r" % by_id.get(eng_key["id"]))
    minted = org.client.list("/audit-log?action=api_key.created&actor_id=" + minter_k["id"])
    expect([e["target"] for e in minted] == [{"type": "api_key", "id": child["id"]}],
           "api_key.created by a key does not name the key as actor: %r" % minted)
    # None of the refused attempts created anything.
    expect(not [k for k in listing if k["name"] == name], "a refused request created a key")
    # The refusal is recorded.
    trail = org.client.list("/audit-log?action=permission.denied&actor_id=" + viewer.id)
    expect(trail and trail[0]["outcome"] == "denied",
           "viewer's refused key creation not in the audit log as permission.denied: %r" % trail)


def test_create_validation(fe):
    org = Org(fe, "keyval")
    c = org.client
    past = api.rfc3339(time.time() - 60)
    cases = [
        ({"name": "k", "permissions": ["incidents:read", "incidents:destroy"]}, "permissions",
         "unknown permission name"),
        ({"name": "k", "permissions": ["INCIDENTS:READ"]}, "permissions",
         "permission in upper case"),
        ({"name": "k", "permissions": []}, "permissions", "empty permissions"),
        ({"name": "k"}, "permissions", "missing permissions"),
        ({"name": "k", "permissions": "incidents:read"}, "permissions", "permissions as a string"),
        ({"name": "k", "permissions": [1]}, "permissions", "permissions of numbers"),
        ({"name": "k", "permissions": None}, "permissions", "permissions null"),
        ({"permissions": ["incidents:read"]}, "name", "missing name"),
        ({"name": "", "permissions": ["incidents:read"]}, "name", "empty name"),
        ({"name": "n" * 101, "permissions": ["incidents:read"]}, "name", "name of 101 characters"),
        ({"name": 7, "permissions": ["incidents:read"]}, "name", "name as a number"),
        ({"name": "k", "permissions": ["incidents:read"], "expires_at": past}, "expires_at",
         "expires_at in the past"),
        ({"name": "k", "permissions": ["incidents:read"], "expires_at": "tomorrow"}, "expires_at",
         "expires_at not a time"),
        ({"name": "k", "permissions": ["incidents:read"], "expires_at": 4102444800}, "expires_at",
         "expires_at as a number"),
    ]
    for body, field, what in cases:
        validation_error(c.post("/api-keys", body), field, what)
    # A viewer's unknown name is still a 403 first (no api_keys:create at all) -- not
    # asserted; an engineer's unknown name is a 400, not a 403.
    validation_error(org.user("engineer").client.post(
        "/api-keys", {"name": "k", "permissions": ["users:manage", "nope:nope"]}),
        "permissions", "engineer with an unknown permission")
    # Boundaries that are accepted.
    k = org.create_key(["incidents:read"], name="é" * 100)
    expect(k["name"] == "é" * 100, "a 100-character name is not echoed")
    future = api.rfc3339(time.time() + 86400)
    k = org.create_key(["incidents:read"], expires_at=future)
    expect(k["expires_at"] == future, "expires_at echoed as %r, not %r" % (k["expires_at"], future))
    # An offset is converted to UTC; fractional seconds are accepted.
    t = int(time.time()) + 86400 * 2
    offset = api.rfc3339(t + 7200)[:-1] + "+02:00"
    k = org.create_key(["incidents:read"], expires_at=offset)
    expect(k["expires_at"] == api.rfc3339(t), "expires_at %r echoed as %r, not %r"
           % (offset, k["expires_at"], api.rfc3339(t)))
    expect(listed(org.client, k["id"])[0]["expires_at"] == api.rfc3339(t), "listed expires_at")
    k = org.create_key(["incidents:read"], expires_at=api.rfc3339(t)[:-1] + ".250Z")
    expect(k["expires_at"] == api.rfc3339(t),
           "fractional expires_at echoed as %r" % k["expires_at"])
    expect(not [x for x in org.client.list("/api-keys") if x["name"] == "k"],
           "an invalid request created a key")


def test_two_organizations_keys_are_separate(fe):
    a, b = Org(fe, "keys-a"), Org(fe, "keys-b")
    akc, ak = a.key_client(["incidents:read", "incidents:create", "api_keys:read",
                            "api_keys:delete"])
    bkc, bk = b.key_client(["incidents:read", "incidents:create", "api_keys:read",
                            "api_keys:delete"])
    for me, other, mine, theirs, myc in ((a, b, ak, bk, akc), (b, a, bk, ak, bkc)):
        for who, c in (("admin", me.client), ("key", myc)):
            ids = {k["id"] for k in c.list("/api-keys")}
            expect(mine["id"] in ids, "%s cannot list its own key" % who)
            expect(theirs["id"] not in ids, "%s lists another organization's key" % who)
            text = c.get("/api-keys").body.decode()
            expect(theirs["prefix"] not in text, "another organization's prefix is listed")
            not_found(c.delete("/api-keys/" + theirs["id"]),
                      "%s deleting another organization's key" % who)
            not_found(c.delete("/api-keys/" + theirs["id"].upper()),
                      "%s deleting another organization's key (upper case id)" % who)
            not_found(c.delete("/api-keys/" + api.random_uuid()), "%s deleting a guessed id" % who)
            not_found(c.delete("/api-keys/not-a-uuid"), "%s deleting a malformed id" % who)
        # A key acts in its own organization only.
        me_info = ok(myc.get("/auth/me"), 200, "/auth/me")
        expect(me_info["organization_id"] == me.id, "a key's organization_id")
    # Each key still works for its owner and is still listed there.
    inc = ok(akc.post("/incidents", {"title": api.unique("a"), "severity": "low"}), 201,
             "A's key creating an incident")
    ok(bkc.get("/incidents"), 200, "B's key")
    expect(inc["id"] not in {i["id"] for i in bkc.list("/incidents")},
           "B's key sees A's incident")
    not_found(bkc.get("/incidents/" + inc["id"]), "B's key reading A's incident")
    expect(listed(a.client, ak["id"]) and listed(b.client, bk["id"]),
           "a key vanished after the other organization's delete attempts")


def test_malformed_and_oversized_keys_are_401(fe):
    org = Org(fe, "malformed")
    _, k = org.key_client(["incidents:read"])
    good = k["api_key"]
    cases = {
        "over 256 bytes": "overwatch_ak_" + "a" * 300,
        "257 bytes": good + "x" * (257 - len(good)),
        "8 KiB": "overwatch_ak_" + "Z" * 8000,
        "genuine key plus a character": good + "a",
        "genuine key less a character": good[:-1],
        "wrong tag": "overwatch_pk_" + good[len("overwatch_ak_"):],
        "non-base62 character": good[:20] + "-" + good[21:],
        "JWT-looking": "eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "one character changed": mistype(good, 15),
    }
    for name, value in cases.items():
        invalid_key(Client(fe, key=value).get("/incidents"), "X-API-Key %s" % name)
    ok(Client(fe, key=good).get("/incidents"), 200, "the genuine key still works")


# ---------------------------------------------------------------- a key and its creator
#
# doc/SECURITY.md "API keys and roles: no more than the creator holds": a key's
# effective permissions are its own list and its creator's current ones; it is
# refused once its creating user is deactivated or deleted, or an ancestor key
# is revoked or expired; a child key cannot outlive its parent.

KEY_STATUSES = ("active", "expired", "creator_inactive", "parent_revoked")
CREATOR_DEACTIVATED = "API key's creator is deactivated"
CREATOR_DELETED = "API key's creator no longer exists"
PARENT_REVOKED = "API key's parent key has been revoked"
PARENT_EXPIRED = "API key's parent key has expired"


def item_of(client, key_id):
    items = listed(client, key_id)
    expect(len(items) == 1, "key %s is listed %d times" % (key_id, len(items)))
    return items[0]


def expect_listed(org, key_id, status, effective, own=None):
    """GET /api-keys shows the key with this status and these effective permissions."""
    item = item_of(org.client, key_id)
    expect(item.get("status") in KEY_STATUSES, "status %r is not one of %r"
           % (item.get("status"), KEY_STATUSES))
    expect(item["status"] == status, "key %s: status %r, want %r" % (key_id, item["status"], status))
    eff = item.get("effective_permissions")
    expect(isinstance(eff, list) and all(isinstance(p, str) for p in eff),
           "effective_permissions is not a list of names: %r" % (eff,))
    expect(eff == [p for p in api.ALL_PERMS if p in set(effective)],
           "key %s: effective_permissions %r, want %r (in the contract's order)"
           % (key_id, eff, sorted(effective)))
    if own is not None:
        expect(sorted(item["permissions"]) == sorted(own),
               "key %s: permissions (its own list) changed to %r" % (key_id, item["permissions"]))
    return item


def refused(client, detail, what):
    """401 INVALID_API_KEY with exactly this detail, on GET /incidents and GET /auth/me."""
    for path in ("/incidents", "/auth/me"):
        body = invalid_key(client.get(path), "%s (GET %s)" % (what, path))
        expect(body["detail"] == detail, "%s (GET %s): detail %r, want %r"
               % (what, path, body["detail"], detail))


def refused_everywhere(fe, key, detail, what):
    """The refusal holds on the very next request through every front-end (any worker)."""
    refused(Client(fe, key=key), detail, what)
    for other in api.frontends_up(fe):
        if other is not fe:
            body = invalid_key(Client(other, key=key).get("/incidents"),
                               "%s through %s" % (what, other.name))
            expect(body["detail"] == detail, "%s through %s: detail %r, want %r"
                   % (what, other.name, body["detail"], detail))


def audited_rejection(fe, org, key_ids, what):
    """The refusals are in the audit log as api_key.rejected naming each key.

    The service audits at most 20 rejected keys a minute per worker (a flood
    must not flood the log), and these tests refuse many keys on every
    front-end: the entries are asserted on the counting front-end only,
    which runs first, within that budget.
    """
    if fe.name != COUNTING_FRONTEND and COUNTING_FRONTEND in fe.harness.frontends:
        return
    trail = org.client.list("/audit-log?action=api_key.rejected&limit=200")
    got = {(e.get("target") or {}).get("id") for e in trail}
    expect(set(key_ids) <= got, "%s: no api_key.rejected entry for %r: %r"
           % (what, sorted(set(key_ids) - got), trail[:3]))


def me_perms(client):
    me = ok(client.get("/auth/me"), 200, "GET /auth/me")
    return set(me.get("permissions") or [])


def new_incident(client):
    return client.post("/incidents", {"title": api.unique("inc"), "severity": "low"})


def test_key_follows_its_creators_current_role(fe):
    """Demote the creator: the key (and the key it minted) loses what the role lost; promote: back."""
    org = Org(fe, "keyrole")
    eng = org.add_user("engineer")
    own = ["incidents:read", "incidents:create", "api_keys:read", "api_keys:create"]
    kc, k = org.key_client(own, by=eng.client)
    ok(new_incident(kc), 201, "the engineer's key creating an incident")
    child = ok(kc.post("/api-keys", {"name": api.unique("child"),
                                     "permissions": ["incidents:read", "incidents:create"]}),
               201, "the key minting a child")
    cc = Client(fe, key=child["api_key"])
    ok(new_incident(cc), 201, "the child creating an incident")
    expect_listed(org, k["id"], "active", own, own)
    expect_listed(org, child["id"], "active", ["incidents:read", "incidents:create"])

    ok(org.client.patch("/users/" + eng.id, {"role": "viewer"}), 200, "demote to viewer")
    for who, c in (("key", kc), ("child key", cc)):
        denied(new_incident(c), "the %s of a demoted engineer creating an incident" % who)
        ok(c.get("/incidents"), 200, "the %s of a demoted engineer reading incidents" % who)
        expect(me_perms(c) == {"incidents:read"},
               "/auth/me of the %s after the demotion: %r" % (who, me_perms(c)))
    denied(kc.post("/api-keys", {"name": api.unique("x"), "permissions": ["incidents:read"]}),
           "the key of a demoted engineer minting a key")
    denied(kc.get("/api-keys"), "the key of a demoted engineer listing keys")
    expect_listed(org, k["id"], "active", ["incidents:read"], own)
    expect_listed(org, child["id"], "active", ["incidents:read"],
                  ["incidents:read", "incidents:create"])
    trail = org.client.list("/audit-log?action=permission.denied&actor_id=" + k["id"])
    expect(trail and all(e["actor"] == {"type": "api_key", "id": k["id"]} for e in trail),
           "the demoted key's refusals are not audited as permission.denied: %r" % trail[:2])

    # Promoted above the key's list: the key is back to its list, never more.
    ok(org.client.patch("/users/" + eng.id, {"role": "admin"}), 200, "promote to admin")
    ok(new_incident(kc), 201, "the key after the promotion")
    ok(new_incident(cc), 201, "the child key after the promotion")
    denied(kc.get("/users"), "the key using a permission outside its own list")
    expect(me_perms(kc) == set(own), "/auth/me after the promotion: %r" % me_perms(kc))
    expect_listed(org, k["id"], "active", own, own)

    # An admin's all-permission key shrinks with the admin.
    second = org.add_user("admin")
    ac, a = org.key_client(list(api.ALL_PERMS), by=second.client)
    ok(ac.get("/audit-log"), 200, "the admin's key reading the audit log")
    ok(org.client.patch("/users/" + second.id, {"role": "engineer"}), 200, "demote the admin")
    denied(ac.get("/audit-log"), "the demoted admin's key reading the audit log")
    denied(ac.post("/users", {"email": api.unique_email("k"), "name": "K", "role": "viewer",
                              "password": api.PASSWORD}), "the demoted admin's key adding a user")
    ok(new_incident(ac), 201, "the demoted admin's key within the engineer's permissions")
    expect_listed(org, a["id"], "active", api.ROLE_PERMS["engineer"], api.ALL_PERMS)


def test_key_dies_with_its_creators_deactivation_or_deletion(fe):
    org = Org(fe, "keycreator")
    eng = org.add_user("engineer")
    own = ["incidents:read", "api_keys:create"]
    kc, k = org.key_client(own, by=eng.client)
    child = ok(kc.post("/api-keys", {"name": api.unique("child"), "permissions": ["incidents:read"]}),
               201, "the key minting a child")
    ok(kc.get("/incidents"), 200, "the key before its creator is deactivated")

    ok(org.client.patch("/users/" + eng.id, {"active": False}), 200, "deactivate the creator")
    refused_everywhere(fe, k["api_key"], CREATOR_DEACTIVATED, "key of a deactivated user")
    refused_everywhere(fe, child["api_key"], CREATOR_DEACTIVATED,
                       "key minted by the key of a deactivated user")
    expect_listed(org, k["id"], "creator_inactive", [], own)
    expect_listed(org, child["id"], "creator_inactive", [], ["incidents:read"])
    audited_rejection(fe, org, [k["id"], child["id"]], "keys of a deactivated user")
    # State, not an event: the keys follow the user back (doc/SECURITY.md).
    ok(org.client.patch("/users/" + eng.id, {"active": True}), 200, "reactivate the creator")
    ok(kc.get("/incidents"), 200, "the key after its creator is reactivated")
    ok(Client(fe, key=child["api_key"]).get("/incidents"), 200, "the child after reactivation")
    expect_listed(org, k["id"], "active", own, own)

    # A user row removed (by an operator: the API deactivates, it never deletes).
    gone = org.add_user("engineer")
    gc, g = org.key_client(["incidents:read", "api_keys:create"], by=gone.client)
    gchild = ok(gc.post("/api-keys", {"name": api.unique("gchild"),
                                      "permissions": ["incidents:read"]}), 201, "a child")
    fe.harness.sql("DELETE FROM overwatch_it.users WHERE id = '%s'" % gone.id)
    # Behind the service's back: a worker that cached the key sees it within
    # [cache] max_age (doc/api.md section 3, "Revocation").
    if harness.CACHE == "on":
        time.sleep(harness.CACHE_MAX_AGE + 1)
    refused(Client(fe, key=g["api_key"]), CREATOR_DELETED, "key of a deleted user")
    refused(Client(fe, key=gchild["api_key"]), CREATOR_DELETED, "child of a deleted user's key")
    expect_listed(org, g["id"], "creator_inactive", [])


def test_child_key_dies_with_its_parent(fe):
    org = Org(fe, "keyparent")
    a_perms = ["incidents:read", "api_keys:read", "api_keys:create", "api_keys:delete"]
    ac, a = org.key_client(a_perms)
    b = ok(ac.post("/api-keys", {"name": api.unique("b"),
                                 "permissions": ["incidents:read", "api_keys:create"]}),
           201, "a key minting b")
    bc = Client(fe, key=b["api_key"])
    c = ok(bc.post("/api-keys", {"name": api.unique("c"), "permissions": ["incidents:read"]}),
           201, "b minting c")
    sibling = org.create_key(["incidents:read"])
    for key in (a, b, c, sibling):
        ok(Client(fe, key=key["api_key"]).get("/incidents"), 200, "every key before the delete")

    # Revoke the middle of the chain: its descendants die, its ancestor does not.
    ok(org.client.delete("/api-keys/" + b["id"]), 204, "DELETE b")
    refused(Client(fe, key=b["api_key"]), "API key has been revoked", "b itself")
    refused_everywhere(fe, c["api_key"], PARENT_REVOKED, "c, minted by b")
    for key in (a, sibling):
        ok(Client(fe, key=key["api_key"]).get("/incidents"), 200, "a key outside b's subtree")
    expect(not listed(org.client, b["id"]), "the revoked key is still listed")
    expect_listed(org, c["id"], "parent_revoked", [], ["incidents:read"])
    # A key deleting its own parent takes itself down with it.
    b2 = ok(ac.post("/api-keys", {"name": api.unique("b2"),
                                  "permissions": ["incidents:read", "api_keys:delete"]}),
            201, "a minting b2")
    b2c = Client(fe, key=b2["api_key"])
    ok(b2c.delete("/api-keys/" + a["id"]), 204, "b2 deleting its parent a")
    refused(Client(fe, key=a["api_key"]), "API key has been revoked", "a itself")
    refused_everywhere(fe, b2["api_key"], PARENT_REVOKED, "b2, whose parent it deleted")
    refused(Client(fe, key=c["api_key"]), PARENT_REVOKED, "c, grandchild of a")
    ok(Client(fe, key=sibling["api_key"]).get("/incidents"), 200, "the sibling key")
    # A key refused for its parent can still be deleted, and then it is gone.
    ok(org.client.delete("/api-keys/" + c["id"]), 204, "DELETE of a key whose parent is revoked")
    expect(not listed(org.client, c["id"]), "c is still listed after its DELETE")
    refused(Client(fe, key=c["api_key"]), "API key has been revoked", "c after its own DELETE")
    audited_rejection(fe, org, [b["id"], c["id"], b2["id"]], "keys of a revoked chain")


def test_child_key_cannot_outlive_its_parent(fe):
    org = Org(fe, "keyexpiry")
    now = int(time.time())
    parent_exp = api.rfc3339(now + 3600)
    p = org.create_key(["incidents:read", "api_keys:create"], expires_at=parent_exp)
    pc = Client(fe, key=p["api_key"])
    name = api.unique("late")
    for later in (now + 7200, now + 3601, now + 86400 * 365 * 50):
        validation_error(pc.post("/api-keys", {"name": name, "permissions": ["incidents:read"],
                                               "expires_at": api.rfc3339(later)}),
                         "expires_at", "a child expiring after its parent")
    expect(not [x for x in org.client.list("/api-keys") if x["name"] == name],
           "a refused child was created")
    same = ok(pc.post("/api-keys", {"name": api.unique("same"), "permissions": ["incidents:read"],
                                    "expires_at": parent_exp}), 201, "a child expiring with its parent")
    expect(same["expires_at"] == parent_exp, "expires_at %r" % same["expires_at"])
    sooner = api.rfc3339(now + 1800)
    mid = ok(pc.post("/api-keys", {"name": api.unique("sooner"),
                                   "permissions": ["incidents:read", "api_keys:create"],
                                   "expires_at": sooner}), 201, "a child expiring sooner")
    expect(mid["expires_at"] == sooner, "expires_at %r, want %r" % (mid["expires_at"], sooner))
    # Without expires_at (absent or null), a child inherits its parent's bound.
    for body in ({}, {"expires_at": None}):
        body.update({"name": api.unique("inherit"), "permissions": ["incidents:read"]})
        inh = ok(pc.post("/api-keys", body), 201, "a child without expires_at (%r)" % body)
        expect(inh["expires_at"] == parent_exp, "a child without expires_at got %r, not its "
               "parent's %r" % (inh["expires_at"], parent_exp))
        expect(item_of(org.client, inh["id"])["expires_at"] == parent_exp,
               "listed expires_at of the inheriting child")
    # The bound is the nearest one up the chain.
    mc = Client(fe, key=mid["api_key"])
    validation_error(mc.post("/api-keys", {"name": name, "permissions": ["incidents:read"],
                                           "expires_at": api.rfc3339(now + 3000)}),
                     "expires_at", "a grandchild expiring after its (sooner) parent")
    grand = ok(mc.post("/api-keys", {"name": api.unique("grand"), "permissions": ["incidents:read"]}),
               201, "a grandchild without expires_at")
    expect(grand["expires_at"] == sooner, "the grandchild inherited %r, not %r"
           % (grand["expires_at"], sooner))
    # A user's key without expiry still never expires.
    expect(org.create_key(["incidents:read"])["expires_at"] is None,
           "a user's key without expires_at got an expiry")

    # The parent expires: it and its child are refused, and say which one expired.
    soon = int(time.time()) + 3
    short = org.create_key(["incidents:read", "api_keys:create"], expires_at=api.rfc3339(soon))
    kid = ok(Client(fe, key=short["api_key"]).post(
        "/api-keys", {"name": api.unique("kid"), "permissions": ["incidents:read"]}),
        201, "a short-lived key minting a child")
    ok(Client(fe, key=kid["api_key"]).get("/incidents"), 200, "the child before the expiry")
    time.sleep(max(0.0, soon - time.time()) + 0.5)
    refused(Client(fe, key=short["api_key"]), "API key has expired", "the expired parent")
    refused_everywhere(fe, kid["api_key"], PARENT_EXPIRED, "the child of an expired parent")
    expect_listed(org, short["id"], "expired", [])
    expect_listed(org, kid["id"], "expired", [])


def test_key_request_is_one_statement(fe):
    """A request with a key minted by a key minted by a user costs one statement, no chain walk.

    Com_stmt_execute over N requests (GET /auth/me, which runs no statement
    of its own) must be about N: the usage batches each worker flushes once
    a second are the only other statements allowed (a slack: per flush the
    key's counts and its day's activity, and on a worker's first sight of a
    network its upsert, read-back and api_key.new_ip record). A walk up the
    chain would cost at least 2N. Quiet-window retries as in
    test_mistyped_key_costs_no_database_statement. With the credential
    cache on, the key is checked once per worker and then costs nothing.
    """
    if fe.name != COUNTING_FRONTEND and COUNTING_FRONTEND in fe.harness.frontends:
        return
    org = Org(fe, "onestmt")
    _, root = org.key_client(["incidents:read", "api_keys:create"])
    mid = ok(Client(fe, key=root["api_key"]).post(
        "/api-keys", {"name": api.unique("mid"), "permissions": ["incidents:read", "api_keys:create"]}),
        201, "mid")
    leaf = ok(Client(fe, key=mid["api_key"]).post(
        "/api-keys", {"name": api.unique("leaf"), "permissions": ["incidents:read"]}), 201, "leaf")
    lc = Client(fe, key=leaf["api_key"])
    n, slack = 20, 16
    seen = []
    for attempt in range(5):
        time.sleep(1.5)   # earlier usage batches flushed
        q0 = api.stmt_executes(fe)
        time.sleep(0.3)
        q1 = api.stmt_executes(fe)
        for _ in range(n):
            ok(lc.get("/auth/me"), 200, "the leaf key")
        q2 = api.stmt_executes(fe)
        seen.append("quiet %d, %d requests %d" % (q1 - q0, n, q2 - q1))
        if q1 != q0:
            continue
        least = 0 if harness.CACHE == "on" else n
        expect(least <= q2 - q1 <= n + slack if least else q2 - q1 <= slack,
               "%d key requests cost %d statements (want %d to %d): %s"
               % (n, q2 - q1, least, (n if least else 0) + slack, "; ".join(seen)))
        return
    raise AssertionError("no quiet window to count in: %s" % "; ".join(seen))


def test_keys_made_before_the_chain_columns_are_backfilled(fe):
    """Migration 004 on keys written before it: chain, root user, revoked parents, expiry bound.

    Rows as the old code left them (chain columns NULL, a child of a revoked
    key still live, a child that outlives its parent) are made by nulling the
    new columns of this organization's keys, then sql/004 runs again (it is
    idempotent) and must fill them in.
    """
    if fe.name != COUNTING_FRONTEND and COUNTING_FRONTEND in fe.harness.frontends:
        return
    org = Org(fe, "backfill")
    eng = org.add_user("engineer")
    ac, a = org.key_client(["incidents:read", "incidents:create", "api_keys:create"],
                           by=eng.client)
    b = ok(ac.post("/api-keys", {"name": api.unique("b"),
                                 "permissions": ["incidents:read", "incidents:create",
                                                 "api_keys:create"]}), 201, "b")
    c = ok(Client(fe, key=b["api_key"]).post(
        "/api-keys", {"name": api.unique("c"), "permissions": ["incidents:read",
                                                                  "incidents:create"]}), 201, "c")
    x_exp = int(time.time()) + 3600
    xc, x = org.key_client(["incidents:read", "api_keys:create"])
    y = ok(xc.post("/api-keys", {"name": api.unique("y"), "permissions": ["incidents:read"]}),
           201, "y")
    r = org.create_key(["incidents:read", "api_keys:create"])
    s = ok(Client(fe, key=r["api_key"]).post(
        "/api-keys", {"name": api.unique("s"), "permissions": ["incidents:read"]}), 201, "s")
    mine = "organization_id = '%s'" % org.id
    script = (Path(fe.harness.sql_dir) / "004_api_key_chain.sql").read_text()
    cols = [line.split("ADD COLUMN IF NOT EXISTS ")[1].split()[0]
            for line in script.splitlines() if "ADD COLUMN IF NOT EXISTS" in line]
    expect("root_user_id" in cols and "parent_key_id" in cols, "004's columns: %r" % cols)
    nulls = ", ".join("%s = %s" % (col, "0" if col == "child_guard" else "NULL") for col in cols)
    # The old code: x's expiry set later by hand, y without one, r revoked without its child.
    fe.harness.sql("UPDATE overwatch_it.api_keys SET %s WHERE %s; "
                   "UPDATE overwatch_it.api_keys SET expires_at = FROM_UNIXTIME(%d) WHERE id = '%s'; "
                   "UPDATE overwatch_it.api_keys SET revoked_at = UTC_TIMESTAMP(6) WHERE id = '%s'"
                   % (nulls, mine, x_exp, x["id"], r["id"]))
    rows = api.sql_rows(fe, "SELECT COUNT(*) FROM overwatch_it.api_keys WHERE %s AND "
                            "root_user_id IS NULL" % mine)
    expect(rows[0][0] == "7", "the simulated pre-004 rows: %r" % rows)
    fe.harness.sql("USE overwatch_it;\n" + script)

    ok(new_incident(Client(fe, key=c["api_key"])), 201, "c after the backfill")
    expect_listed(org, c["id"], "active", ["incidents:read", "incidents:create"])
    ok(org.client.patch("/users/" + eng.id, {"role": "viewer"}), 200, "demote a's creator")
    denied(new_incident(Client(fe, key=c["api_key"])), "c after its root user's demotion")
    expect_listed(org, c["id"], "active", ["incidents:read"])
    refused(Client(fe, key=s["api_key"]), PARENT_REVOKED, "s, child of a key revoked before 004")
    expect_listed(org, s["id"], "parent_revoked", [])
    expect(item_of(org.client, y["id"])["expires_at"] == api.rfc3339(x_exp),
           "y, child of an expiring key, was not bound to its parent's expiry")
    ok(org.client.delete("/api-keys/" + a["id"]), 204, "DELETE a after the backfill")
    refused(Client(fe, key=c["api_key"]), PARENT_REVOKED, "c after its grandparent's DELETE")


def test_no_child_survives_a_parent_deleted_while_it_mints(fe):
    """Children minted while their parent is deleted: each one is refused afterwards.

    Four threads mint children of one key as fast as they can while the
    admin deletes it. A mint that wins the race is marked with the other
    descendants; one that loses is refused (401). No child may stay usable.
    """
    if fe.name != COUNTING_FRONTEND and COUNTING_FRONTEND in fe.harness.frontends:
        return
    org = Org(fe, "keyrace")
    for _ in range(2):
        pc, p = org.key_client(["incidents:read", "api_keys:create"])
        minted, statuses = [], []
        lock = threading.Lock()
        stop = threading.Event()
        go = threading.Barrier(5)

        def mint():
            go.wait()
            while not stop.is_set():
                r = pc.post("/api-keys", {"name": api.unique("race"),
                                          "permissions": ["incidents:read"]})
                with lock:
                    statuses.append(r.status)
                    if r.status == 201:
                        minted.append(r.json["api_key"])
                if r.status != 201:
                    return
        threads = [threading.Thread(target=mint) for _ in range(4)]
        for t in threads:
            t.start()
        go.wait()
        time.sleep(0.3)
        ok(org.client.delete("/api-keys/" + p["id"]), 204, "DELETE the minting key")
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(30)
        expect(set(statuses) <= {201, 401}, "mints answered %r" % sorted(set(statuses)))
        expect(minted and 401 in statuses,
               "the race did not happen (%d minted, statuses %r)" % (len(minted), set(statuses)))
        alive = [k for k in minted if Client(fe, key=k).get("/incidents").status != 401]
        expect(not alive, "%d of %d children minted around the DELETE still work"
               % (len(alive), len(minted)))
