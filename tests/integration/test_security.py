"""Security checks of doc/SECURITY.md that need the whole stack or the source:
no secret in what the service logs, none in clear in the database, SQL text
only from constants with every value bound, SQL metacharacters kept as data.

Runs once, after every other module has run on every front-end (ORDER 92), and
reads every log the service wrote in the harness's temp dir: the standalone
masters' logs and the web servers' error logs (where lighttpd bin-path and
mod_fcgid put the service's stderr). First it adds traffic of its own that
carries known secrets through the paths that log (failed logins, rejected,
revoked and deleted keys, bad and revoked tokens, a password change; the
fault tests' masters, with their database outages and locks, ran before and
their logs are read too), then it looks for those secrets, for the harness's
password, JWT secret and database password, and for anything shaped like a
full API key or a JWT. Web servers' access logs are left out: they log the
request line, which carries no credential in this API (tokens travel in
headers, cookies and bodies).

The database check dumps the whole database (mariadb-dump) after that
traffic and looks for the same secrets: passwords must be argon2id PHC
strings, API keys SHA-256 digests, tokens only their ids (jti). The one
secret the service does keep in clear, an SSO connection's client_secret,
is not looked for (doc/SECURITY.md, "Secrets at rest").
"""

import getpass
import re
import time
import urllib.parse
from pathlib import Path

from lib import api
from lib import checks
from lib import harness
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)
ORDER = 92

FULL_KEY_RE = re.compile(r"overwatch_ak_[0-9A-Za-z]{30,}")
JWT_RE = re.compile(r"eyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{20,}")
ACCESS_LOGS = ("access",)


def service_logs(h):
    for path in sorted(Path(h.tmp).rglob("*")):
        if not path.is_file() or path.suffix not in (".log", ".out"):
            continue
        name = path.name
        if any(a in name for a in ACCESS_LOGS) or "mariadb" in str(path.relative_to(h.tmp)):
            continue
        yield path


def traffic_with_secrets(fe):
    """Requests that carry known secrets through every path that logs or
    stores something; returns {label: secret}."""
    h = fe.harness
    org = api.Org(fe, "loghygiene")
    admin = org.admin
    secret_values = {"the test password": api.PASSWORD}
    # A failed login with a distinctive wrong password, an unknown e-mail.
    wrong = "wrong-password-%s" % api.unique("pw")
    secret_values["a wrong password"] = wrong
    expect(api.login(fe, admin.email, wrong).status == 401, "wrong password not refused")
    expect(api.login(fe, api.unique_email(), wrong).status == 401, "unknown e-mail not refused")
    # A key used, deleted, then refused; a mistyped one.
    k = org.create_key(["incidents:read"])
    secret_values["an API key"] = k["api_key"]
    c = api.Client(fe, key=k["api_key"])
    expect(c.get("/incidents").status == 200, "the key does not work")
    expect(org.client.delete("/api-keys/" + k["id"]).status == 204, "key not deleted")
    expect(c.get("/incidents").status == 401, "the deleted key still works")
    expect(api.Client(fe, key=k["api_key"][:-1] + "0").get("/incidents").status == 401,
           "a mistyped key works")
    # A refresh, a bad token, a revoked token, a password change.
    secret_values["an access token"] = admin.token
    secret_values["a refresh token"] = admin.refresh
    r = fe.post_json(api.API + "/auth/refresh", {"refresh_token": admin.refresh})
    expect(r.status == 200, "refresh failed", r)
    expect(api.Client(fe, token=admin.token[:-4] + "AAAA").get("/auth/me").status == 401,
           "a tampered token works")
    user = org.add_user("engineer")
    new_pw = "new password %s" % api.unique("pw")
    secret_values["a new password"] = new_pw
    r = user.client.post("/auth/password", {"current_password": api.PASSWORD,
                                           "new_password": new_pw})
    expect(r.status == 204, "password change failed", r)
    expect(user.client.post("/auth/logout").status == 204, "logout failed")
    expect(user.client.get("/auth/me").status == 401, "a logged-out token works")
    for label, path in (("the JWT secret", h.secret), ("the database password",
                                                       h.db_password_file)):
        value = Path(path).read_text().strip()
        expect(len(value) >= 16, "%s is unexpectedly short" % label)
        secret_values[label] = value
    return secret_values


