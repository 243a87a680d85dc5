/* SPDX-License-Identifier: ISC */
/*
 * Who a user is, for the module, the CLI and the store.  A record is keyed
 * by the account's canonical name as the system's user database (NSS)
 * returns it in pw_name, never by the spelling a client typed: with a
 * directory that resolves names case-insensitively (SSSD's AD provider,
 * winbind), "ALICE" and "alice" are one account and must find one record.
 */
#ifndef ODIN_USER_H
#define ODIN_USER_H

#include <stddef.h>
#include <sys/types.h>

/* Longest user name: LOGIN_NAME_MAX (256, with the NUL) on Linux. */
#define ODIN_USER_MAX 255

/*
 * 1 if name can be a user's name here: 1..ODIN_USER_MAX bytes, none of
 * them a control character, a space, DEL, '/' or ':' (no user database
 * hands out such names; a passwd line could not even hold a ':').  '@',
 * '\\', upper case, dots, UTF-8: all fine -- SSSD, winbind and FreeIPA
 * names (john.doe@corp.example, CORP\\jdoe) are users too.  The store
 * files a name under an encoding of its own (store_files.c).
 */
int odin_user_valid(const char *name);

/* The same rule for group names, which may also contain spaces ("domain users"). */
int odin_group_valid(const char *name);

/*
 * The length of the well-formed UTF-8 sequence at s (RFC 3629: 1 for
 * ASCII, none overlong, no surrogates, nothing above U+10FFFF), 0 if s
 * does not start with one (or at its NUL).  For whoever must show or
 * store a name where only UTF-8 is allowed (JSON, a UTF-8 database).
 */
size_t odin_utf8_len(const char *s);
/* 1 if all of s is UTF-8. */
int odin_utf8_valid(const char *s);

/*
 * Looks name up in the user database (getpwnam_r) and copies the
 * account's canonical name (pw_name) into out (outsz bytes), its uid and
 * primary gid into *uid and *gid (either may be NULL).  Returns ODIN_OK;
 * ODIN_ENOENT (no such account); ODIN_EIO (the user database could not
 * answer, e.g. a directory that is down: deciding without it could skip
 * the code, so callers deny); ODIN_EBADNAME (the canonical name is not
 * usable as a store key, or name is NULL/empty); ODIN_ENOMEM.  Logs
 * nothing: callers report in their own words.
 */
int odin_user_canonical(const char *name, char *out, size_t outsz, uid_t *uid, gid_t *gid);

/*
 * 1 if user (a canonical name) with primary group gid is a member of the
 * group named group: primary group or member list, read from the group
 * database now (not from the process's supplementary groups, so removing
 * a member takes effect at once).  0 if not; ODIN_ENOENT if the group
 * does not exist; ODIN_EIO if the databases could not answer;
 * ODIN_ENOMEM.
 */
int odin_user_in_group(const char *user, gid_t gid, const char *group);

#endif
