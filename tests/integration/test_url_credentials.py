"""A credential in the URL is never one (doc/api.md section 3: tokens travel
in Authorization or cookies, keys in X-API-Key; doc/ASVS.md 3.1.1, 13.1.3).
A URL ends up in access logs, proxies and Referer headers, so a service that
read a token from the query would invite clients to put it there.

Each valid credential is first used the documented way (200), so a refusal
below is the URL's, not a dead credential's. Which parameters a request
carries is the service's business, so one front-end is enough.
"""

from lib.api import Org, ok
from test_identity import REFRESH, expect_invalid_token

ME = "/api/v1/auth/me"
TOKEN_PARAMS = ("access_token", "token", "jwt", "bearer", "authorization", "Authorization")
KEY_PARAMS = ("api_key", "apikey", "key", "x-api-key", "X-API-Key")


def service_only(fe):
    return fe.name != "lighttpd-socket"


def test_token_or_key_in_the_query_is_no_credential(fe):
    if service_only(fe):
        return
    org = Org(fe, "url-credentials")
    token = org.admin.token
    key = org.create_key(["incidents:read"])["api_key"]
    ok(fe.get(ME, headers={"Authorization": "Bearer " + token}), 200, "the token in its header")
    ok(fe.get(ME, headers={"X-API-Key": key}), 200, "the key in its header")
    for name in TOKEN_PARAMS:
        r = fe.get("%s?%s=%s" % (ME, name, token))
        expect_invalid_token(r, "Token is missing", token_sent=False)
        r = fe.get("%s?%s=Bearer%%20%s" % (ME, name, token))
        expect_invalid_token(r, "Token is missing", token_sent=False)
    for name in KEY_PARAMS:
        r = fe.get("%s?%s=%s" % (ME, name, key))
        expect_invalid_token(r, "Token is missing", token_sent=False)


def test_refresh_token_in_the_query_is_no_credential(fe):
    if service_only(fe):
        return
    org = Org(fe, "url-refresh")
    refresh = org.admin.refresh
    for name in ("refresh_token", "token"):
        r = fe.request("POST", "%s?%s=%s" % (REFRESH, name, refresh))
        expect_invalid_token(r, "Token is missing", token_sent=False)
    # The same refresh token in the body is good: the refusal was the URL's.
    ok(fe.post_json(REFRESH, {"refresh_token": refresh}), 200, "the refresh token in the body")
