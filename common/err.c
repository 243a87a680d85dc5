/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <errno.h>

#include "err.h"

const char *
odin_strerror(int err)
{
	switch (err) {
	case ODIN_OK:		return "success";
	case ODIN_ENOMEM:	return "out of memory";
	case ODIN_EIO:		return "input/output error";
	case ODIN_EINVAL:	return "invalid input";
	case ODIN_ECORRUPT:	return "record or file is corrupt";
	case ODIN_EUNSAFE:	return "unsafe file or directory (symlink, hard link, owner or mode)";
	case ODIN_ENOENT:	return "no such record";
	case ODIN_ETOOBIG:	return "input too large";
	case ODIN_EBADNAME:	return "user name not allowed";
	case ODIN_ECRYPTO:	return "cryptographic library failure";
	case ODIN_ENOMATCH:	return "code not accepted";
	case ODIN_EREPLAY:	return "code already used";
	case ODIN_ENOSPC:	return "no space left on the store's file system";
	case ODIN_EROFS:	return "store is on a read-only file system";
	case ODIN_EPERM:	return "permission denied";
	case ODIN_ELOCK:	return "could not lock the record (busy)";
	case ODIN_ENOTSUP:	return "not supported by this store backend";
	case ODIN_ELOCKEDOUT:	return "locked out after too many failed attempts";
	case ODIN_ECHANGED:	return "the record changed meanwhile";
	case ODIN_EEXIST:	return "a record exists already";
	}
	return "unknown error";
}

int
odin_err_from_errno(int e)
{
	switch (e) {
	case ENOMEM:		return ODIN_ENOMEM;
	case ENOSPC:
	case EDQUOT:		return ODIN_ENOSPC;
	case EROFS:		return ODIN_EROFS;
	case EPERM:
	case EACCES:		return ODIN_EPERM;
	case ENOENT:		return ODIN_ENOENT;
	case ELOOP:
	case EMLINK:		return ODIN_EUNSAFE;
	case EFBIG:		return ODIN_ETOOBIG;
	}
	return ODIN_EIO;
}
