"""The password pepper (doc/SECURITY.md section 23, README.md's [password]
pepper_file): argon2's secret input, read from a key file outside the
database, with the id of the key each hash was made with in
users.password_pepper_id.

Each test starts masters of its own (test_identity_config.own_instance) on
the shared database with OVERWATCH_PASSWORD_PEPPER_FILE set, one after the
other, so that the same account is tried under different key files: what
a thief with a copy of the database but not the file can (not) do, the
rotation of keys on login, a missing key failing closed, and a key file
that cannot be read refusing start-up. Run on lighttpd-socket only: the
front-end is not what is tested.
"""

import os
import secrets
import subprocess
import uuid
from pathlib import Path

from lib import harness
from lib.api import sql_rows
from lib.checks import expect
from test_identity import PW, expect_error, login, login_ok, register
from test_identity_config import own_instance

FRONTENDS = ("lighttpd-socket",)


def key_file(fe, *lines):
    """A pepper file of "id:secret" lines (the first is current), mode 0600."""
    p = Path(fe.harness.tmp) / ("pepper-" + uuid.uuid4().hex[:8])
    p.write_text("# test pepper\n" + "".join(line + "\n" for line in lines))
    os.chmod(p, 0o600)
    return str(p)


def new_key(key_id):
    return "%s:%s" % (key_id, secrets.token_urlsafe(32))


def env_of(path):
    return {"OVERWATCH_PASSWORD_PEPPER_FILE": path}


def stored(fe, email):
    """(password_hash, password_pepper_id) of the user; the id "NULL" when none."""
    rows = sql_rows(fe, "SELECT password_hash, IFNULL(password_pepper_id, 'NULL') FROM %s.users "
                        "WHERE email = '%s'" % (harness.DB_NAME, email.lower()))
    expect(len(rows) == 1 and len(rows[0]) == 2, "one row for %s: %r" % (email, rows))
    return rows[0][0], rows[0][1]


def refused(fe, email, what):
    """A login with the right password answered as a wrong password is."""
    expect_error(login(fe, email), 401, "INVALID_CREDENTIALS")
    wrong = login(fe, email, PW + " not")
    expect_error(wrong, 401, "INVALID_CREDENTIALS")


def test_pepper_is_an_input_a_database_copy_cannot_verify_without(fe):
    """A hash made with the pepper verifies only with that key: the same row
    under the main front-end (no pepper), under a file with another secret
    for the same id, and copied onto an unpeppered account all refuse the
    right password as a wrong one."""
    k1 = new_key("k1")
    with own_instance(fe, "pepper-k1", env_of(key_file(fe, k1))) as own:
        email, _ = register(own)
        login_ok(own, email)
    hash_k1, pid = stored(fe, email)
    expect(pid == "k1" and hash_k1.startswith("$argon2id$v=19$m=19456,t=2,p=1$"),
           "a peppered hash records its key: %r %r" % (hash_k1, pid))
    refused(fe, email, "the main front-end, which has no pepper file")
    with own_instance(fe, "pepper-other", env_of(key_file(fe, new_key("k1")))) as other:
        refused(other, email, "a file whose k1 is another secret")
    # The thief's copy: the peppered hash on an account stored as unpeppered.
    victim, _ = register(fe)
    fe.harness.sql("UPDATE %s.users SET password_hash = '%s', password_pepper_id = NULL WHERE email = '%s'"
                   % (harness.DB_NAME, hash_k1, victim.lower()))
    refused(fe, victim, "the peppered hash without its key")
    with own_instance(fe, "pepper-k1-again", env_of(key_file(fe, k1))) as own:
        login_ok(own, email)            # the right file still verifies


def test_rotation_rehashes_with_the_current_key_on_login(fe):
    """A new first line is the current key: a login with a hash of an older
    key, or of none, re-hashes with it, and the old key is then no longer
    needed for that account."""
    k1, k2 = new_key("k1"), new_key("k2")
    with own_instance(fe, "rot-k1", env_of(key_file(fe, k1))) as own:
        old, _ = register(own)
    plain, _ = register(fe)             # made without any pepper
    before_old, before_plain = stored(fe, old)[0], stored(fe, plain)
    expect(before_plain[1] == "NULL", "an unpeppered hash has no key id: %r" % (before_plain,))
    with own_instance(fe, "rot-k2-k1", env_of(key_file(fe, k2, k1))) as both:
        login_ok(both, old)
        login_ok(both, plain)
        for email, before in ((old, before_old), (plain, before_plain[0])):
            h, pid = stored(fe, email)
            expect(pid == "k2" and h != before, "after a login %s is %r with key %r" % (email, h, pid))
    with own_instance(fe, "rot-k2", env_of(key_file(fe, k2))) as new_only:
        login_ok(new_only, old)
        login_ok(new_only, plain)


def test_missing_key_fails_closed_and_tells_the_operator(fe):
    """A hash whose key the file no longer holds cannot sign in (401 as for a
    wrong password, no re-hash) and the log names the key id, never a key."""
    k1, k2 = new_key("k1"), new_key("k2")
    with own_instance(fe, "miss-k1", env_of(key_file(fe, k1))) as own:
        email, _ = register(own)
    before = stored(fe, email)
    with own_instance(fe, "miss-k2", env_of(key_file(fe, k2))) as own:
        refused(own, email, "a file without k1")
        log = (own.dir / "overwatch-fcgi.log").read_text(errors="replace")
    expect("pepper key 'k1'" in log, "the operator's log names the missing key:\n" + log[-2000:])
    for secret in (k1, k2):
        expect(secret.split(":", 1)[1] not in log, "a pepper key is in the log")
    expect(stored(fe, email) == before, "a refused login changed the stored hash")


def check_config(fe, path):
    h = fe.harness
    return subprocess.run([h.fcgi_bin, "--check-config", "--config", h.config],
                          env=dict(h.env, **env_of(path)), capture_output=True, text=True,
                          timeout=30, check=False)


def test_unreadable_or_malformed_pepper_file_refuses_start(fe):
    """Start-up (and --check-config, which a reload runs) refuses a pepper
    file it cannot use, naming the setting and the path, not a key."""
    bad = (Path(fe.harness.tmp) / "no-such-pepper").as_posix()
    short = key_file(fe, "k1:too-short")
    twice = key_file(fe, new_key("k1"), new_key("k1"))
    empty = key_file(fe)
    for path, why in ((bad, "No such file"), (short, "32 to 256 bytes"), (twice, "twice"),
                      (empty, "no key")):
        r = check_config(fe, path)
        expect(r.returncode != 0 and "[password] pepper_file" in r.stderr and why in r.stderr,
               "--check-config with %s: exit %d, %r" % (path, r.returncode, r.stderr))
    good = key_file(fe, new_key("k1"))
    r = check_config(fe, good)
    expect(r.returncode == 0, "--check-config with a good file: %r" % r.stderr)
    h = fe.harness
    p = subprocess.run([h.fcgi_bin, "--config", h.config, "--listen",
                        "unix:" + str(Path(h.tmp) / "pepper-never.sock"), "--workers", "1"],
                       env=dict(h.env, **env_of(bad)), capture_output=True, text=True,
                       timeout=60, check=False)
    expect(p.returncode != 0 and "[password] pepper_file" in p.stderr,
           "start-up with an unreadable pepper file: exit %d, %r" % (p.returncode, p.stderr))
