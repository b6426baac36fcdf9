"""Access and refresh tokens refused: every 401 INVALID_TOKEN case of doc/api.md
sections 2, 3 and 7, each its own test, with the exact
body and WWW-Authenticate header.

Forged tokens are made here with the test instance's own secret (the file
harness.py writes), so that each is refused for the one reason it names; the
control test shows a token forged the same way but left valid is accepted.

Tests share one organization and session per front-end (made on first use):
nothing here changes it.
"""

import hashlib
import hmac
import json
import os
import time
import uuid

from lib import checks
from lib.checks import expect
from test_identity import (LOGOUT, ME, REFRESH, b64u, bearer, expect_invalid_token,
                           jwt_parts, kid_of, me, new_admin, secret_of, sign)

_shared = {}


def shared(fe):
    """One admin session per front-end: (login body, access claims)."""
    if fe.name not in _shared:
        _, s = new_admin(fe)
        _shared[fe.name] = (s, jwt_parts(s["access_token"])[1])
    return _shared[fe.name]


def forge(fe, header=None, digest=hashlib.sha256, key=None, **claims):
    """A token signed with the instance's secret: the shared session's access
    claims with a fresh jti, iat now and exp in an hour, then **claims (None
    deletes one); header defaults to {alg: HS256, typ: JWT, kid: the secret's}."""
    secret = secret_of(fe)
    _, base = shared(fe)
    now = int(time.time())
    payload = dict(base, jti=str(uuid.uuid4()), iat=now, exp=now + 3600)
    for k, v in claims.items():
        if v is None:
            payload.pop(k, None)
        else:
            payload[k] = v
    head = header if header is not None else {"alg": "HS256", "typ": "JWT", "kid": kid_of(secret)}
    return sign(head, payload, key if key is not None else secret, digest)


def refused(fe, token, detail=None):
    expect_invalid_token(me(fe, token), detail)


# ------------------------------------------------------------------ control

def test_forged_token_with_the_instance_secret_is_accepted(fe):
    """Control for every forgery below: the same construction, left valid, is
    accepted, so each refusal is for the one thing a test changes."""
    s, _ = shared(fe)
    r = me(fe, forge(fe))
    expect(r.status == 200, "a token forged with the instance's secret and kid is refused: "
           "the forgeries below would prove nothing", r)
    expect(r.json["user"] == s["user"], "forged token authenticated someone else", r)


# ------------------------------------------------------------------ no or broken credential

def test_no_credential_is_401_token_missing(fe):
    for path in (ME, "/api/v1/incidents", "/api/v1/users"):
        r = fe.get(path)
        expect_invalid_token(r, "Token is missing", token_sent=False)
    r = fe.request("POST", LOGOUT)
    expect_invalid_token(r, "Token is missing", token_sent=False)


def test_refresh_without_token_is_401_token_missing(fe):
    r = fe.request("POST", REFRESH)
    expect_invalid_token(r, "Token is missing", token_sent=False)
    r = fe.post_json(REFRESH, {})
    expect_invalid_token(r, "Token is missing", token_sent=False)


def test_malformed_token_is_401(fe):
    secret = secret_of(fe)
    for tok in ("garbage", "a.b", "a.b.c", "a.b.c.d", "...", "eyJhbGciOiJIUzI1NiJ9..",
                "!!!.###.$$$", b64u(b"not json") + "." + b64u(b"{}") + ".sig",
                b64u(b'["HS256"]') + "." + b64u(b"{}") + ".sig",
                sign({"alg": "HS256", "kid": kid_of(secret)}, ["not", "an", "object"], secret)):
        try:
            refused(fe, tok)
        except AssertionError as e:
            raise AssertionError("token %r: %s" % (tok[:60], e)) from None


def test_missing_claims_are_401(fe):
    for claim in ("sub", "sid", "jti", "exp", "type", "iss", "org_id"):
        try:
            refused(fe, forge(fe, **{claim: None}))
        except AssertionError as e:
            raise AssertionError("without %s: %s" % (claim, e)) from None


