"""How each web server runs the service (DESIGN.md 3, "Pool size depends on
the spawner"), and that stopping the web server stops the service.

Runs last: the stop tests take their front-end down.
"""

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from lib import fcgi_client, harness
from lib.checks import expect

FRONTENDS = ("lighttpd-spawn", "apache-fcgid")
ORDER = 95


def service_pids(fe):
    """overwatch-fcgi processes under the web server, as {pid: [child pids]}."""
    return {p: harness.children(p) for p in harness.descendants(fe.proc.pid)
            if "overwatch-fcgi" in harness.cmdline(p)}


def test_spawned_service_process_shape(fe):
    r = fe.get("/api/v1/health")
    expect(r.status == 200, "precondition: /health", r)
    procs = service_pids(fe)
    if fe.name == "lighttpd-spawn":
        # bin-path with max-procs 1 and --workers 2: one master, two workers.
        masters = [p for p in procs if harness.children(p)]
        expect(len(masters) == 1, "expected one master under lighttpd, got %s" % procs)
        expect(len(procs[masters[0]]) == harness.WORKERS,
               "the spawned master has workers %s, not %d" % (procs[masters[0]],
                                                              harness.WORKERS))
    else:
        # mod_fcgid: every process is one in-process worker, no children.
        expect(procs, "no overwatch-fcgi process under Apache")
        expect(all(not kids for kids in procs.values()),
               "mod_fcgid-spawned processes have children: %s" % procs)


