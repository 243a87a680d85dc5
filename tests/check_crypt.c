/* SPDX-License-Identifier: ISC */
/*
 * Secret sealing (AES-256-GCM, user name as associated data): round trip,
 * every kind of mismatch refused, key file checks, and the files backend
 * storing only sealed secrets when secret_key_file is set.  As root.
 */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base32.h"
#include "config.h"
#include "crypt.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "secure.h"
#include "store.h"

static char root[64];
static const char keyhex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const uint8_t secret[20] = "12345678901234567890";	/* RFC 6238 SHA1 seed */

static void
quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx; (void)prio; (void)msg;
}

static void
setup(void)
{
	odin_log_set_sink(quiet, NULL);
	snprintf(root, sizeof(root), "/tmp/odin-crypt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

static void
write_file(const char *name, const char *text, mode_t mode, char *out, size_t outsz)
{
	int fd;

	snprintf(out, outsz, "%s/%s", root, name);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_key(struct odin_key *k)
{
	char p[128];

	write_file("key", keyhex, 0600, p, sizeof(p));
	ck_assert_int_eq(odin_key_load(p, k), ODIN_OK);
}

START_TEST(seal_round_trip)
{
	struct odin_key k;
	char sealed[ODIN_SEAL_TEXTLEN(64) + 1];
	uint8_t out[64];
	size_t n = 0;

	test_key(&k);
	ck_assert_int_eq(k.k[0], 0x00);
	ck_assert_int_eq(k.k[31], 0x1f);
	ck_assert_int_eq(odin_seal(&k, "alice", secret, sizeof(secret), sealed, sizeof(sealed)), ODIN_OK);
	ck_assert_uint_eq(strlen(sealed), ODIN_SEAL_TEXTLEN(sizeof(secret)));
	ck_assert_int_eq(strncmp(sealed, "enc1:", 5), 0);
	/* the plain secret's bytes, hex or base32 appear nowhere */
	ck_assert_ptr_null(strstr(sealed, "3132333435"));
	ck_assert_int_eq(odin_unseal(&k, "alice", sealed, strlen(sealed), out, sizeof(out), &n), ODIN_OK);
	ck_assert_uint_eq(n, sizeof(secret));
	ck_assert_mem_eq(out, secret, sizeof(secret));
}
END_TEST

START_TEST(fresh_nonce_each_seal)
{
	struct odin_key k;
	char a[ODIN_SEAL_TEXTLEN(64) + 1], b[ODIN_SEAL_TEXTLEN(64) + 1];

	test_key(&k);
	ck_assert_int_eq(odin_seal(&k, "alice", secret, sizeof(secret), a, sizeof(a)), ODIN_OK);
	ck_assert_int_eq(odin_seal(&k, "alice", secret, sizeof(secret), b, sizeof(b)), ODIN_OK);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(other_user_refused)
{
	struct odin_key k;
	char sealed[ODIN_SEAL_TEXTLEN(64) + 1];
	uint8_t out[64];
	size_t n = 99;

	test_key(&k);
	ck_assert_int_eq(odin_seal(&k, "alice", secret, sizeof(secret), sealed, sizeof(sealed)), ODIN_OK);
	ck_assert_int_eq(odin_unseal(&k, "bob", sealed, strlen(sealed), out, sizeof(out), &n), ODIN_ECRYPTO);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(odin_unseal(&k, "alicex", sealed, strlen(sealed), out, sizeof(out), &n), ODIN_ECRYPTO);
}
END_TEST

START_TEST(tamper_and_wrong_key_refused)
{
	struct odin_key k, k2;
	char sealed[ODIN_SEAL_TEXTLEN(64) + 1];
	uint8_t out[64];
	size_t n, i, len;

	test_key(&k);
	k2 = k;
	k2.k[5] ^= 1;
	ck_assert_int_eq(odin_seal(&k, "alice", secret, sizeof(secret), sealed, sizeof(sealed)), ODIN_OK);
	len = strlen(sealed);
	ck_assert_int_eq(odin_unseal(&k2, "alice", sealed, len, out, sizeof(out), &n), ODIN_ECRYPTO);
	/* flip one hex digit in nonce, ciphertext and tag in turn */
	for (i = 5; i < len; i += 7) {
		char save = sealed[i];

		sealed[i] = save == '0' ? '1' : '0';
		ck_assert_int_eq(odin_unseal(&k, "alice", sealed, len, out, sizeof(out), &n), ODIN_ECRYPTO);
		sealed[i] = save;
	}
	ck_assert_int_eq(odin_unseal(&k, "alice", sealed, len - 2, out, sizeof(out), &n), ODIN_ECRYPTO);
	ck_assert_int_eq(odin_unseal(&k, "alice", sealed, len - 1, out, sizeof(out), &n), ODIN_ECORRUPT);
	ck_assert_int_eq(odin_unseal(&k, "alice", "enc1:zz", 7, out, sizeof(out), &n), ODIN_ECORRUPT);
	ck_assert_int_eq(odin_unseal(&k, "alice", sealed, len, out, sizeof(out), &n), ODIN_OK);
}
END_TEST

START_TEST(key_file_checks)
{
	struct odin_key k;
	char p[128], l[160];

	write_file("k1", keyhex, 0640, p, sizeof(p));
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_EUNSAFE);
	write_file("k2", keyhex, 0604, p, sizeof(p));
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_EUNSAFE);
	write_file("k3", "0011", 0600, p, sizeof(p));
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_ECORRUPT);
	write_file("k4", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g", 0600, p, sizeof(p));
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_ECORRUPT);
	write_file("k5", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0400, p, sizeof(p));
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_OK);
	snprintf(l, sizeof(l), "%s/link", root);
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_eq(odin_key_load(l, &k), ODIN_EUNSAFE);
	ck_assert_int_eq(chown(p, 1, 0), 0);
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_EUNSAFE);
	snprintf(p, sizeof(p), "%s/missing", root);
	ck_assert_int_eq(odin_key_load(p, &k), ODIN_ENOENT);
}
END_TEST

