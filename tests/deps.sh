# SPDX-License-Identifier: ISC
# Debian packages odin-mfa needs.  Sourced by demo/quickstart and tests/run-all.
ODIN_BUILD_DEPS="build-essential autoconf automake libtool pkg-config libpam0g-dev libssl-dev libqrencode-dev libpng-dev"
ODIN_TEST_DEPS="check oathtool zbar-tools faketime expect clang valgrind jq librsvg2-bin pgbouncer groff-base man-db pamtester openssh-server openssh-client sudo util-linux e2fsprogs procps openssl python3 gdb strace libpam-google-authenticator libpam-oath postgresql libpq-dev cppcheck clang-tidy clang-tools clang-tools-14 libclang-rt-14-dev debootstrap lintian debhelper dpkg-dev"

# odin_apt_install PKG...: installs what is missing (needs root).
odin_apt_install() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "odin-mfa: missing packages:$missing (run as root, or apt-get install them)" >&2
		return 1
	fi
	echo "odin-mfa: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null
}
