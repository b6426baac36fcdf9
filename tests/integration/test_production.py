"""Production mode and CORS (doc/api.md sections 4 and 8): HTTPS required,
X-Forwarded-Proto believed only from a trusted proxy, HSTS, CORS for the
configured origins only. Each test runs its own master behind its own lighttpd."""

from lib import checks
from lib.checks import expect
from test_identity_config import own_instance

FRONTENDS = ("lighttpd-socket",)

HEALTH = "/api/v1/health"
INCIDENTS = "/api/v1/incidents"
HTTPS = {"X-Forwarded-Proto": "https"}


def error(r, status, code):
    body = checks.json_body(r)
    expect(r.status == status and body.get("code") == code and body.get("status_code") == status,
           "expected %d %s" % (status, code), r)


def test_production_requires_https_and_sends_hsts(fe):
    env = {"OVERWATCH_SERVICE_ENVIRONMENT": "production",
           "OVERWATCH_SERVICE_TRUSTED_PROXIES": "127.0.0.1"}
    with own_instance(fe, "prod-hsts", env) as own:
        r = own.get(HEALTH)
        error(r, 403, "HTTPS_REQUIRED")
        expect(r.header("Strict-Transport-Security", "").startswith("max-age="),
               "no HSTS on the HTTPS_REQUIRED answer", r)
        r = own.get(HEALTH, headers=HTTPS)
        expect(r.status == 200, "health over (proxied) HTTPS", r)
        hsts = r.header("Strict-Transport-Security", "")
        expect(hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 31536000,
               "HSTS of at least a year expected, got %r" % hsts, r)
        r = own.get(INCIDENTS, headers=HTTPS)
        error(r, 401, "INVALID_TOKEN")
        expect(r.header("Strict-Transport-Security") is not None, "no HSTS on a 401", r)


def test_forwarded_proto_ignored_from_an_untrusted_peer(fe):
    # No trusted proxies: the web server's peer (127.0.0.1) may say what it
    # likes in X-Forwarded-Proto; the request is still plain HTTP.
    env = {"OVERWATCH_SERVICE_ENVIRONMENT": "production"}
    with own_instance(fe, "prod-untrusted", env) as own:
        r = own.get(HEALTH, headers=HTTPS)
        error(r, 403, "HTTPS_REQUIRED")
    # Trusted, but a proxy that says http: still refused.
    env["OVERWATCH_SERVICE_TRUSTED_PROXIES"] = "127.0.0.1"
    with own_instance(fe, "prod-http", env) as own:
        r = own.get(HEALTH, headers={"X-Forwarded-Proto": "http"})
        error(r, 403, "HTTPS_REQUIRED")


def test_development_sends_no_hsts(fe):
    r = fe.get(HEALTH)
    expect(r.status == 200 and r.header("Strict-Transport-Security") is None,
           "HSTS in development", r)


def test_cors_for_configured_origins_only(fe):
    allowed = "https://console.example.com"
    env = {"OVERWATCH_SERVICE_ALLOWED_ORIGINS": allowed + " https://other.allowed.example"}
    with own_instance(fe, "cors", env) as own:
        pre = {"Origin": allowed, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type"}
        r = own.request("OPTIONS", INCIDENTS, headers=pre)
        expect(r.status == 204, "preflight from an allowed origin", r)
        expect(r.header("Access-Control-Allow-Origin") == allowed, "Allow-Origin echoes the origin", r)
        expect(r.header("Access-Control-Allow-Credentials") == "true", "credentials allowed", r)
        methods = {m.strip() for m in r.header("Access-Control-Allow-Methods", "").split(",")}
        expect({"GET", "POST"} <= methods, "Allow-Methods lists the path's methods: %r" % methods, r)
        headers = r.header("Access-Control-Allow-Headers", "").lower()
        expect("authorization" in headers and "content-type" in headers and "x-api-key" in headers,
               "Allow-Headers", r)
        expect("origin" in r.header("Vary", "").lower(), "Vary: Origin", r)

        foreign = dict(pre, Origin="https://evil.example")
        r = own.request("OPTIONS", INCIDENTS, headers=foreign)
        expect(r.status == 204 and r.header("Access-Control-Allow-Origin") is None and
               r.header("Access-Control-Allow-Methods") is None,
               "a preflight from another origin gets no CORS headers", r)

        r = own.get(INCIDENTS, headers={"Origin": allowed})
        error(r, 401, "INVALID_TOKEN")
        expect(r.header("Access-Control-Allow-Origin") == allowed,
               "an actual request from an allowed origin carries Allow-Origin (even a 401)", r)
        r = own.get(INCIDENTS, headers={"Origin": "https://evil.example"})
        expect(r.header("Access-Control-Allow-Origin") is None, "no CORS for another origin", r)
        r = own.request("OPTIONS", "/api/v1/no-such-path", headers=pre)
        error(r, 404, "NOT_FOUND")
