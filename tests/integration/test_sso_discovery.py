"""POST /sso-connections/test (doc/api.md section 6, "Single sign-on",
testSsoConnection): an issuer's discovery document and keys fetched and
checked as a save does, under the same address guard, and shown; nothing is
saved. Rate-limited per organization."""

import json

from lib import checks
from lib.checks import expect
from test_identity import PW, bearer, login, login_ok, new_email, register
from test_identity_config import own_instance
from test_sso import CONNECTIONS, Org, fresh_fake, sql

TEST = CONNECTIONS + "/test"
LIMIT = 10      # tests per organization per minute (src/h_sso_test.c)
# Production behind a trusted proxy that says https: loopback is off limits there.
PRODUCTION = {"OVERWATCH_SERVICE_ENVIRONMENT": "production",
              "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
HTTPS = {"X-Forwarded-Proto": "https"}


def post_test(fe, token, issuer, headers=None):
    h = bearer(token, **{"Content-Type": "application/json"})
    h.update(headers or {})
    return fe.request("POST", TEST, body=json.dumps({"issuer": issuer}), headers=h)


def test_discovery_is_shown_and_nothing_saved(fe):
    org = Org(fe, "dtest")
    fake = fresh_fake(fe, "dtest")
    try:
        r = post_test(fe, org.token, fake.issuer)
        expect(r.status == 200, "POST %s" % TEST, r)
        want = {"issuer": fake.issuer, "authorization_endpoint": fake.base + "/authorize",
                "token_endpoint": fake.base + "/token", "jwks_uri": fake.base + "/jwks",
                "userinfo_endpoint": None, "signing_algorithms": ["RS256"]}
        expect(r.json == want, "the test answered %r, want %r" % (r.json, want), r)
        expect(("GET", "/.well-known/openid-configuration") in fake.requests
               and ("GET", "/jwks") in fake.requests,
               "the provider was not asked for its discovery document and keys: %r" % fake.requests)
        # No connection, no audit record, no stored metadata.
        checks.error(fe.get(CONNECTIONS, headers=bearer(org.token)), 404, "NOT_FOUND")
        rows = sql(fe, "SELECT COUNT(*) FROM sso_connections WHERE organization_id = '%s'" % org.id)
        expect(rows == [["0"]], "a connection row was written: %r" % rows)
        rows = sql(fe, "SELECT action FROM audit_log WHERE organization_id = '%s' AND action "
                   "LIKE 'sso%%'" % org.id)
        expect(rows == [], "the test wrote audit events %r" % rows)
    finally:
        fake.stop()


def test_a_failing_provider_is_the_documented_error(fe):
    if fe.name != "lighttpd-socket":
        return          # the service's rule, not the front-end's
    org = Org(fe, "dtest-bad")
    liar = fresh_fake(fe, "dtest-liar")
    try:
        liar.discovery = lambda: {"issuer": "https://login.example.com"}
        r = post_test(fe, org.token, liar.issuer)
        checks.error(r, 400, "VALIDATION_ERROR")
        expect([e["field"] for e in r.json["errors"]] == ["issuer"]
               and "could not be used" in r.json["errors"][0]["message"], "errors %r" % r.json, r)
        for issuer in ("not a url", "ftp://example.com/x", liar.issuer + "/?x=1"):
            r = post_test(fe, org.token, issuer)
            checks.error(r, 400, "VALIDATION_ERROR")
            expect([e["field"] for e in r.json["errors"]] == ["issuer"], "%s: %r" % (issuer, r.json), r)
        r = fe.request("POST", TEST, body=json.dumps({"issuer": liar.issuer, "client_id": "x"}),
                       headers=bearer(org.token, **{"Content-Type": "application/json"}))
        checks.error(r, 400, "VALIDATION_ERROR")
    finally:
        liar.stop()


def test_internal_addresses_are_refused_and_not_reached(fe):
    """The address guard applies: private, link-local and metadata addresses
    always; in production loopback too, and the provider there is never asked."""
    if fe.name != "lighttpd-socket":
        return
    org = Org(fe, "dtest-ssrf")
    for issuer in ("https://10.0.0.1/realms/x", "https://169.254.169.254/latest",
                   "https://[fd00::1]/x", "https://192.168.1.1/x", "https://0.0.0.0/x"):
        r = post_test(fe, org.token, issuer)
        checks.error(r, 400, "VALIDATION_ERROR")
        expect([e["field"] for e in r.json["errors"]] == ["issuer"], "%s: %r" % (issuer, r.json), r)
    probe = fresh_fake(fe, "dtest-prod")
    try:
        with own_instance(fe, "sso-test-prod", PRODUCTION) as own:
            email, _ = register(own, headers=HTTPS)
            r = login(own, email, headers=HTTPS)
            expect(r.status == 200, "login in production", r)
            token = r.json["access_token"]
            for issuer in ("https://localhost:%d" % probe.port, "https://127.0.0.1:%d" % probe.port,
                           "https://[::ffff:127.0.0.1]:%d" % probe.port):
                r = post_test(own, token, issuer, HTTPS)
                checks.error(r, 400, "VALIDATION_ERROR")
                expect("may not reach" in r.json["errors"][0]["message"], "%s: %r" % (issuer, r.json), r)
        expect(probe.seen == [], "the provider on loopback was reached: %r" % probe.seen)
    finally:
        probe.stop()


def test_tests_are_limited_per_organization(fe):
    if fe.name != "lighttpd-socket":
        return
    org = Org(fe, "dtest-rate")
    other = Org(fe, "dtest-rate2")
    # Refused issuers cost no outbound call, and count all the same.
    for i in range(LIMIT):
        r = post_test(fe, org.token, "https://10.0.0.%d/x" % (i + 1))
        checks.error(r, 400, "VALIDATION_ERROR")
    r = post_test(fe, org.token, "https://10.0.0.99/x")
    checks.error(r, 429, "RATE_LIMITED")
    retry = int(r.header("Retry-After") or "0")
    expect(1 <= retry <= 60, "Retry-After %r" % r.header("Retry-After"), r)
    # Another organization has its own budget.
    checks.error(post_test(fe, other.token, "https://10.0.0.1/x"), 400, "VALIDATION_ERROR")


def test_only_who_may_change_the_connection(fe):
    if fe.name != "lighttpd-socket":
        return
    org = Org(fe, "dtest-perm")
    email = new_email("dtesteng")
    fe.harness.admin("create-user", "--org", org.slug, "--email", email, "--name", "E",
                     "--role", "engineer", input_text=PW + "\n")
    token = login_ok(fe, email)["access_token"]
    checks.error(post_test(fe, token, "https://10.0.0.1/x"), 403, "INSUFFICIENT_PERMISSIONS")
    r = fe.request("POST", TEST, body=json.dumps({"issuer": "https://10.0.0.1/x"}),
                   headers={"Content-Type": "application/json"})
    checks.error(r, 401, "INVALID_TOKEN")
