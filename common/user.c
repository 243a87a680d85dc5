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

int
odin_user_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= ODIN_USER_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
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

static int
user_group_gid(const char *group, gid_t *gid)
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
	if (res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (res != NULL)
		return ODIN_OK;
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM ?
	    ODIN_ENOENT : ODIN_EIO;
}

int
odin_user_in_group(const char *user, gid_t gid, const char *group)
{
	gid_t want, *groups = NULL;
	int n = 64, i, rc, member = 0;

	if (user == NULL || group == NULL || group[0] == '\0')
		return ODIN_EINVAL;
	if ((rc = user_group_gid(group, &want)) != ODIN_OK)
		return rc;
	if (gid == want)
		return 1;
	for (;;) {
		int got = n;
		gid_t *g = realloc(groups, (size_t)n * sizeof(*g));

		if (g == NULL) {
			free(groups);
			return ODIN_ENOMEM;
		}
		groups = g;
		if (getgrouplist(user, gid, groups, &got) >= 0) {
			for (i = 0; i < got; i++)
				if (groups[i] == want)
					member = 1;
			break;
		}
		/* got is the number needed; guard against a library that does not set it */
		if (got <= n)
			got = n * 2;
		if (got > USER_GROUPS_MAX) {
			free(groups);
			return ODIN_EIO;
		}
		n = got;
	}
	free(groups);
	return member;
}