SECRETS = {}


def secrets_of(fe):
    if not SECRETS:
        SECRETS.update(traffic_with_secrets(fe))
    return SECRETS


def test_no_secret_in_any_service_log(fe):
    h = fe.harness
    secret_values = secrets_of(fe)
    found = []
    logs = list(service_logs(h))
    expect(logs, "no service log found under %s" % h.tmp)
    for path in logs:
        text = path.read_text(errors="replace")
        for label, value in secret_values.items():
            if value in text:
                found.append("%s: %s" % (path.relative_to(h.tmp), label))
        for label, rx in (("something shaped like a full API key", FULL_KEY_RE),
                          ("something shaped like a JWT", JWT_RE)):
            m = rx.search(text)
            if m:
                found.append("%s: %s (%s...)" % (path.relative_to(h.tmp), label,
                                                 m.group(0)[:24]))
    expect(not found, "secrets in the logs:\n  " + "\n  ".join(found[:20]))
    checks.common_headers(fe.get("/api/v1/health"))


def test_no_secret_in_clear_in_the_database(fe):
    h = fe.harness
    secret_values = dict(secrets_of(fe))
    for label in ("the JWT secret", "the database password"):
        secret_values.pop(label, None)      # never sent to the service's tables
    dump = h.run([harness.which("mariadb-dump", "/usr/bin"), "--no-defaults",
                  "--socket=%s" % h.db_socket, "-u", getpass.getuser(),
                  "--skip-extended-insert", "--hex-blob", "--skip-comments",
                  harness.DB_NAME]).stdout
    expect("INSERT INTO `users`" in dump and "INSERT INTO `api_keys`" in dump,
           "the dump has no users or api_keys rows: %r" % dump[:300])
    found = [label for label, value in secret_values.items() if value in dump]
    # --hex-blob: binary columns (digests, the SSO client secret) are hex; look
    # for the secrets hex-encoded too.
    found += ["%s (hex)" % label for label, value in secret_values.items()
              if value.encode().hex().upper() in dump]
    for label, rx in (("a full API key", FULL_KEY_RE), ("a JWT", JWT_RE)):
        m = rx.search(dump)
        if m:
            found.append("%s (%s...)" % (label, m.group(0)[:24]))
    expect(not found, "secrets in clear in the database: %s" % found)
    hashes = re.findall(r"'(\$argon2[^']*)'", dump)
    expect(hashes and all(x.startswith("$argon2id$v=19$") for x in hashes),
           "password hashes are not all argon2id PHC strings: %s" % sorted(
               {x[:20] for x in hashes})[:5])



# ------------------------------------------------------------------ SQL injection

SRC = harness.REPO / "src"
C_STRING = r'"(?:[^"\\\n]|\\.)*"'


def c_call_args(text, name):
    """(line, argument text) of every call `name(...)` in C source text."""
    out = []
    for m in re.finditer(r"\b%s\s*\(" % re.escape(name), text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            if text[i] == '"':
                i = re.compile(C_STRING).match(text, i).end()
                continue
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append((text.count("\n", 0, m.start()) + 1, text[m.end():i - 1]))
    return out


def constant_text(expr, macros, params=()):
    """True when a C expression is only string literals, macros of them (with
    their arguments) and, inside a macro, its parameters."""
    rest = re.sub(C_STRING, " ", expr)
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rest)
    leftover = re.sub(r"[A-Za-z_][A-Za-z0-9_]*|[\s(),]", "", rest)
    return not leftover and all(n in macros or n in params for n in names)