/* The files backend with secret_key_file: the record holds only the sealed form. */
START_TEST(files_backend_seals)
{
	struct odin_config cfg;
	struct odin_store *st;
	struct odin_txn *t;
	struct odin_record r, back;
	char kp[128], rp[160], buf[4096], b32[128];
	ssize_t n;
	int fd;

	odin_config_defaults(&cfg);
	write_file("key", keyhex, 0600, kp, sizeof(kp));
	snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s/store", root);
	ck_assert_int_eq(odin_store_create(&cfg), ODIN_OK);
	snprintf(cfg.secret_key_file, sizeof(cfg.secret_key_file), "%s", kp);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	ck_assert_str_eq(odin_store_backend(st), "files");
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &r), ODIN_ENOENT);
	odin_record_init(&r, 1000);
	r.state = ODIN_STATE_ENABLED;
	memcpy(r.secret, secret, sizeof(secret));
	r.secret_len = sizeof(secret);
	r.last_step = 77;
	ck_assert_int_eq(odin_store_save(t, &r, 0), ODIN_OK);
	odin_store_unlock(t);

	snprintf(rp, sizeof(rp), "%s/store/users/alice", root);
	fd = open(rp, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(odin_base32_encode(secret, sizeof(secret), b32, sizeof(b32)), ODIN_OK);
	ck_assert_ptr_null(strstr(buf, b32));
	ck_assert_ptr_nonnull(strstr(buf, "\nsecret enc1:"));

	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &t, &back), ODIN_OK);
	ck_assert_uint_eq(back.secret_len, sizeof(secret));
	ck_assert_mem_eq(back.secret, secret, sizeof(secret));
	ck_assert_int_eq(back.last_step, 77);
	odin_store_unlock(t);
	odin_store_close(st);

	/* without the key the sealed record does not open */
	cfg.secret_key_file[0] = '\0';
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &t, &back), ODIN_ECRYPTO);
	ck_assert_ptr_null(t);
	odin_store_close(st);
}
END_TEST

