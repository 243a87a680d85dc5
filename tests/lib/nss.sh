# SPDX-License-Identifier: ISC
# Puts the test-only NSS module tests/lib/nss_ci.c (a directory service that
# resolves user names case-insensitively) in place.  Sourced (bash), not run,
# by a test that already runs as root in a private mount namespace
# (unshare -m --propagation private): everything here is a mount inside that
# namespace and goes away with it; the host's files are never changed.
#
#   odin_nss_enable SO NAME DB... puts SO in place as libnss_NAME.so.2 and
#                                 makes each DB (passwd, shadow, ...) of
#                                 /etc/nsswitch.conf read "DB: files NAME".
#   odin_nss_ci_enable BUILT_SO   BUILT_SO is tests/lib/.libs/libnss_odinci.so
#                                 in the build tree.  Overlays the multiarch
#                                 library directory with one holding it as
#                                 libnss_odinci.so.2, and bind-mounts an
#                                 /etc/nsswitch.conf reading
#                                 "passwd: files odinci" (and shadow).  Uses $T when set
#                                 (else a mktemp -d directory) for its files.
#   odin_nss_ci_check USER        0 when `getent passwd USER-in-upper-case`
#                                 answers with USER's own entry.
#   odin_nss_ci_disable           undoes odin_nss_ci_enable.  The mounts end
#                                 with the namespace anyway, but call it from
#                                 the test's cleanup before removing $T: its
#                                 tmpfs sits at $T/nss-ci until then.

odin_nss_ci_dir=
odin_nss_ci_tmp=
odin_nss_ci_conf=

# The directory glibc loads libnss_files.so.2 from (e.g. /usr/lib/x86_64-linux-gnu).
odin_nss_ci_libdir() {
	local ma='' d
	if command -v gcc >/dev/null 2>&1; then ma=$(gcc -print-multiarch 2>/dev/null); fi
	if [ -z "$ma" ] && command -v dpkg-architecture >/dev/null 2>&1; then
		ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
	fi
	for d in ${ma:+/lib/$ma /usr/lib/$ma}; do
		[ -e "$d/libnss_files.so.2" ] && { readlink -f "$d"; return 0; }
	done
	# no multiarch name: the first (native) libnss_files.so.2 ldconfig knows
	d=$(ldconfig -p 2>/dev/null | awk '$1 == "libnss_files.so.2" { print $NF; exit }')
	[ -n "$d" ] && [ -e "$d" ] && { readlink -f "$(dirname "$d")"; return 0; }
	for d in /lib64 /usr/lib64 /lib /usr/lib; do
		[ -e "$d/libnss_files.so.2" ] && { readlink -f "$d"; return 0; }
	done
	return 1
}

# 0 when this shell runs in a mount namespace of its own (one of its
# ancestors is in another: /proc/1 may be out of reach in a container) and
# none of PATHs sits on a shared mount, so our mounts cannot propagate out.
odin_nss_ci_private() {
	local self ns p=$$ path
	self=$(readlink /proc/self/ns/mnt) || return 1
	while :; do
		p=$(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$p" ] && [ "$p" -gt 0 ] || return 1
		ns=$(readlink "/proc/$p/ns/mnt" 2>/dev/null) || return 1
		[ "$ns" != "$self" ] && break
		[ "$p" -eq 1 ] && return 1
	done
	for path in "$@"; do
		case $(findmnt -n -o PROPAGATION -T "$path") in
		private*|slave*|unbindable*) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

odin_nss_enable() {
	local so=${1:?usage: odin_nss_enable BUILT_SO NAME DATABASE...} name=${2:?} lib
	shift 2
	[ "$(id -u)" -eq 0 ] || { echo "odin_nss_enable: needs root" >&2; return 1; }
	[ -f "$so" ] || { echo "odin_nss_enable: no $so" >&2; return 1; }
	lib=$(odin_nss_ci_libdir) || { echo "odin_nss_enable: no libnss_files.so.2" >&2; return 1; }
	# refuse to mount anything the host (or any other namespace) would see
	if ! odin_nss_ci_private "$lib" /etc/nsswitch.conf "${T:-/tmp}"; then
		echo "odin_nss_enable: not in a private mount namespace (unshare -m --propagation private)" >&2
		return 1
	fi

	if [ -n "${T:-}" ]; then
		odin_nss_ci_tmp=$T/nss-ci
		mkdir -p "$odin_nss_ci_tmp" || return 1
	else
		odin_nss_ci_tmp=$(mktemp -d /tmp/odin-nss-ci.XXXXXX) || return 1
	fi
	# a tmpfs of our own: overlayfs wants upper and work on one file system
	# that can hold them (not another overlay), and it vanishes with us
	if ! mount -t tmpfs -o mode=0755 odin-nss-ci "$odin_nss_ci_tmp"; then
		rmdir "$odin_nss_ci_tmp" 2>/dev/null; odin_nss_ci_tmp=''
		return 1
	fi
	if ! { mkdir "$odin_nss_ci_tmp/upper" "$odin_nss_ci_tmp/work" &&
		install -m 0644 "$so" "$odin_nss_ci_tmp/upper/libnss_$name.so.2" &&
		awk -v name="$name" -v dbs="$*" '
		     BEGIN { n = split(dbs, want, " "); for (i = 1; i <= n; i++) w[want[i]] = 1 }
		     { db = $0; sub(/^[ \t]*/, "", db); sub(/[ \t]*:.*/, "", db) }
		     (db in w) && $0 ~ /:/ { if (!(db in done)) print db ": files " name; done[db] = 1; next }
		     { print }
		     END { for (d in w) if (!(d in done)) print d ": files " name }' \
			/etc/nsswitch.conf > "$odin_nss_ci_tmp/nsswitch.conf" &&
		chmod 0644 "$odin_nss_ci_tmp/nsswitch.conf" &&
		mount -t overlay overlay \
			-o "lowerdir=$lib,upperdir=$odin_nss_ci_tmp/upper,workdir=$odin_nss_ci_tmp/work" \
			"$lib"; }; then
		odin_nss_ci_disable
		return 1
	fi
	odin_nss_ci_dir=$lib
	if ! mount --bind "$odin_nss_ci_tmp/nsswitch.conf" /etc/nsswitch.conf; then
		odin_nss_ci_disable
		return 1
	fi
	odin_nss_ci_conf=1
	return 0
}

odin_nss_ci_enable() {
	odin_nss_enable "${1:?usage: odin_nss_ci_enable BUILT_SO}" odinci passwd shadow
}

odin_nss_ci_check() {
	local user=${1:?usage: odin_nss_ci_check USER} line
	line=$(getent passwd "${user^^}") || return 1
	[ "${line%%:*}" = "$user" ]
}

odin_nss_ci_disable() {
	[ -n "$odin_nss_ci_tmp" ] || return 0
	# lazily: a daemon started meanwhile may still map libraries from the overlay
	[ -n "$odin_nss_ci_conf" ] && umount -l /etc/nsswitch.conf
	[ -n "$odin_nss_ci_dir" ] && umount -l "$odin_nss_ci_dir"
	umount -l "$odin_nss_ci_tmp" 2>/dev/null
	rmdir "$odin_nss_ci_tmp" 2>/dev/null
	odin_nss_ci_dir='' odin_nss_ci_tmp='' odin_nss_ci_conf=''
	return 0
}
