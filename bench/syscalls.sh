#!/bin/sh
# SPDX-License-Identifier: ISC
#
# bench/syscalls.sh WORKDIR BUILD_DIR SECURITY_DIR OUT
#
# The system calls of one successful login, counted by strace -f -c, for
# pam_permit (libpam's own), pam_odin and pam_google_authenticator: the
# real tests/pam_harness (pam_start_confdir, pam_authenticate, pam_end) in
# a fresh process, a user enrolled as each module's own tools leave it.
# The median of 3 runs each, minus pam_permit's, goes to OUT as key=value
# lines (syscalls.MODULE.total and syscalls.MODULE.CALL for the calls the
# modules make most); OUT.txt gets the per-call table of the median run.
# Run by bench/run inside its private mount namespace (its /dev/log here
# is a socket read by pam_harness -L, so logging costs what it costs on a
# host with a syslog daemon).  Needs root and strace; without strace it
# writes nothing and says so.
set -eu

work=$1 build=$2 secdir=$3 out=$4
H=$build/tests/pam_harness
RT=$build/tests/recordtool
command -v strace >/dev/null || { echo "syscalls: strace not installed: skipped" >&2; exit 0; }
for f in "$H" "$RT"; do
	[ -x "$f" ] || { echo "syscalls: $f missing (make check builds it): skipped" >&2; exit 0; }
done
command -v oathtool >/dev/null || { echo "syscalls: oathtool missing: skipped" >&2; exit 0; }

d=$work/syscalls
rm -rf "$d"
mkdir -m 700 "$d" "$d/pam.d" "$d/store" "$d/store/users" "$d/store/locks" "$d/ga"
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
printf 'store_dir = %s\nwindow = 1\n' "$d/store" > "$d/odin.conf"
printf 'auth required pam_permit.so\n' > "$d/pam.d/permit"
printf 'auth required %s store=%s config=%s\n' "$build/pam_odin/.libs/pam_odin.so" "$d/store" \
	"$d/odin.conf" > "$d/pam.d/odin"
printf 'auth required %s/pam_google_authenticator.so secret=%s/${USER} user=root\n' "$secdir" "$d/ga" > "$d/pam.d/ga"

"$H" -L /dev/log "$d/log" & logpid=$!
trap 'kill $logpid 2>/dev/null' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /dev/log ] && break; sleep 0.1; done

# users as an enrollment leaves them: pam_odin's record and state file as
# its store writes them (tests/recordtool); google-authenticator's file
enroll() {
	rm -f "$d/store/users/root" "$d/store/locks/root"
	printf 'odin-mfa-record 1\nstate enabled\nsecret %s\nalgorithm SHA1\ndigits 6\nperiod 30\nlast_step 0\nfailures 0\nlockout_until 0\nlockout_count 0\nbackup_kdf none\ncreated 1700000000\nupdated 1700000000\nend\n' \
		"$SECRET" | "$RT" "$d/odin.conf" put root
	printf '%s\n" TOTP_AUTH\n" DISALLOW_REUSE\n' "$SECRET" > "$d/ga/root"
	chmod 400 "$d/ga/root"
	sync
}

for m in permit odin ga; do
	for run in 1 2 3; do
		enroll
		code=$(oathtool --totp -b "$SECRET")
		strace -f -c -o "$d/$m.$run" "$H" -d "$d/pam.d" -r "$code" "$m" root > "$d/$m.$run.out" 2>&1 || true
		grep -q '^RESULT PAM_SUCCESS' "$d/$m.$run.out" ||
			{ echo "syscalls: $m login failed: $(tail -n 1 "$d/$m.$run.out")" >&2; exit 0; }
		awk '$NF == "total" { print $4 }' "$d/$m.$run" > "$d/$m.$run.n"
	done
	# the run with the median total
	med=$(for run in 1 2 3; do echo "$(cat "$d/$m.$run.n") $run"; done | sort -n | sed -n 2p)
	eval "tot_$m=${med% *} run_$m=${med#* }"
done
{
	echo "syscalls.permit.total=$tot_permit"
	echo "syscalls.odin.total=$((tot_odin - tot_permit))"
	echo "syscalls.ga.total=$((tot_ga - tot_permit))"
} >> "$out"
{
	for m in odin ga; do
		eval "r=\$run_$m"
		echo "== $m (whole process, pam_permit's own run: $tot_permit calls)"
		sed -n '/^------/,$p' "$d/$m.$r" | sed '1d;/^------/d' | sort -k4 -n -r | head -n 25
	done
} > "$out.txt"
