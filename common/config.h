/* SPDX-License-Identifier: ISC */
/*
 * /etc/odin-mfa.conf (path fixed at configure time: ODIN_CONFIG_PATH) and
 * the PAM module arguments share one table of keys.  The file is trusted
 * only if it is a regular file (not a symlink) owned by root and not
 * group/other-writable, and at most 64 KiB.
 *
 * File syntax, line by line:
 *   - leading and trailing blanks (space, tab, CR) are trimmed;
 *   - an empty line, or one whose first non-blank character is '#', is a
 *     comment.  '#' anywhere else is an ordinary character: there are no
 *     trailing comments, because issuer and store_dir may contain '#'
 *     ("window = 3 # note" is therefore a bad value, and is reported);
 *   - "key = value" or "key=value" (blanks around '=' optional; the value
 *     runs to the end of the line, inner blanks kept, no quoting);
 *   - a boolean may be a bare "key", meaning yes;
 *   - a line may be at most 1024 bytes; a NUL byte anywhere rejects the file.
 * Unknown keys and bad values are reported through odin_log() as
 * "origin:LINE: reason"; a later line for the same key overrides.
 *
 * Keys (module option spelled the same, flags take no value):
 *   store_dir=DIR        (module: store=DIR)   default ODIN_STORE_DIR
 *                        absolute path, printable ASCII; the file
 *                        accepts the spelling store_dir only
 *   window=0..10         steps either side      default 1
 *   max_failures=1..1000                        default 5
 *   lockout_seconds=1..86400                    default 300
 *   lockout_max_seconds=1..604800 (cap of the doubling) default 86400
 *   enforce_group=GROUP                         default none
 *   admin_group=GROUP    (CLI only)             default none
 *                        group names follow odin_group_valid()
 *                        (user.h): 1..255 bytes, no control byte, /, :
 *   issuer=TEXT          (otpauth issuer)       default "O.D.I.N."
 *                        1..63 printable ASCII characters, no ':'
 *   backup_codes=1..20   (codes per set)        default 10
 *   skew_steps=0..240    (diagnostic search)    default 10
 *   echo_code, no_enroll, debug, su_caller, enroll_token,
 *   forward_pass (module line only; the module ignores it here)  (booleans: bare key, or
 *                        yes/no/true/false/on/off/1/0)
 *   backend=files|postgresql                    default files
 *   pg_conninfo=TEXT     libpq connection string (printable ASCII, blanks
 *                        allowed); needed by backend=postgresql
 *   pg_password_file=PATH  the database password, alone on the first line
 *                        of a root-only file (checked like secret_key_file)
 *   pg_connect_timeout=1..60 (seconds)          default 5
 *   pg_statement_timeout=1..60 (seconds; also bounds row-lock waits) default 5
 *   secret_key_file=PATH AES-256 key (64 hex digits), root-only 0600/0400;
 *                        needed by backend=postgresql, optional for files
 *                        (see crypt.h)
 *   pg_plugin=PATH       the postgresql backend's plugin (store_backend.h),
 *                        default ODIN_PLUGIN_DIR/odin_store_pg.so; loaded
 *                        only if root-owned, not group/other-writable
 * Numbers are plain decimal: no sign, blanks, base prefix or trailing junk.
 */
#ifndef ODIN_CONFIG_H
#define ODIN_CONFIG_H

#include <stddef.h>

#define ODIN_GROUP_MAX 256	/* a group name (directory groups: "CORP\\Domain Admins") */
#define ODIN_ISSUER_MAX 64
#define ODIN_PATH_MAX 256
#define ODIN_DEFAULT_ISSUER "O.D.I.N."
#define ODIN_CONNINFO_MAX 1024

enum odin_backend { ODIN_BACKEND_FILES = 0, ODIN_BACKEND_POSTGRESQL = 1 };
/* postgresql: who checks a code -- the host, with secret_key_file, or the database */
enum odin_pg_verify { ODIN_PG_VERIFY_HOST = 0, ODIN_PG_VERIFY_SERVER = 1 };

struct odin_config {
	char store_dir[ODIN_PATH_MAX];
	unsigned window;
	unsigned max_failures;
	unsigned lockout_seconds;
	unsigned lockout_max_seconds;
	char enforce_group[ODIN_GROUP_MAX];	/* "" = none */
	char admin_group[ODIN_GROUP_MAX];	/* "" = none */
	char issuer[ODIN_ISSUER_MAX];
	unsigned backup_codes;
	unsigned skew_steps;
	int echo_code;
	int no_enroll;
	int debug;
	int forward_pass;
	int su_caller;		/* target without a record: ask the caller of su/sudo */
	int enroll_token;	/* every forced enrollment needs an admin's token */
	enum odin_backend backend;
	char pg_conninfo[ODIN_CONNINFO_MAX];	/* "" = not set */
	char pg_password_file[ODIN_PATH_MAX];	/* "" = none */
	unsigned pg_connect_timeout;
	unsigned pg_statement_timeout;
	char secret_key_file[ODIN_PATH_MAX];	/* "" = none */
	char pg_plugin[ODIN_PATH_MAX];		/* "" = ODIN_PLUGIN_DIR/odin_store_pg.so */
	enum odin_pg_verify pg_verify;
};

/* Compiled-in defaults. */
void odin_config_defaults(struct odin_config *c);

/*
 * Sets one key.  value is NULL for a bare flag.  Returns ODIN_OK,
 * ODIN_EINVAL (bad value; c unchanged) or ODIN_ENOENT (unknown key).
 * Does not log: callers report with their own context.
 */
int odin_config_set(struct odin_config *c, const char *key, const char *value);

/*
 * Parses a whole file's text (len bytes, NUL bytes are an error).
 * Every bad line is logged as "origin:LINE: reason" and makes the result
 * ODIN_ECORRUPT, but good lines still apply so that the caller can decide.
 */
int odin_config_parse(const char *buf, size_t len, const char *origin, struct odin_config *c);

/*
 * Loads path into c (on top of what c holds).  A missing file is ODIN_ENOENT
 * (c unchanged, not an error for the default path).  An unsafe file (not
 * regular, symlink, not root-owned, group/other-writable) is ODIN_EUNSAFE
 * and is not read.  Larger than 64 KiB: ODIN_ETOOBIG.
 */
int odin_config_load(const char *path, struct odin_config *c);

#endif
