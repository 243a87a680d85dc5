#!/bin/bash
# SPDX-License-Identifier: ISC
# Builds the libFuzzer targets straight from the common/ sources with
# clang -fsanitize=fuzzer,address,undefined (no autotools build of the
# project; configure runs once, only to produce autoconfig.h).
#   fuzz/build.sh [OUTDIR]      default OUTDIR: /tmp/odin-fuzz-build
# Prints nothing on success except the list of built targets.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/odin-fuzz-build}
CC=${CC:-clang}
mkdir -p "$out/cfg" "$out/obj" "$out/bin"
out=$(cd "$out" && pwd)

if [ ! -f "$out/cfg/autoconfig.h" ] || [ "$src/configure" -nt "$out/cfg/autoconfig.h" ]; then
	[ -x "$src/configure" ] || { echo "fuzz/build.sh: run autoreconf -fi in $src first" >&2; exit 2; }
	(cd "$out/cfg" && CC="$CC" "$src/configure" -q >/dev/null)
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-g -O1 -Wall -Wextra -Werror -Wno-unused-parameter $SAN -I$src/common -I$out/cfg \
	$(pkg-config --cflags libcrypto libqrencode libpng)"
LIBS="$(pkg-config --libs libcrypto libqrencode libpng)"

# The parsers and what they call, once, instrumented for coverage
# (fuzzer-no-link) and sanitizers.  Not the store, its backends or the QR
# image writers: no target reaches them, and they need more libraries.
units="err log secure base32 sha otp crypt record backup onetime config import otpauth qr qr_encode user"
objs=()
for u in $units; do
	c="$src/common/$u.c"
	o="$out/obj/$(basename "${c%.c}").o"
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find "$src/common" -name '*.h' -newer "$o")" ]; then
		$CC $CFLAGS -fsanitize=fuzzer-no-link -c "$c" -o "$o"
	fi
	objs+=("$o")
done

target() {	# target NAME SOURCE [EXTRA-CFLAGS...]
	local name=$1 srcf=$2; shift 2
	$CC $CFLAGS -fsanitize=fuzzer "$@" "$srcf" "${objs[@]}" $LIBS -o "$out/bin/fuzz_$name"
	echo "fuzz_$name"
}
target record "$src/fuzz/fuzz_record.c"
target config "$src/fuzz/fuzz_config.c"
target base32 "$src/fuzz/fuzz_base32.c"
target input "$src/fuzz/fuzz_input.c"
target otpauth "$src/fuzz/fuzz_otpauth.c"
target import_uri "$src/fuzz/fuzz_import.c" -DFZ_IMPORT_KIND=1
target import_base32 "$src/fuzz/fuzz_import.c" -DFZ_IMPORT_KIND=2
target import_ga "$src/fuzz/fuzz_import.c" -DFZ_IMPORT_KIND=3
target import_oath "$src/fuzz/fuzz_import.c" -DFZ_IMPORT_KIND=4
