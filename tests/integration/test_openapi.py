"""doc/openapi.yaml against the service: the route table and the live server.

1. Every route of `overwatch-fcgi --routes` is documented with the same method
   and path, and every documented path and method is a route.
2. Each operation's `x-required-permission` is the permission column of
   `--routes` (`public`, `authenticated` or a permission name), its
   description says so, and `security: []` marks exactly the public ones.
3. Black box: every documented operation, asked without a credential, gets
   the status the document gives for that case (401 INVALID_TOKEN for a
   protected one) -- never 404/405, so the server serves it; another method on
   a documented path gets 405 with `Allow` listing exactly the documented ones,
   and OPTIONS 204 with those and OPTIONS (the document's x-every-path).

Standard library only: a small line-based reader takes what these checks
need from the YAML (block mappings, block scalars; sequence items and flow
collections are kept as text). OVERWATCH_IT_OPENAPI points at another copy of
the document (to see these tests fail on a broken one).
"""

import os
import re
import subprocess
import uuid
from pathlib import Path

from lib import checks
from lib import harness
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)

DOC = Path(os.environ.get("OVERWATCH_IT_OPENAPI", str(harness.REPO / "doc" / "openapi.yaml")))
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = {"Content-Type": "application/json"}

# What a public operation answers to a request without a credential and with
# an empty JSON object as its body (registration is on in the harness).
PUBLIC_PROBE = {
    ("GET", "/api/v1/health"): (200, None),
    ("POST", "/api/v1/auth/register"): (400, "VALIDATION_ERROR"),
    ("POST", "/api/v1/auth/login"): (400, "VALIDATION_ERROR"),
    ("POST", "/api/v1/auth/refresh"): (401, "INVALID_TOKEN"),
    # A random organization has no single sign-on: the handler's own 404.
    ("GET", "/api/v1/auth/sso/{organization}/start"): (404, "NOT_FOUND"),
    ("GET", "/api/v1/auth/sso/{organization}/callback"): (404, "NOT_FOUND"),
    # The probe's JSON body: a provider's call is a form, refused by type before any lookup.
    ("POST", "/api/v1/auth/sso/{organization}/backchannel-logout"): (415, "UNSUPPORTED_MEDIA_TYPE"),
    # Enrolment takes a session or an mfa_token: neither is a missing token.
    ("POST", "/api/v1/auth/mfa/totp"): (401, "INVALID_TOKEN"),
    ("POST", "/api/v1/auth/mfa/totp/confirm"): (400, "VALIDATION_ERROR"),
    ("POST", "/api/v1/auth/mfa/verify"): (400, "VALIDATION_ERROR"),
    ("POST", "/api/v1/auth/password-reset"): (400, "VALIDATION_ERROR"),
    ("POST", "/api/v1/auth/password-reset/confirm"): (400, "VALIDATION_ERROR"),
    ("POST", "/api/v1/auth/activate"): (400, "VALIDATION_ERROR"),
}


# ------------------------------------------------------------------ YAML reader

_BLOCK_SCALAR = re.compile(r"^[|>][0-9+-]*$")


def _unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        inner = s[1:-1]
        return inner.replace("''", "'") if s[0] == "'" else inner.replace('\\"', '"')
    return s


def _split_key(text):
    """('key', 'value') of a `key: value` / `key:` line, or None."""
    if text[0] in "'\"":
        q = text[0]
        i = 1
        while i < len(text):
            if text[i] == q:
                if q == "'" and text[i + 1:i + 2] == "'":
                    i += 2
                    continue
                break
            if q == '"' and text[i] == "\\":
                i += 1
            i += 1
        rest = text[i + 1:]
        if not (rest.startswith(":") and (len(rest) == 1 or rest[1] in " \t")):
            return None
        return _unquote(text[:i + 1]), rest[1:].strip()
    m = re.search(r":(\s|$)", text)
    if m is None or text[0] in "[{":
        return None
    return text[:m.start()].strip(), text[m.end():].strip()


