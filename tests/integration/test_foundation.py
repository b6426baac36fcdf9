"""Foundation: health, routing errors and malformed requests (doc/api.md sections 1, 2, 6, 7).

Run against every front-end: the answers must be the service's own JSON, so
these also show that each web server passes the request (path, method,
headers, body) through unchanged.
"""

import json
import secrets

from lib import checks
from lib.checks import expect

HEALTH = "/api/v1/health"
LOGIN = "/api/v1/auth/login"
MAX_BODY = 65536
JSON = {"Content-Type": "application/json"}


def login_body(**extra):
    body = {"email": "nobody@example.com", "password": "correct horse battery staple"}
    body.update(extra)
    return body


def test_health_ok(fe):
    r = fe.get(HEALTH)
    expect(r.status == 200, "GET /health is not 200", r)
    body = checks.json_body(r)
    expect(body.get("status") == "ok" and body.get("database") == "ok",
           'body is not {"status": "ok", "database": "ok"}', r)
    checks.common_headers(r)


def test_health_with_query_string(fe):
    r = fe.get(HEALTH + "?probe=1")
    expect(r.status == 200, "a query string must not change the route", r)


def test_unknown_path_is_404_json(fe):
    for path in ("/api/v1/no-such-endpoint", "/api/v1/health/extra", "/api/v1/"):
        r = fe.get(path)
        checks.error(r, 404, "NOT_FOUND")


def test_wrong_method_is_405_with_allow(fe):
    for method in ("DELETE", "PUT"):
        r = fe.request(method, HEALTH)
        checks.error(r, 405, "METHOD_NOT_ALLOWED")
        allow = [m.strip().upper() for m in r.header("Allow", "").split(",")]
        expect("GET" in allow, "Allow header does not list GET", r)
        expect(method not in allow, "Allow header lists %s" % method, r)


def test_wrong_content_type_is_415(fe):
    r = fe.request("POST", LOGIN, body=json.dumps(login_body()),
                   headers={"Content-Type": "text/plain"})
    checks.error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    r = fe.request("POST", LOGIN, body=json.dumps(login_body()))  # no Content-Type
    checks.error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_with_charset_is_accepted(fe):
    r = fe.request("POST", LOGIN, body=json.dumps(login_body()),
                   headers={"Content-Type": "application/json; charset=utf-8"})
    expect(r.status not in (400, 415) and r.status < 500,
           "application/json; charset=utf-8 with a valid body was refused", r)


def test_body_over_limit_is_413(fe):
    body = b" " * (MAX_BODY + 1)        # judged from CONTENT_LENGTH, never parsed
    r = fe.request("POST", LOGIN, body=body, headers=JSON)
    checks.error(r, 413, "PAYLOAD_TOO_LARGE")
    body = b"x" * (4 * MAX_BODY)
    r = fe.request("POST", LOGIN, body=body, headers=JSON)
    checks.error(r, 413, "PAYLOAD_TOO_LARGE")


def test_body_at_limit_is_not_413(fe):
    text = json.dumps(login_body()).encode()
    body = text + b" " * (MAX_BODY - len(text))
    assert len(body) == MAX_BODY
    r = fe.request("POST", LOGIN, body=body, headers=JSON)
    expect(r.status != 413 and r.status < 500, "a body of exactly 64 KiB was refused", r)


def test_empty_body_is_400(fe):
    r = fe.request("POST", LOGIN, body=b"", headers=JSON)
    checks.error(r, 400, "VALIDATION_ERROR")


def test_malformed_json_is_400(fe):
    for body in (b'{"email": "a@example.com", "password": ', b"{'email': 1}",
                 b'{"email": "a@example.com",}', b"[1, 2", b"nul", b'{"a":1} trailing'):
        r = fe.request("POST", LOGIN, body=body, headers=JSON)
        checks.error(r, 400, "VALIDATION_ERROR")


