"""The client examples in examples/ (curl, JavaScript, Python), run as a user
would run them against the live service, with only the address given.

- The session examples sign in, call the API, refresh ahead of expiry and
  sign out. On an instance whose access tokens live 12 s, with a refresh
  margin of 8 s and calls every 0.5 s for 6 s, a refresh must happen before
  the token runs out and no call may fail.
- When the session is ended from outside (logout with the stored tokens),
  the client's refresh is refused and it signs in again; no call fails.
- The CI examples create an incident with an API key from the environment.

The JavaScript examples need Node.js 18 or later and the curl ones jq
(tools/lib.sh lists both for the tests).
"""

import json
import os
import subprocess
import time
from pathlib import Path

from lib import api
from lib.checks import expect
from test_identity_config import own_instance

FRONTENDS = ("apache-fcgid",)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHORT_TOKENS = {"OVERWATCH_JWT_ACCESS_TTL": "12"}


def run_env(fe, **extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "OVERWATCH_URL": fe.base_url + api.API}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def session_command(lang):
    return {"python": ["python3", str(EXAMPLES / "python" / "session_demo.py")],
            "javascript": ["node", str(EXAMPLES / "javascript" / "session-demo.mjs")]}[lang]


def events(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def run_session(fe, lang, org, **extra):
    env = run_env(fe, OVERWATCH_EMAIL=org.admin.email, OVERWATCH_PASSWORD=org.admin.password,
                  **extra)
    p = subprocess.run(session_command(lang), env=env, capture_output=True, text=True,
                       timeout=120)
    expect(p.returncode == 0, "%s session example failed: %s" % (lang, p.stderr), None)
    return events(p.stdout)


def check_proactive_refresh(fe, lang):
    with own_instance(fe, "examples-" + lang, SHORT_TOKENS) as own:
        org = api.Org(own, "examples")
        ev = run_session(own, lang, org, OVERWATCH_REFRESH_MARGIN=8, OVERWATCH_CALLS=13,
                         OVERWATCH_INTERVAL=0.5)
    kinds = [e["event"] for e in ev]
    calls = [e for e in ev if e["event"] == "call"]
    expect(kinds[0] == "login" and ev[0]["expires_in"] == 12, "login first, 12 s tokens: %s"
           % kinds, None)
    expect(len(calls) == 13 and all(c["status"] == 200 for c in calls),
           "every call answered 200: %s" % calls, None)
    expect("refresh" in kinds, "a refresh before the token ran out: %s" % kinds, None)
    expect("relogin" not in kinds and "refresh_refused" not in kinds,
           "no sign-in again while the refresh token lives: %s" % kinds, None)
    expect(kinds[-1] == "logout" and ev[-1]["status"] == 204, "logout 204: %s" % ev[-1:], None)


def test_python_session_refreshes_ahead_of_expiry(fe):
    check_proactive_refresh(fe, "python")


def test_javascript_session_refreshes_ahead_of_expiry(fe):
    check_proactive_refresh(fe, "javascript")


def check_sign_in_again(fe, lang):
    org = api.Org(fe, "examples")
    token_file = Path(fe.harness.tmp) / ("tokens-%s.json" % api.unique("ex"))
    env = run_env(fe, OVERWATCH_EMAIL=org.admin.email, OVERWATCH_PASSWORD=org.admin.password,
                  OVERWATCH_CALLS=24, OVERWATCH_INTERVAL=0.25, OVERWATCH_TOKEN_FILE=token_file)
    proc = subprocess.Popen(session_command(lang), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        # After the second answered call, end the session with the stored tokens.
        while sum(1 for line in lines if '"call"' in line) < 2:
            line = proc.stdout.readline()
            if line == "":
                expect(False, "example ended early: %s" % proc.stderr.read(), None)
            lines.append(line)
        expect(oct(token_file.stat().st_mode & 0o777) == "0o600", "token file is 0600", None)
        stored = json.loads(token_file.read_text())
        r = fe.request("POST", api.API + "/auth/logout",
                       headers={"Authorization": "Bearer " + stored["access_token"]})
        expect(r.status == 204, "logout from outside", r)
        out, err = proc.communicate(timeout=120)
        lines.extend(out.splitlines())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    expect(proc.returncode == 0, "example failed after its session ended: %s" % err, None)
    ev = events("\n".join(lines))
    kinds = [e["event"] for e in ev]
    calls = [e for e in ev if e["event"] == "call"]
    expect(len(calls) == 24 and all(c["status"] == 200 for c in calls),
           "every call answered 200: %s" % [c["status"] for c in calls], None)
    expect("refresh_refused" in kinds and "relogin" in kinds,
           "the dead refresh token led to a new sign-in: %s" % kinds, None)
    expect(kinds.index("refresh_refused") < kinds.index("relogin"), "refresh tried first", None)


def test_python_session_signs_in_again_when_the_refresh_token_is_dead(fe):
    check_sign_in_again(fe, "python")


def test_javascript_session_signs_in_again_when_the_refresh_token_is_dead(fe):
    check_sign_in_again(fe, "javascript")


def test_curl_session_refreshes_and_logs_out(fe):
    org = api.Org(fe, "examples")
    # A margin longer than the token's life: the script must refresh before its call.
    env = run_env(fe, OVERWATCH_EMAIL=org.admin.email, OVERWATCH_PASSWORD=org.admin.password,
                  OVERWATCH_REFRESH_MARGIN=100000)
    p = subprocess.run(["sh", str(EXAMPLES / "curl" / "session.sh")], env=env,
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, "curl session example: %s %s" % (p.stdout, p.stderr), None)
    lines = p.stdout.splitlines()
    expect(lines == ["signed in as %s (admin)" % org.admin.email, "refreshed", "incidents: 0",
                     "logout: 204"], "curl session output: %s" % lines, None)


def check_ci_example(fe, command):
    org = api.Org(fe, "examples")
    key = org.create_key(["incidents:create", "incidents:read"])
    title = api.unique("deploy")
    p = subprocess.run(command + [title], env=run_env(fe, OVERWATCH_API_KEY=key["api_key"]),
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, "%s: %s" % (command, p.stderr), None)
    incident_id = p.stdout.strip()
    listed = api.ok(org.client.get("/incidents/" + incident_id), 200, "GET the new incident")
    expect(listed["title"] == title, "the incident the example made", None)
    # A key without incidents:create: the example fails, saying why.
    weak = org.create_key(["incidents:read"])
    p = subprocess.run(command + [title], env=run_env(fe, OVERWATCH_API_KEY=weak["api_key"]),
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode != 0, "%s succeeded without incidents:create" % command, None)


def test_ci_examples_create_an_incident_with_a_key(fe):
    check_ci_example(fe, ["python3", str(EXAMPLES / "python" / "ci_key.py")])
    check_ci_example(fe, ["node", str(EXAMPLES / "javascript" / "ci-key.mjs")])
    check_ci_example(fe, ["sh", str(EXAMPLES / "curl" / "ci-key.sh")])


def test_ci_example_with_a_rotated_key_during_and_after_the_overlap(fe):
    """A pipeline keeps working through a rotation's overlap with the old
    key, then fails saying the key was rotated, and works with the new one."""
    org = api.Org(fe, "examples")
    key = org.create_key(["incidents:create", "incidents:read"])
    # 10 s: the first run must land inside the overlap even on a loaded
    # machine under ASan (4 s was too short there: a Python start and a request).
    r = org.client.post("/api-keys/%s/rotate" % key["id"], {"overlap_seconds": 10})
    new = api.ok(r, 201, "rotate with a 10 s overlap")
    command = ["python3", str(EXAMPLES / "python" / "ci_key.py"), api.unique("deploy")]
    p = subprocess.run(command, env=run_env(fe, OVERWATCH_API_KEY=key["api_key"]),
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, "old key inside the overlap: %s" % p.stderr, None)
    deadline = time.time() + 40
    while True:
        p = subprocess.run(command, env=run_env(fe, OVERWATCH_API_KEY=key["api_key"]),
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            break
        expect(time.time() < deadline, "the old key still works 40 s after a 10 s overlap", None)
        time.sleep(0.5)
    expect("rotated" in p.stderr, "the example says why: %r" % p.stderr, None)
    p = subprocess.run(command, env=run_env(fe, OVERWATCH_API_KEY=new["api_key"]),
                       capture_output=True, text=True, timeout=60)
    expect(p.returncode == 0, "the new key: %s" % p.stderr, None)
