"""Passwords (doc/api.md section 6 "Passwords", doc/SECURITY.md "Passwords"):
common passwords refused on register, POST /users and password change; runs
of spaces count as one space for the length rule and in the hash; a hash
made before normalisation still signs in and is replaced by one of the
normal form.

A test about the service rather than the web server returns at once on all
front-ends but one.
"""

import ctypes
import ctypes.util
import os
import uuid

from lib.checks import expect
from test_identity import (PASSWORD, PW, REGISTER, USERS, bearer, change_password, create_user,
                           expect_error, expect_validation, login, login_ok, new_admin, new_email,
                           register)

# On the list (data/common-passwords.txt), with case the list does not have.
COMMON = ("password1234", "Password1234", "PASSWORD1234", "QWERTY123456", "leavemealone")


def service_only(fe):
    return fe.name != "lighttpd-socket"


def expect_common(resp, field, what):
    expect_validation(resp, field)
    messages = [e["message"] for e in resp.json["errors"] if e["field"] == field]
    expect(any("common" in m for m in messages), "%s: the message does not say why" % what, resp)


def test_register_refuses_common_passwords(fe):
    if service_only(fe):
        return
    for pw in COMMON:
        email = new_email("common")
        r = fe.post_json(REGISTER, {"email": email, "password": pw, "name": "Common",
                                    "organization_name": "Common Org"})
        expect_common(r, "password", "register with %r" % pw)
        # Nothing was made: the address is still free.
        expect_error(login(fe, email, pw), 401, "INVALID_CREDENTIALS")


def test_users_create_refuses_common_passwords(fe):
    if service_only(fe):
        return
    _, admin = new_admin(fe)
    for pw in COMMON:
        email = new_email("common-user")
        r = fe.post_json(USERS, {"email": email, "name": "Common", "role": "viewer",
                                 "password": pw}, headers=bearer(admin["access_token"]))
        expect_common(r, "password", "POST /users with %r" % pw)
        expect_error(login(fe, email, pw), 401, "INVALID_CREDENTIALS")


def test_password_change_refuses_common_passwords(fe):
    if service_only(fe):
        return
    email, _ = register(fe)
    s = login_ok(fe, email)
    for pw in COMMON:
        r = change_password(fe, s["access_token"], PW, pw)
        expect_common(r, "new_password", "password change to %r" % pw)
    login_ok(fe, email)


def test_runs_of_spaces_count_once_for_the_length_rule(fe):
    if service_only(fe):
        return
    # Twelve spaces, or eleven characters padded with a run of spaces, are
    # under 12 characters once a run counts as one.
    for pw in (" " * 12, "abcd" + " " * 9 + "efg", "  abcdefghi  "):
        r = fe.post_json(REGISTER, {"email": new_email("spaces"), "password": pw,
                                    "name": "Spaces", "organization_name": "Spaces Org"})
        expect_validation(r, "password")
    _, admin = new_admin(fe)
    r = fe.post_json(USERS, {"email": new_email("spaces-user"), "name": "S", "role": "viewer",
                             "password": " " * 12}, headers=bearer(admin["access_token"]))
    expect_validation(r, "password")
    email, _ = register(fe)
    s = login_ok(fe, email)
    expect_validation(change_password(fe, s["access_token"], PW, " " * 16), "new_password")


def test_runs_of_spaces_are_one_space_at_sign_in(fe):
    if service_only(fe):
        return
    pw = "correct   horse battery " + uuid.uuid4().hex[:4]
    email, _ = register(fe, password=pw)
    login_ok(fe, email, pw)
    login_ok(fe, email, pw.replace("   ", " "))
    login_ok(fe, email, pw.replace("   ", "      "))
    expect_error(login(fe, email, pw.replace("   ", "")), 401, "INVALID_CREDENTIALS")
    # The same through POST /users and the password change.
    _, admin = new_admin(fe)
    other = "staple  battery  horse " + uuid.uuid4().hex[:4]
    user_email, _ = create_user(fe, admin["access_token"], "viewer", password=other)
    s = login_ok(fe, user_email, other.replace("  ", " "))
    fresh = "a  new  passphrase " + uuid.uuid4().hex[:4]
    r = change_password(fe, s["access_token"], other, fresh)
    expect(r.status == 204, "password change with runs of spaces", r)
    login_ok(fe, user_email, fresh.replace("  ", " "))


def test_one_password_whatever_the_unicode_composition(fe):
    if service_only(fe):
        return
    # "é" as one code point (NFC) and as "e" + a combining acute accent.
    composed = "caf\u00e9 cr\u00e8me " + uuid.uuid4().hex[:4]
    decomposed = composed.replace("\u00e9", "e\u0301").replace("\u00e8", "e\u0300")
    assert composed != decomposed
    email, _ = register(fe, password=decomposed)
    login_ok(fe, email, composed)
    login_ok(fe, email, decomposed)
    _, admin = new_admin(fe)
    user_email, _ = create_user(fe, admin["access_token"], "viewer", password=composed)
    login_ok(fe, user_email, decomposed)


def argon2_hash(pw):
    """A PHC argon2id string of pw made by libargon2 itself (as the service
    did before passwords were normalised), with the harness's parameters."""
    lib = ctypes.CDLL(ctypes.util.find_library("argon2") or "libargon2.so.1")
    out = ctypes.create_string_buffer(256)
    raw = pw.encode()
    salt = os.urandom(16)
    # argon2_hash(t, m, p, pwd, pwdlen, salt, saltlen, hash, hashlen, encoded, encodedlen, type, version)
    rc = lib.argon2_hash(ctypes.c_uint32(2), ctypes.c_uint32(19456), ctypes.c_uint32(1),
                         raw, ctypes.c_size_t(len(raw)), salt, ctypes.c_size_t(len(salt)),
                         None, ctypes.c_size_t(32), out, ctypes.c_size_t(len(out)),
                         ctypes.c_int(2), ctypes.c_uint32(0x13))
    assert rc == 0, "argon2_hash failed: %d" % rc
    return out.value.decode()


def stored_hash(fe, email):
    r = fe.harness.sql("SELECT password_hash FROM overwatch_it.users WHERE email = '%s'" % email)
    return r.stdout.split()[-1]


def test_hash_of_the_typed_form_signs_in_and_is_replaced(fe):
    if service_only(fe):
        return
    tag = uuid.uuid4().hex[:6]
    legacy_sign_in(fe, "legacy  passphrase  " + tag, lambda t: t.replace("  ", " "))
    legacy_sign_in(fe, "legacy cre\u0300me brul\u00e9e " + tag,
                   lambda t: t.replace("e\u0300", "\u00e8"))


def legacy_sign_in(fe, typed, normal_of):
    """A hash of typed as the service made it before normalisation; normal_of
    gives the normal form the service now hashes."""
    email, _ = register(fe)
    legacy = argon2_hash(typed)
    fe.harness.sql("UPDATE overwatch_it.users SET password_hash = '%s' WHERE email = '%s'"
                   % (legacy, email))
    # Only the form as typed matches the old hash.
    expect_error(login(fe, email, normal_of(typed)), 401, "INVALID_CREDENTIALS")
    login_ok(fe, email, typed)
    new = stored_hash(fe, email)
    expect(new != legacy and new.startswith("$argon2id$"),
           "the hash of the typed form was not replaced at sign-in: %s" % new)
    # Now the normal form is what is stored: both spellings sign in.
    login_ok(fe, email, normal_of(typed))
    login_ok(fe, email, typed)
