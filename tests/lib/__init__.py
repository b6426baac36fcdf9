"""The test library every suite imports (tests/integration, tests/cluster,
tests/soak, tests/browser/stack.py, tests/bench): `from lib import harness`.

  client       Endpoint and Response: the one HTTP client
  harness      private MariaDB, the service, lighttpd and Apache front-ends
  checks       expect() and the API error-body checks (doc/api.md sections 1, 2)
  api          Org, Client and status helpers of the API-level tests
  fcgi_client  a FastCGI client that talks to overwatch-fcgi directly
  guarded      web servers that protect a site with the Authorizer role
  oidc_idp     an OpenID Connect provider for the single-sign-on tests
  smtp_sink    an SMTP server on loopback that keeps what it is sent (notifications)

Entry scripts put tests/ on sys.path with one line; nothing else does.
"""
