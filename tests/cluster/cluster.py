"""Cluster harness: a 3-node MariaDB Galera cluster, two service hosts, HAProxy.

Everything lives in one temporary directory and on free loopback ports, so a
running `tools/quickstart` or integration run is neither used nor disturbed.
Python 3 standard library only; reuses the integration harness's helpers.

  node1..node3  mariadbd --wsrep-on=ON (galera-4), each with its own datadir,
                socket, SQL port, group-communication port, IST and SST ports;
                node 1 bootstraps (--wsrep-new-cluster), 2 and 3 join by SST
                (rsync); failure detection shortened (evs.* timeouts).
  host-a        overwatch-fcgi master (--listen unix:..., 2 workers) + lighttpd,
                [database] servers = node1 node2 (TCP), sync_wait = 1
  host-b        the same with servers = node2 node3
  haproxy       round robin over both hosts' lighttpd, `option httpchk GET
                /api/v1/health`, checks every 300 ms, 2 failures mark a host DOWN.

Both hosts read the same JWT secret file (a token from one verifies on the
other) and the same database password file.
"""

import getpass
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

from lib import harness
from lib.client import Endpoint
from lib.harness import SetupError, free_port, tail, wait_for

GALERA = "/usr/lib/galera/libgalera_smm.so"
GUIDE = REPO / "doc" / "scale-out.md"
DB_NAME = "overwatch"
DB_USER = "overwatch"
DB_ADMIN_USER = "overwatch_admin"        # the guide's user for migrations
WORKERS = 2
# [cache] revocation_poll of each host: the bound of a revocation through the other.
REVOCATION_POLL_MS = 200
CLUSTER_NAME = "overwatch-test"

# Failure detection shortened for the test (defaults: keepalive 1 s, suspect
# 5 s, inactive 15 s, install 7.5 s). Galera requires keepalive_period <=
# inactive_check_period <= suspect_timeout <= inactive_timeout and
# install_timeout <= inactive_timeout.
EVS = ("evs.keepalive_period=PT0.3S; evs.inactive_check_period=PT0.5S; "
       "evs.suspect_timeout=PT1.5S; evs.inactive_timeout=PT3S; evs.install_timeout=PT3S; "
       "gmcast.peer_timeout=PT2S")


def guide_block(lang, after):
    """The first ```lang block of doc/scale-out.md after the line that starts
    with `after`: the tests run the guide's own text, so it cannot drift."""
    text = GUIDE.read_text()
    start = text.index("\n" + after)
    m = re.compile(r"^[ ]*```%s\n(.*?)^[ ]*```" % lang, re.S | re.M).search(text, start)
    if not m:
        raise SetupError("doc/scale-out.md: no ```%s block after %r" % (lang, after))
    return textwrap.dedent(m.group(1))


def guide_database_section(servers, password_file):
    """The guide's [database] section of a host's configuration, with the
    test's servers and password file in place of its addresses and path."""
    ini = guide_block("ini", "## Service configuration on each host")
    section = ini.split("[database]\n", 1)[1].split("\n[", 1)[0]
    out = []
    for line in section.splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "servers":
            line = "servers = " + servers
        elif key == "password_file":
            line = "password_file = " + password_file
        out.append(line)
    return "\n".join(out).rstrip() + "\n"