/* A record file copied onto another user's name fails to decrypt. */
START_TEST(files_record_copied_refused)
{
	struct odin_config cfg;
	struct odin_store *st;
	struct odin_txn *t;
	struct odin_record r;
	char kp[128], cmd[512];

	odin_config_defaults(&cfg);
	write_file("key", keyhex, 0600, kp, sizeof(kp));
	snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s/store", root);
	ck_assert_int_eq(odin_store_create(&cfg), ODIN_OK);
	snprintf(cfg.secret_key_file, sizeof(cfg.secret_key_file), "%s", kp);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	ck_assert_int_eq(odin_store_lock(st, "alice", 0, &t, &r), ODIN_ENOENT);
	odin_record_init(&r, 1000);
	r.state = ODIN_STATE_ENABLED;
	memcpy(r.secret, secret, sizeof(secret));
	r.secret_len = sizeof(secret);
	ck_assert_int_eq(odin_store_save(t, &r, 0), ODIN_OK);
	odin_store_unlock(t);
	snprintf(cmd, sizeof(cmd), "cp -p '%s/store/users/alice' '%s/store/users/bob'", root, root);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(odin_store_lock(st, "bob", ODIN_LOCK_IF_EXISTS, &t, &r), ODIN_ECRYPTO);
	ck_assert_int_eq(odin_store_lock(st, "alice", ODIN_LOCK_IF_EXISTS, &t, &r), ODIN_OK);
	odin_store_unlock(t);
	odin_store_close(st);
}
END_TEST

/* A clear record (written before the key existed) still opens and is sealed on save. */
START_TEST(files_clear_record_upgraded)
{
	struct odin_config cfg;
	struct odin_store *st;
	struct odin_txn *t;
	struct odin_record r;
	char kp[128], rp[160], buf[4096];
	ssize_t n;
	int fd;

	odin_config_defaults(&cfg);
	snprintf(cfg.store_dir, sizeof(cfg.store_dir), "%s/store", root);
	ck_assert_int_eq(odin_store_create(&cfg), ODIN_OK);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	ck_assert_int_eq(odin_store_lock(st, "carol", 0, &t, &r), ODIN_ENOENT);
	odin_record_init(&r, 1000);
	r.state = ODIN_STATE_ENABLED;
	memcpy(r.secret, secret, sizeof(secret));
	r.secret_len = sizeof(secret);
	ck_assert_int_eq(odin_store_save(t, &r, 0), ODIN_OK);
	odin_store_unlock(t);
	odin_store_close(st);

	write_file("key", keyhex, 0600, kp, sizeof(kp));
	snprintf(cfg.secret_key_file, sizeof(cfg.secret_key_file), "%s", kp);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_OK);
	ck_assert_int_eq(odin_store_lock(st, "carol", ODIN_LOCK_IF_EXISTS, &t, &r), ODIN_OK);
	ck_assert_mem_eq(r.secret, secret, sizeof(secret));
	ck_assert_int_eq(odin_store_save(t, &r, 0), ODIN_OK);
	odin_store_unlock(t);
	odin_store_close(st);
	snprintf(rp, sizeof(rp), "%s/store/users/carol", root);
	fd = open(rp, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\nsecret enc1:"));
}
END_TEST

START_TEST(postgresql_needs_key)
{
	struct odin_config cfg;
	struct odin_store *st = (struct odin_store *)1;

	odin_config_defaults(&cfg);
	ck_assert_int_eq(odin_config_set(&cfg, "backend", "postgresql"), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&cfg, "backend", "mysql"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&cfg, "pg_conninfo", "host=/nonexistent dbname=x"), ODIN_OK);
	ck_assert_int_eq(odin_store_open_config(&cfg, &st), ODIN_EINVAL);
	ck_assert_ptr_null(st);
}
END_TEST

static Suite *
crypt_suite(void)
{
	Suite *s = suite_create("crypt");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seal_round_trip);
	tcase_add_test(tc, fresh_nonce_each_seal);
	tcase_add_test(tc, other_user_refused);
	tcase_add_test(tc, tamper_and_wrong_key_refused);
	tcase_add_test(tc, key_file_checks);
	tcase_add_test(tc, files_backend_seals);
	tcase_add_test(tc, files_record_copied_refused);
	tcase_add_test(tc, files_clear_record_upgraded);
	tcase_add_test(tc, postgresql_needs_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypt_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