def test_bad_signature_is_401(fe):
    s, _ = shared(fe)
    h, p, _ = s["access_token"].split(".")
    for sig in (b64u(os.urandom(32)), b64u(hmac.new(b"x" * 32, b"y", hashlib.sha256).digest()),
                "", "AAAA"):
        try:
            refused(fe, "%s.%s.%s" % (h, p, sig))
        except AssertionError as e:
            raise AssertionError("signature %r: %s" % (sig, e)) from None


def test_signed_with_another_secret_same_kid_is_401(fe):
    refused(fe, forge(fe, key=os.urandom(48)))


def test_alg_none_unsigned_is_401(fe):
    kid = kid_of(secret_of(fe))
    for head in ({"alg": "none", "typ": "JWT"}, {"alg": "none", "typ": "JWT", "kid": kid},
                 {"alg": "None", "kid": kid}, {"alg": "NONE", "kid": kid}):
        tok = forge(fe, header=head)
        unsigned = tok.rsplit(".", 1)[0] + "."
        try:
            refused(fe, unsigned)
        except AssertionError as e:
            raise AssertionError("header %r, no signature: %s" % (head, e)) from None


def test_alg_none_with_signature_is_401(fe):
    kid = kid_of(secret_of(fe))
    for head in ({"alg": "none", "typ": "JWT", "kid": kid}, {"alg": "none"}):
        try:
            refused(fe, forge(fe, header=head))     # an HS256 signature under alg none
        except AssertionError as e:
            raise AssertionError("header %r with a signature: %s" % (head, e)) from None


def test_hs512_is_401(fe):
    kid = kid_of(secret_of(fe))
    for head, digest in (({"alg": "HS512", "typ": "JWT", "kid": kid}, hashlib.sha512),
                         ({"alg": "HS384", "typ": "JWT", "kid": kid}, hashlib.sha384),
                         ({"alg": "HS512", "typ": "JWT", "kid": kid}, hashlib.sha256)):
        try:
            refused(fe, forge(fe, header=head, digest=digest))
        except AssertionError as e:
            raise AssertionError("%s signed with %s: %s" % (head["alg"], digest().name, e)) \
                from None


def test_rs256_header_is_401(fe):
    # Key confusion: an asymmetric algorithm named, HMAC'd with the secret.
    kid = kid_of(secret_of(fe))
    for alg in ("RS256", "ES256", "PS256"):
        try:
            refused(fe, forge(fe, header={"alg": alg, "typ": "JWT", "kid": kid}))
        except AssertionError as e:
            raise AssertionError("%s header: %s" % (alg, e)) from None


def test_tampered_payload_is_401(fe):
    s, claims = shared(fe)
    h, _, sig = s["access_token"].split(".")
    for change in ({"role": "superuser"}, {"sub": str(uuid.uuid4())}, {"exp": claims["exp"] + 1}):
        payload = b64u(json.dumps(dict(claims, **change),
                                                separators=(",", ":")).encode())
        try:
            refused(fe, "%s.%s.%s" % (h, payload, sig))
        except AssertionError as e:
            raise AssertionError("payload changed %r, signature kept: %s" % (change, e)) from None


def test_unknown_kid_is_401(fe):
    secret = secret_of(fe)
    for head in ({"alg": "HS256", "typ": "JWT", "kid": "0123456789abcdef"},
                 {"alg": "HS256", "typ": "JWT", "kid": kid_of(secret).upper()},
                 {"alg": "HS256", "typ": "JWT"},
                 {"alg": "HS256", "typ": "JWT", "kid": 12}):
        try:
            refused(fe, forge(fe, header=head))
        except AssertionError as e:
            raise AssertionError("header %r: %s" % (head, e)) from None


def test_wrong_issuer_is_401(fe):
    _, claims = shared(fe)
    for iss in ("evil", claims["iss"].upper(), claims["iss"] + " ", ""):
        try:
            refused(fe, forge(fe, iss=iss))
        except AssertionError as e:
            raise AssertionError("iss %r: %s" % (iss, e)) from None


