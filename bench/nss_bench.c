/* SPDX-License-Identifier: ISC */
/*
 * The benchmark's user database (bench/run only, never installed): pam_odin
 * keys records by the account NSS returns, so every benchmark user must
 * exist.  100,000 lines in /etc/passwd would make each lookup a linear scan
 * (glibc's files backend), measuring the scan rather than the module.  This
 * module answers the users bu0 .. bu9999999 by arithmetic, in constant time,
 * as a directory's cache (SSSD, nscd) would: bu<N> has uid 3000000 + N.
 * bench/run puts it in place as libnss_odinbench.so.2 in a private mount
 * namespace (tests/lib/nss.sh) with "passwd: files odinbench".
 */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#define BENCH_UID0 3000000UL
#define BENCH_MAX 10000000UL

enum nss_status _nss_odinbench_getpwnam_r(const char *, struct passwd *, char *, size_t, int *);
enum nss_status _nss_odinbench_getpwuid_r(uid_t, struct passwd *, char *, size_t, int *);

static enum nss_status
bench_fill(unsigned long n, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	static const char rest[] = "x\0\0/nonexistent\0/usr/sbin/nologin";
	int len = snprintf(buf, buflen, "bu%lu", n);

	if (len < 0 || (size_t)len + 1 + sizeof(rest) > buflen) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	memcpy(buf + len + 1, rest, sizeof(rest));
	pw->pw_name = buf;
	pw->pw_passwd = buf + len + 1;
	pw->pw_gecos = buf + len + 3;
	pw->pw_dir = buf + len + 4;
	pw->pw_shell = buf + len + 4 + sizeof("/nonexistent");
	pw->pw_uid = (uid_t)(BENCH_UID0 + n);
	pw->pw_gid = 65534;
	return NSS_STATUS_SUCCESS;
}

enum nss_status
_nss_odinbench_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
    int *errnop)
{
	unsigned long n = 0;
	const char *p;

	if (name == NULL || strncmp(name, "bu", 2) != 0 || name[2] == '\0' ||
	    (name[2] == '0' && name[3] != '\0'))
		return NSS_STATUS_NOTFOUND;
	for (p = name + 2; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return NSS_STATUS_NOTFOUND;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n >= BENCH_MAX)
			return NSS_STATUS_NOTFOUND;
	}
	return bench_fill(n, pw, buf, buflen, errnop);
}

enum nss_status
_nss_odinbench_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	if ((unsigned long)uid < BENCH_UID0 || (unsigned long)uid >= BENCH_UID0 + BENCH_MAX)
		return NSS_STATUS_NOTFOUND;
	return bench_fill((unsigned long)uid - BENCH_UID0, pw, buf, buflen, errnop);
}
