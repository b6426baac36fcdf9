#!/bin/sh
# tests/unit/summary.sh -- run by `make check-unit` after `make check`: counts
# Check's cases and ends with the one line "N passed, M failed" that tools/test
# sums with its other stages (doc/HACKING.md section 5).
#
#   summary.sh MAKE_CHECK_EXIT MAKE_CHECK_LOG TEST...
#
# Each TEST's automake log holds Check's "Checks: N, Failures: F, Errors: E";
# its .trs holds automake's verdict (":test-result:", see the automake manual,
# "Log files generation and test results recording"). A program that passed
# its checks and then crashed or leaked counts as one more failure; a program
# without Check's line counts as one check.
rc=$1 log=$2
shift 2
pass=0 fail=0
for t in "$@"; do
	res=$(sed -n 's/^:test-result: //p' "$t.trs" 2>/dev/null | head -n 1)
	line=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$t.log" 2>/dev/null | tail -n 1)
	if [ -n "$line" ]; then
		read -r n f e <<-EOF
		$(echo "$line" | awk -F '[^0-9]+' '{ print $2, $3, $4 }')
		EOF
		pass=$((pass + n - f - e))
		fail=$((fail + f + e))
		if [ "$res" != PASS ] && [ "$res" != SKIP ] && [ $((f + e)) -eq 0 ]; then
			fail=$((fail + 1))
			echo "FAIL  unit $t ($res after its checks)"
		fi
	else
		case $res in
		PASS) pass=$((pass + 1)) ;;
		SKIP | "") ;;
		*) fail=$((fail + 1)); echo "FAIL  unit $t ($res)" ;;
		esac
	fi
done
if [ "$rc" -ne 0 ]; then
	for t in "$@"; do
		grep -E 'Failures: [1-9]|Errors: [1-9]|:[0-9]+:[EF]:' "$t.log" 2>/dev/null
	done | head -n 40
	if [ "$fail" -eq 0 ]; then
		fail=1
		echo "FAIL  make check (exit $rc) without a failing test:"
		tail -n 30 "$log"
	fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
