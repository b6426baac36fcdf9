"""Integration-test harness: private MariaDB, the service, and its front-ends.

Everything lives in one temporary directory and on free loopback ports (never
8080, never the checkout's state/), so a running `tools/quickstart` is neither
used nor disturbed.  Standard library only.

Front-ends (names used by the runner and by FRONTENDS in test modules):

  lighttpd-socket  lighttpd mod_fastcgi -> standalone `overwatch-fcgi --listen
                   unix:SOCK --workers 2` (the master the fault tests use)
  lighttpd-spawn   lighttpd mod_fastcgi bin-path spawning `overwatch-fcgi
                   --workers 2` on its fd 0 (max-procs 1)
  apache-fcgid     Apache 2.4 (mpm_event) + mod_fcgid spawning `overwatch-fcgi`
                   as one in-process worker per process
"""

import getpass
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .client import Endpoint

REPO = Path(__file__).resolve().parents[2]
FRONTENDS = ("lighttpd-socket", "lighttpd-spawn", "apache-fcgid")
DB_NAME = "overwatch_it"
DB_USER = "overwatch"
# The migration user (README.md, "Database users"): schema changes, the
# grants, and the purge of audit events, which the service's user may not do.
DB_ADMIN_USER = "overwatch_admin"
WORKERS = 2
# The credential cache ([cache] credentials) is on unless OVERWATCH_IT_CACHE=off:
# the whole suite runs both ways.
CACHE = os.environ.get("OVERWATCH_IT_CACHE", "on")
CACHE_MAX_AGE = 5
APACHE_MODULES = Path("/usr/lib/apache2/modules")


class SetupError(Exception):
    """Something the tests depend on could not be started."""


def which(name, *extra_dirs):
    for d in extra_dirs:
        p = Path(d) / name
        if p.exists():
            return str(p)
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise SetupError("%s not found (tools/test installs what is missing)" % name)
    return found


def free_port():
    """A free loopback TCP port, never 8080 (the quick start's default)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8080:
            return port


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SetupError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def tail(path, lines=15):
    try:
        data = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no %s)" % path
    return "\n".join(data[-lines:])


def children(pid):
    """Live child pids of pid (zombies excluded), via pgrep -P."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids = []
    for p in out.split():
        try:
            state = Path("/proc/%s/stat" % p).read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            pids.append(int(p))
    return sorted(pids)


def descendants(pid):
    """All live descendants of pid, depth first."""
    out = []
    for c in children(pid):
        out.append(c)
        out += descendants(c)
    return out


