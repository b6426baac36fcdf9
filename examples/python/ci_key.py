#!/usr/bin/env python3
"""A CI/CD step: record a deployment as an incident, with an API key.

  OVERWATCH_URL=https://<your-instance>/api/v1 OVERWATCH_API_KEY=overwatch_ak_... \
  python3 examples/python/ci_key.py "Deploy of build 1234"

The key comes from the environment (a CI secret), never from the source.
It needs incidents:create and incidents:read. Prints the new incident's id.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from overwatch_client import ApiError, KeyClient  # noqa: E402


def main():
    title = sys.argv[1] if len(sys.argv) > 1 else "Deployment"
    client = KeyClient(os.environ["OVERWATCH_URL"], os.environ["OVERWATCH_API_KEY"])
    created = client.call("POST", "/incidents", {"title": title, "severity": "low",
                                                 "description": "Recorded by the CI pipeline"})
    listed = client.call("GET", "/incidents?limit=100")
    assert any(i["id"] == created["id"] for i in listed), "the new incident is not listed"
    print(created["id"])


if __name__ == "__main__":
    try:
        main()
    except ApiError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
