/* SPDX-License-Identifier: ISC */
/*
 * For backend authors only (store.c, store_files.c, store_pg.c,
 * store_plugin.c): the interface behind store.h's calls, and the ABI of a
 * store plugin.  Callers of the store include store.h and never this.
 */
#ifndef ODIN_STORE_BACKEND_H
#define ODIN_STORE_BACKEND_H

#include "store.h"

/* The backend interface. */
struct odin_store_ops {
	const char *name;
	int (*open)(const char *where, struct odin_store **st);
	void (*close)(struct odin_store *st);
	int (*lock)(struct odin_store *st, const char *user, int flags,
	    struct odin_txn **txn, struct odin_record *rec);
	int (*save)(struct odin_txn *txn, const struct odin_record *rec, int flags);
	int (*del)(struct odin_txn *txn);
	void (*unlock)(struct odin_txn *txn);
	int (*list)(struct odin_store *st, int (*cb)(const char *, void *), void *ctx);
	/* Optional (NULL if not supported). */
	int (*open_config)(const struct odin_config *cfg, struct odin_store **st);
	int (*init)(struct odin_store *st);
	int (*settle)(struct odin_store *st, const char *user, int64_t now,
	    const struct odin_lockout_policy *pol, const struct odin_answer *a, int64_t *locked_until);
	int (*peek)(struct odin_store *st, const char *user, struct odin_record *rec);
	/* with settle: store.h odin_store_snapshot */
	int (*snapshot)(struct odin_store *st, const char *user, unsigned flags,
	    struct odin_record *rec);
	int (*rights)(struct odin_store *st, unsigned *rights);
	/* a store that checks codes itself (store.h: odin_store_verifies) */
	int (*verify)(struct odin_store *st, const char *user, const struct odin_server_answer *a,
	    struct odin_server_verdict *v);
	int (*token)(struct odin_store *st, const char *user, const uint8_t *hash, int64_t host_now,
	    struct odin_server_verdict *v, struct odin_token_proof *proof);
	int (*enroll)(struct odin_store *st, const char *user, const struct odin_record *rec,
	    int64_t was_updated, const struct odin_token_proof *proof);
	int (*create)(const char *where);
};

/*
 * Every backend's store/txn starts with this, so the generic calls can
 * dispatch.  verifies is the backend's to set (store only).  key (store
 * only; NULL in a txn) is set by odin_store_open_config() and owned by
 * the generic layer; a backend seals/opens secrets with key when it is
 * not NULL.  unused is always NULL: it held the plugin's handle while
 * plugins were unloaded at close, and stays so that the layout, which
 * the plugin interface checks (ODIN_STORE_PLUGIN_SIZES), is unchanged.
 */
struct odin_store_base {
	const struct odin_store_ops *ops;
	struct odin_key *key;
	void *unused;
	int verifies;		/* set by the backend: this store checks codes itself */
};

extern const struct odin_store_ops odin_store_files_ops;

/*
 * Store plugins.  The postgresql backend (store_pg.c, libpq) is not linked
 * into the module or the CLI: it is the loadable module odin_store_pg.so
 * in ODIN_PLUGIN_DIR (or the config key pg_plugin), loaded only when the
 * configuration says backend = postgresql, so that a login on the files
 * backend never maps libpq and its ~25 libraries.  A plugin carries its
 * own copy of the common/ code it uses and exports exactly one symbol,
 * ODIN_STORE_PLUGIN_SYMBOL: its ops table, wrapped with what the loader
 * checks before it trusts the table (same ABI, the same sizes of the
 * structures that cross the boundary; another package version only
 * warns: an old process after an upgrade).  attach() gives it the host's
 * odin_log() (log.h: odin_log_forward).  Bump ODIN_STORE_PLUGIN_ABI with
 * any change of what an op means or takes.
 */
#define ODIN_STORE_PLUGIN_SYMBOL "odin_store_plugin"
#define ODIN_STORE_PLUGIN_ABI 6	/* 6: token and enroll carry the token's proof */
#define ODIN_STORE_PLUGIN_SIZES { sizeof(struct odin_store_ops), \
	sizeof(struct odin_store_base), sizeof(struct odin_record), sizeof(struct odin_config) }

struct odin_store_plugin {
	unsigned abi;			/* ODIN_STORE_PLUGIN_ABI */
	const char *version;		/* PACKAGE_VERSION it was built from (a warning if not ours) */
	size_t sizes[4];		/* ODIN_STORE_PLUGIN_SIZES */
	const struct odin_store_ops *ops;
	void (*attach)(void (*log)(int prio, const char *msg));
};

/*
 * Loads the plugin at path (absolute) with dlopen(RTLD_NOW | RTLD_LOCAL),
 * after opening it with O_NOFOLLOW and checking on the fd that it is a
 * regular file owned by root and not group/other-writable; the checked
 * file itself is loaded (/proc/self/fd/N).  The plugin's ops must be the
 * backend name.  A plugin loaded stays loaded (NODELETE): the next load of
 * that same file, checked again, reuses it.  Returns ODIN_OK (*ops set),
 * ODIN_EUNSAFE (symlink, owner, mode, not a regular file), ODIN_EIO
 * (missing, not loadable, not a plugin of this build); every refusal is
 * one log line.
 */
int odin_store_plugin_load(const char *path, const char *name, const struct odin_store_ops **ops);

/*
 * During a save (store.c lifts the caller's file-size limit as far as it
 * may around it): the largest file size a write may reach, UINT64_MAX if
 * none.  A backend that writes in place checks it first, so that a limit
 * it cannot lift fails the write whole (EFBIG) instead of tearing it.
 */
uint64_t odin_store_fsize_limit(void);

#endif
