"""API key activity (doc/api.md section 6, GET /api-keys/{id}/activity) and
the api_key.new_ip audit event, fed by the workers' batched usage flush.

Uses reach the database within a second or so of the request (the flush),
so each check waits for the counts it expects, with a generous deadline.
Client addresses other than 127.0.0.1 come from X-Forwarded-For through an
instance that trusts its own lighttpd as a proxy.
"""

import signal
import time

from lib import api, harness
from lib.api import Client, Org, not_found, ok
from lib.checks import expect
from test_identity_config import own_instance

FRONTENDS = ("lighttpd-socket",)
TRUST_LOCAL_PROXY = {"OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}


def activity(org, key_id):
    return ok(org.client.get("/api-keys/%s/activity" % key_id), 200, "activity")


def wait_activity(org, key_id, done, what):
    """The activity once done(activity) holds (the flush has run)."""
    seen = {}

    def check():
        seen["a"] = activity(org, key_id)
        return done(seen["a"])
    try:
        harness.wait_for(check, 20, 0.2, what)
    except Exception:
        raise AssertionError("%s; last activity: %r" % (what, seen.get("a"))) from None
    return seen["a"]


def total(a, field):
    return sum(d[field] for d in a["days"])


def new_ip_events(org, key_id):
    return [e for e in org.client.list("/audit-log?action=api_key.new_ip&limit=200")
            if (e.get("target") or {}).get("id") == key_id]


def test_uses_and_refusals_per_day_and_address(fe):
    org = Org(fe, "activity")
    key_client, k = org.key_client(["incidents:read"])
    for _ in range(3):
        ok(key_client.get("/incidents"), 200, "use")
    a = wait_activity(org, k["id"], lambda a: total(a, "requests") == 3, "3 requests counted")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    expect(a["key_id"] == k["id"] and [d["date"] for d in a["days"]] == [today],
           "one day, today: %r" % a, None)
    expect(a["days"][0]["distinct_ips"] == 1 and a["days"][0]["rejected"] == 0, "one address", None)
    expect([(i["ip"], i["requests"], i["first_seen"]) for i in a["ips"]] == [("127.0.0.1", 3, today)],
           "the address: %r" % a["ips"], None)
    # Refused uses of the revoked key still count, and its activity can be read.
    ok(org.client.delete("/api-keys/" + k["id"]), 204, "revoke")
    for _ in range(2):
        api.invalid_key(key_client.get("/incidents"), "revoked key")
    a = wait_activity(org, k["id"], lambda a: total(a, "rejected") == 2, "2 refusals counted")
    expect(total(a, "requests") == 3, "requests unchanged", None)


def test_activity_of_what_is_not_a_key_of_the_organization(fe):
    org, other = Org(fe, "activity"), Org(fe, "other")
    _, theirs = other.key_client(["incidents:read"])
    not_found(org.client.get("/api-keys/%s/activity" % theirs["id"]), "another organization's key")
    not_found(org.client.get("/api-keys/%s/activity" % api.random_uuid()), "unknown id")
    not_found(org.client.get("/api-keys/not-a-uuid/activity"), "not a UUID")


def test_new_network_is_audited_once(fe):
    with own_instance(fe, "activity", TRUST_LOCAL_PROXY) as own:
        org = Org(own, "activity")
        _, k = org.key_client(["incidents:read"])

        def use_from(ip):
            ok(Client(own, key=k["api_key"]).request(
                "GET", "/incidents", headers={"X-Forwarded-For": ip}), 200, "use from " + ip)
        for ip in ("198.51.100.7", "198.51.100.8", "203.0.113.9", "198.51.100.7"):
            use_from(ip)
        a = wait_activity(org, k["id"], lambda a: total(a, "requests") == 4, "4 requests")
        expect(a["days"][0]["distinct_ips"] == 3, "three addresses: %r" % a, None)
        harness.wait_for(lambda: len(new_ip_events(org, k["id"])) >= 2, 20, 0.2, "new_ip events")
        events = new_ip_events(org, k["id"])
        # Which of 198.51.100.7 and .8 a worker flushed first is up to the
        # workers: the event names one of them, and there is one per network.
        ips = sorted(e.get("ip") for e in events)
        expect(len(ips) == 2 and ips[0] in ("198.51.100.7", "198.51.100.8")
               and ips[1] == "203.0.113.9",
               "one event per network (/24), from an address in it: %r" % ips, None)
        # Unused for 31 days: the next use is announced again; a recent one is not.
        # Fresh workers (a reload), as 31 days later: each remembers the
        # networks it noted for an hour and would not look again before.
        before = set(own.worker_pids())
        own.master.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: not (set(own.worker_pids()) & before)
                         and len(own.worker_pids()) == len(before), 30, 0.2, "workers replaced")
        own.harness.sql("UPDATE overwatch_it.api_key_networks SET last_seen = last_seen - "
                        "INTERVAL 31 DAY, first_seen = first_seen - INTERVAL 31 DAY "
                        "WHERE key_id = '%s' AND network = '203.0.113.0/24'" % k["id"])
        use_from("203.0.113.10")
        use_from("198.51.100.9")
        harness.wait_for(lambda: len(new_ip_events(org, k["id"])) >= 3, 20, 0.2, "third event")
        wait_activity(org, k["id"], lambda a: total(a, "requests") == 6, "6 requests")
        time.sleep(1.5)     # one more flush period: nothing else may be announced
        events = new_ip_events(org, k["id"])
        expect(len(events) == 3 and events[0].get("ip") == "203.0.113.10",
               "only the network back after 30 days: %r" % events, None)
