/* SPDX-License-Identifier: ISC */
/*
 * The generic store calls: validate what every backend must not see
 * unvalidated (the user name), then dispatch through the backend's ops.
 * Callers never know which backend they talk to.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "crypt.h"
#include "err.h"
#include "log.h"
#include "secure.h"
#include "store_backend.h"

static const struct odin_store_ops *
store_ops(const void *obj)
{
	return ((const struct odin_store_base *)obj)->ops;
}

/*
 * The caller of su, sudo or the setuid CLI sets its resource limits and
 * signal dispositions, and they are inherited: a file-size limit between
 * the sizes of two records could let one write through and fail (or kill
 * the process with SIGXFSZ) on the other.  From a lock to its unlock
 * (every write of the transaction) the limit is lifted -- possible where
 * the process is privileged, as every writer of the store is -- and
 * SIGXFSZ ignored, then both are put back: one getrlimit per login, not
 * one per write.  If the limit cannot be lifted, the write fails cleanly
 * with EFBIG instead of a signal, and the caller denies.
 */
/*
 * Limits and dispositions are the process's, not a thread's: in a
 * multi-threaded application two transactions at once share one guard,
 * counted, and the first in saves what the last out puts back.
 */
struct store_guard {
	struct rlimit fsize;
	struct sigaction xfsz;
	int have_fsize, have_xfsz;
	rlim_t limit;		/* the soft limit in force while guarded */
};

static pthread_mutex_t store_guard_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned store_guard_users;
static struct store_guard store_guard_saved = { .limit = RLIM_INFINITY };

static void
store_guard_begin(void)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY }, up;
	struct store_guard *g = &store_guard_saved;
	struct sigaction ign;

	(void)pthread_mutex_lock(&store_guard_mu);
	if (store_guard_users++ == 0) {
		memset(g, 0, sizeof(*g));
		g->limit = RLIM_INFINITY;
		/* no limit (the usual case): no signal can come, nothing to change */
		if (getrlimit(RLIMIT_FSIZE, &g->fsize) != 0 || g->fsize.rlim_cur != RLIM_INFINITY) {
			memset(&ign, 0, sizeof(ign));
			ign.sa_handler = SIG_IGN;
			sigemptyset(&ign.sa_mask);
			g->have_xfsz = sigaction(SIGXFSZ, &ign, &g->xfsz) == 0;
			g->have_fsize = setrlimit(RLIMIT_FSIZE, &inf) == 0;
			if (!g->have_fsize) {
				/* without the privilege to lift it: as far as the hard limit goes */
				up.rlim_cur = up.rlim_max = g->fsize.rlim_max;
				g->have_fsize = setrlimit(RLIMIT_FSIZE, &up) == 0;
				g->limit = g->have_fsize ? up.rlim_cur : g->fsize.rlim_cur;
			}
		}
	}
	(void)pthread_mutex_unlock(&store_guard_mu);
}

static void
store_guard_end(void)
{
	struct store_guard *g = &store_guard_saved;

	(void)pthread_mutex_lock(&store_guard_mu);
	if (--store_guard_users == 0) {
		if (g->have_fsize)
			(void)setrlimit(RLIMIT_FSIZE, &g->fsize);
		if (g->have_xfsz)
			(void)sigaction(SIGXFSZ, &g->xfsz, NULL);
		g->limit = RLIM_INFINITY;
	}
	(void)pthread_mutex_unlock(&store_guard_mu);
}