class Node:
    """One Galera node (mariadbd)."""

    def __init__(self, cluster, index):
        self.cluster = cluster
        self.index = index
        self.name = "node%d" % index
        self.dir = Path(cluster.tmp) / self.name
        self.datadir = self.dir / "data"
        self.tmpdir = self.dir / "tmp"
        self.socket = str(self.dir / "mysqld.sock")
        self.log = str(self.dir / "mariadb.log")
        self.port = free_port()          # SQL
        self.gcomm_port = free_port()    # group communication
        self.ist_port = free_port()
        self.sst_port = free_port()
        self.proc = None

    def argv(self, bootstrap=False, extra=()):
        c = self.cluster
        opts = "gmcast.listen_addr=tcp://127.0.0.1:%d; ist.recv_addr=127.0.0.1:%d; " \
               "gcache.size=64M; %s" % (self.gcomm_port, self.ist_port, EVS)
        argv = [harness.which("mariadbd", "/usr/sbin"), "--no-defaults",
                "--datadir=%s" % self.datadir, "--socket=%s" % self.socket,
                "--pid-file=%s" % (self.dir / "mariadb.pid"), "--log-error=%s" % self.log,
                "--port=%d" % self.port, "--bind-address=127.0.0.1", "--skip-name-resolve",
                "--tmpdir=%s" % self.tmpdir,
                "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
                "--innodb-flush-log-at-trx-commit=2", "--performance-schema=OFF",
                "--max-connections=200",
                # Galera: row-based replication, InnoDB, interleaved auto-increment.
                "--binlog-format=ROW", "--default-storage-engine=InnoDB",
                "--innodb-autoinc-lock-mode=2",
                "--wsrep-on=ON", "--wsrep-provider=%s" % GALERA,
                "--wsrep-cluster-name=%s" % CLUSTER_NAME,
                "--wsrep-cluster-address=gcomm://%s" % ",".join(
                    "127.0.0.1:%d" % n.gcomm_port for n in c.nodes),
                "--wsrep-node-name=%s" % self.name,
                "--wsrep-node-address=127.0.0.1:%d" % self.gcomm_port,
                "--wsrep-node-incoming-address=127.0.0.1:%d" % self.port,
                "--wsrep-sst-method=rsync",
                "--wsrep-sst-receive-address=127.0.0.1:%d" % self.sst_port,
                "--wsrep-provider-options=%s" % opts]
        if c.root:
            argv.append("--user=root")
        if os.environ.get("OW_CLUSTER_GENERAL_LOG"):
            argv += ["--general-log=ON", "--general-log-file=%s" % (self.dir / "general.log"),
                     "--wsrep-log-conflicts=ON"]
        if bootstrap:
            argv.append("--wsrep-new-cluster")
        return argv + list(extra)

    def start(self, bootstrap=False, extra=()):
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self.cluster.root:
            # An SST by rsync: the joiner's rsync daemon, started as root,
            # writes as "nobody" (rsyncd.conf without uid): let it.
            os.chmod(self.datadir, 0o777)
        self.proc = self.cluster.spawn(self.argv(bootstrap, extra), self.log + ".out")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def sql(self, statement, check=True, timeout=30):
        """Run statement as the local administrator over the socket; rows as lists of str."""
        r = subprocess.run([harness.which("mariadb", "/usr/bin"), "--no-defaults",
                            "--socket=%s" % self.socket, "-u", getpass.getuser(), "-N", "-B",
                            "--connect-timeout=3", "-e", statement],
                           capture_output=True, text=True, env=self.cluster.env, timeout=timeout)
        if r.returncode != 0:
            if check:
                raise SetupError("%s: %s: %s" % (self.name, statement[:80], r.stderr.strip()[-400:]))
            return None
        return [line.split("\t") for line in r.stdout.splitlines()]

    def hold(self, statements):
        """A session of the local administrator running statements in the
        background (a lock they take lasts as long as the session)."""
        p = subprocess.Popen([harness.which("mariadb", "/usr/bin"), "--no-defaults",
                              "--socket=%s" % self.socket, "-u", getpass.getuser(), "-N", "-B",
                              "-e", statements], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=self.cluster.env,
                             start_new_session=True)
        self.cluster.procs.append(p)
        return p

    def status(self, name):
        rows = self.sql("SHOW GLOBAL STATUS LIKE '%s'" % name, check=False)
        return rows[0][1] if rows else None

    def synced(self):
        return self.alive() and self.status("wsrep_local_state_comment") == "Synced"

    def wait_synced(self, timeout=60):
        def ok():
            if not self.alive():
                raise SetupError("%s exited (%s):\n%s" % (self.name, self.proc.returncode,
                                                          tail(self.log, 20)))
            return self.synced()
        wait_for(ok, timeout, 0.2, "%s to be Synced" % self.name)

    def kill(self):
        """SIGKILL: the node dies as on a power cut (no leave message to the group)."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        if self.proc is not None:
            self.cluster.stop_process(self.proc, signal.SIGTERM, 60)

    def recover_position(self):
        """`mariadbd --wsrep-recover`: the last committed seqno after a crash (for IST)."""
        log = self.dir / "recover.log"
        argv = [a for a in self.argv() if not a.startswith("--log-error=")]
        argv += ["--wsrep-recover", "--log-error=%s" % log]
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       env=self.cluster.env, timeout=60)
        m = re.findall(r"Recovered position:\s*(\S+:-?\d+)", log.read_text(errors="replace"))
        return m[-1] if m else None


class Host:
    """One service host: its own overwatch-fcgi master and lighttpd."""

    def __init__(self, cluster, name, nodes):
        self.cluster = cluster
        self.name = name
        self.nodes = nodes
        self.dir = Path(cluster.tmp) / name
        self.dir.mkdir()
        self.config = str(self.dir / "overwatch.conf")
        self.sock = str(self.dir / "overwatch.sock")
        self.port = free_port()
        self.http = Endpoint(name, self.port)
        self.master = None
        self.lighttpd = None

    def write_config(self):
        c = self.cluster
        Path(self.config).write_text(
            "# generated by tests/cluster/cluster.py (%s)\n"
            "[service]\nenvironment = development\nworkers = %d\nregistration = true\n"
            "registrations_per_hour = 1000000\n"
            "log = stderr\nlog_level = info\n\n"
            "[database]\n%sname = %s\nuser = %s\n\n"
            "[jwt]\nsecret_file = %s\n\n"
            # All test clients come from 127.0.0.1 (through HAProxy too).
            "[lockout]\nip_failures_per_minute = 100000\n\n"
            "[sso]\nrequests_per_minute = 1000000\n\n"
            # Each host its own revocation epoch, as on separate machines:
            # a revocation through the other host arrives by the log's poll.
            "[cache]\nsegment = %s\nrevocation_poll = %d\n"
            % (self.name, WORKERS,
               guide_database_section(" ".join("127.0.0.1:%d" % n.port for n in self.nodes),
                                      c.db_password_file),
               DB_NAME, DB_USER, c.secret, str(self.dir / "epoch"), REVOCATION_POLL_MS))

    def start(self):
        self.write_config()
        c = self.cluster
        log = str(self.dir / "overwatch-fcgi.log")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.master = c.spawn([c.fcgi_bin, "--config", self.config, "--listen", "unix:" + self.sock,
                               "--workers", str(WORKERS)], log, env=c.env)

        def listening():
            if self.master.poll() is not None:
                raise SetupError("%s: overwatch-fcgi exited with status %s:\n%s"
                                 % (self.name, self.master.returncode, tail(log)))
            if not os.path.exists(self.sock):
                return False
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(self.sock)
                    return True
                except OSError:
                    return False
        wait_for(listening, 15, 0.05, "%s master to listen" % self.name)
        conf = self.dir / "lighttpd.conf"
        conf.write_text("""# generated by tests/cluster/cluster.py ({name})