def test_non_strict_json_is_400(fe):
    # Each is well-shaped for the login route, so a lenient parser would let it
    # through to a 401: only strict RFC 8259 parsing gives the 400.
    pw = '"correct horse battery staple"'
    cases = {
        "raw tab in a string": '{"email": "a@example.com", "password": "correct\thorse battery"}',
        "raw newline in a string": '{"email": "a@example.com", "password": "correct\nhorse battery"}',
        "single-quoted key": "{'email': \"a@example.com\", \"password\": %s}" % pw,
        "NaN": '{"email": "a@example.com", "password": %s, "x": NaN}' % pw,
        "Infinity": '{"email": "a@example.com", "password": %s, "x": -Infinity}' % pw,
        "number with trailing dot": '{"email": "a@example.com", "password": %s, "x": 1.}' % pw,
        "comment": '{"email": "a@example.com", /* c */ "password": %s}' % pw,
    }
    accepted = []
    for name, body in cases.items():
        r = fe.request("POST", LOGIN, body=body.encode(), headers=JSON)
        if r.status != 400:
            accepted.append("%s -> %d" % (name, r.status))
        else:
            checks.error(r, 400, "VALIDATION_ERROR")
    expect(not accepted, "non-JSON accepted: " + "; ".join(accepted))


def test_json_nested_deeper_than_32_is_400(fe):
    deep = "[" * 40 + "]" * 40
    body = '{"email": %s, "password": "correct horse battery"}' % deep
    r = fe.request("POST", LOGIN, body=body, headers=JSON)
    checks.error(r, 400, "VALIDATION_ERROR")
    deep = '{"a":' * 100 + "1" + "}" * 100
    r = fe.request("POST", LOGIN, body=deep, headers=JSON)
    checks.error(r, 400, "VALIDATION_ERROR")


def test_invalid_utf8_is_400(fe):
    cases = {
        "lone continuation byte": b"\x80",
        "truncated sequence": b"\xc3",
        "overlong slash": b"\xc0\xaf",
        "UTF-16 surrogate": b"\xed\xa0\x80",
        "beyond U+10FFFF": b"\xf4\x90\x80\x80",
        "invalid byte": b"\xff",
    }
    for name, bad in cases.items():
        body = b'{"email": "a' + bad + b'@example.com", "password": "correct horse battery"}'
        r = fe.request("POST", LOGIN, body=body, headers=JSON)
        try:
            checks.error(r, 400, "VALIDATION_ERROR")
        except AssertionError as e:
            raise AssertionError("%s: %s" % (name, e)) from None


def test_header_value_over_8k_is_400(fe):
    # The front-ends here let headers up to 32 KiB through (lighttpd's
    # server.max-request-field-size, Apache's LimitRequestFieldSize), so this
    # is the service's own 8 KiB limit answering with its JSON error.
    r = fe.get(HEALTH, headers={"X-Padding": "a" * (8192 + 1)})
    checks.error(r, 400, None)
    r = fe.get(HEALTH, headers={"Cookie": "access_token=" + "b" * 8200})
    checks.error(r, 400, None)
    r = fe.get(HEALTH, headers={"X-Padding": "a" * 8000})
    expect(r.status == 200, "a header value under 8 KiB was refused", r)


def test_header_over_web_server_limit_is_refused(fe):
    # Over the web server's own limit (32 KiB here) the web server answers
    # first, with its own non-JSON 4xx; what matters is that nothing breaks.
    r = fe.get(HEALTH, headers={"X-Padding": "a" * 40000})
    expect(400 <= r.status < 500, "a 40 KB header did not get a 4xx", r)
    r = fe.get(HEALTH)
    expect(r.status == 200, "the service is unwell after a huge header", r)


def test_authorization_header_reaches_service(fe):
    r = fe.get("/api/v1/auth/me")
    body = checks.error(r, 401, "INVALID_TOKEN")
    expect(body.get("detail") == "Token is missing", 'no credential: detail is not '
           '"Token is missing"', r)
    r = fe.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    body = checks.error(r, 401, "INVALID_TOKEN")
    expect(body.get("detail") != "Token is missing",
           "the Authorization header did not reach the service", r)
    expect("invalid_token" in r.header("WWW-Authenticate", ""),
           'WWW-Authenticate lacks error="invalid_token"', r)


def test_environment_reaches_service(fe):
    # The harness's config file says registration = false; each front-end sets
    # OVERWATCH_SERVICE_REGISTRATION=true in the service's environment (master
    # environment, lighttpd bin-environment, Apache FcgidInitialEnv).
    email = "it-%s-%s@example.com" % (fe.name, secrets.token_hex(4))
    r = fe.post_json("/api/v1/auth/register", {
        "email": email, "password": "correct horse battery staple",
        "name": "Integration Test", "organization_name": "IT " + fe.name})
    expect(r.status == 201, "registration (enabled only through the environment) "
           "did not answer 201", r)
    body = checks.json_body(r)
    expect((body.get("user") or {}).get("email") == email, "registered user's email", r)
