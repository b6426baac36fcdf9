"""A minimal FastCGI client (responder role), standard library only.

Lets the fault tests talk to overwatch-fcgi's socket directly, without a web
server in between, so that they can hold a request half-sent ("in flight")
while they signal the master.
"""

import socket
import struct

VERSION = 1
BEGIN_REQUEST = 1
END_REQUEST = 3
PARAMS = 4
STDIN = 5
STDOUT = 6
STDERR = 7
RESPONDER = 1


class FcgiError(Exception):
    """The connection broke before a complete response (END_REQUEST) arrived."""


def _record(rtype, content, request_id=1):
    out = b""
    # A record holds at most 65535 bytes of content: split longer streams.
    while True:
        chunk, content = content[:65535], content[65535:]
        pad = (8 - len(chunk) % 8) % 8
        out += struct.pack("!BBHHBx", VERSION, rtype, request_id, len(chunk), pad)
        out += chunk + b"\0" * pad
        if not content:
            return out


def _length(n):
    return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_params(params):
    data = b""
    for name, value in params.items():
        name = name.encode() if isinstance(name, str) else name
        value = value.encode() if isinstance(value, str) else value
        data += _length(len(name)) + _length(len(value)) + name + value
    return data


def cgi_params(method, path, query="", headers=None, body=b"", content_type=None):
    """CGI/1.1 parameters roughly as lighttpd sends them."""
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "overwatch-integration-tests",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_ADDR": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "REQUEST_METHOD": method,
        "REQUEST_URI": path + ("?" + query if query else ""),
        "SCRIPT_NAME": path,
        "QUERY_STRING": query,
        "DOCUMENT_ROOT": "/nonexistent",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
    }
    if content_type:
        params["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        params["HTTP_" + name.upper().replace("-", "_")] = value
    return params


class Connection:
    """One FastCGI request on its own connection, sent in steps."""

    def __init__(self, address, timeout=15.0):
        if isinstance(address, tuple):
            self.sock = socket.create_connection(address, timeout=timeout)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(address)
        self.received = 0

    def begin(self, params, end_params=True, stdin=None):
        """stdin (bytes): also the body and the end of FCGI_STDIN, in the same
        send, as lighttpd sends a request without a body."""
        data = _record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, 0))
        data += _record(PARAMS, encode_params(params))
        if end_params:
            data += _record(PARAMS, b"")
        if stdin is not None:
            data += (_record(STDIN, stdin) if stdin else b"") + _record(STDIN, b"")
        self.sock.sendall(data)

    def send_stdin(self, body, end=True):
        data = _record(STDIN, body) if body else b""
        if end:
            data += _record(STDIN, b"")
        self.sock.sendall(data)

    def readable(self, timeout=0.0):
        import select
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r)

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise FcgiError("connection closed after %d bytes of response" % self.received)
            self.received += len(chunk)
            buf += chunk
        return buf

    def read_response(self):
        """Returns (status, headers dict with lower-case names, body bytes, stderr)."""
        stdout = b""
        stderr = b""
        while True:
            header = self._read_exact(8)
            _, rtype, _, length, pad = struct.unpack("!BBHHBx", header)
            content = self._read_exact(length + pad)[:length]
            if rtype == STDOUT:
                stdout += content
            elif rtype == STDERR:
                stderr += content
            elif rtype == END_REQUEST:
                break
        head, sep, body = stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = stdout.partition(b"\n\n")
        if not sep:
            raise FcgiError("response without a header block: %r" % stdout[:200])
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(headers.get("status", "200").split()[0])
        return status, headers, body, stderr

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def request(address, method, path, query="", headers=None, body=b"",
            content_type=None, timeout=15.0):
    """One complete request; returns (status, headers, body, stderr)."""
    conn = Connection(address, timeout)
    try:
        conn.begin(cgi_params(method, path, query, headers, body, content_type))
        conn.send_stdin(body)
        return conn.read_response()
    finally:
        conn.close()