def _strip_comment(value):
    if value and value[0] in "'\"":
        q = value[0]
        m = re.match(r"'(?:[^']|'')*'" if q == "'" else r'"(?:[^"\\]|\\.)*"', value)
        return m.group(0) if m else value
    m = re.search(r"\s#", value)
    return value[:m.start()].rstrip() if m else value


def read_yaml_entries(text):
    """Flatten block mappings into [(key path tuple, value text)].

    A key with nested content gets value ''. A block scalar (`|`, `>`) gets
    its text. A sequence item is recorded as key path + ('-',) with the item's
    text (its first line); whatever is nested under an item or continues a
    leaf value is skipped. Raises ValueError on a repeated key.
    """
    entries = []
    seen = set()
    stack = []                      # [(indent, key)]
    skip_deeper = None              # skip lines indented more than this
    block = None                    # (indent of owner, path, collected lines)

    def indent_of(line):
        return len(line) - len(line.lstrip(" "))

    for raw in text.splitlines():
        line = raw.rstrip()
        ind = indent_of(line)
        if block is not None:
            if not line.strip() or ind > block[0]:
                block[2].append(line)
                continue
            entries.append((block[1], "\n".join(x.strip() for x in block[2]).strip()))
            block = None
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        if skip_deeper is not None:
            if ind > skip_deeper:
                continue
            skip_deeper = None
        if stripped == "-" or stripped.startswith("- "):
            # An item belongs to the nearest key above it; an indentless
            # sequence sits at its key's own indent.
            while stack and stack[-1][0] > ind:
                stack.pop()
            path = tuple(k for _, k in stack) + ("-",)
            entries.append((path, stripped[1:].strip()))
            skip_deeper = ind
            continue
        kv = _split_key(stripped)
        if kv is None:
            continue
        key, value = kv
        while stack and stack[-1][0] >= ind:
            stack.pop()
        path = tuple(k for _, k in stack) + (key,)
        if path in seen:
            raise ValueError("repeated key %s" % "/".join(path))
        seen.add(path)
        value = _strip_comment(value)
        if _BLOCK_SCALAR.match(value):
            block = (ind, path, [])
        elif value == "":
            stack.append((ind, key))
            entries.append((path, ""))
        else:
            entries.append((path, _unquote(value)))
            skip_deeper = ind
    if block is not None:
        entries.append((block[1], "\n".join(x.strip() for x in block[2]).strip()))
    return entries


def read_document(text):
    """The parts of an OpenAPI document these tests use.

    Returns (base path, {(METHOD, full path): operation}) where operation is
    {"permission", "security" ('[]', 'items' or None), "description",
    "responses": set of status strings}.
    """
    entries = read_yaml_entries(text)
    base = ""
    for path, value in entries:
        if path == ("servers", "-"):
            kv = _split_key(value)
            if kv and kv[0] == "url":
                base = _unquote(_strip_comment(kv[1])).rstrip("/")
                break
    ops = {}
    for path, value in entries:
        if len(path) < 3 or path[0] != "paths" or path[2] not in HTTP_METHODS:
            continue
        key = (path[2].upper(), base + path[1])
        op = ops.setdefault(key, {"permission": None, "security": None, "description": "",
                                  "responses": set()})
        rest = path[3:]
        if rest == ("x-required-permission",):
            op["permission"] = value
        elif rest == ("security",):
            op["security"] = "[]" if value.replace(" ", "") == "[]" else value or "items"
        elif rest == ("security", "-"):
            op["security"] = "items"
        elif rest == ("description",):
            op["description"] = value
        elif len(rest) == 2 and rest[0] == "responses":
            op["responses"].add(rest[1])
    return base, ops


def document():
    expect(DOC.is_file(), "%s is missing" % DOC)
    return read_document(DOC.read_text(encoding="utf-8"))


def served_routes(fe):
    """{(METHOD, path): permission} from `overwatch-fcgi --routes`."""
    r = subprocess.run([fe.harness.fcgi_bin, "--routes"], capture_output=True, text=True,
                       timeout=30)
    expect(r.returncode == 0, "overwatch-fcgi --routes failed: %s" % r.stderr.strip())
    routes = {}
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        expect(len(parts) == 3, "--routes line is not METHOD PATH PERMISSION: %r" % line)
        key = (parts[0], parts[1])
        expect(key not in routes, "--routes lists %s %s twice" % key)
        routes[key] = parts[2]
    expect(routes, "--routes printed no routes")
    return routes


