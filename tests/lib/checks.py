"""Assertions shared by the integration tests (doc/api.md sections 1 and 2)."""


def expect(cond, message, resp=None):
    if not cond:
        if resp is not None:
            message += "\n  got: %d %s\n  headers: %s\n  body: %r" % (
                resp.status, resp.reason,
                "; ".join("%s: %s" % kv for kv in resp.headers.items()), resp.body[:400])
        raise AssertionError(message)


# Every API response, errors included (doc/api.md section 1).
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def common_headers(resp):
    """Every response carries Cache-Control: no-store, nosniff, a CSP that
    loads nothing and forbids framing, X-Frame-Options and Referrer-Policy
    (doc/api.md section 1)."""
    cc = resp.header("Cache-Control", "")
    expect("no-store" in cc, "Cache-Control: no-store missing", resp)
    for name, value in FIXED_HEADERS.items():
        expect(resp.header(name, "") == value, "%s: %s missing" % (name, value), resp)


def json_body(resp):
    ctype = resp.header("Content-Type", "")
    expect(ctype.split(";")[0].strip().lower() == "application/json",
           "Content-Type is not application/json", resp)
    body = resp.json
    expect(isinstance(body, dict), "body is not a JSON object", resp)
    return body


def error(resp, status, code):
    """An API error: {"detail": str, "status_code": status, "code": code}."""
    expect(resp.status == status, "expected HTTP %d %s" % (status, code), resp)
    body = json_body(resp)
    expect(isinstance(body.get("detail"), str) and body["detail"],
           "error body lacks a non-empty detail string", resp)
    expect(body.get("status_code") == status, "status_code is not %d" % status, resp)
    if code is not None:
        expect(body.get("code") == code, "code is not %s" % code, resp)
    common_headers(resp)
    return body
