/* SPDX-License-Identifier: ISC */
/*
 * The generic store calls: validate what every backend must not see
 * unvalidated (the user name), then dispatch through the backend's ops.
 * Callers never know which backend they talk to.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <string.h>

#include "err.h"
#include "store.h"

#define USER_MAX 32

int
odin_user_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= USER_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static const struct odin_store_ops *
store_ops(const void *obj)
{
	return ((const struct odin_store_base *)obj)->ops;
}

int
odin_store_open(const char *dir, struct odin_store **st)
{
	if (st == NULL)
		return ODIN_EINVAL;
	*st = NULL;
	if (dir == NULL || dir[0] == '\0')
		return ODIN_EINVAL;
	return odin_store_files_ops.open(dir, st);
}

void
odin_store_close(struct odin_store *st)
{
	if (st != NULL)
		store_ops(st)->close(st);
}

int
odin_store_lock(struct odin_store *st, const char *user, int flags,
    struct odin_txn **txn, struct odin_record *rec)
{
	if (txn != NULL)
		*txn = NULL;
	if (rec != NULL)
		odin_record_wipe(rec);
	if (st == NULL || txn == NULL || rec == NULL || (flags & ~ODIN_LOCK_IF_EXISTS) != 0)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	return store_ops(st)->lock(st, user, flags, txn, rec);
}

int
odin_store_save(struct odin_txn *txn, const struct odin_record *rec)
{
	if (txn == NULL || rec == NULL)
		return ODIN_EINVAL;
	return store_ops(txn)->save(txn, rec);
}

int
odin_store_delete(struct odin_txn *txn)
{
	if (txn == NULL)
		return ODIN_EINVAL;
	return store_ops(txn)->del(txn);
}

void
odin_store_unlock(struct odin_txn *txn)
{
	if (txn != NULL)
		store_ops(txn)->unlock(txn);
}

int
odin_store_list(struct odin_store *st, int (*cb)(const char *user, void *ctx), void *ctx)
{
	if (st == NULL || cb == NULL)
		return ODIN_EINVAL;
	return store_ops(st)->list(st, cb, ctx);
}
