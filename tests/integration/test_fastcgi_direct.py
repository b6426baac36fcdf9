"""FastCGI spoken directly to the standalone master's socket, no web server in
between: what a web server would never send, and timing a web server hides.
"""

import socket
import time

from lib import fcgi_client
from lib.checks import expect

FRONTENDS = ("lighttpd-socket",)
ORDER = 60
LOGIN = "/api/v1/auth/login"


def _begin_huge_login(conn):
    """A login announcing a 10 MiB body, of which nothing is sent."""
    params = fcgi_client.cgi_params("POST", LOGIN, content_type="application/json")
    params["CONTENT_LENGTH"] = str(10 * 1024 * 1024)
    conn.begin(params)


def test_413_is_judged_before_reading_the_body(fe):
    conn = fcgi_client.Connection(fe.socket, timeout=5)
    try:
        _begin_huge_login(conn)
        # No body at all is sent: the answer must come from CONTENT_LENGTH alone.
        try:
            status, _, body, _ = conn.read_response()
        except socket.timeout:
            raise AssertionError("no answer within 5 s: the service waits for a "
                                 "10 MiB body instead of answering 413") from None
    finally:
        conn.close()
    expect(status == 413, "expected 413, got %d: %r" % (status, body[:200]))


def test_garbage_params_do_not_kill_workers(fe):
    before = fe.worker_pids()
    cases = [
        {},                                                   # no parameters at all
        {"REQUEST_METHOD": "GET"},                            # no URI
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "api/v1/health"},
        {"REQUEST_METHOD": "", "REQUEST_URI": "/api/v1/health"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/health%00x"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/%ff%fe/../health"},
        {"REQUEST_METHOD": "POST", "REQUEST_URI": LOGIN, "CONTENT_LENGTH": "-1",
         "CONTENT_TYPE": "application/json"},
        {"REQUEST_METHOD": "POST", "REQUEST_URI": LOGIN, "CONTENT_LENGTH": "abc",
         "CONTENT_TYPE": "application/json"},
        {"REQUEST_METHOD": "POST", "REQUEST_URI": LOGIN,
         "CONTENT_LENGTH": "99999999999999999999999", "CONTENT_TYPE": "application/json"},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/health",
         "HTTP_X_BIG": "x" * 200000},
        {"REQUEST_METHOD": "GET", "REQUEST_URI": "/api/v1/health",
         "HTTP_COOKIE": ";;;=;access_token;=x;" * 100},
    ]
    for params in cases:
        name = {k: (v[:40] + "..." if len(v) > 40 else v) for k, v in params.items()}
        conn = fcgi_client.Connection(fe.socket, timeout=10)
        try:
            conn.begin(params)
            conn.send_stdin(b"")
            status, _, body, _ = conn.read_response()
        except (OSError, fcgi_client.FcgiError) as e:
            raise AssertionError("%s: no complete answer (%s: %s)" % (name, type(e).__name__, e))
        finally:
            conn.close()
        # Mostly 4xx; a tolerant reading (e.g. of a dot segment) may be 200.
        expect(200 <= status < 500, "%s: answered %d: %r" % (name, status, body[:200]))
    time.sleep(0.2)
    expect(fe.worker_pids() == before, "workers died on malformed FastCGI input (%s -> %s)"
           % (before, fe.worker_pids()))


def _answered_then_eof(conn):
    """Read the reply through FCGI_END_REQUEST, then the end of the worker's stream."""
    status, _, body, _ = conn.read_response()
    try:
        rest = conn.sock.recv(1)
    except socket.timeout:
        raise AssertionError("no end of stream within 10 s after FCGI_END_REQUEST") from None
    expect(rest == b"", "bytes after FCGI_END_REQUEST: %r" % rest)
    return status, body


def test_worker_closes_at_once_after_a_whole_request(fe):
    # The whole request read (FCGI_STDIN ended): the worker closes without
    # waiting for the web server to close first (libfcgi's lingering close
    # kept it, after shutting down only its sending side, until then).
    conn = fcgi_client.Connection(fe.socket, timeout=10)
    try:
        # All of it in one send, as lighttpd does: sent in two, the worker could
        # answer before the second arrived, and then rightly keeps reading.
        conn.begin(fcgi_client.cgi_params("GET", "/api/v1/health"), stdin=b"")
        status, body = _answered_then_eof(conn)
        expect(status == 200, "health: %d %r" % (status, body[:200]))
        # Fully closed, not just shut down for sending: what we send now has no reader.
        try:
            conn.send_stdin(b"x" * 16)
            sent = True
        except (BrokenPipeError, ConnectionResetError):
            sent = False
        expect(not sent, "the worker still reads the connection after answering "
                         "a complete request: it waits for the web server to close")
    finally:
        conn.close()


def test_worker_still_reads_an_unread_body_after_answering(fe):
    # Answered before the body was read (413): closing at once would make the
    # web server's next write of the body fail, so the worker keeps reading
    # (libfcgi's lingering close) until the web server closes.
    conn = fcgi_client.Connection(fe.socket, timeout=10)
    try:
        _begin_huge_login(conn)
        status, _ = _answered_then_eof(conn)
        expect(status == 413, "expected 413, got %d" % status)
        try:
            conn.send_stdin(b"x" * 4096, end=False)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise AssertionError("the rest of an unread body could not be sent after the "
                                 "answer (%s): a web server would fail the request" % e) from None
    finally:
        conn.close()