server.modules = ("mod_accesslog", "mod_fastcgi")
server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {port}
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/lighttpd-error.log"
accesslog.filename = "{d}/lighttpd-access.log"
server.max-request-field-size = 32768
fastcgi.server = ("/api/v1/" => ((
    "socket" => "{sock}",
    "check-local" => "disable"
)))
""".format(name=self.name, www=REPO / "www", port=self.port, d=self.dir, sock=self.sock))
        lighttpd = harness.which("lighttpd", "/usr/sbin")
        self.lighttpd = c.spawn([lighttpd, "-D", "-f", str(conf)], str(self.dir / "lighttpd.out"))

        def healthy():
            if self.lighttpd.poll() is not None:
                raise SetupError("%s: lighttpd exited:\n%s" % (self.name, tail(self.dir / "lighttpd.out")))
            try:
                return self.http.get("/api/v1/health", timeout=5).status == 200
            except OSError:
                return False
        wait_for(healthy, 20, 0.1, "%s to answer /api/v1/health" % self.name)

    def kill(self):
        """The host dies: lighttpd and the master with its workers, SIGKILL."""
        for p in (self.lighttpd, self.master):
            if p is not None and p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(10)

    def stop(self):
        for p in (self.lighttpd, self.master):
            if p is not None:
                self.cluster.stop_process(p)

    def log_text(self):
        try:
            return (self.dir / "overwatch-fcgi.log").read_text(errors="replace")
        except OSError:
            return ""


class HAProxy:
    def __init__(self, cluster):
        self.cluster = cluster
        self.dir = Path(cluster.tmp) / "haproxy"
        self.dir.mkdir()
        self.port = free_port()
        self.http = Endpoint("haproxy", self.port)
        self.stats_sock = str(self.dir / "admin.sock")
        self.proc = None

    def config(self, hosts):
        servers = "\n".join("    server %s 127.0.0.1:%d check" % (h.name, h.port) for h in hosts)
        return """# generated by tests/cluster/cluster.py
