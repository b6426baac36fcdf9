"""The audit trail against the service's own database credentials (README.md,
"Database users"; doc/SECURITY.md, "Audit"): the run-time user may read and
add audit events but never change or remove one; the harness gives the
service exactly those grants (`overwatch-admin grant-service`), so every
other test proves the service works with them. Purging old audit events is
the migration user's (`[database] admin_user`). One front-end: these are
about the database, not the web server.
"""

import subprocess
from pathlib import Path

from lib import harness
from lib.api import Org, ok, sql_rows
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)

DB = harness.DB_NAME


def as_service(fe, statement):
    """statement run by the service's own MariaDB user (its password file); the result."""
    h = fe.harness
    password = Path(h.db_password_file).read_text().strip()
    return subprocess.run([harness.which("mariadb", "/usr/bin"), "--no-defaults",
                           "--socket=%s" % h.db_socket, "-u", harness.DB_USER,
                           "--password=%s" % password, DB, "-e", statement],
                          capture_output=True, text=True, env=h.env, timeout=60)


def refused(r):
    return r.returncode != 0 and "command denied" in r.stderr


def test_service_user_cannot_rewrite_or_erase_audit_events(fe):
    org = Org(fe, "audit-grants")
    # The service wrote events with these grants (registration, login).
    events = org.client.list("/audit-log?limit=50")
    expect(len(events) > 0, "no audit event recorded with the restricted grants")
    where = "WHERE organization_id = '%s'" % org.id
    before = sql_rows(fe, "SELECT COUNT(*), MAX(action) FROM %s.audit_log %s" % (DB, where))
    for stmt in ("UPDATE audit_log SET action = 'forged' %s" % where,
                 "DELETE FROM audit_log %s" % where,
                 "TRUNCATE TABLE audit_log",
                 "DROP TABLE audit_log",
                 "ALTER TABLE audit_log ADD COLUMN x INT"):
        r = as_service(fe, stmt)
        expect(refused(r), "the service's user may run %r: exit %d %s"
               % (stmt, r.returncode, r.stderr.strip()))
    after = sql_rows(fe, "SELECT COUNT(*), MAX(action) FROM %s.audit_log %s" % (DB, where))
    expect(after == before, "the trail changed: %r -> %r" % (before, after))
    # What it needs still works: reading the trail, and rows of other tables.
    r = as_service(fe, "SELECT COUNT(*) FROM audit_log %s" % where)
    expect(r.returncode == 0, "the service's user cannot read audit_log: %s" % r.stderr)
    r = as_service(fe, "UPDATE users SET name = name WHERE organization_id = '%s'" % org.id)
    expect(r.returncode == 0, "the service's user cannot update users: %s" % r.stderr)


def test_grants_are_the_documented_ones(fe):
    """SHOW GRANTS: nothing database-wide, audit_log SELECT and INSERT only,
    every other table its rows; no table left without a grant."""
    grants = [r[0] for r in sql_rows(fe, "SHOW GRANTS FOR '%s'@'localhost'" % harness.DB_USER)]
    expect(not any(("`%s`.*" % DB) in g for g in grants),
           "a database-wide grant: %r" % grants)
    audit = [g for g in grants if "`%s`.`audit_log`" % DB in g]
    expect(len(audit) == 1 and audit[0].startswith("GRANT SELECT, INSERT ON "),
           "audit_log: %r" % audit)
    tables = [r[0] for r in sql_rows(fe, "SELECT TABLE_NAME FROM information_schema.TABLES "
                                         "WHERE TABLE_SCHEMA = '%s'" % DB)]
    for t in tables:
        if t == "audit_log":
            continue
        mine = [g for g in grants if "`%s`.`%s`" % (DB, t) in g]
        expect(len(mine) == 1 and mine[0].startswith("GRANT SELECT, INSERT, UPDATE, DELETE ON "),
               "%s: %r" % (t, mine))


def test_purge_of_audit_events_needs_the_admin_user(fe):
    """overwatch-admin purge deletes old audit events as [database]
    admin_user; as the service's own user that DELETE is refused and the
    events stay (overwatch-admin(8), purge)."""
    h = fe.harness
    org = Org(fe, "audit-purge-user")
    h.sql("UPDATE %s.audit_log SET occurred_at = UTC_TIMESTAMP() - INTERVAL 400 DAY "
          "WHERE organization_id = '%s'" % (DB, org.id))
    count = "SELECT COUNT(*) FROM %s.audit_log WHERE organization_id = '%s'" % (DB, org.id)
    old = sql_rows(fe, count)
    expect(int(old[0][0]) > 0, "no event to purge")
    env = dict(h.env, OVERWATCH_DATABASE_ADMIN_USER="", OVERWATCH_DATABASE_ADMIN_PASSWORD_FILE="",
               OVERWATCH_RETENTION_AUDIT_DAYS="365")
    r = subprocess.run([h.admin_bin, "--config", h.config, "purge"], capture_output=True,
                       text=True, env=env, timeout=120)
    expect(r.returncode != 0, "purge as the service's user succeeded: %s" % r.stdout)
    expect(sql_rows(fe, count) == old, "events went as the service's user")
    env = dict(h.env, OVERWATCH_RETENTION_AUDIT_DAYS="365")
    r = subprocess.run([h.admin_bin, "--config", h.config, "purge"], capture_output=True,
                       text=True, env=env, timeout=120)
    expect(r.returncode == 0, "purge as admin_user failed: %s" % r.stderr)
    expect(sql_rows(fe, count) == [["0"]], "old events kept by the admin's purge")
    ok(org.client.get("/audit-log?limit=5"), 200, "the trail after the purge")
