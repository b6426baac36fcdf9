#!/usr/bin/env bash
# tests/fuzz/run.sh -- build the fuzz targets, replay every regression input,
# then fuzz each target for SECONDS (default 10) from its seed corpus.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     e.g. tests/fuzz/run.sh 600 fuzz_json
#
# Environment: FUZZ_JOBS (targets at once, default: nproc), FUZZ_BUILD_DIR
# (default tests/fuzz/build), FUZZ_ARGS (extra libFuzzer flags).
# New corpus entries go to $FUZZ_BUILD_DIR/corpus/<target> (kept between
# runs, never in the seed directories); crash inputs to tests/fuzz/crashes/;
# full logs to $FUZZ_BUILD_DIR/logs/. One line per target:
#   fuzz_json       ok      runs 1234567  regressions 3/3  seeds 23
# Exits non-zero if any target crashed, leaked, hit UB, timed out or ran out
# of memory, in fuzzing or in a regression replay.
set -uo pipefail
# All in one block: bash reads it whole before running, so an edit of this
# file during a long run cannot derail the run.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECS=${1:-10}
[[ $SECS =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
shift $(($# > 0 ? 1 : 0))
ALL="fuzz_request fuzz_json fuzz_token fuzz_apikey fuzz_net fuzz_util fuzz_password fuzz_oidc fuzz_mfa"
TARGETS=${*:-$ALL}
JOBS=${FUZZ_JOBS:-$(nproc)}
CRASHES=$HERE/crashes

BUILD=$("$HERE/build.sh" | tail -n 1) || { echo "fuzz: build failed" >&2; exit 1; }
mkdir -p "$BUILD/logs" "$CRASHES"

# Sanitizer settings for the fuzz targets: leaks fail the input that caused them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# verdict LOG RC: ok, or what went wrong.
verdict() {
	local log=$1 rc=$2
	if grep -q 'ERROR: LeakSanitizer' "$log"; then echo LEAK
	elif grep -q 'runtime error:' "$log"; then echo UB
	elif grep -q 'ERROR: AddressSanitizer' "$log"; then echo CRASH-ASAN
	elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then echo TIMEOUT
	elif grep -qE 'ERROR: libFuzzer: (out-of-memory|malloc limit)' "$log"; then echo OOM
	elif grep -q 'ERROR: libFuzzer: deadly signal' "$log"; then echo CRASH
	elif ((rc != 0)); then echo "FAIL(exit $rc)"
	else echo ok
	fi
}

run_target() {
	local t=$1 bin=$BUILD/$1 log=$BUILD/logs/$1.log rlog=$BUILD/logs/$1.replay.log
	local seeds=$HERE/corpus/$t work=$BUILD/corpus/$t opts=() regs=() res rres="" runs nseeds rc
	mkdir -p "$work"
	# Per-target libFuzzer flags (e.g. -max_len) and dictionary, when present.
	[[ -f $HERE/$t.options ]] && read -r -a opts <"$HERE/$t.options"
	[[ -f $HERE/$t.dict ]] && opts+=(-dict="$HERE/$t.dict")
	nseeds=$(find "$seeds" -type f 2>/dev/null | wc -l)
	# Regressions first: each input once, exactly as found.
	mapfile -t regs < <(find "$HERE/regressions/$t" -type f ! -name 'README*' ! -name '.*' 2>/dev/null | sort)
	if ((${#regs[@]} > 0)); then
		"$bin" -artifact_prefix="$CRASHES/$t-regression-" "${regs[@]}" >"$rlog" 2>&1
		rc=$?
		rres=$(verdict "$rlog" "$rc")
	fi
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="$CRASHES/$t-" "${opts[@]}" ${FUZZ_ARGS:-} \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	res=$(verdict "$log" "$rc")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[[ -n $runs ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	local regtxt="regressions 0"
	if ((${#regs[@]} > 0)); then
		if [[ $rres == ok ]]; then regtxt="regressions ${#regs[@]}/${#regs[@]}"
		else regtxt="regressions $rres (${rlog#"$HERE"/})"; res=${res/#ok/REGRESSION}
		fi
	fi
	printf '%-15s %-10s runs %-10s %s  seeds %s\n' "$t" "$res" "${runs:-0}" "$regtxt" "$nseeds" >"$BUILD/logs/$t.line"
	if [[ $res != ok ]]; then
		{
			echo "  log: $log"
			for f in "$rlog" "$log"; do
				[[ -f $f ]] && grep -h -E -m 1 -B 2 -A 14 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$f"
			done | grep -v -E 'in fuzzer::|libc.so|^NOTE|Combine libFuzzer' | sed 's/^/  | /'
			find "$CRASHES" -maxdepth 1 -name "$t-*" | sort | sed 's/^/  input: /'
		} >>"$BUILD/logs/$t.line"
	fi
}

for t in $TARGETS; do
	[[ -x $BUILD/$t ]] || { echo "fuzz: no target $t" >&2; exit 2; }
	rm -f "$BUILD/logs/$t.line"
done
for t in $TARGETS; do
	while (($(jobs -rp | wc -l) >= JOBS)); do wait -n; done
	run_target "$t" &
done
wait

failed=0
for t in $TARGETS; do
	if [[ -f $BUILD/logs/$t.line ]]; then cat "$BUILD/logs/$t.line"; else echo "$t  NO RESULT"; fi
	head -n 1 "$BUILD/logs/$t.line" 2>/dev/null | grep -qE "^$t +ok " || failed=$((failed + 1))
done
ntargets=$(wc -w <<<"$TARGETS")
echo "fuzz: $ntargets targets, ${SECS}s each, $failed failed"
echo "$((ntargets - failed)) passed, $failed failed"
((failed == 0))
exit
}