global
    maxconn 512
    stats socket {sock} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    # A connection refused by a host that died is tried on the other one.
    retries 2
    option redispatch
    option forwardfor

frontend overwatch
    bind 127.0.0.1:{port}
    default_backend hosts

backend hosts
    balance roundrobin
    option httpchk GET /api/v1/health
    http-check expect status 200
    default-server inter 300ms fastinter 200ms downinter 500ms fall 2 rise 2
{servers}
""".format(sock=self.stats_sock, port=self.port, servers=servers)

    def start(self, hosts):
        conf = self.dir / "haproxy.cfg"
        conf.write_text(self.config(hosts))
        exe = harness.which("haproxy", "/usr/sbin")
        r = subprocess.run([exe, "-c", "-f", str(conf)], capture_output=True, text=True)
        if r.returncode != 0:
            raise SetupError("haproxy -c: %s" % (r.stderr or r.stdout)[-600:])
        self.proc = self.cluster.spawn([exe, "-db", "-f", str(conf)], str(self.dir / "haproxy.log"))
        wait_for(lambda: all(s == "UP" for s in self.states().values()) and self.states(),
                 20, 0.1, "HAProxy to see every host UP")

    def command(self, cmd):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(3)
            s.connect(self.stats_sock)
            s.sendall(cmd.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        return out.decode(errors="replace")

    def states(self):
        """{server name: status} of the backend, e.g. {"host-a": "UP", "host-b": "DOWN"}."""
        try:
            out = self.command("show stat")
        except OSError:
            return {}
        lines = out.splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        cols = lines[0][2:].split(",")
        res = {}
        for line in lines[1:]:
            f = dict(zip(cols, line.split(",")))
            if f.get("pxname") == "hosts" and f.get("svname") not in ("FRONTEND", "BACKEND"):
                res[f["svname"]] = f.get("status", "").split(" ")[0]
        return res


class Cluster(harness.ProcessOwner):
    def __init__(self, keep=False, sync_wait=1):
        self.keep = keep
        self.sync_wait = sync_wait
        self.tmp = tempfile.mkdtemp(prefix="overwatch-cluster-")
        os.chmod(self.tmp, 0o755)
        self.root = os.geteuid() == 0
        self.fcgi_bin = os.environ.get("OVERWATCH_IT_FCGI", str(REPO / "overwatch-fcgi"))
        self.admin_bin = os.environ.get("OVERWATCH_IT_ADMIN", str(REPO / "overwatch-admin"))
        self.sql_dir = str(REPO / "sql")
        self.secret = str(Path(self.tmp) / "jwt.secret")
        self.db_password_file = str(Path(self.tmp) / "db.password")
        self.db_admin_password_file = str(Path(self.tmp) / "db-admin.password")
        self.db_password = None
        self.procs = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OVERWATCH_")}
        self.env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        self.env["PATH"] += ":/usr/sbin:/sbin"
        self.env["LANG"] = "C.UTF-8"
        self.nodes = [Node(self, i) for i in (1, 2, 3)]   # Node.argv reads all ports
        self.hosts = []
        self.haproxy = None
        self.timings = []

    # ---------------------------------------------------------------- processes

    def _timed(self, label, fn, *args):
        t = time.monotonic()
        fn(*args)
        self.timings.append((label, time.monotonic() - t))

    # ---------------------------------------------------------------- set-up

    def start(self):
        for b in (self.fcgi_bin, self.admin_bin):
            if not os.access(b, os.X_OK):
                raise SetupError("%s is missing: build first (tools/test does)" % b)
        for f in (GALERA, "/usr/bin/wsrep_sst_rsync"):
            if not os.path.exists(f):
                raise SetupError("%s is missing (apt-get install galera-4 mariadb-server rsync)" % f)
        harness.which("rsync")
        self._timed("galera bootstrap node1", self.bootstrap)
        self._timed("galera join node2 + node3 (SST)", self.join_others)
        self._timed("database, user, migrate", self.setup_database)
        self._timed("service hosts a + b", self.start_hosts)
        self._timed("haproxy", self.start_haproxy)

    def bootstrap(self):
        n1 = self.nodes[0]
        n1.datadir.mkdir(parents=True)
        n1.tmpdir.mkdir(parents=True)
        r = subprocess.run([harness.which("mariadb-install-db", "/usr/bin"), "--no-defaults",
                            "--datadir=%s" % n1.datadir, "--user=%s" % getpass.getuser(),
                            "--tmpdir=%s" % n1.tmpdir,
                            "--auth-root-authentication-method=socket",
                            "--auth-root-socket-user=%s" % getpass.getuser(),
                            "--skip-test-db", "--skip-name-resolve"],
                           capture_output=True, text=True, env=self.env, timeout=120)
        if r.returncode != 0:
            raise SetupError("mariadb-install-db: %s" % (r.stderr or r.stdout)[-800:])
        n1.start(bootstrap=True)
        n1.wait_synced(60)

    def join_others(self):
        # One joiner at a time: a donor serves one state transfer at once.
        for n in self.nodes[1:]:
            n.start()
            n.wait_synced(90)
        self.wait_size(3, 30)

    def wait_size(self, size, timeout):
        def ok():
            sizes = [n.status("wsrep_cluster_size") for n in self.nodes if n.alive()]
            return sizes and all(s == str(size) for s in sizes) and \
                all(n.synced() for n in self.nodes if n.alive())
        wait_for(ok, timeout, 0.2, "cluster size %d on every node" % size)

    def setup_database(self):
        self.db_password = secrets.token_urlsafe(24)
        admin_password = secrets.token_urlsafe(24)
        for path, pw in ((self.db_password_file, self.db_password),
                         (self.db_admin_password_file, admin_password)):
            Path(path).write_text(pw + "\n")
            os.chmod(path, 0o600)
        # The guide's statements, through node 1 only (DDL and accounts replicate).
        sql = guide_block("sql", "- **The database users**")
        sql = sql.replace("10.0.1.%", "127.0.0.1").replace("SERVICE-PASSWORD", self.db_password)
        self.nodes[0].sql(sql.replace("ADMIN-PASSWORD", admin_password))
        # The guide's migration: with the user that may change the schema.
        r = self.admin(["gen-secret", self.secret], DB_ADMIN_USER)
        if r.returncode == 0:
            r = self.admin(["migrate", "--dir", self.sql_dir], DB_ADMIN_USER)
        if r.returncode != 0:
            raise SetupError("overwatch-admin: %s" % (r.stderr or r.stdout)[-800:])
        # The schema is on every node before any host starts.
        def everywhere():
            return all(n.sql("SELECT COUNT(*) FROM %s.schema_migrations" % DB_NAME, check=False)
                       for n in self.nodes)
        wait_for(everywhere, 20, 0.2, "the schema on every node")

    def admin(self, args, user=DB_USER):
        """overwatch-admin args against node 1 as user (the service's, or the guide's admin)."""
        env = dict(self.env,
                   OVERWATCH_DATABASE_SERVERS="127.0.0.1:%d" % self.nodes[0].port,
                   OVERWATCH_DATABASE_NAME=DB_NAME, OVERWATCH_DATABASE_USER=user,
                   OVERWATCH_DATABASE_PASSWORD_FILE=self.db_password_file if user == DB_USER
                   else self.db_admin_password_file)
        return subprocess.run([self.admin_bin] + args, capture_output=True, text=True, env=env,
                              timeout=120)

    def start_hosts(self):
        n1, n2, n3 = self.nodes
        self.hosts = [Host(self, "host-a", [n1, n2]), Host(self, "host-b", [n2, n3])]
        if self.sync_wait != 1:
            for h in self.hosts:
                h.write_config = _with_sync_wait(h.write_config, h, self.sync_wait)
        for h in self.hosts:
            h.start()

    def start_haproxy(self):
        self.haproxy = HAProxy(self)
        self.haproxy.start(self.hosts)

    def apply_lag(self, rows=20000):
        """A context manager: node 1 commits big UPDATEs back to back, so the
        other nodes' appliers always have a writeset in progress and a change
        committed through node 1 is applied on node 2 and 3 only a little
        later. Without wsrep_sync_wait a read there sees the old row."""
        return ApplyLag(self, rows)

    @property
    def a(self):
        return self.hosts[0].http

    @property
    def b(self):
        return self.hosts[1].http

    @property
    def lb(self):
        return self.haproxy.http

    # ---------------------------------------------------------------- cleanup

    def logs(self):
        out = [n.log for n in self.nodes]
        for h in self.hosts:
            out += [str(h.dir / "overwatch-fcgi.log"), str(h.dir / "lighttpd-error.log")]
        if self.haproxy:
            out.append(str(self.haproxy.dir / "haproxy.log"))
        return out

    def cleanup(self):
        for p in reversed(self.procs):
            self.stop_process(p, timeout=30)
        self.kill_strays()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)



class ApplyLag:
    def __init__(self, cluster, rows):
        self.cluster = cluster
        self.rows = rows
        self.proc = None

    def __enter__(self):
        n1 = self.cluster.nodes[0]
        n1.sql("CREATE DATABASE IF NOT EXISTS lag; "
               "CREATE TABLE IF NOT EXISTS lag.filler (id INT PRIMARY KEY, v INT NOT NULL) "
               "ENGINE=InnoDB; "
               "USE lag; INSERT IGNORE INTO lag.filler SELECT seq, 0 FROM seq_1_to_%d;" % self.rows)
        script = Path(self.cluster.tmp) / "lag.sql"
        script.write_text("UPDATE lag.filler SET v = v + 1;\n" * 100000)
        with open(script, "rb") as stdin, open(Path(self.cluster.tmp) / "lag.out", "ab") as out:
            self.proc = subprocess.Popen(
                [harness.which("mariadb", "/usr/bin"), "--no-defaults", "--socket=%s" % n1.socket,
                 "-u", getpass.getuser(), "--force"], stdin=stdin, stdout=out, stderr=out,
                env=self.cluster.env, start_new_session=True)
        self.cluster.procs.append(self.proc)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        self.cluster.stop_process(self.proc, signal.SIGKILL, 10)


def _with_sync_wait(write_config, host, value):
    """--sync-wait N: the hosts' configuration with another sync_wait (to show the tests fail)."""
    def write():
        write_config()
        text = Path(host.config).read_text().replace("sync_wait = 1", "sync_wait = %d" % value)
        Path(host.config).write_text(text)
    return write