uint64_t
odin_store_fsize_limit(void)
{
	rlim_t l;

	(void)pthread_mutex_lock(&store_guard_mu);
	l = store_guard_saved.limit;
	(void)pthread_mutex_unlock(&store_guard_mu);
	return l == RLIM_INFINITY ? UINT64_MAX : (uint64_t)l;
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

int
odin_store_create(const struct odin_config *cfg)
{
	if (cfg == NULL)
		return ODIN_EINVAL;
	if (cfg->backend != ODIN_BACKEND_FILES)
		return ODIN_ENOTSUP;
	if (cfg->store_dir[0] == '\0')
		return ODIN_EINVAL;
	return odin_store_files_ops.create(cfg->store_dir);
}

int
odin_store_open_config(const struct odin_config *cfg, struct odin_store **st)
{
	const struct odin_store_ops *pg = NULL;
	struct odin_key *key = NULL;
	int rc;

	if (st == NULL)
		return ODIN_EINVAL;
	*st = NULL;
	if (cfg == NULL)
		return ODIN_EINVAL;
	if (cfg->backend == ODIN_BACKEND_POSTGRESQL) {
		if (cfg->pg_conninfo[0] == '\0' || (cfg->secret_key_file[0] == '\0' &&
		    cfg->pg_verify != ODIN_PG_VERIFY_SERVER)) {
			odin_log(LOG_ERR, "backend postgresql needs pg_conninfo, and secret_key_file "
			    "unless pg_verify = server");
			return ODIN_EINVAL;
		}
		rc = odin_store_plugin_load(cfg->pg_plugin[0] != '\0' ? cfg->pg_plugin :
		    ODIN_PLUGIN_DIR "/odin_store_pg.so", "postgresql", &pg);
		if (rc != ODIN_OK)
			return rc;
		if (pg->open_config == NULL)
			return ODIN_EINVAL;
	}
	if (cfg->secret_key_file[0] != '\0') {
		if ((key = malloc(sizeof(*key))) == NULL)
			return ODIN_ENOMEM;
		if ((rc = odin_key_load(cfg->secret_key_file, key)) != ODIN_OK) {
			odin_free_wipe(key, sizeof(*key));
			return rc;
		}
	}
	if (pg != NULL)
		rc = pg->open_config(cfg, st);
	else
		rc = odin_store_open(cfg->store_dir, st);
	if (rc != ODIN_OK) {
		*st = NULL;
		odin_free_wipe(key, sizeof(*key));
		return rc;
	}
	((struct odin_store_base *)(void *)*st)->key = key;
	return ODIN_OK;
}

const char *
odin_store_backend(const struct odin_store *st)
{
	return st != NULL ? store_ops(st)->name : "none";
}

void
odin_store_close(struct odin_store *st)
{
	struct odin_key *key;

	if (st == NULL)
		return;
	key = ((struct odin_store_base *)(void *)st)->key;
	store_ops(st)->close(st);
	if (key != NULL)
		odin_free_wipe(key, sizeof(*key));
}

int
odin_store_lock(struct odin_store *st, const char *user, int flags,
    struct odin_txn **txn, struct odin_record *rec)
{
	int rc;

	if (txn != NULL)
		*txn = NULL;
	if (rec != NULL)
		odin_record_wipe(rec);
	if (st == NULL || txn == NULL || rec == NULL ||
	    (flags & ~(ODIN_LOCK_IF_EXISTS | ODIN_LOCK_EVEN_CORRUPT | ODIN_LOCK_RESET_STATE)) != 0)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	/*
	 * A lock may write too (a login state's repair, store_files.c), and so
	 * may every save and delete of the txn: one guard from here to
	 * odin_store_unlock(), which its saves nest in (no second getrlimit).
	 */
	store_guard_begin();
	rc = store_ops(st)->lock(st, user, flags, txn, rec);
	if (*txn == NULL)
		store_guard_end();
	return rc;
}

int
odin_store_peek(struct odin_store *st, const char *user, struct odin_record *rec)
{
	struct odin_txn *txn = NULL;
	int rc;

	if (rec != NULL)
		odin_record_wipe(rec);
	if (st == NULL || rec == NULL)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (store_ops(st)->peek != NULL)
		return store_ops(st)->peek(st, user, rec);
	rc = store_ops(st)->lock(st, user, ODIN_LOCK_IF_EXISTS, &txn, rec);
	if (txn != NULL)
		store_ops(txn)->unlock(txn);	/* locked without odin_store_lock()'s guard */
	return rc;
}

int
odin_store_save(struct odin_txn *txn, const struct odin_record *rec, int flags)
{
	int rc;

	if (txn == NULL || rec == NULL || (flags & ~ODIN_SAVE_ATTEMPT) != 0)
		return ODIN_EINVAL;
	store_guard_begin();
	rc = store_ops(txn)->save(txn, rec, flags);
	store_guard_end();
	return rc;
}

int
odin_store_delete(struct odin_txn *txn)
{
	int rc;

	if (txn == NULL)
		return ODIN_EINVAL;
	store_guard_begin();
	rc = store_ops(txn)->del(txn);
	store_guard_end();
	return rc;
}

void
odin_store_unlock(struct odin_txn *txn)
{
	if (txn != NULL) {
		store_ops(txn)->unlock(txn);
		store_guard_end();	/* odin_store_lock()'s */
	}
}

int
odin_store_list(struct odin_store *st, int (*cb)(const char *user, void *ctx), void *ctx)
{
	if (st == NULL || cb == NULL)
		return ODIN_EINVAL;
	return store_ops(st)->list(st, cb, ctx);
}

int
odin_store_has_atomic(const struct odin_store *st)
{
	return st != NULL && store_ops(st)->settle != NULL;
}

int
odin_store_snapshot(struct odin_store *st, const char *user, unsigned flags,
    struct odin_record *rec)
{
	if (rec != NULL)
		odin_record_wipe(rec);
	if (st == NULL || rec == NULL || (flags & ~(unsigned)ODIN_SNAP_FRESH) != 0)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (store_ops(st)->snapshot == NULL)
		return odin_store_peek(st, user, rec);
	return store_ops(st)->snapshot(st, user, flags, rec);
}

int
odin_store_settle(struct odin_store *st, const char *user, int64_t now,
    const struct odin_lockout_policy *pol, const struct odin_answer *a, int64_t *locked_until)
{
	if (locked_until != NULL)
		*locked_until = 0;
	if (st == NULL || pol == NULL || a == NULL || now < 0 || a->step < 0 ||
	    pol->max_failures == 0 || (a->right && a->step == 0 && a->backup_hash == NULL))
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (store_ops(st)->settle == NULL)
		return ODIN_ENOTSUP;
	return store_ops(st)->settle(st, user, now, pol, a, locked_until);
}

int
odin_store_verifies(const struct odin_store *st)
{
	return st != NULL && ((const struct odin_store_base *)(const void *)st)->verifies &&
	    store_ops(st)->verify != NULL && store_ops(st)->token != NULL &&
	    store_ops(st)->enroll != NULL;
}

int
odin_store_verify(struct odin_store *st, const char *user, const struct odin_server_answer *a,
    struct odin_server_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (st == NULL || a == NULL)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (!odin_store_verifies(st))
		return ODIN_ENOTSUP;
	return store_ops(st)->verify(st, user, a, v);
}

int
odin_store_token(struct odin_store *st, const char *user, const uint8_t hash[ODIN_BACKUP_HASH_LEN],
    int64_t host_now, struct odin_server_verdict *v, struct odin_token_proof *proof)
{
	memset(v, 0, sizeof(*v));
	if (proof != NULL)
		odin_wipe(proof, sizeof(*proof));
	if (st == NULL || hash == NULL || proof == NULL)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (!odin_store_verifies(st))
		return ODIN_ENOTSUP;
	return store_ops(st)->token(st, user, hash, host_now, v, proof);
}

int
odin_store_enroll(struct odin_store *st, const char *user, const struct odin_record *rec,
    int64_t was_updated, const struct odin_token_proof *proof)
{
	if (st == NULL || rec == NULL || rec->state != ODIN_STATE_ENABLED)
		return ODIN_EINVAL;
	if (!odin_user_valid(user))
		return ODIN_EBADNAME;
	if (!odin_store_verifies(st))
		return ODIN_ENOTSUP;
	return store_ops(st)->enroll(st, user, rec, was_updated, proof);
}

int
odin_store_rights(struct odin_store *st, unsigned *rights)
{
	*rights = 0;
	if (st == NULL)
		return ODIN_EINVAL;
	if (store_ops(st)->rights == NULL)
		return ODIN_ENOTSUP;
	return store_ops(st)->rights(st, rights);
}

int
odin_store_init(struct odin_store *st)
{
	if (st == NULL)
		return ODIN_EINVAL;
	if (store_ops(st)->init == NULL)
		return ODIN_ENOTSUP;
	return store_ops(st)->init(st);
}

struct copy_ctx {
	struct odin_store *from, *to;
	void (*cb)(const char *, void *);
	void *ctx;
	int rc;
};

static int
copy_one(const char *user, void *arg)
{
	struct copy_ctx *c = arg;
	struct odin_txn *tf = NULL, *tt = NULL;
	struct odin_record r, old;
	int rc;

	rc = odin_store_lock(c->from, user, ODIN_LOCK_IF_EXISTS, &tf, &r);
	if (rc == ODIN_ENOENT)		/* removed since it was listed */
		return 0;
	if (rc == ODIN_OK) {
		rc = odin_store_lock(c->to, user, 0, &tt, &old);
		odin_record_wipe(&old);
		if (rc == ODIN_OK || rc == ODIN_ENOENT)
			rc = odin_store_save(tt, &r, 0);
		odin_store_unlock(tt);
	}
	odin_store_unlock(tf);
	odin_record_wipe(&r);
	if (rc != ODIN_OK) {
		odin_log(LOG_ERR, "copy of %s failed: %s", user, odin_strerror(rc));
		c->rc = rc;
		return 1;
	}
	if (c->cb != NULL)
		c->cb(user, c->ctx);
	return 0;
}

int
odin_store_copy(struct odin_store *from, struct odin_store *to,
    void (*cb)(const char *user, void *ctx), void *ctx)
{
	struct copy_ctx c = { from, to, cb, ctx, ODIN_OK };
	int rc;

	if (from == NULL || to == NULL || from == to)
		return ODIN_EINVAL;
	rc = odin_store_list(from, copy_one, &c);
	if (c.rc != ODIN_OK)
		return c.rc;
	return rc == 1 ? ODIN_EIO : rc;
}