def test_expired_token_is_401_jwt_token_has_expired(fe):
    now = int(time.time())
    refused(fe, forge(fe, iat=now - 7200, exp=now - 3600), "JWT token has expired")
    refused(fe, forge(fe, iat=now - 3605, exp=now - 5), "JWT token has expired")


def test_expired_refresh_token_is_401_jwt_token_has_expired(fe):
    now = int(time.time())
    s, _ = shared(fe)
    refresh_claims = jwt_parts(s["refresh_token"])[1]
    tok = forge(fe, type="refresh", jti=refresh_claims["jti"], iat=now - 700000, exp=now - 10)
    expect_invalid_token(fe.post_json(REFRESH, {"refresh_token": tok}), "JWT token has expired")


def test_nbf_in_future_is_401(fe):
    refused(fe, forge(fe, nbf=int(time.time()) + 3600))


def test_iat_in_future_is_401(fe):
    now = int(time.time())
    refused(fe, forge(fe, iat=now + 3600, exp=now + 7200))


def test_refresh_token_used_as_access_is_401(fe):
    s, _ = shared(fe)
    refused(fe, s["refresh_token"])
    r = fe.get("/api/v1/incidents", headers={"Cookie": "access_token=" + s["refresh_token"]})
    expect_invalid_token(r)


def test_access_token_used_as_refresh_is_401(fe):
    s, _ = shared(fe)
    r = fe.post_json(REFRESH, {"refresh_token": s["access_token"]})
    expect_invalid_token(r)
    expect(not r.headers.get_all("Set-Cookie"), "a refused refresh sets cookies", r)


def test_token_over_8_kib_is_401(fe):
    # Through the refresh body: in a header, an 8 KiB value is a 400 (doc/api.md section 7)
    # before any token is read.
    s, _ = shared(fe)
    refresh_claims = jwt_parts(s["refresh_token"])[1]
    tok = forge(fe, type="refresh", jti=refresh_claims["jti"], pad="p" * 8300)
    expect(8192 < len(tok) < 16384, "forged token is %d bytes" % len(tok))
    expect_invalid_token(fe.post_json(REFRESH, {"refresh_token": tok}))
    expect_invalid_token(fe.post_json(REFRESH, {"refresh_token": "x" * 9000}))


def test_token_just_under_8_kib_in_header_is_401_not_400(fe):
    # A long (but under 8 KiB) bearer value reaches the token check.
    tok = forge(fe, pad="p" * 5000)
    expect(len(tok) + 7 < 8192, "token too long for this test")
    r = me(fe, tok[:-4] + "AAAA")
    expect_invalid_token(r)


def test_bad_bearer_is_not_skipped_for_a_good_cookie(fe):
    # doc/api.md section 3: the first credential present decides.
    s, _ = shared(fe)
    r = fe.get(ME, headers=bearer(forge(fe, header={"alg": "none"}).rsplit(".", 1)[0] + ".",
                                  Cookie="access_token=" + s["access_token"]))
    expect_invalid_token(r)


def test_forged_cookie_token_is_401(fe):
    tok = forge(fe, header={"alg": "none", "typ": "JWT"}).rsplit(".", 1)[0] + "."
    r = fe.get(ME, headers={"Cookie": "access_token=" + tok})
    expect_invalid_token(r)


def test_non_bearer_authorization_is_401(fe):
    s, _ = shared(fe)
    for value in ("Basic dXNlcjpwYXNz", "Token " + s["access_token"], s["access_token"]):
        r = fe.get(ME, headers={"Authorization": value})
        try:
            checks.error(r, 401, "INVALID_TOKEN")
            expect(r.header("WWW-Authenticate", "").startswith("Bearer"),
                   "401 without WWW-Authenticate: Bearer", r)
        except AssertionError as e:
            raise AssertionError("Authorization %r: %s" % (value[:30], e)) from None


def test_token_of_unknown_session_is_401_revoked(fe):
    refused(fe, forge(fe, sid=str(uuid.uuid4())))


def test_shared_session_still_valid(fe):
    """Last: none of the forgeries above disturbed the real session."""
    s, _ = shared(fe)
    r = me(fe, s["access_token"])
    expect(r.status == 200, "the real session after the forgeries", r)
