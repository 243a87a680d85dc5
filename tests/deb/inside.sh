#!/bin/bash
# SPDX-License-Identifier: ISC
# tests/deb/inside.sh: run by tests/deb/lifecycle.sh inside a fresh Debian 12
# chroot, with the built .debs in /tmp/debs.  Prints "  ok:"/"  FAIL:" lines
# and INSIDE-DONE at the end.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
apt_q() { apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >/tmp/apt.log 2>&1 || { tail -n 20 /tmp/apt.log; return 1; }; }
in_stack() { grep -q 'pam_odin' /etc/pam.d/common-auth; }
mode_of() { stat -c '%a %U:%G' "$1"; }
login() {	# login CODE -> pamtester's status; the installed module by its bare name
	printf '%s\n' "$1" | pamtester odin-test lcuser authenticate >/tmp/pamtester.out 2>&1
}

check "apt-get update" apt_q update
check "apt installs the three packages (and pamtester, oathtool)" \
	apt_q install /tmp/debs/libpam-odin_*.deb /tmp/debs/odin-mfa-cli_*.deb \
	/tmp/debs/odin-mfa-postgresql_*.deb pamtester oathtool

echo "-- installed"
check "odin-mfa-cli is setuid root (4755 root:root)" [ "$(mode_of /usr/bin/odin-mfa-cli)" = "4755 root:root" ]
check "pam_odin.so where libpam looks" [ -f /lib/x86_64-linux-gnu/security/pam_odin.so ]
check "the store was made: /var/lib/odin-mfa 700 root:root" [ "$(mode_of /var/lib/odin-mfa)" = "700 root:root" ]
check "the store has users/ and locks/" [ -d /var/lib/odin-mfa/users ] && [ -d /var/lib/odin-mfa/locks ]
check "/etc/odin-mfa.conf is a conffile" grep -q '^ /etc/odin-mfa.conf ' <(dpkg-query -W -f='${Conffiles}\n' libpam-odin)
check "the pam-auth-update profile is registered" grep -qx odin-mfa /var/lib/pam/seen
check "... and not enabled (common-auth without pam_odin)" bash -c '! grep -q pam_odin /etc/pam.d/common-auth'
odin-mfa-cli check >/tmp/check.out 2>&1; rc=$?
sed 's/^/    /' /tmp/check.out
check "odin-mfa-cli check: no errors (exit $rc)" [ $rc = 0 ]

echo "-- a login through the installed module"
useradd -m lcuser
printf '%s\n" TOTP_AUTH\n' "$SECRET" | odin-mfa-cli admin import lcuser >/tmp/import.out 2>&1
check "admin import lcuser (a google-authenticator secret)" grep -qi 'lcuser' /tmp/import.out
printf 'auth required pam_odin.so\naccount required pam_permit.so\n' >/etc/pam.d/odin-test
login 000000 && fail "a wrong code was accepted" || ok "a wrong code is refused"
code=$(oathtool --totp -b "$SECRET")
if login "$code"; then ok "the right code from oathtool is accepted (pamtester)"
else fail "the right code was refused: $(tail -n 2 /tmp/pamtester.out)"; fi
check "the same code again is refused (replay)" bash -c "! printf '%s\n' $code | pamtester odin-test lcuser authenticate >/dev/null 2>&1"
check "pam-auth-update --enable odin-mfa puts pam_odin in common-auth" \
	bash -c 'pam-auth-update --enable odin-mfa && grep -q pam_odin /etc/pam.d/common-auth'

echo "-- reinstall (upgrade over the same version)"
dpkg-statoverride --update --add root root 0755 /usr/bin/odin-mfa-cli
check "apt reinstalls the three packages" apt_q install --reinstall /tmp/debs/libpam-odin_*.deb \
	/tmp/debs/odin-mfa-cli_*.deb /tmp/debs/odin-mfa-postgresql_*.deb
check "a dpkg-statoverride (0755) survives the reinstall" [ "$(mode_of /usr/bin/odin-mfa-cli)" = "755 root:root" ]
dpkg-statoverride --remove /usr/bin/odin-mfa-cli
apt_q install --reinstall /tmp/debs/odin-mfa-cli_*.deb
check "without it, setuid again (4755)" [ "$(mode_of /usr/bin/odin-mfa-cli)" = "4755 root:root" ]
check "the record is still there" [ -f /var/lib/odin-mfa/users/lcuser ]
check "pam_odin is still enabled in common-auth" in_stack
login 000000 && fail "after the reinstall a wrong code was accepted" || ok "after the reinstall a wrong code is refused"

echo "-- remove"
check "apt-get remove libpam-odin" apt_q remove libpam-odin
check "the PAM stacks no longer name pam_odin" bash -c '! grep -rq pam_odin /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password /etc/pam.d/common-session'
check "the module is gone" [ ! -e /lib/x86_64-linux-gnu/security/pam_odin.so ]
check "the store and the record are intact" [ -f /var/lib/odin-mfa/users/lcuser ] && [ "$(mode_of /var/lib/odin-mfa)" = "700 root:root" ]
check "the conffile stays until purge" [ -f /etc/odin-mfa.conf ]

echo "-- purge"
check "apt-get purge of the three packages" apt_q purge libpam-odin odin-mfa-cli odin-mfa-postgresql
check "purge deleted the store (documented: secrets do not outlive the package)" [ ! -e /var/lib/odin-mfa ]
check "purge deleted /etc/odin-mfa.conf" [ ! -e /etc/odin-mfa.conf ]
check "the profile is no longer known to pam-auth-update" bash -c '! grep -qx odin-mfa /var/lib/pam/seen'
check "no odin-mfa package left" bash -c '! dpkg -l | grep -Eq "^(ii|rc) +(libpam-odin|odin-mfa)"'
check "a PAM stack still works without it (pam_permit service)" bash -c "printf 'auth required pam_permit.so\n' >/etc/pam.d/odin-test && pamtester odin-test lcuser authenticate >/dev/null 2>&1"
echo INSIDE-DONE
