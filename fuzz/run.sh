#!/bin/bash
# SPDX-License-Identifier: ISC
# Builds the fuzz targets (fuzz/build.sh) and runs each for SECONDS
# (default 10, the CI setting) on a scratch copy of its seed corpus in
# fuzz/corpus/TARGET/.  Fails on any crash, leak, timeout, out-of-memory
# or property violation (abort()): libFuzzer then exits non-zero and
# leaves the input as OUT/artifacts/TARGET/crash-* (or leak-*, timeout-*).
#   fuzz/run.sh [SECONDS] [TARGET...]
# Environment: FUZZ_OUT (default /tmp/odin-fuzz-build), FUZZ_NICE (nice
# level, default 0), FUZZ_BUILD=0 to skip the build.
# The last lines of each target's log are libFuzzer's final statistics
# (-print_final_stats=1): stat::number_of_executed_units is the executions.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
shift || true
out=${FUZZ_OUT:-/tmp/odin-fuzz-build}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(record config base32 input otpauth import_uri import_base32 import_ga import_oath)

case "$secs" in ''|*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2;; esac
if [ "${FUZZ_BUILD:-1}" != 0 ]; then
	"$src/fuzz/build.sh" "$out" >/dev/null || { echo "fuzz/run.sh: build failed" >&2; exit 1; }
fi

max_len() {
	case "$1" in
	record) echo 9000;;		# ODIN_RECORD_MAX is 8192: a bit over it
	config) echo 4096;;
	base32) echo 1025;;		# the harness skips larger inputs
	input) echo 80;;		# classify stops after 16 characters
	otpauth|import_uri) echo 2200;;	# QR_URI_MAX is 2048
	*) echo 4096;;
	esac
}

fail=0
for t in "${targets[@]}"; do
	bin="$out/bin/fuzz_$t"
	seeds="$src/fuzz/corpus/$t"
	[ -x "$bin" ] && [ -d "$seeds" ] || { echo "fuzz/run.sh: unknown target $t" >&2; fail=1; continue; }
	work="$out/work/$t"; art="$out/artifacts/$t"; log="$out/logs/$t.log"
	mkdir -p "$work" "$art" "$(dirname "$log")"
	cp -n "$seeds"/* "$work"/ 2>/dev/null || true
	# -timeout: seconds for one input; -rss_limit_mb bounds memory.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	nice -n "${FUZZ_NICE:-0}" "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz %-14s ok      %s executions in %s s\n' "$t" "${execs:-?}" "$secs"
	else
		printf 'fuzz %-14s FAILED  (exit %d) see %s and %s\n' "$t" "$rc" "$log" "$art"
		grep -E 'ERROR|violated|SUMMARY' "$log" | head -n 5
		fail=1
	fi
done
exit $fail