def string_macros(text):
    """Names of the #define'd macros (object- or function-like) whose
    expansion is constant text; to a fixed point, as they use each other."""
    defs = {}
    for m in re.finditer(r"^#define\s+([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?[ \t]*"
                         r"((?:.*\\\n)*.*)$", text, re.M):
        params = tuple(x.strip() for x in (m.group(2) or "()")[1:-1].split(",") if x.strip())
        defs[m.group(1)] = (params, m.group(3).replace("\\\n", " "))
    macros = set()
    while True:
        more = {n for n, (params, body) in defs.items() if n not in macros and body.strip()
                and re.search(C_STRING, body) and constant_text(body, macros, params)}
        if not more:
            return macros
        macros |= more


ROW_MACRO = re.compile(r"^#define STATEMENT\((\w+), (\w+), (\w+)\)", re.M)
C_COMMENT_OR_STRING = re.compile(r"/\*.*?\*/|" + C_STRING, re.S)


def without_comments(text):
    """C text with each comment blanked (its newlines kept, so line numbers hold)."""
    return C_COMMENT_OR_STRING.sub(
        lambda m: m.group(0) if m.group(0).startswith('"') else "\n" * m.group(0).count("\n"),
        text)


def relays_rows(text, line, args):
    """True for the DB_QUERY that store_catalog.c's STATEMENT macro makes of
    each row of store_statements.def (checked row by row instead): it takes
    the row's sql argument and nothing else."""
    m = ROW_MACRO.match(text.split("\n")[line - 1])
    return bool(m) and args.strip() == m.group(3)


def statement_rows_checked(sources, headers, problems):
    """Every STATEMENT(id, effect, sql) row of a src/*.def file has a constant
    sql argument, with the macros of the sources that include the file. The
    count of rows read, so that a scan that finds none cannot pass."""
    count = 0
    for path in sorted(SRC.glob("*.def")):
        text = without_comments(path.read_text(errors="replace"))
        users = "".join(c.read_text(errors="replace") for c in sources
                        if '#include "%s"' % path.name in c.read_text(errors="replace"))
        expect(users, "%s is included by no C source" % path.name)
        macros = string_macros(headers + users + text)
        for line, args in c_call_args(text, "STATEMENT"):
            count += 1
            parts = args.split(",", 2)
            if len(parts) != 3 or not constant_text(parts[2], macros):
                problems.append("%s:%d: STATEMENT(%s) is not constant text" % (
                    path.name, line, args.strip()[:60]))
    return count