# ------------------------------------------------------------------ tests

def test_yaml_reader_self_check(fe):
    # The reader must not be fooled by another layout of the same document:
    # indentless sequences, quoted keys, comments, block scalars holding
    # key-like lines, flow collections over several lines.
    sample = (
        "openapi: 3.1.0\n"
        "servers:\n"
        "- url: '/api/v1/'   # base\n"
        "paths:\n"
        "    '/a/{id}':\n"
        "        get:\n"
        "            description: >-\n"
        "                post: not a method\n"
        "                '401': not a response\n"
        "            x-required-permission: \"a:read\"  # trailing comment\n"
        "            responses:\n"
        "                \"200\": {description: ok,\n"
        "                        content: {}}\n"
        "                '401':\n"
        "                    description: no\n"
        "        post:\n"
        "            security: []\n"
        "            x-required-permission: public\n"
        "            responses: {'204': {description: x}}\n"
        "    /b:\n"
        "        parameters:\n"
        "        - name: get\n"
        "          in: query\n"
        "        delete:\n"
        "            security:\n"
        "            - bearerAuth: []\n"
        "            x-required-permission: b:delete\n"
        "components: {}\n")
    base, ops = read_document(sample)
    assert base == "/api/v1", base
    assert set(ops) == {("GET", "/api/v1/a/{id}"), ("POST", "/api/v1/a/{id}"),
                        ("DELETE", "/api/v1/b")}, sorted(ops)
    get = ops[("GET", "/api/v1/a/{id}")]
    assert get["permission"] == "a:read", get
    assert get["responses"] == {"200", "401"}, get
    assert "not a method" in get["description"], get
    assert get["security"] is None, get
    assert ops[("POST", "/api/v1/a/{id}")]["security"] == "[]"
    assert ops[("DELETE", "/api/v1/b")]["security"] == "items"
    try:
        read_yaml_entries("paths:\n  /x:\n    get: {}\n  /x:\n    post: {}\n")
    except ValueError:
        pass
    else:
        raise AssertionError("a repeated path key was not noticed")


def test_every_route_documented_and_every_operation_served(fe):
    routes = served_routes(fe)
    base, ops = document()
    expect(base == "/api/v1", "servers[0].url is %r, not /api/v1" % base)
    missing = sorted(set(routes) - set(ops))
    extra = sorted(set(ops) - set(routes))
    expect(not missing and not extra,
           "doc/openapi.yaml and --routes differ:\n  routes not documented: %s\n"
           "  documented but not routes: %s"
           % (", ".join("%s %s" % k for k in missing) or "none",
              ", ".join("%s %s" % k for k in extra) or "none"))


def test_required_permission_matches_routes(fe):
    routes = served_routes(fe)
    _, ops = document()
    wrong = []
    for key in sorted(set(routes) & set(ops)):
        want, op = routes[key], ops[key]
        label = "%s %s" % key
        if op["permission"] != want:
            wrong.append("%s: x-required-permission %r, --routes says %r"
                         % (label, op["permission"], want))
        if want not in op["description"]:
            wrong.append("%s: description does not name %r" % (label, want))
        if want == "public" and op["security"] != "[]":
            wrong.append("%s: public but not `security: []`" % label)
        if want != "public" and op["security"] == "[]":
            wrong.append("%s: needs %s but has `security: []`" % (label, want))
        if want != "public" and "401" not in op["responses"]:
            wrong.append("%s: protected but documents no 401" % label)
        if want not in ("public", "authenticated") and "403" not in op["responses"]:
            wrong.append("%s: needs %s but documents no 403" % (label, want))
    expect(not wrong, "\n".join(wrong))


def _probe(fe, method, path):
    url = path.replace("{id}", str(uuid.uuid4()))
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), url)
    if method in ("POST", "PUT", "PATCH"):
        return fe.request(method, url, body=b"{}", headers=JSON)
    return fe.request(method, url)


