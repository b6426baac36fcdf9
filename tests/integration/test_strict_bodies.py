"""Request bodies are read one way only (doc/api.md section 1 "Bodies"): a
key repeated in any object of the body, and a member the operation does not
declare, are 400 VALIDATION_ERROR, never "the last one wins" or "ignored".

The parse happens before any handler, so one front-end is enough.
"""

import json
import uuid

from lib import checks
from lib.api import validation_error
from lib.checks import expect
from test_identity import (LOGIN, PW, REGISTER, USERS, bearer, expect_error, login, new_admin,
                           new_email)

INCIDENTS = "/api/v1/incidents"


def service_only(fe):
    return fe.name != "lighttpd-socket"


def duplicate_key(resp, what):
    body = checks.error(resp, 400, "VALIDATION_ERROR")
    expect("Duplicate key" in body["detail"], "%s: the detail does not say why" % what, resp)


def test_duplicate_keys_are_refused_before_anything_runs(fe):
    if service_only(fe):
        return
    email = new_email("dup")
    # The second password would win under "last one wins": nothing is made.
    raw = ('{"email": "%s", "password": "%s", "password": "other long password", '
           '"name": "Dup", "organization_name": "Dup Org"}' % (email, PW))
    duplicate_key(fe.post_json(REGISTER, raw), "register with password twice")
    expect_error(login(fe, email, PW), 401, "INVALID_CREDENTIALS")
    # Spelt differently, same key; nested; the same value twice.
    for raw in ('{"email": "%s", "\\u0065mail": "%s", "password": "x"}' % (email, email),
                '{"email": "%s", "password": "x", "password": "x"}' % email):
        duplicate_key(fe.post_json(LOGIN, raw), "login %s" % raw)
    _, admin = new_admin(fe)
    raw = '{"title": "t", "severity": "low", "title": "u"}'
    duplicate_key(fe.post_json(INCIDENTS, raw, headers=bearer(admin["access_token"])),
                  "incident with title twice")
    r = fe.request("GET", INCIDENTS, headers=bearer(admin["access_token"]))
    expect(r.status == 200 and r.json == [], "an incident was made from a refused body", r)


def test_unknown_members_are_refused(fe):
    if service_only(fe):
        return
    email = new_email("unknown")
    body = {"email": email, "password": PW, "name": "U", "organization_name": "U Org",
            "role": "admin"}
    r = fe.post_json(REGISTER, body)
    validation_error(r, "role", "register with role")
    expect_error(login(fe, email, PW), 401, "INVALID_CREDENTIALS")
    _, admin = new_admin(fe)
    auth = bearer(admin["access_token"])
    # A misspelt optional field would otherwise be dropped without a word.
    r = fe.post_json(INCIDENTS, {"title": "t", "severity": "low", "desciption": "d"}, headers=auth)
    validation_error(r, "desciption", "incident with a misspelt field")
    r = fe.post_json(USERS, {"email": new_email("u"), "name": "N", "role": "viewer",
                             "password": PW, "active": False}, headers=auth)
    validation_error(r, "active", "POST /users with active")
    # Every unknown member is named, with the known ones still checked.
    r = fe.post_json(INCIDENTS, {"title": "", "severity": "low", "a": 1, "b": {"c": 2}}, headers=auth)
    body = validation_error(r, "a", "incident with two unknown members")
    fields = sorted(e["field"] for e in body["errors"])
    expect(fields == ["a", "b", "title"], "errors name %r" % fields, r)
    # The declared members alone still work.
    r = fe.post_json(INCIDENTS, {"title": "t " + uuid.uuid4().hex[:4], "severity": "low"},
                     headers=auth)
    expect(r.status == 201, "a body of declared members only", r)
