/* SPDX-License-Identifier: ISC */
/*
 * The configuration: one table of keys shared by /etc/odin-mfa.conf and
 * the PAM module arguments.  A value is checked completely before it is
 * stored, so a bad value never leaves a half-set field behind.  The file
 * is read only after fstat() on the open descriptor says it is a regular
 * file owned by root that nobody else can write (cf. doas parseconfig()).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "store.h"

#define CONFIG_FILE_MAX (64 * 1024)
#define CONFIG_LINE_MAX 1024

enum cfg_type { CFG_UINT, CFG_BOOL, CFG_PATH, CFG_GROUP, CFG_ISSUER, CFG_BACKEND, CFG_CONNINFO,
	CFG_VERIFY };

struct cfg_key {
	const char *name;
	const char *alias;	/* module-argument spelling, or NULL */
	enum cfg_type type;
	size_t off;
	unsigned min, max;	/* CFG_UINT */
	size_t size;		/* string fields: buffer size */
};

#define U(n, lo, hi) { #n, NULL, CFG_UINT, offsetof(struct odin_config, n), lo, hi, 0 }
#define B(n) { #n, NULL, CFG_BOOL, offsetof(struct odin_config, n), 0, 1, 0 }
#define S(n, a, t) { #n, a, t, offsetof(struct odin_config, n), 0, 0, \
	sizeof(((struct odin_config *)0)->n) }

static const struct cfg_key cfg_keys[] = {
	S(store_dir, "store", CFG_PATH),
	U(window, 0, ODIN_WINDOW_MAX),
	U(max_failures, 1, 1000),
	U(lockout_seconds, 1, 86400),
	U(lockout_max_seconds, 1, 604800),
	S(enforce_group, NULL, CFG_GROUP),
	S(admin_group, NULL, CFG_GROUP),
	S(issuer, NULL, CFG_ISSUER),
	U(backup_codes, 1, ODIN_BACKUP_MAX),
	U(skew_steps, 0, 240),
	B(echo_code),
	B(no_enroll),
	B(debug),
	B(forward_pass),
	B(su_caller),
	B(enroll_token),
	{ "backend", NULL, CFG_BACKEND, offsetof(struct odin_config, backend), 0, 0, 0 },
	S(pg_conninfo, NULL, CFG_CONNINFO),
	S(pg_password_file, NULL, CFG_PATH),
	U(pg_connect_timeout, 1, 60),
	U(pg_statement_timeout, 1, 60),
	S(secret_key_file, NULL, CFG_PATH),
	S(pg_plugin, NULL, CFG_PATH),
	{ "pg_verify", NULL, CFG_VERIFY, offsetof(struct odin_config, pg_verify), 0, 0, 0 },
};

#undef U
#undef B
#undef S

void
odin_config_defaults(struct odin_config *c)
{
	_Static_assert(sizeof(ODIN_STORE_DIR) <= sizeof(c->store_dir), "ODIN_STORE_DIR too long");
	_Static_assert(sizeof(ODIN_DEFAULT_ISSUER) <= sizeof(c->issuer), "issuer too long");

	memset(c, 0, sizeof(*c));
	memcpy(c->store_dir, ODIN_STORE_DIR, sizeof(ODIN_STORE_DIR));
	memcpy(c->issuer, ODIN_DEFAULT_ISSUER, sizeof(ODIN_DEFAULT_ISSUER));
	c->window = 1;
	c->max_failures = 5;
	c->lockout_seconds = 300;
	c->lockout_max_seconds = 86400;
	c->backup_codes = 10;
	c->skew_steps = 10;
	c->backend = ODIN_BACKEND_FILES;
	c->pg_connect_timeout = 5;
	c->pg_statement_timeout = 5;
}

static const struct cfg_key *
cfg_find(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		if (strcmp(cfg_keys[i].name, key) == 0 ||
		    (cfg_keys[i].alias != NULL && strcmp(cfg_keys[i].alias, key) == 0))
			return &cfg_keys[i];
	}
	return NULL;
}

/* Only decimal digits: no sign, no blanks, no "0x", no trailing junk. */
static int
cfg_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long n = 0;

	if (v == NULL || *v == '\0')
		return ODIN_EINVAL;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return ODIN_EINVAL;
		n = n * 10 + (unsigned)(*v - '0');
		if (n > max)		/* also stops any overflow early */
			return ODIN_EINVAL;
	}
	if (n < min)
		return ODIN_EINVAL;
	*out = (unsigned)n;
	return ODIN_OK;
}

static int
cfg_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	if (v == NULL) {	/* a bare flag */
		*out = 1;
		return ODIN_OK;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return ODIN_OK;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return ODIN_OK;
		}
	}
	return ODIN_EINVAL;
}