def test_operations_answer_without_credential_as_documented(fe):
    _, ops = document()
    expect(ops, "doc/openapi.yaml documents no operations")
    wrong = []
    for (method, path), op in sorted(ops.items()):
        label = "%s %s" % (method, path)
        r = _probe(fe, method, path)
        try:
            # A 404 the probe expects must come from the handler, not the router's "Not found".
            handler_404 = (r.status == 404 and PUBLIC_PROBE.get((method, path), (None,))[0] == 404
                           and (r.json or {}).get("detail") not in (None, "Not found"))
            expect(r.status not in (404, 405) or handler_404,
                   "%s is documented but the server does not serve it" % label, r)
            if op["permission"] == "public":
                want, code = PUBLIC_PROBE.get((method, path), (None, None))
                if want is not None:
                    expect(r.status == want, "%s without a credential: expected %d"
                           % (label, want), r)
                expect(str(r.status) in op["responses"],
                       "%s answered %d, which it does not document" % (label, r.status), r)
                expect(r.status < 500, "%s answered %d" % (label, r.status), r)
                if r.status >= 400:
                    checks.error(r, r.status, code)
                else:
                    checks.common_headers(r)
            else:
                body = checks.error(r, 401, "INVALID_TOKEN")
                expect(body.get("detail") == "Token is missing",
                       '%s: detail is not "Token is missing"' % label, r)
                expect(r.header("WWW-Authenticate", "") == "Bearer",
                       "%s: 401 without WWW-Authenticate: Bearer" % label, r)
                expect("401" in op["responses"], "%s: the 401 is not documented" % label, r)
            if method == "GET":
                h = _probe(fe, "HEAD", path)
                expect(h.status == r.status and not h.body,
                       "%s: HEAD does not answer as GET without a body" % label, h)
        except AssertionError as e:
            wrong.append(str(e))
    expect(not wrong, "\n".join(wrong))


def test_other_methods_get_405_with_documented_allow(fe):
    _, ops = document()
    by_path = {}
    for method, path in ops:
        by_path.setdefault(path, set()).add(method)
    wrong = []
    for path, methods in sorted(by_path.items()):
        allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
        other = next(m for m in ("PUT", "DELETE", "PATCH", "POST", "GET") if m not in allowed)
        r = _probe(fe, other, path)
        try:
            checks.error(r, 405, "METHOD_NOT_ALLOWED")
            got = {m.strip() for m in r.header("Allow", "").split(",") if m.strip()}
            expect(got == allowed, "%s %s: Allow is %s, the document says %s"
                   % (other, path, sorted(got), sorted(allowed)), r)
        except AssertionError as e:
            wrong.append(str(e))
    expect(not wrong, "\n".join(wrong))


def test_options_answers_as_the_document_says(fe):
    """`OPTIONS` is answered on every documented path (204, `Allow` = the
    documented methods and OPTIONS; x-every-path, components/responses/
    Preflight), and 404 on an unknown one."""
    text = DOC.read_text(encoding="utf-8")
    every = text[text.index("\nx-every-path:"):text.index("\npaths:")]
    expect("$ref: '#/components/responses/Preflight'" in every and
           "$ref: '#/components/responses/MethodNotAllowed'" in every,
           "x-every-path does not name the OPTIONS and 405 answers:\n%s" % every)
    _, ops = document()
    by_path = {}
    for method, path in ops:
        by_path.setdefault(path, set()).add(method)
    wrong = []
    for path, methods in sorted(by_path.items()):
        allowed = set(methods) | ({"HEAD"} if "GET" in methods else set()) | {"OPTIONS"}
        r = _probe(fe, "OPTIONS", path)
        got = {m.strip() for m in r.header("Allow", "").split(",") if m.strip()}
        if r.status != 204 or got != allowed or r.body:
            wrong.append("OPTIONS %s: %d, Allow %s, the document says 204 and %s"
                         % (path, r.status, sorted(got), sorted(allowed)))
    expect(not wrong, "\n".join(wrong))
    checks.error(fe.request("OPTIONS", "/api/v1/no-such-path"), 404, "NOT_FOUND")
