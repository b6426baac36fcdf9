#!/usr/bin/env bash
# tests/sanitize/run.sh -- the integration suite against an ASan+UBSan+LeakSanitizer
# build of the service, in a copy of the tree (the checkout's own build stays as it is).
#
#   tests/sanitize/run.sh [run.py options...]   e.g. --frontend lighttpd-socket
#
# Every sanitizer report (a leak at worker exit, an ASan error, UBSan) is a
# failure, whatever the tests said: a worker that dies of one is only logged
# by its master or by mod_fcgid. Ends with "N passed, M failed" (tests plus
# one failure per report file) and exits non-zero on any failure.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/overwatch-san.XXXXXX)
trap 'rm -rf "$work"' EXIT
# mod_fcgid runs the service as www-data, which must reach the binary and write reports.
chmod 755 "$work"
mkdir -p "$work/tree" && mkdir -m 1777 "$work/reports"

# tar, not git: a fresh machine's CI may have no git; build outputs are cleaned below.
tar -C "$REPO" --exclude=./state --exclude=./.git --exclude=./tests/browser/node_modules \
	--exclude=./tests/fuzz/build --exclude='*.o' --exclude='*.a' -cf - . | tar -C "$work/tree" -xf - ||
	{ echo "sanitize: cannot copy the tree"; echo "0 passed, 1 failed"; exit 1; }
if ! (cd "$work/tree" && { [[ ! -f Makefile ]] || make distclean >/dev/null 2>&1 || true; } &&
	autoreconf -fi >/dev/null 2>&1 && ./configure --enable-sanitizers >/dev/null &&
	make -j"$(nproc)" overwatch-fcgi overwatch-admin >"$work/build.log" 2>&1); then
	tail -n 30 "$work/build.log"
	echo "sanitize: the sanitizer build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

python=/usr/bin/python3
[[ -x $python ]] || python=python3
ASAN_OPTIONS="detect_leaks=1:log_path=$work/reports/asan:log_exe_name=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$work/reports/ubsan:log_exe_name=1" \
OVERWATCH_IT_FCGI=$work/tree/overwatch-fcgi OVERWATCH_IT_ADMIN=$work/tree/overwatch-admin \
	"$python" -u "$REPO/tests/integration/run.py" "$@" >"$work/integration.log" 2>&1
last=$(tail -n 1 "$work/integration.log")
pass=0 fail=1
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	pass=${BASH_REMATCH[1]}
	fail=${BASH_REMATCH[2]}
fi
# Each failure with the lines that explain it (indented under it), so that
# a failure in CI can be understood from CI's output alone.
awk '/^FAIL/ { show = 1; n = 0; print; next }
	show && /^[ \t]/ && n < 20 { print; n++; next }
	{ show = 0 }' "$work/integration.log" | sed 's/^/sanitize: /'
reports=0
for f in "$work"/reports/*; do
	[[ -e $f ]] || continue
	reports=$((reports + 1))
	echo "sanitize: report $(basename "$f"):"
	head -n 40 "$f" | sed 's/^/  | /'
done
echo "sanitize: $pass tests passed, $fail failed, $reports sanitizer reports"
echo "$pass passed, $((fail + reports)) failed"
((fail + reports == 0))
