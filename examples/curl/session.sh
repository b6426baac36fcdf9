#!/bin/sh
# Sign in, call the API with the access token (refreshing it first when it
# runs out within the margin), sign out. Needs curl and jq.
#
#   OVERWATCH_URL=http://127.0.0.1:8080/api/v1 OVERWATCH_EMAIL=... \
#   OVERWATCH_PASSWORD=... sh examples/curl/session.sh
#
# OVERWATCH_REFRESH_MARGIN: seconds before expiry to refresh (default 300).
# The tokens live in shell variables only; nothing is written to disk.
set -eu
B=${OVERWATCH_URL:?set OVERWATCH_URL, e.g. http://127.0.0.1:8080/api/v1}
MARGIN=${OVERWATCH_REFRESH_MARGIN:-300}

# The documented login, with the password from the environment, not the command line's history.
LOGIN=$(jq -n --arg e "${OVERWATCH_EMAIL:?}" --arg p "${OVERWATCH_PASSWORD:?}" \
	'{email: $e, password: $p}' |
	curl -sf -X POST "$B/auth/login" -H "Content-Type: application/json" -d @-)
ACCESS_TOKEN=$(printf '%s' "$LOGIN" | jq -r .access_token)
REFRESH_TOKEN=$(printf '%s' "$LOGIN" | jq -r .refresh_token)
echo "signed in as $(printf '%s' "$LOGIN" | jq -r '.user.email + " (" + .user.role + ")"')"

# exp of the access token: its payload, base64url-decoded (not verified: the service does that).
token_exp() {
	printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+' |
		awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d | jq .exp
}

# Steps 2 and 3 of the refresh pattern; step 4 (the refresh is refused) ends the script.
fresh_token() {
	if [ $(($(token_exp "$ACCESS_TOKEN") - $(date +%s))) -le "$MARGIN" ]; then
		ANSWER=$(curl -s -X POST "$B/auth/refresh" -H "Content-Type: application/json" \
			-d "{\"refresh_token\": \"$REFRESH_TOKEN\"}")
		NEW=$(printf '%s' "$ANSWER" | jq -r '.access_token // empty')
		if [ -z "$NEW" ]; then
			echo "refresh refused: $(printf '%s' "$ANSWER" | jq -r .detail); sign in again" >&2
			exit 2
		fi
		ACCESS_TOKEN=$NEW
		echo "refreshed"
	fi
}

fresh_token
curl -sf "$B/incidents?limit=5" -H "Authorization: Bearer $ACCESS_TOKEN" |
	jq -r '"incidents: \(length)"'

# The documented logout (a POST without a body).
curl -sf -o /dev/null -w 'logout: %{http_code}\n' -X POST "$B/auth/logout" \
	-H "Authorization: Bearer $ACCESS_TOKEN"