def test_sql_text_is_constant_and_every_value_bound(fe):
    """Every statement the service prepares is a DB_QUERY, or a row of the
    statement catalog src/store_statements.def, of string literals (and
    macros of string literals), held in a static struct db_query; the
    only unprepared statements are constant text (START TRANSACTION, SHOW
    STATUS) and the migration files run by overwatch-admin migrate. So no
    request data can become SQL text: it reaches MariaDB only as a bound
    parameter."""
    problems, count = [], 0
    sources = sorted(SRC.glob("*.c"))
    expect(sources, "no C sources under %s" % SRC)
    headers = "".join(h.read_text(errors="replace") for h in sorted(SRC.glob("*.h")))
    count += statement_rows_checked(sources, headers, problems)
    for path in sources:
        text = path.read_text(errors="replace")
        macros = string_macros(headers + text)
        for line, args in c_call_args(text, "DB_QUERY"):
            if path.name == "db.h" or relays_rows(text, line, args):
                continue
            count += 1
            if not constant_text(args, macros):
                problems.append("%s:%d: DB_QUERY(%s) is not constant text" % (
                    path.name, line, args.strip()[:60]))
        for line, args in c_call_args(without_comments(text), "STATEMENT"):
            if not ROW_MACRO.match(text.split("\n")[line - 1]):
                problems.append("%s:%d: a STATEMENT row outside a .def file" % (path.name, line))
        for m in re.finditer(r"struct db_query\s+\w+\s*=", text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if "static" not in text[line_start:m.start()]:
                problems.append("%s:%d: a struct db_query that is not static" % (
                    path.name, text.count("\n", 0, m.start()) + 1))
        if re.search(r"\.sql\s*=(?!=)", text) and path.name != "db.h":
            problems.append("%s: assigns a statement's .sql" % path.name)
        for fn in ("mysql_query", "mysql_real_query", "mysql_send_query", "mysql_stmt_prepare"):
            for line, args in c_call_args(text, fn):
                first = args.split(",", 2)[1].strip() if "," in args else ""
                ok = (path.name == "db.c" and (re.fullmatch(C_STRING, first)
                                               or first in ("q->sql", "p")))
                if not ok:
                    problems.append("%s:%d: %s(%s)" % (path.name, line, fn, args.strip()[:60]))
                elif first == "p":
                    # db_exec_script: migrations only, never request data.
                    callers = [c for c in sources if "db_exec_script" in c.read_text()]
                    if sorted(c.name for c in callers) != ["db.c", "migrate.c"]:
                        problems.append("db_exec_script used outside migrate.c: %s"
                                        % [c.name for c in callers])
    expect(count >= 50, "only %d DB_QUERY statements found: the scan is broken" % count)
    expect(not problems, "SQL built from something else than constant text:\n  "
           + "\n  ".join(problems))


INJECTIONS = ["' OR '1'='1", "'; DROP TABLE users; --", "\\' OR 1=1 -- ", "\" OR \"\"=\"",
              "1; SELECT SLEEP(5)", "%' OR email LIKE '%", "\u0000' OR 1=1"]


def test_sql_metacharacters_are_data(fe):
    """SQL metacharacters in every kind of input are data: stored and returned
    byte for byte, matched literally, or refused by validation; never a 500,
    never a slow answer, never a login."""
    org = api.Org(fe, "sqli")
    c = org.client
    for text in INJECTIONS:
        t0 = time.monotonic()
        nul = "\0" in text        # JSON strings with NUL are refused: 400
        r = api.login(fe, text, text)
        expect(r.status in (400, 401), "login with %r" % text, r)
        r = api.login(fe, org.admin.email, text)       # 401, then 423 once locked
        expect(r.status in ((400,) if nul else (401, 423)),
               "login with the right e-mail and password %r" % text, r)
        r = c.post("/incidents", {"title": text, "severity": "low", "description": text})
        if nul:
            checks.error(r, 400, "VALIDATION_ERROR")
        else:
            body = api.ok(r, 201, "POST /incidents")
            expect(body["title"] == text and body["description"] == text,
                   "title %r stored as %r" % (text, body["title"]))
            got = api.ok(c.get("/incidents/" + body["id"]), 200, "GET /incidents/{id}")
            expect(got["title"] == text, "title %r read back as %r" % (text, got["title"]))
        q = urllib.parse.quote(text, safe="")
        for path in ("/incidents?status=" + q, "/audit-log?action=" + q,
                     "/audit-log?actor_id=" + q, "/incidents/" + q, "/users?limit=" + q):
            r = c.get(path)
            expect(r.status in (200, 400, 404), "GET %s" % path, r)
            if r.status == 200:
                expect(r.json == [], "GET %s matched something: %r" % (path, r.body[:200]))
        r = api.Client(fe, key="overwatch_ak_" + q).get("/incidents")
        expect(r.status == 401, "X-API-Key %r" % text, r)
        took = time.monotonic() - t0
        expect(took < 5, "the probes of %r took %.1f s" % (text, took))
    rows = api.sql_rows(fe, "SELECT COUNT(*) FROM %s.users WHERE organization_id = '%s'"
                        % (harness.DB_NAME, org.id))
    expect(rows == [["1"]], "the organization's users changed: %r" % rows)

