"""The one HTTP client of the test suites: Endpoint (a server on loopback) and
Response.  Standard library only (http.client), one fresh connection per
request, so every test sees exactly what the web server sent."""

import http.client
import json


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # http.client.HTTPMessage (case-insensitive)
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.reason, self.body[:300])


class Endpoint:
    """An HTTP server on 127.0.0.1:port (a front-end, a cluster host, HAProxy)."""

    def __init__(self, name, port):
        self.name = name
        self.port = port
        self.base_url = "http://127.0.0.1:%d" % port

    def request(self, method, path, body=None, headers=None, timeout=15.0):
        """One HTTP/1.1 request on a fresh connection; returns a Response."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = {"Connection": "close"}
            hdrs.update(headers or {})
            if isinstance(body, str):
                body = body.encode("utf-8")
            if method in ("POST", "PUT", "PATCH") and body is None:
                body = b""      # lighttpd answers 411 to a POST without Content-Length
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, r.reason, r.headers, r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_json(self, path, obj, headers=None, **kw):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
        return self.request("POST", path, body=body, headers=h, **kw)

    def __repr__(self):
        return "<%s %s>" % (self.name, self.base_url)