def load(fe, threads, per_thread, path="/api/v1/health"):
    """threads clients each sending per_thread GETs at once; a list of statuses
    (or exception names) of every answer."""
    out, lock = [], threading.Lock()

    def client():
        for _ in range(per_thread):
            try:
                s = fe.get(path, timeout=20).status
            except Exception as e:  # noqa: BLE001 - a transport error is a result
                s = type(e).__name__
            with lock:
                out.append(s)
    ts = [threading.Thread(target=client) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    return out


def test_fcgid_recycling_loses_no_request(fe):
    """Under mod_fcgid the process leaves when mod_fcgid retires it
    (FcgidMaxRequestsPerProcess, README.md "Apache with mod_fcgid"), never on its own
    after max_requests: mod_fcgid may already have handed it the next request.
    A private Apache with both set low; every answer must be a 200."""
    if fe.name != "apache-fcgid":
        return
    h = fe.harness
    own = h.start_apache("apache-recycle", extra_env={"OVERWATCH_SERVICE_MAX_REQUESTS": "15"},
                         extra_conf="FcgidMaxRequestsPerProcess 40\n")
    try:
        expect(own.error is None, "private Apache did not start: %s" % own.error)
        statuses = load(own, 8, 60)
        bad = [s for s in statuses if s != 200]
        log = Path(own.dir / "apache-error.log").read_text(errors="replace")
        expect(len(statuses) == 480 and not bad,
               "%d of %d requests failed while processes recycle: %s; log: %s"
               % (len(bad), len(statuses), sorted(set(map(str, bad))),
                  [x for x in log.splitlines() if "error" in x][:3]))
        # The requests crossed several of mod_fcgid's recycles (480 requests, 40
        # each); its process manager logs each once it has stopped and reaped it.
        errlog = Path(own.dir / "apache-error.log")
        retired = 0
        deadline = time.monotonic() + 30
        while retired < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            retired = errlog.read_text(errors="replace").count("exit(lifetime expired)")
        expect(retired >= 2, "mod_fcgid retired %d processes over 480 requests" % retired)
        expect("error reading data from FastCGI server" not in log,
               "mod_fcgid lost a connection: %s" % log[-800:])
    finally:
        h.frontends.pop(own.name, None)
        h.stop_frontend(own)


# ppoll's system call number: the worker's idle wait is its only ppoll (the
# database client polls with poll), so a process stopped inside it is idle.
PPOLL_NR = {"x86_64": 271, "aarch64": 73, "riscv64": 73}.get(os.uname().machine)


def in_syscall(pid, nr):
    """Is pid inside system call nr (/proc/PID/syscall, readable by its parent)?"""
    try:
        return Path("/proc/%d/syscall" % pid).read_text().split()[0] == str(nr)
    except (OSError, IndexError):
        return False


def in_ppoll(pid):
    return in_syscall(pid, PPOLL_NR)


def proc_state(pid):
    """pid's state letter (R, S, T, Z...), or None once it is gone."""
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def stop_while_idle(p, timeout=10.0):
    """SIGSTOP p while it waits in ppoll with no request in hand. Stopped
    anywhere else (still finishing the previous connection, or between two
    ticks of its wait) it would, on SIGCONT, reach ppoll with the next
    connection already queued and answer it in its ordinary loop, the stop
    signal staying blocked: the test would not reach the drain it is about."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not in_ppoll(p.pid):
            time.sleep(0.005)
            continue
        os.kill(p.pid, signal.SIGSTOP)
        while proc_state(p.pid) not in ("T", "Z", None):
            time.sleep(0.001)
        if in_ppoll(p.pid):
            return
        os.kill(p.pid, signal.SIGCONT)         # it left ppoll (a tick) first: again
    raise AssertionError("the process alone never sat idle in ppoll within %.0f s" % timeout)


def spawn_alone(h, d, listener, env):
    """overwatch-fcgi spawned alone on listener (fd 0, as mod_fcgid spawns
    it), logging to d/alone.log; the harness stops it if the test fails."""
    with open(d / "alone.log", "ab") as log:
        p = subprocess.Popen([h.fcgi_bin, "--config", h.config], stdin=listener.fileno(),
                             stdout=log, stderr=log, env=env, start_new_session=True)
    h.procs.append(p)
    listener.close()
    return p


def answered_then_exits(conn, p, lost):
    """The queued request on conn is answered 200, then p exits 0 (15 s at most)."""
    try:
        status = conn.read_response()[0]
    except (OSError, fcgi_client.FcgiError) as e:
        raise AssertionError("%s: %s" % (lost, e)) from None
    expect(status == 200, "the queued request got %s" % status)
    try:
        code = p.wait(15)
    except subprocess.TimeoutExpired:
        raise AssertionError("the process did not exit within 15 s of SIGTERM") from None
    expect(code == 0, "exit status %s after SIGTERM" % code)


# openat's system call number: where a process blocked opening a FIFO waits.
OPENAT_NR = {"x86_64": 257, "aarch64": 56, "riscv64": 56}.get(os.uname().machine)


def blocked_in_open(pid):
    return in_syscall(pid, OPENAT_NR)


def test_alone_stop_during_startup_answers_queued_connection(fe):
    """A process spawned alone that is told to stop while it is still
    starting answers the connection already queued on its socket and exits
    0: a graceful restart of Apache stops the processes mod_fcgid has just
    spawned, milliseconds after the spawn, while a request may already be
    on its way to them. Killed by SIGTERM's default action there, it reset
    that request (a 500 "End of script output before headers"). To hold it
    inside its start-up, its [database] password_file is a FIFO: opening it
    waits for a writer, after main() has begun; the SIGTERM is sent while
    it waits, and only then is the password written."""
    if fe.name != "apache-fcgid" or OPENAT_NR is None:
        return
    h = fe.harness
    d = Path(h.tmp) / "alone-startup"
    d.mkdir(exist_ok=True)
    path, fifo = str(d / "alone.sock"), str(d / "db.password.fifo")
    os.mkfifo(fifo, 0o600)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    # The request is queued before the process exists, as mod_fcgid's may be.
    conn = fcgi_client.Connection(path, timeout=30)
    conn.begin(fcgi_client.cgi_params("GET", "/api/v1/health"))
    conn.send_stdin(b"")
    env = dict(h.env, **h.service_env)
    env["OVERWATCH_DATABASE_PASSWORD_FILE"] = fifo
    p = spawn_alone(h, d, listener, env)
    try:
        deadline = time.monotonic() + 15
        while not blocked_in_open(p.pid) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        expect(blocked_in_open(p.pid), "precondition: the process waits opening its "
               "password FIFO (exit status %s)" % p.poll())
        os.kill(p.pid, signal.SIGTERM)
        time.sleep(0.2)                    # a default action would have killed it by now
        try:
            w = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            raise AssertionError("the process died of the SIGTERM sent during its start-up "
                                 "(exit status %s, %s): the stop signals must wait for "
                                 "their handlers" % (p.poll(), e)) from None
        os.write(w, Path(h.db_password_file).read_bytes())
        os.close(w)
        answered_then_exits(conn, p, "the queued request was lost to the stop")
    finally:
        conn.close()
        if p.poll() is None:
            h.stop_process(p)


def test_alone_stop_answers_queued_connection(fe):
    """A process spawned alone (the listening socket on fd 0, as mod_fcgid
    spawns it) that is told to stop answers a connection already queued on its
    socket -- mod_fcgid may hand it one just before its SIGTERM -- rather than
    resetting it by exiting. Frozen with SIGSTOP while idle in ppoll, the
    request is queued and the SIGTERM is pending; on SIGCONT the signal
    interrupts the wait first, so only the drain after the loop can answer."""
    if fe.name != "apache-fcgid":
        return
    h = fe.harness
    d = Path(h.tmp) / "alone"
    d.mkdir(exist_ok=True)
    path = str(d / "alone.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    p = spawn_alone(h, d, listener, dict(h.env, **h.service_env))
    conn = None
    try:
        status = None
        deadline = time.monotonic() + 15
        while status != 200 and time.monotonic() < deadline and p.poll() is None:
            try:
                status = fcgi_client.request(path, "GET", "/api/v1/health", timeout=5)[0]
            except (OSError, fcgi_client.FcgiError):
                time.sleep(0.1)
        expect(status == 200, "precondition: the process alone answers /health (%s)" % status)
        if PPOLL_NR is None:
            return                             # no way to see where it waits here
        stop_while_idle(p)
        conn = fcgi_client.Connection(path, timeout=15)
        conn.begin(fcgi_client.cgi_params("GET", "/api/v1/health"))
        conn.send_stdin(b"")
        os.kill(p.pid, signal.SIGTERM)
        os.kill(p.pid, signal.SIGCONT)
        answered_then_exits(conn, p, "the queued request was lost on SIGTERM")
    finally:
        if conn:
            conn.close()
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            h.stop_process(p)


def test_web_server_stop_stops_service(fe):
    fe.get("/api/v1/health")
    pids = set(service_pids(fe))
    for kids in list(service_pids(fe).values()):
        pids |= set(kids)
    expect(pids, "no service processes found")
    fe.proc.send_signal(signal.SIGTERM)
    try:
        fe.proc.wait(20)
    except Exception:  # noqa: BLE001
        raise AssertionError("%s did not stop within 20 s of SIGTERM" % fe.name) from None
    deadline = time.monotonic() + 12
    alive = pids
    while time.monotonic() < deadline:
        alive = [p for p in pids if harness.pid_alive(p)]
        if not alive:
            break
        time.sleep(0.1)
    expect(not alive, "service processes %s outlive %s by 12 s (SIGTERM must stop "
           "them)" % (alive, fe.name))
