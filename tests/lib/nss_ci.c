/* SPDX-License-Identifier: ISC */
/*
 * A glibc NSS passwd module for the tests only: a test fixture, built as a
 * check_LTLIBRARIES module, never installed.  It stands in for a directory
 * service that resolves user names without regard to case (SSSD's AD
 * provider with case_sensitive = false, winbind): getpwnam("ALICE") returns
 * alice's /etc/passwd entry, whose pw_name is "alice".  getspnam() does the
 * same with /etc/shadow, so that pam_unix can check the password of a
 * differently spelled name, as pam_sss would.
 *
 * tests/lib/nss.sh puts it in place inside a private mount namespace as
 * libnss_odinci.so.2 with "passwd: files odinci" in /etc/nsswitch.conf, so
 * "files" answers exact names and this module only the differently cased.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

enum nss_status _nss_odinci_getpwnam_r(const char *name, struct passwd *pw,
				       char *buf, size_t buflen, int *errnop);
enum nss_status _nss_odinci_getpwuid_r(uid_t uid, struct passwd *pw,
				       char *buf, size_t buflen, int *errnop);
enum nss_status _nss_odinci_getspnam_r(const char *name, struct spwd *sp,
				       char *buf, size_t buflen, int *errnop);

#define CI_PASSWD "/etc/passwd"
#define CI_NFIELDS 7

/* Split LINE in place at ':' into exactly CI_NFIELDS fields. */
static int ci_split(char *line, char *f[CI_NFIELDS])
{
	int i;

	for (i = 0; i < CI_NFIELDS; i++) {
		f[i] = line;
		line = strchr(line, ':');
		if (i == CI_NFIELDS - 1)
			return line == NULL ? 0 : -1;
		if (line == NULL)
			return -1;
		*line++ = '\0';
	}
	return -1;
}

static int ci_id(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > (unsigned long)(uid_t)-1)
		return -1;
	return 0;
}

/* Append S to the caller's buffer; NULL when it does not fit. */
static char *ci_put(const char *s, char **pos, size_t *left)
{
	size_t n = strlen(s) + 1;
	char *p = *pos;

	if (n > *left)
		return NULL;
	memcpy(p, s, n);
	*pos += n;
	*left -= n;
	return p;
}

/* Fill PW from the split fields F, its strings stored in BUF. */
static enum nss_status ci_fill(char *f[CI_NFIELDS], unsigned long uid,
			       unsigned long gid, struct passwd *pw,
			       char *buf, size_t buflen, int *errnop)
{
	char *pos = buf;
	size_t left = buflen;

	/* Only strings go into BUF, so no alignment beyond char is needed. */
	if ((pw->pw_name = ci_put(f[0], &pos, &left)) == NULL ||
	    (pw->pw_passwd = ci_put(f[1], &pos, &left)) == NULL ||
	    (pw->pw_gecos = ci_put(f[4], &pos, &left)) == NULL ||
	    (pw->pw_dir = ci_put(f[5], &pos, &left)) == NULL ||
	    (pw->pw_shell = ci_put(f[6], &pos, &left)) == NULL) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	pw->pw_uid = (uid_t)uid;
	pw->pw_gid = (gid_t)gid;
	return NSS_STATUS_SUCCESS;
}

/* Look up by NAME (case-insensitively) when NAME is set, else by UID. */
static enum nss_status ci_lookup(const char *name, uid_t uid,
				 struct passwd *pw, char *buf, size_t buflen,
				 int *errnop)
{
	enum nss_status st = NSS_STATUS_NOTFOUND;
	char *line = NULL, *f[CI_NFIELDS];
	size_t cap = 0;
	ssize_t len;
	unsigned long u, g;
	FILE *fp;

	fp = fopen(CI_PASSWD, "re");
	if (fp == NULL) {
		*errnop = errno;
		return errno == ENOENT ? NSS_STATUS_UNAVAIL : NSS_STATUS_TRYAGAIN;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		/* skip blank lines, comments and NIS compat (+/-) entries */
		if (line[0] == '\0' || line[0] == '#' || line[0] == '+' ||
		    line[0] == '-')
			continue;
		if (ci_split(line, f) != 0 || f[0][0] == '\0' ||
		    ci_id(f[2], &u) != 0 || ci_id(f[3], &g) != 0)
			continue;
		if (name != NULL ? strcasecmp(f[0], name) != 0 : (uid_t)u != uid)
			continue;
		st = ci_fill(f, u, g, pw, buf, buflen, errnop);
		break;
	}
	if (st == NSS_STATUS_NOTFOUND && ferror(fp)) {
		*errnop = EIO;
		st = NSS_STATUS_UNAVAIL;
	}
	free(line);
	fclose(fp);
	return st;
}

enum nss_status _nss_odinci_getpwnam_r(const char *name, struct passwd *pw,
				       char *buf, size_t buflen, int *errnop)
{
	if (name == NULL || name[0] == '\0')
		return NSS_STATUS_NOTFOUND;
	return ci_lookup(name, 0, pw, buf, buflen, errnop);
}

enum nss_status _nss_odinci_getpwuid_r(uid_t uid, struct passwd *pw,
				       char *buf, size_t buflen, int *errnop)
{
	return ci_lookup(NULL, uid, pw, buf, buflen, errnop);
}

/* A shadow number field: empty is -1 (not set). */
static long ci_spnum(const char *s)
{
	char *end;
	long v;

	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' ? v : -1;
}

enum nss_status _nss_odinci_getspnam_r(const char *name, struct spwd *sp,
				       char *buf, size_t buflen, int *errnop)
{
	enum nss_status st = NSS_STATUS_NOTFOUND;
	char *line = NULL, *f[9], *p, *pos = buf;
	size_t cap = 0, left = buflen;
	ssize_t len;
	int i;
	FILE *fp;

	if (name == NULL || name[0] == '\0')
		return NSS_STATUS_NOTFOUND;
	fp = fopen("/etc/shadow", "re");
	if (fp == NULL) {
		*errnop = errno;
		return errno == ENOENT ? NSS_STATUS_UNAVAIL : NSS_STATUS_TRYAGAIN;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		for (i = 0, p = line; i < 9 && p != NULL; i++) {
			f[i] = p;
			p = strchr(p, ':');
			if (p != NULL)
				*p++ = '\0';
		}
		if (i < 9 || strcasecmp(f[0], name) != 0)
			continue;
		if ((sp->sp_namp = ci_put(f[0], &pos, &left)) == NULL ||
		    (sp->sp_pwdp = ci_put(f[1], &pos, &left)) == NULL) {
			*errnop = ERANGE;
			st = NSS_STATUS_TRYAGAIN;
			break;
		}
		sp->sp_lstchg = ci_spnum(f[2]);
		sp->sp_min = ci_spnum(f[3]);
		sp->sp_max = ci_spnum(f[4]);
		sp->sp_warn = ci_spnum(f[5]);
		sp->sp_inact = ci_spnum(f[6]);
		sp->sp_expire = ci_spnum(f[7]);
		sp->sp_flag = (unsigned long)ci_spnum(f[8]);
		st = NSS_STATUS_SUCCESS;
		break;
	}
	free(line);
	fclose(fp);
	return st;
}