static int
cfg_string_ok(enum cfg_type t, const char *v, size_t size)
{
	size_t len, i;

	if (v == NULL)
		return 0;
	len = strlen(v);
	if (len == 0 || len >= size)
		return 0;
	switch (t) {
	case CFG_PATH:
		if (v[0] != '/')
			return 0;
		for (i = 0; i < len; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
				return 0;
		return 1;
	case CFG_GROUP:
		/* The user-name rule, spaces allowed (user.h): it ends up in logs and lookups. */
		return odin_group_valid(v);
	case CFG_CONNINFO:
		/* Printable ASCII, blanks allowed: libpq parses it. */
		for (i = 0; i < len; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
				return 0;
		return 1;
	case CFG_ISSUER:
		/* Printable ASCII; ':' would split the otpauth label. */
		for (i = 0; i < len; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f ||
			    v[i] == ':')
				return 0;
		return 1;
	default:
		return 0;
	}
}

int
odin_config_set(struct odin_config *c, const char *key, const char *value)
{
	const struct cfg_key *k;
	unsigned u;
	int b;

	if (c == NULL || key == NULL)
		return ODIN_EINVAL;
	if ((k = cfg_find(key)) == NULL)
		return ODIN_ENOENT;
	switch (k->type) {
	case CFG_UINT:
		if (cfg_uint(value, k->min, k->max, &u) != ODIN_OK)
			return ODIN_EINVAL;
		*(unsigned *)(void *)((char *)c + k->off) = u;
		return ODIN_OK;
	case CFG_BOOL:
		if (cfg_bool(value, &b) != ODIN_OK)
			return ODIN_EINVAL;
		*(int *)(void *)((char *)c + k->off) = b;
		return ODIN_OK;
	case CFG_BACKEND:
		if (value != NULL && strcmp(value, "files") == 0)
			*(enum odin_backend *)(void *)((char *)c + k->off) = ODIN_BACKEND_FILES;
		else if (value != NULL && strcmp(value, "postgresql") == 0)
			*(enum odin_backend *)(void *)((char *)c + k->off) = ODIN_BACKEND_POSTGRESQL;
		else
			return ODIN_EINVAL;
		return ODIN_OK;
	case CFG_VERIFY:
		if (value != NULL && strcmp(value, "host") == 0)
			*(enum odin_pg_verify *)(void *)((char *)c + k->off) = ODIN_PG_VERIFY_HOST;
		else if (value != NULL && strcmp(value, "server") == 0)
			*(enum odin_pg_verify *)(void *)((char *)c + k->off) = ODIN_PG_VERIFY_SERVER;
		else
			return ODIN_EINVAL;
		return ODIN_OK;
	case CFG_PATH:
	case CFG_GROUP:
	case CFG_ISSUER:
	case CFG_CONNINFO:
		/* value == NULL is also refused inside; said here so the analyzers see it */
		if (value == NULL || !cfg_string_ok(k->type, value, k->size))
			return ODIN_EINVAL;
		memcpy((char *)c + k->off, value, strlen(value) + 1);
		return ODIN_OK;
	}
	return ODIN_EINVAL;
}

static const char *
cfg_expect(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_UINT:	 return "a decimal number in range";
	case CFG_BOOL:	 return "yes/no/true/false/on/off/1/0";
	case CFG_PATH:	 return "an absolute path";
	case CFG_GROUP:	 return "a group name";
	case CFG_ISSUER: return "printable ASCII without ':'";
	case CFG_BACKEND: return "files or postgresql";
	case CFG_VERIFY: return "host or server";
	case CFG_CONNINFO: return "printable ASCII";
	}
	return "?";
}

static int
cfg_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Handles one line (NUL-terminated, no '\n').  Returns 0 if good, -1 if bad (logged). */
static int
cfg_line(char *s, const char *origin, unsigned lineno, struct odin_config *c)
{
	const struct cfg_key *k;
	char *end, *key, *value = NULL, *eq;
	unsigned u;
	size_t i;

	while (cfg_is_space(*s))
		s++;
	end = s + strlen(s);
	while (end > s && cfg_is_space(end[-1]))
		*--end = '\0';
	if (*s == '\0' || *s == '#')
		return 0;

	key = s;
	for (i = 0; (key[i] >= 'a' && key[i] <= 'z') || key[i] == '_'; i++)
		;
	if (i == 0) {
		odin_log(LOG_ERR, "%s:%u: syntax error (expected key = value)", origin, lineno);
		return -1;
	}
	eq = key + i;
	while (cfg_is_space(*eq))
		*eq++ = '\0';
	if (*eq == '=') {
		*eq++ = '\0';
		while (cfg_is_space(*eq))
			eq++;
		value = eq;
	} else if (*eq != '\0') {
		odin_log(LOG_ERR, "%s:%u: syntax error (expected key = value)", origin, lineno);
		return -1;
	}
	key[i] = '\0';

	if ((k = cfg_find(key)) == NULL || (k->alias != NULL && strcmp(k->alias, key) == 0)) {
		/* The short alias is a module-argument spelling only. */
		odin_log(LOG_ERR, "%s:%u: unknown key '%s'", origin, lineno, key);
		return -1;
	}
	if (odin_config_set(c, k->name, value) != ODIN_OK) {
		if (k->type == CFG_UINT && cfg_uint(value, 0, ~0u, &u) == ODIN_OK)
			odin_log(LOG_ERR, "%s:%u: %s: %u is out of range %u..%u",
			    origin, lineno, k->name, u, k->min, k->max);
		else if (k->type == CFG_UINT)
			odin_log(LOG_ERR, "%s:%u: %s: expected a decimal number %u..%u",
			    origin, lineno, k->name, k->min, k->max);
		else
			odin_log(LOG_ERR, "%s:%u: %s: bad value (expected %s)",
			    origin, lineno, k->name, cfg_expect(k));
		return -1;
	}
	return 0;
}

int
odin_config_parse(const char *buf, size_t len, const char *origin, struct odin_config *c)
{
	char line[CONFIG_LINE_MAX + 1];
	unsigned lineno = 0;
	size_t pos = 0, n;
	const char *nl;
	int rc = ODIN_OK;

	if (buf == NULL || c == NULL)
		return ODIN_EINVAL;
	if (origin == NULL)
		origin = "config";
	if (len > CONFIG_FILE_MAX) {
		odin_log(LOG_ERR, "%s: larger than %u bytes", origin, CONFIG_FILE_MAX);
		return ODIN_ETOOBIG;
	}
	if (memchr(buf, '\0', len) != NULL) {
		/* A binary file is not a config file: apply nothing. */
		odin_log(LOG_ERR, "%s: contains a NUL byte", origin);
		return ODIN_ECORRUPT;
	}
	while (pos < len) {
		lineno++;
		nl = memchr(buf + pos, '\n', len - pos);
		n = (nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos);
		if (n > CONFIG_LINE_MAX) {
			odin_log(LOG_ERR, "%s:%u: line longer than %u bytes", origin, lineno,
			    CONFIG_LINE_MAX);
			rc = ODIN_ECORRUPT;
		} else {
			memcpy(line, buf + pos, n);
			line[n] = '\0';
			if (cfg_line(line, origin, lineno, c) != 0)
				rc = ODIN_ECORRUPT;
		}
		pos += n + (nl != NULL ? 1 : 0);
	}
	return rc;
}

int
odin_config_load(const char *path, struct odin_config *c)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	if (path == NULL || c == NULL)
		return ODIN_EINVAL;
	/* O_NONBLOCK: opening a FIFO planted in place of the file must not hang. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return ODIN_ENOENT;
		if (errno == ELOOP) {
			odin_log(LOG_ERR, "%s: refusing a symbolic link", path);
			return ODIN_EUNSAFE;
		}
		odin_log(LOG_ERR, "%s: cannot open: %s", path, strerror(errno));
		return errno == EACCES ? ODIN_EPERM : ODIN_EIO;
	}
	if (fstat(fd, &st) != 0) {
		odin_log(LOG_ERR, "%s: fstat: %s", path, strerror(errno));
		rc = ODIN_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		odin_log(LOG_ERR, "%s: not a regular file", path);
		rc = ODIN_EUNSAFE;
		goto out;
	}
	if (st.st_uid != 0) {
		odin_log(LOG_ERR, "%s: not owned by root (uid %u)", path, (unsigned)st.st_uid);
		rc = ODIN_EUNSAFE;
		goto out;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		odin_log(LOG_ERR, "%s: writable by group or others (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
		rc = ODIN_EUNSAFE;
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		odin_log(LOG_ERR, "%s: larger than %u bytes", path, CONFIG_FILE_MAX);
		rc = ODIN_ETOOBIG;
		goto out;
	}
	/*
	 * Read one byte more than allowed, in case the file grew since fstat;
	 * a short read that reaches the size fstat gave is the end.
	 */
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		rc = ODIN_ENOMEM;
		goto out;
	}
	for (;;) {
		size_t want = CONFIG_FILE_MAX + 1 - len;

		r = read(fd, buf + len, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			odin_log(LOG_ERR, "%s: read: %s", path, strerror(errno));
			rc = ODIN_EIO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > CONFIG_FILE_MAX) {
			odin_log(LOG_ERR, "%s: larger than %u bytes", path, CONFIG_FILE_MAX);
			rc = ODIN_ETOOBIG;
			goto out;
		}
		if ((size_t)r < want && len >= (size_t)st.st_size)
			break;
	}
	rc = odin_config_parse(buf, len, path, c);
out:
	free(buf);
	(void)close(fd);
	return rc;
}
