/* SPDX-License-Identifier: ISC */
/*
 * One error space for common/: 0 is success, every failure is a negative
 * ODIN_E* value.  Callers map these to PAM return codes or CLI messages.
 */
#ifndef ODIN_ERR_H
#define ODIN_ERR_H

enum odin_err {
	ODIN_OK = 0,
	ODIN_ENOMEM = -1,	/* out of memory */
	ODIN_EIO = -2,		/* read/write/fsync/rename failed (errno kept) */
	ODIN_EINVAL = -3,	/* bad argument or malformed input */
	ODIN_ECORRUPT = -4,	/* a record or config that does not parse */
	ODIN_EUNSAFE = -5,	/* symlink, hard link, wrong owner or mode */
	ODIN_ENOENT = -6,	/* no such record */
	ODIN_ETOOBIG = -7,	/* input larger than any legitimate one */
	ODIN_EBADNAME = -8,	/* user name not usable as a store key */
	ODIN_ECRYPTO = -9,	/* OpenSSL failure */
	ODIN_ENOMATCH = -10,	/* code did not verify */
	ODIN_EREPLAY = -11,	/* code verified for a step already used */
	ODIN_ENOSPC = -12,	/* disk full or quota exceeded */
	ODIN_EROFS = -13,	/* store on a read-only file system */
	ODIN_EPERM = -14,	/* operation not permitted */
	ODIN_ELOCK = -15,	/* could not take the record lock (busy, timed out) */
	ODIN_ENOTSUP = -16,	/* the backend does not offer this operation */
	ODIN_ELOCKEDOUT = -17,	/* too many failed attempts: locked out for now */
	ODIN_ECHANGED = -18,	/* the record changed since it was read */
	ODIN_EEXIST = -19,	/* a record exists that may not be replaced */
};

/* The last code of the enum (tests walk every code down to it). */
#define ODIN_ERR_LAST ODIN_EEXIST

/* Returns a static, human readable description of err (never NULL). */
const char *odin_strerror(int err);

/* Maps an errno value from a failed store I/O call to an ODIN_E* code. */
int odin_err_from_errno(int e);

#endif