def process_age(pid):
    """Seconds since pid started (from /proc)."""
    start = int(Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start / os.sysconf("SC_CLK_TCK")


def cmdline(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def pid_alive(pid):
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def kill_strays(tmp):
    """SIGKILL anything still running whose command line names the temp dir tmp."""
    me = os.getpid()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == me:
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if str(tmp).encode() in cmd:
            try:
                os.kill(int(d.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class Frontend(Endpoint):
    """A web server in front of the service, reachable on base_url."""

    def __init__(self, harness, name):
        super().__init__(name, free_port())
        self.harness = harness
        self.dir = Path(harness.tmp) / name
        self.dir.mkdir()
        self.proc = None            # the web server
        self.master = None          # standalone master Popen (lighttpd-socket)
        self.socket = None
        self.logs = []
        self.error = None           # why it failed to start, if it did

    def worker_pids(self):
        if not self.master:
            raise SetupError("%s has no standalone master" % self.name)
        return children(self.master.pid)

    def wait_ready(self, timeout=20.0):
        def answered():
            if self.proc and self.proc.poll() is not None:
                raise SetupError("%s exited with status %s" % (self.name, self.proc.returncode))
            if self.master and self.master.poll() is not None:
                raise SetupError("overwatch-fcgi master exited with status %s"
                                 % self.master.returncode)
            try:
                return self.get("/api/v1/health", timeout=5).status
            except OSError:
                return None
        wait_for(answered, timeout, 0.1, "%s to answer /api/v1/health" % self.name)


class ProcessOwner:
    """Processes started in their own sessions, stopped with their whole group.
    Needs self.procs (a list), self.env and self.tmp."""

    def spawn(self, argv, log, env=None, **kw):
        out = open(log, "ab")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 env=env or self.env, start_new_session=True, **kw)
        finally:
            out.close()
        self.procs.append(p)
        return p

    def stop_process(self, p, sig=signal.SIGTERM, timeout=15.0):
        """Signal p, wait for it, then kill its whole process group."""
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
            except ProcessLookupError:
                pass
        # Sanitizer builds: let the rest of the group (a spawned master and its
        # workers) finish its own graceful stop, so LeakSanitizer runs at exit.
        for _ in range(100):
            try:
                os.killpg(p.pid, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.1)
        try:
            os.killpg(p.pid, signal.SIGKILL)   # orphaned workers, if any
        except (ProcessLookupError, PermissionError):
            pass

    def kill_strays(self):
        kill_strays(self.tmp)


class Harness(ProcessOwner):
    def __init__(self, keep=False):
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix="overwatch-it-")
        os.chmod(self.tmp, 0o755)   # the Apache workers run as www-data when we are root
        self.root = os.geteuid() == 0
        self.fcgi_bin = os.environ.get("OVERWATCH_IT_FCGI", str(REPO / "overwatch-fcgi"))
        self.admin_bin = os.environ.get("OVERWATCH_IT_ADMIN", str(REPO / "overwatch-admin"))
        self.sql_dir = str(REPO / "sql")
        self.procs = []
        self.frontends = {}
        self.db_proc = None
        self.db_dir = Path(self.tmp) / "mariadb"
        self.db_socket = str(Path(self.tmp) / "mysqld.sock")
        self.db_log = str(Path(self.tmp) / "mariadb.log")
        self.config = str(Path(self.tmp) / "overwatch.conf")
        self.secret = str(Path(self.tmp) / "jwt.secret")
        self.mfa_secret = str(Path(self.tmp) / "mfa.secret")
        self.db_password_file = str(Path(self.tmp) / "db.password")
        self.db_admin_password_file = str(Path(self.tmp) / "db-admin.password")
        # A TCP port (127.0.0.1) instead of --skip-networking, and more server
        # options (TLS: test_db_tls.py); set before prepare().
        self.db_port = None
        self.db_extra_args = []
        self.cache_segment = str(Path(self.tmp) / "epoch")
        # The service gets a clean environment: the caller's OVERWATCH_*
        # variables must not leak into the tests (nor the quick start's).
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OVERWATCH_")}
        self.env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        self.env["LANG"] = "C.UTF-8"
        self.service_env = {"OVERWATCH_SERVICE_REGISTRATION": "true"}
        # Sanitizer builds: mod_fcgid passes only FcgidInitialEnv to the service.
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.service_env[k] = os.environ[k]

    # ---------------------------------------------------------------- processes

    def run(self, argv, input_text=None, check=True, timeout=60):
        r = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        if check and r.returncode != 0:
            raise SetupError("%s failed (exit %d): %s" % (
                " ".join(argv[:4]), r.returncode, (r.stderr or r.stdout).strip()[-800:]))
        return r

    # ---------------------------------------------------------------- MariaDB

    def mariadb_argv(self):
        argv = [which("mariadbd", "/usr/sbin"), "--no-defaults",
                "--datadir=%s" % self.db_dir, "--socket=%s" % self.db_socket,
                "--pid-file=%s" % (Path(self.tmp) / "mariadb.pid"),
                "--log-error=%s" % self.db_log,
                "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
                "--innodb-flush-log-at-trx-commit=2", "--performance-schema=OFF",
                "--skip-log-bin", "--max-connections=200",
                # A private tmpdir: temp-table files of parallel servers in /tmp collide.
                "--tmpdir=%s" % self.db_tmp]
        argv += (["--port=%d" % self.db_port, "--bind-address=127.0.0.1"] if self.db_port
                 else ["--skip-networking"])
        argv += self.db_extra_args
        if self.root:
            argv.append("--user=root")
        return argv

    @property
    def db_tmp(self):
        return str(Path(self.tmp) / "mariadb-tmp")

    def init_mariadb(self):
        self.db_dir.mkdir()
        Path(self.db_tmp).mkdir(exist_ok=True)
        self.run([which("mariadb-install-db", "/usr/bin"), "--no-defaults",
                  "--datadir=%s" % self.db_dir, "--user=%s" % getpass.getuser(),
                  "--tmpdir=%s" % self.db_tmp,
                  "--auth-root-authentication-method=socket",
                  "--auth-root-socket-user=%s" % getpass.getuser(),
                  "--skip-test-db", "--skip-name-resolve"], timeout=120)

    def start_mariadb(self):
        self.db_proc = self.spawn(self.mariadb_argv(), self.db_log + ".out")

        def up():
            if self.db_proc.poll() is not None:
                raise SetupError("mariadbd exited (%s):\n%s" % (self.db_proc.returncode,
                                                                  tail(self.db_log)))
            return self.sql("SELECT 1", check=False).returncode == 0
        wait_for(up, 60, 0.1, "MariaDB")

    def stop_mariadb(self):
        """SIGTERM via its pid; waits until it has exited."""
        if self.db_proc:
            self.stop_process(self.db_proc, signal.SIGTERM, 60)
            self.db_proc = None

    def sql(self, statement, check=True):
        return self.run([which("mariadb", "/usr/bin"), "--no-defaults",
                         "--socket=%s" % self.db_socket, "-u", getpass.getuser(), "-e", statement],
                        check=check)

    def setup_database(self):
        """The database, the service's user and the migration user, as
        README.md's "Database users" makes them: the service's user gets its
        grants from `overwatch-admin grant-service` after the migrations
        (prepare), so every test runs with the restricted grants."""
        password = secrets.token_urlsafe(24)
        admin_password = secrets.token_urlsafe(24)
        for path, pw in ((self.db_password_file, password),
                         (self.db_admin_password_file, admin_password)):
            Path(path).write_text(pw + "\n")
            os.chmod(path, 0o600)
        self.sql("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                 "CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'; "
                 "CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'; "
                 "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'localhost' WITH GRANT OPTION;"
                 % (DB_NAME, DB_USER, password, DB_ADMIN_USER, admin_password,
                    DB_NAME, DB_ADMIN_USER))

    def write_config(self):
        Path(self.config).write_text(
            "# generated by tests/lib/harness.py\n"
            # registration stays off here: the front-ends turn it on through the
            # environment (OVERWATCH_SERVICE_REGISTRATION), which tests that
            # each of them passes the environment through.
            "[service]\nenvironment = development\nworkers = %d\nregistration = false\n"
            "registrations_per_hour = 1000000\nlog = stderr\nlog_level = info\n\n"
            "[database]\nsocket = %s\nname = %s\nuser = %s\npassword_file = %s\n"
            "admin_user = %s\nadmin_password_file = %s\n"
            "connect_timeout = 2\nquery_timeout = 5\n\n"
            "[jwt]\nsecret_file = %s\n\n"
            # Every test comes from 127.0.0.1: the per-IP login throttle would
            # turn the failed logins of unrelated tests into 429s. A test of
            # the throttle starts a master of its own with a low value
            # (harness.start_master(..., extra_env={...})).
            # The same for the registration and single sign-on throttles:
            # the suite registers hundreds of organizations from one address.
            "[lockout]\nip_failures_per_minute = 100000\n\n"
            "[sso]\nrequests_per_minute = 1000000\n\n"
            "[mfa]\nsecret_file = %s\n\n"
            "[account]\nresets_per_hour = 1000000\n\n"
            # Each run its own epoch file: other runs on the machine have
            # other databases. As root, the masters run as root and Apache's
            # processes as www-data: one host, so one file, www-data's
            # (made in prepare). The poll is slow
            # here so that the tests counting statements find quiet windows;
            # test_revocation starts hosts of its own with a fast one.
            # max_age is short so that a change made by SQL behind the
            # service's back (as test_apikeys deletes a user) is seen soon.
            "[cache]\ncredentials = %s\nsegment = %s\nsegment_owner = %s\n"
            "revocation_poll = 60000\nmax_age = %d\n"
            % (WORKERS, self.db_socket, DB_NAME, DB_USER, self.db_password_file,
               DB_ADMIN_USER, self.db_admin_password_file, self.secret,
               self.mfa_secret, CACHE, self.cache_segment, "www-data" if self.root else "",
               CACHE_MAX_AGE))

    def admin(self, *args, input_text=None, check=True):
        return self.run([self.admin_bin, "--config", self.config] + list(args),
                        input_text=input_text, check=check)

    def prepare(self):
        """MariaDB up, database and user created, migrated, secret written."""
        for b in (self.fcgi_bin, self.admin_bin):
            if not os.access(b, os.X_OK):
                raise SetupError("%s is missing: build first (tools/test does)" % b)
        self.init_mariadb()
        self.start_mariadb()
        self.setup_database()
        self.write_config()
        self.admin("gen-secret", self.secret)
        self.admin("gen-secret", self.mfa_secret)
        self.admin("migrate", "--dir", self.sql_dir)
        self.admin("grant-service", DB_USER, "localhost")
        if self.root:
            # Apache's mod_fcgid runs the service as www-data.
            www = pwd.getpwnam("www-data")
            for f in (self.secret, self.mfa_secret, self.db_password_file):
                os.chown(f, www.pw_uid, www.pw_gid)
            fd = os.open(self.cache_segment, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            os.fchown(fd, www.pw_uid, www.pw_gid)
            os.close(fd)

    # ---------------------------------------------------------------- service

    def start_master(self, name, workers=WORKERS, extra_env=None):
        """A standalone `overwatch-fcgi --listen unix:...` master; returns (Popen, socket)."""
        d = Path(self.tmp) / name
        d.mkdir(exist_ok=True)
        sock = str(d / "overwatch.sock")
        env = {**self.env, **self.service_env, **(extra_env or {})}   # extra_env may override
        p = self.spawn([self.fcgi_bin, "--config", self.config, "--listen", "unix:" + sock,
                        "--workers", str(workers)], str(d / "overwatch-fcgi.log"), env=env)

        def listening():
            if p.poll() is not None:
                raise SetupError("overwatch-fcgi exited with status %s:\n%s"
                                 % (p.returncode, tail(d / "overwatch-fcgi.log")))
            if not os.path.exists(sock):
                return False
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(sock)
                    return True
                except OSError:
                    return False
        wait_for(listening, 15, 0.05, "overwatch-fcgi to listen on %s" % sock)
        wait_for(lambda: len(children(p.pid)) >= workers, 10, 0.05,
                 "%d workers of the master" % workers)
        return p, sock

    # ---------------------------------------------------------------- lighttpd

    def lighttpd_conf(self, fe, backend):
        opts = ",\n    ".join('"%s" => %s' % (k, v) for k, v in backend.items())
        return """# generated by tests/lib/harness.py ({name})
server.modules = ("mod_accesslog", "mod_fastcgi")
server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/lighttpd-error.log"
accesslog.filename = "{d}/lighttpd-access.log"
server.tag = "lighttpd"
# Let headers up to 32 KiB reach the service, which applies its own 8 KiB
# per-value limit (lighttpd's default is 8 KiB for the whole header block).
server.max-request-field-size = 32768
# KiB; bodies up to 1 MiB reach the service, which answers 413 over 64 KiB.
server.max-request-size = 1024
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html; charset=utf-8", ".css" => "text/css",
                   ".js" => "text/javascript", ".json" => "application/json",
                   ".svg" => "image/svg+xml", ".png" => "image/png")
fastcgi.server = ("/api/v1/" => ((
    {opts}
)))
""".format(name=fe.name, www=REPO / "www", port=fe.port, d=fe.dir, opts=opts)

    def start_lighttpd(self, fe, backend):
        conf = fe.dir / "lighttpd.conf"
        conf.write_text(self.lighttpd_conf(fe, backend))
        lighttpd = which("lighttpd", "/usr/sbin")
        r = self.run([lighttpd, "-tt", "-f", str(conf)], check=False)
        if r.returncode != 0:
            raise SetupError("lighttpd config test failed: %s" % (r.stderr or r.stdout))
        fe.logs += [str(fe.dir / "lighttpd-error.log"), str(fe.dir / "lighttpd.out")]
        env = dict(self.env, **self.service_env)
        fe.proc = self.spawn([lighttpd, "-D", "-f", str(conf)], str(fe.dir / "lighttpd.out"),
                             env=env)
        fe.wait_ready()

    def start_lighttpd_socket(self):
        fe = Frontend(self, "lighttpd-socket")
        self.frontends[fe.name] = fe
        fe.master, fe.socket = self.start_master(fe.name)
        fe.logs.append(str(fe.dir / "overwatch-fcgi.log"))
        self.start_lighttpd(fe, {"socket": '"%s"' % fe.socket, "check-local": '"disable"'})
        return fe

    def start_lighttpd_spawn(self):
        fe = Frontend(self, "lighttpd-spawn")
        self.frontends[fe.name] = fe
        fe.socket = str(fe.dir / "overwatch.sock")
        env = ", ".join('"%s" => "%s"' % kv for kv in self.service_env.items())
        self.start_lighttpd(fe, {
            "socket": '"%s"' % fe.socket,
            "bin-path": '"%s --config %s --workers %d"' % (self.fcgi_bin, self.config, WORKERS),
            "max-procs": "1",
            "check-local": '"disable"',
            "bin-environment": "(%s)" % env,
        })
        return fe

    # ---------------------------------------------------------------- Apache

    def apache_conf(self, fe, fcgi_bin, extra_env=None, extra_conf=""):
        mods = ["mpm_event", "authz_core", "mime", "alias", "dir", "fcgid"]
        load = "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, APACHE_MODULES, m)
                         for m in mods)
        user = "User www-data\nGroup www-data\n" if self.root else ""
        env = "\n".join("FcgidInitialEnv %s %s" % kv
                        for kv in dict(self.service_env, **(extra_env or {})).items())
        return """# generated by tests/lib/harness.py (apache-fcgid)
ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{d}/apache2.pid"
DefaultRuntimeDir "{d}/run"
Mutex file:{d}/run default
ErrorLog "{d}/apache-error.log"
LogLevel warn fcgid:info
LogFormat "%h %l %u %t \\"%r\\" %>s %b %D" timed
CustomLog "{d}/apache-access.log" timed
{load}
{user}
StartServers 1
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 10
MaxSpareThreads 50
# Headers up to 32 KiB reach the service, which applies its own 8 KiB limit.
LimitRequestFieldSize 32768
TypesConfig /etc/mime.types
DocumentRoot "{www}"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{www}">
    Require all granted
</Directory>

FcgidIPCDir "{d}/fcgid"
FcgidProcessTableFile "{d}/fcgid_shm"
# The shipped mod_fcgid settings, as the package and the quick start use them.
Include "{fcgid_conf}"
{env}
{extra}

# /api/v1/... -> the service (one in-process worker per mod_fcgid process).
Alias /api/v1 "{fcgi}"
<Location /api/v1>
    SetHandler fcgid-script
    Options +ExecCGI
    FcgidWrapper "{fcgi} --config {config}" virtual
    Require all granted
</Location>
""".format(d=fe.dir, port=fe.port, load=load, user=user, www=REPO / "www", env=env,
           fcgi=fcgi_bin, config=self.config, fcgid_conf=REPO / "etc" / "apache2-fcgid.conf",
           extra=extra_conf)

    def start_apache(self, name="apache-fcgid", extra_env=None, extra_conf=""):
        """Apache + mod_fcgid; a test may start a private one under another name,
        with more service environment and directives after the shipped ones."""
        fe = Frontend(self, name)
        self.frontends[fe.name] = fe
        for sub in ("run", "fcgid"):
            (fe.dir / sub).mkdir()
        fcgi_bin = self.fcgi_bin
        if self.root:
            # www-data may not be able to reach the checkout: run a copy.
            fcgi_bin = str(fe.dir / "overwatch-fcgi")
            shutil.copy2(self.fcgi_bin, fcgi_bin)
            www = pwd.getpwnam("www-data")
            os.chown(fe.dir / "fcgid", www.pw_uid, www.pw_gid)
        conf = fe.dir / "apache2.conf"
        conf.write_text(self.apache_conf(fe, fcgi_bin, extra_env, extra_conf))
        apache = which("apache2", "/usr/sbin")
        r = self.run([apache, "-t", "-f", str(conf)], check=False)
        if r.returncode != 0:
            raise SetupError("apache2 config test failed: %s" % (r.stderr or r.stdout))
        fe.logs += [str(fe.dir / "apache-error.log"), str(fe.dir / "apache.out")]
        fe.proc = self.spawn([apache, "-f", str(conf), "-DFOREGROUND"],
                             str(fe.dir / "apache.out"), env=self.env)
        fe.wait_ready()
        return fe

    STARTERS = {
        "lighttpd-socket": "start_lighttpd_socket",
        "lighttpd-spawn": "start_lighttpd_spawn",
        "apache-fcgid": "start_apache",
    }

    def start_frontend(self, name, attempts=3):
        """Start a front-end; retried with a new port (another process may take
        a free port between our probe and the server's bind)."""
        for attempt in range(1, attempts + 1):
            try:
                return getattr(self, self.STARTERS[name])()
            except Exception as e:   # noqa: BLE001 - reported per test by the runner
                fe = self.frontends.pop(name, None)
                if fe:
                    self.stop_frontend(fe)
                if attempt < attempts and fe and fe.proc and fe.proc.poll() is not None:
                    shutil.move(str(fe.dir), str(fe.dir) + ".failed%d" % attempt)
                    continue        # the web server itself died: maybe the port
                fe = fe or Frontend(self, name + "-failed")
                fe.error = "%s: %s" % (type(e).__name__, e)
                self.frontends[name] = fe
                return fe

    # ---------------------------------------------------------------- cleanup

    def stop_frontend(self, fe):
        if fe.proc:
            self.stop_process(fe.proc)
        if fe.master:
            self.stop_process(fe.master)

    def cleanup(self):
        for fe in self.frontends.values():
            self.stop_frontend(fe)
        for p in reversed(self.procs):
            self.stop_process(p, timeout=30)
        self.kill_strays()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

