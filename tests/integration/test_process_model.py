"""How each web server runs the service (DESIGN.md 3, "Pool size depends on
the spawner"), and that stopping the web server stops the service.

Runs last: the stop tests take their front-end down.
"""

import signal
import time

from lib import harness
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
