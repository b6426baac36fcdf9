#!/bin/sh
# A CI/CD step: record a deployment as an incident, with an API key from the
# environment (a CI secret). Needs curl and jq; the key needs incidents:create.
#
#   OVERWATCH_URL=https://<your-instance>/api/v1 OVERWATCH_API_KEY=overwatch_ak_... \
#   sh examples/curl/ci-key.sh "Deploy of build 1234"
set -eu
B=${OVERWATCH_URL:?set OVERWATCH_URL}
: "${OVERWATCH_API_KEY:?set OVERWATCH_API_KEY}"
BODY=$(jq -n --arg t "${1:-Deployment}" \
	'{title: $t, severity: "low", description: "Recorded by the CI pipeline"}')
# -f: an error answer (403 without incidents:create, 401 for a revoked key) fails the step.
INCIDENT=$(curl -sSf -X POST "$B/incidents" -H "X-API-Key: $OVERWATCH_API_KEY" \
	-H "Content-Type: application/json" -d "$BODY")
printf '%s\n' "$INCIDENT" | jq -r .id
