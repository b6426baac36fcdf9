#!/usr/bin/env python3
"""Sign in, list incidents a few times (refreshing ahead of expiry), sign out.

  OVERWATCH_URL=http://127.0.0.1:8080/api/v1 OVERWATCH_EMAIL=... \
  OVERWATCH_PASSWORD=... python3 examples/python/session_demo.py

Optional: OVERWATCH_REFRESH_MARGIN (seconds, default 300), OVERWATCH_CALLS
(default 3), OVERWATCH_INTERVAL (seconds between calls, default 1),
OVERWATCH_TOKEN_FILE (where the tokens are kept, mode 0600).
Prints one JSON line per event (login, refresh, call, relogin, logout).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from overwatch_client import ApiError, Client  # noqa: E402


def main():
    env = os.environ
    client = Client(env["OVERWATCH_URL"],
                    refresh_margin=float(env.get("OVERWATCH_REFRESH_MARGIN", "300")),
                    token_file=env.get("OVERWATCH_TOKEN_FILE"),
                    on_event=lambda event, **f: print(json.dumps(dict(event=event, **f)),
                                                      flush=True))
    user = client.login(env["OVERWATCH_EMAIL"], env["OVERWATCH_PASSWORD"])
    print(json.dumps({"event": "user", "email": user["email"], "role": user["role"]}), flush=True)
    for i in range(int(env.get("OVERWATCH_CALLS", "3"))):
        if i:
            time.sleep(float(env.get("OVERWATCH_INTERVAL", "1")))
        incidents = client.call("GET", "/incidents?limit=5")
        print(json.dumps({"event": "incidents", "count": len(incidents)}), flush=True)
    client.logout()


if __name__ == "__main__":
    try:
        main()
    except ApiError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
