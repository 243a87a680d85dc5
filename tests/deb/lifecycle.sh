#!/bin/bash
# SPDX-License-Identifier: ISC
#
# tests/deb/lifecycle.sh [WORKDIR]: the Debian packages, built and used as
# an admin would (issue 17).
#  1. dpkg-buildpackage -us -uc -b on a clean copy of the tracked tree, and
#     dpkg-source -b for the source package;
#  2. lintian --pedantic on both: any error or warning fails (the overrides
#     in debian/*.lintian-overrides say why each one is there);
#  3. in a fresh Debian 12 chroot (debootstrap --variant=minbase, made once
#     per run): apt installs the three .debs; the CLI is setuid root, the
#     store exists (root, 0700), the pam-auth-update profile is registered
#     but not enabled; odin-mfa-cli check; a user imported with a known
#     secret logs in through pamtester and the installed module (a wrong
#     code refused, the right one from oathtool accepted); the profile is
#     enabled; a reinstall of the same version keeps the store and honours
#     a dpkg-statoverride; remove takes pam_odin out of common-auth and
#     keeps the store; purge deletes the store and the conffile.
# Needs root, debootstrap, lintian, debhelper and the network that apt uses.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d /var/tmp/odin-deb.XXXXXX)}
mkdir -p "$work"
fails=0
ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; fails=$((fails + 1)); }
die() { echo "tests/deb/lifecycle.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run as root"
for c in dpkg-buildpackage lintian debootstrap dh; do
	command -v "$c" >/dev/null || die "$c not found (apt-get install dpkg-dev lintian debootstrap debhelper)"
done

# ---- 1. build, from the tracked files only (as a clean clone would)
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
bld=$work/build
rm -rf "$bld"
mkdir -p "$bld/odin-mfa-$ver"
(cd "$src" && git ls-files -z -c -o --exclude-standard 2>/dev/null || find . -path ./.git -prune -o -type f -print0) |
	(cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$bld/odin-mfa-$ver"
cp -a "$bld/odin-mfa-$ver" "$bld/odin-mfa-src"	# pristine, for the source package
echo "== dpkg-buildpackage -us -uc -b"
if (cd "$bld/odin-mfa-$ver" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	tail -n 40 "$work/build.log"
	die "dpkg-buildpackage failed (log above)"
fi
debs=()
for p in libpam-odin odin-mfa-cli odin-mfa-postgresql; do
	f=$bld/${p}_${ver}_$(dpkg --print-architecture).deb
	[ -f "$f" ] && debs+=("$f") || fail "$p: no package built"
done
(cd "$bld" && dpkg-source -b odin-mfa-src) >"$work/source.log" 2>&1 || { tail -n 20 "$work/source.log"; fail "dpkg-source -b"; }
for p in "${debs[@]}"; do
	echo "-- $(basename "$p")"
	dpkg-deb -c "$p" | awk '{ print "   ", $1, $2, $6 }' | grep -v '/$'
done

# ---- make install honours the prefix: every file it writes is under it
echo "== make install with --prefix: nothing outside the prefix"
pfx=/opt/odin-mfa-prefix-test
rm -rf "$work/pfx-build" "$work/pfx-dest"
mkdir -p "$work/pfx-build"
cp -a "$bld/odin-mfa-src" "$work/pfx-build/src"
if (cd "$work/pfx-build/src" && autoreconf -fi && mkdir ../b && cd ../b &&
    ../src/configure -q --prefix="$pfx" && make -s -j"$(nproc)" && make -s install DESTDIR="$work/pfx-dest") \
    >"$work/prefix.log" 2>&1; then
	outside=$(cd "$work/pfx-dest" && find . -mindepth 1 \( -type f -o -type l \) | grep -v "^\.$pfx/" || true)
	n=$(cd "$work/pfx-dest" && find . -type f | wc -l)
	if [ -z "$outside" ] && [ "$n" -ge 7 ]; then
		ok "make install: all $n files under $pfx (module in $pfx/lib/*/security, profile in $pfx/share/pam-configs)"
	else
		fail "make install wrote outside $pfx: ${outside:-(only $n files)}"
	fi
	[ -f "$work/pfx-dest$pfx/share/pam-configs/odin-mfa" ] && ls "$work/pfx-dest$pfx"/lib/*/security/pam_odin.so >/dev/null 2>&1 &&
		ok "the module and the profile are both installed" || fail "module or profile missing from the prefix"
else
	tail -n 20 "$work/prefix.log"
	fail "configure --prefix, make, make install DESTDIR"
fi

# ---- 2. lintian
echo "== lintian --pedantic"
lintian --pedantic -I --show-overrides "$bld"/odin-mfa_"$ver"_*.changes "$bld"/odin-mfa_"$ver".dsc \
	>"$work/lintian.log" 2>&1 || true
sed 's/^/    /' "$work/lintian.log"
if grep -Eq '^[EW]: ' "$work/lintian.log"; then
	fail "lintian: errors or warnings"
else
	ok "lintian: no errors or warnings ($(grep -c '^[IPX]: ' "$work/lintian.log" || true) info/pedantic tags; $(grep -c '^O: ' "$work/lintian.log" || true) overridden)"
fi

# ---- 3. the life cycle in a fresh Debian 12 chroot
root=$work/root
cache=$work/bookworm-minbase.tar
if [ ! -f "$cache" ]; then
	echo "== debootstrap --variant=minbase bookworm (once per run: $cache)"
	rm -rf "$work/boot"
	mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	debootstrap --variant=minbase bookworm "$work/boot" "${mirror:-http://deb.debian.org/debian}" \
		>"$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log"; die "debootstrap failed"; }
	tar -C "$work/boot" -cf "$cache" .
	rm -rf "$work/boot"
fi
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$cache"
# the host's apt sources and settings (a mirror snapshot may need them)
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
[ ! -f /etc/apt/sources.list ] || cp /etc/apt/sources.list "$root/etc/apt/sources.list"
cp /etc/apt/apt.conf.d/99* "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
cp "$src/tests/deb/inside.sh" "$root/tmp/inside.sh"

echo "== in the chroot"
unshare -m --propagation private bash -c '
	set -e
	root=$1
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	exec chroot "$root" /bin/bash /tmp/inside.sh
' _ "$root" 2>&1 | tee "$work/inside.log"
n=$(grep -c '^  FAIL' "$work/inside.log" || true)
grep -q '^INSIDE-DONE' "$work/inside.log" || { fail "the chroot script did not finish"; n=$((n + 1)); }
fails=$((fails + n))
rm -rf "$root"

if [ $fails -ne 0 ]; then
	echo "tests/deb/lifecycle.sh: $fails check(s) failed (logs in $work)"
	exit 1
fi
echo "tests/deb/lifecycle.sh: all checks passed"
