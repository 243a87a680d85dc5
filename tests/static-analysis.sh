#!/bin/bash
# SPDX-License-Identifier: ISC
# Static analysis of common/, pam_odin/ and odin-mfa-cli/ (and cppcheck
# over fuzz/ and demo/ too).  Runs four tools and fails on any finding
# that is not listed, with its reason, in tests/static-analysis.supp:
#   1. cppcheck --enable=warning,portability,performance (autoconfig.h)
#   2. clang-tidy with the checked-in .clang-tidy, one file per process
#   3. scan-build --status-bugs over a full configure + make
#   4. gcc -fanalyzer on every translation unit
#   tests/static-analysis.sh [WORKDIR]    (default: a fresh temp dir)
# Needs: cppcheck clang-tidy clang-tools (scan-build) gcc; about 2 minutes
# on two cores.  Set SA_JOBS to change the parallelism (default 2).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/odin-sa.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
jobs=${SA_JOBS:-2}
supp="$src/tests/static-analysis.supp"
findings="$work/findings.txt"
: >"$findings"
status=0

for tool in cppcheck clang-tidy scan-build gcc; do
	command -v "$tool" >/dev/null || { echo "static-analysis: $tool not installed" >&2; exit 2; }
done
cd "$src"
[ -x configure ] || { echo "static-analysis: run autoreconf -fi first" >&2; exit 2; }

# Translation units: the postgresql backend only when libpq is there.
units=(common/*.c pam_odin/*.c odin-mfa-cli/*.c)
pgcflags=""
if pkg-config --exists libpq 2>/dev/null; then
	pgcflags=$(pkg-config --cflags libpq)
else
	units=("${units[@]/common\/store_pg.c}")
fi
read -r -a units <<<"${units[*]}"

# autoconfig.h (and the scan-build tree) from a configure run of our own.
mkdir -p "$work/cfg"
if ! (cd "$work/cfg" && "$src/configure" -q >/dev/null 2>"$work/configure.err"); then
	cat "$work/configure.err" >&2; echo "static-analysis: configure failed" >&2; exit 2
fi
CFLAGS_SA="-std=gnu11 -I$src/common -I$src/pam_odin -I$work/cfg $(pkg-config --cflags libcrypto libqrencode libpng) $pgcflags"

# Normalises "path:LINE:COL: msg" to "TOOL: relpath:N:N: msg" (ASCII quotes).
normalise() {	# normalise TOOL < raw
	sed -E -e "s#^$src/##" -e 's#^\./##' -e 's/^([^: ]+):[0-9]+:[0-9]+:/\1:N:N:/' \
	    -e "s/[‘’]/'/g" -e "s/^/$1: /"
}

step() { printf '== %s\n' "$*"; }

# 1. cppcheck
step "cppcheck"
t0=$(date +%s)
cppcheck -q -j "$jobs" --std=c11 --enable=warning,portability,performance --inline-suppr \
	--error-exitcode=1 --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
	-I common -I "$work/cfg" -D__linux__ \
	common pam_odin odin-mfa-cli fuzz demo >"$work/cppcheck.txt" 2>&1
grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$work/cppcheck.txt" | normalise cppcheck >>"$findings"
echo "   $(( $(date +%s) - t0 )) s"

# 2. clang-tidy: one process per file (see .clang-tidy)
step "clang-tidy"
t0=$(date +%s)
printf '%s\n' "${units[@]}" | xargs -P "$jobs" -I{} sh -c \
	'clang-tidy --quiet "$1" -- $2 >"$3/tidy.$(echo "$1" | tr / _).txt" 2>&1; exit 0' sh {} "$CFLAGS_SA" "$work"
cat "$work"/tidy.*.txt | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' | \
	sed -E 's/,-warnings-as-errors\]$/]/' | normalise clang-tidy >>"$findings"
echo "   $(( $(date +%s) - t0 )) s"

# 3. scan-build over the whole build (configure and make under the analyzer)
step "scan-build"
t0=$(date +%s)
rm -rf "$work/sb"; mkdir -p "$work/sb"
(cd "$work/sb" && scan-build -o "$work/sb/report" "$src/configure" -q >/dev/null 2>&1 &&
	scan-build -o "$work/sb/report" --status-bugs make -j"$jobs" >"$work/scan-build.txt" 2>&1)
sbrc=$?
grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$work/scan-build.txt" | sort -u | normalise scan-build >>"$findings"
if [ "$sbrc" -ne 0 ] && ! grep -q 'bugs\? found' "$work/scan-build.txt"; then
	echo "scan-build: the build itself failed:"; tail -n 20 "$work/scan-build.txt"; status=1
fi
echo "   $(( $(date +%s) - t0 )) s"

# 4. gcc -fanalyzer, every translation unit
step "gcc -fanalyzer"
t0=$(date +%s)
printf '%s\n' "${units[@]}" | xargs -P "$jobs" -I{} sh -c \
	'gcc -fanalyzer -O0 -Wall -Wextra -Wno-unused-parameter $2 -fdiagnostics-plain-output -c "$1" -o /dev/null \
	    >"$3/fa.$(echo "$1" | tr / _).txt" 2>&1; exit 0' sh {} "$CFLAGS_SA" "$work"
cat "$work"/fa.*.txt | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' | normalise gcc-analyzer >>"$findings"
echo "   $(( $(date +%s) - t0 )) s"

# Findings minus the reviewed ones.
grep -Ev '^[[:space:]]*(#|$)' "$supp" >"$work/supp.re"
sort -u "$findings" -o "$findings"
grep -Evf "$work/supp.re" "$findings" >"$work/new.txt" || true
nsupp=$(( $(wc -l <"$findings") - $(wc -l <"$work/new.txt") ))
if [ -s "$work/new.txt" ]; then
	step "FINDINGS (fix them, or justify: inline suppression with a why comment)"
	cat "$work/new.txt"
	echo "details: $work (cppcheck.txt, tidy.*.txt, scan-build.txt and sb/report, fa.*.txt)"
	status=1
fi
# A suppression that no longer matches anything is stale: say so (not fatal).
while IFS= read -r re; do
	grep -Eq "$re" "$findings" || echo "note: stale entry in tests/static-analysis.supp: $re"
done <"$work/supp.re"
step "static analysis: $(wc -l <"$work/new.txt") finding(s), $nsupp suppressed with a reason"
exit $status
