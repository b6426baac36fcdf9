#!/usr/bin/env bash
# tests/browser/run.sh -- browser tests of the console (www/) in Debian's
# chromium driven by playwright-core (npm; no browser download).
#
#   tests/browser/run.sh [node --test options...]     e.g. --test-name-pattern=CSRF
#
# Installs what is missing (apt: chromium and the service's packages,
# Node.js if there is none; npm ci from the committed package-lock.json), builds the service
# when it is not built yet, then runs qr.test.mjs (the console's QR encoder
# against published and libqrencode's vectors, no browser) and
# console.test.mjs, which starts its own stack
# (stack.py: private MariaDB, overwatch-fcgi, lighttpd on a free port) and
# stops it, then sso.test.mjs ("Sign in with SSO" through an OpenID provider
# of its own, on a stack of its own). Screenshots go to
# $OVERWATCH_BROWSER_ARTIFACTS (default: a new
# /tmp/overwatch-browser.XXXXXX, kept and printed). Bounded by
# $OVERWATCH_BROWSER_TIMEOUT seconds (default 600). Ends with the line
# `N passed, M failed`; exits non-zero on any failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../tools/lib.sh
. "$REPO/tools/lib.sh"

fail() { echo "run.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# Packages: the service's, Debian's chromium, and Node.js only when there is
# none (the machines have Node.js 20 with npm; Debian 12's own is 18, too old).
extra=(chromium)
command -v node >/dev/null && command -v npm >/dev/null || extra+=(nodejs npm)
(ow_install_packages "${OW_PACKAGES[@]}" "${extra[@]}") || fail "package installation failed"
[[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
((node_major >= 18)) || fail "node >= 18 is needed by playwright-core (have $(node --version 2>&1))"

# tools/test builds before this stage; alone, build only when nothing is built.
if [[ ! -x $REPO/overwatch-fcgi || ! -x $REPO/overwatch-admin ]]; then
	# shellcheck disable=SC2119  # no arguments: keep the tree's configure options
	ow_build || fail "build failed"
fi

# playwright-core only (it downloads no browser): exactly the locked version.
cd "$HERE" || fail "no $HERE"
locked=$(node -p 'require("./package-lock.json").packages["node_modules/playwright-core"].version')
installed=$(node -p 'require("./node_modules/playwright-core/package.json").version' 2>/dev/null || true)
if [[ $installed != "$locked" ]]; then
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null ||
		fail "npm ci failed"
fi

ARTIFACTS=${OVERWATCH_BROWSER_ARTIFACTS:-$(mktemp -d /tmp/overwatch-browser.XXXXXX)}
export OVERWATCH_BROWSER_ARTIFACTS=$ARTIFACTS
work=$(mktemp -d /tmp/overwatch-browser-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$work/results.tap
# The chromium profile goes here too, so a run cut short leaves nothing behind.
export OVERWATCH_BROWSER_TMP=$work

# timeout signals its whole process group: node, the stack launcher (which
# then stops MariaDB, the service and lighttpd) and chromium.
timeout --kill-after=30 "${OVERWATCH_BROWSER_TIMEOUT:-600}" \
	node --test --test-concurrency=1 \
	--test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination="$log" \
	"$@" qr.test.mjs console.test.mjs sso.test.mjs
rc=$?

pass=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$log" | tail -n1)
failed=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$log" | tail -n1)
skipped=$(sed -n 's/^# skip \([0-9][0-9]*\)$/\1/p' "$log" | tail -n1)
cancelled=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$log" | tail -n1)
if [[ -z $pass ]]; then
	# No summary (killed by the timeout): count the tests that did finish.
	pass=$(grep -c '^ok ' "$log")
	failed=$(grep -c '^not ok ' "$log")
fi
failed=$((${failed:-0} + ${cancelled:-0}))
if ((rc == 124 || rc == 137)); then
	echo "run.sh: timed out after ${OVERWATCH_BROWSER_TIMEOUT:-600} s" >&2
fi
if ((rc != 0 && failed == 0)); then
	failed=1
	echo "run.sh: node --test exited with status $rc" >&2
fi
echo "screenshots: $ARTIFACTS"
if ((${skipped:-0} > 0)); then
	echo "$pass passed, $failed failed, $skipped skipped"
else
	echo "$pass passed, $failed failed"
fi
((rc == 0 && failed == 0))
