/* SPDX-License-Identifier: ISC */
/*
 * The user and group databases, read through the reentrant NSS calls so
 * that a multi-threaded PAM application is safe.  Every buffer is
 * bounded; an answer larger than any real entry is an error, not a
 * reason to allocate without end.
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "user.h"

#define USER_BUF_START 4096
#define USER_BUF_MAX (1024 * 1024)	/* a group with thousands of members fits */
#define USER_GROUPS_MAX 65536

static int
user_name_ok(const char *name, int spaces)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i >= ODIN_USER_MAX)
			return 0;
		if (c < 0x20 || c == 0x7f || c == '/' || c == ':' || (c == ' ' && !spaces))
			return 0;
	}
	return 1;
}

int
odin_user_valid(const char *name)
{
	return user_name_ok(name, 0);
}

int
odin_group_valid(const char *name)
{
	return user_name_ok(name, 1);
}

size_t
odin_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* no overlong 3-byte form */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* no surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* no overlong 4-byte form */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* nothing above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
odin_utf8_valid(const char *s)
{
	size_t n;

	while (*s != '\0') {
		if ((n = odin_utf8_len(s)) == 0)
			return 0;
		s += n;
	}
	return 1;
}

/* ERANGE grows the buffer; "not found" comes back as 0 with *res NULL. */
int
odin_user_canonical(const char *name, char *out, size_t outsz, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	size_t sz = USER_BUF_START, len;
	char *buf = NULL;
	int e;

	if (outsz > 0)
		out[0] = '\0';
	if (name == NULL || name[0] == '\0')
		return ODIN_EBADNAME;
	for (;;) {
		char *nb = realloc(buf, sz);

		if (nb == NULL) {
			free(buf);
			return ODIN_ENOMEM;
		}
		buf = nb;
		errno = 0;
		e = getpwnam_r(name, &pw, buf, sz, &res);
		if (e != ERANGE)
			break;
		if (sz >= USER_BUF_MAX) {
			free(buf);
			return ODIN_EIO;
		}
		sz *= 2;
	}
	if (res == NULL) {
		free(buf);
		/* glibc: 0 (or ENOENT and friends) means no such entry; anything else is a failed lookup */
		return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM ?
		    ODIN_ENOENT : ODIN_EIO;
	}
	len = pw.pw_name != NULL ? strlen(pw.pw_name) : 0;
	if (len == 0 || len >= outsz || !odin_user_valid(pw.pw_name)) {
		free(buf);
		return ODIN_EBADNAME;
	}
	memcpy(out, pw.pw_name, len + 1);
	if (uid != NULL)
		*uid = pw.pw_uid;
	if (gid != NULL)
		*gid = pw.pw_gid;
	free(buf);
	return ODIN_OK;
}

/*
 * The group's gid, and whether user is in its member list: getgrouplist()
 * quietly skips a backend that fails, so the member list read here is a
 * second source, not a formality.
 */
static int
user_group_gid(const char *group, const char *user, gid_t *gid, int *listed)
{
	struct group gr, *res = NULL;
	size_t sz = USER_BUF_START;
	char *buf = NULL;
	int e;

	for (;;) {
		char *nb = realloc(buf, sz);

		if (nb == NULL) {
			free(buf);
			return ODIN_ENOMEM;
		}
		buf = nb;
		e = getgrnam_r(group, &gr, buf, sz, &res);
		if (e != ERANGE)
			break;
		if (sz >= USER_BUF_MAX) {
			free(buf);
			return ODIN_EIO;
		}
		sz *= 2;
	}
	*listed = 0;
	if (res != NULL) {
		char **m;

		*gid = gr.gr_gid;
		for (m = gr.gr_mem; m != NULL && *m != NULL; m++)
			if (strcmp(*m, user) == 0)
				*listed = 1;
	}
	free(buf);
	if (res != NULL)
		return ODIN_OK;
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM ?
	    ODIN_ENOENT : ODIN_EIO;
}

int
odin_user_in_group(const char *user, gid_t gid, const char *group)
{
	gid_t want, *groups;
	int n = 256, i, rc, member = 0, listed, tries;

	if (user == NULL || group == NULL || group[0] == '\0')
		return ODIN_EINVAL;
	if ((rc = user_group_gid(group, user, &want, &listed)) != ODIN_OK)
		return rc;
	if (gid == want || listed)
		return 1;
	/* twice at most: the second time with the size getgrouplist() asked for */
	for (tries = 0; tries < 2; tries++) {
		int got = n;

		if ((groups = calloc((size_t)n, sizeof(*groups))) == NULL)
			return ODIN_ENOMEM;
		if (getgrouplist(user, gid, groups, &got) >= 0) {
			for (i = 0; i < got && i < n; i++)
				if (groups[i] == want)
					member = 1;
			free(groups);
			return member;
		}
		free(groups);
		if (got <= n || got > USER_GROUPS_MAX)
			return ODIN_EIO;
		n = got;
	}
	return ODIN_EIO;
}
