/* SPDX-License-Identifier: ISC */
/*
 * The record's text form (see record.h).  The parser is deliberately
 * unforgiving: the file is written only by odin_record_format(), so any
 * deviation means corruption or tampering, and a guessed default could
 * silently disable replay protection or lockout.  It never logs content.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "crypt.h"
#include "err.h"
#include "record.h"
#include "secure.h"
#include "store.h"

/* Every key except "backup", as a bit in the "seen" mask. */
enum rec_key {
	K_STATE, K_SECRET, K_ALG, K_DIGITS, K_PERIOD, K_LAST_STEP, K_FAILURES,
	K_LOCKOUT_UNTIL, K_LOCKOUT_COUNT, K_BACKUP_KDF, K_CREATED, K_UPDATED,
	K_COUNT,
	/* optional: not counted among the required keys */
	K_GENERATION = K_COUNT, K_BYPASS, K_TOKEN, K_LAST = K_TOKEN
};

static const char *const rec_keys[K_LAST + 1] = {
	"state", "secret", "algorithm", "digits", "period", "last_step",
	"failures", "lockout_until", "lockout_count", "backup_kdf", "created",
	"updated", "generation", "bypass", "enroll_token",
};

#define REC_HEADER "odin-mfa-record 1"
#define REC_KDF_NAME "pbkdf2-sha256"

/* How the secret line is sealed/opened; key NULL: in clear. */
struct rec_crypt {
	const struct odin_key *key;
	const char *user;
	int failed;		/* why a sealed secret could not be opened: ODIN_ECRYPTO
				 * (the key or the record), ODIN_EIO (no libcrypto) */
};

void
odin_record_init(struct odin_record *r, int64_t now)
{
	odin_wipe(r, sizeof(*r));
	r->state = ODIN_STATE_PENDING;
	r->secret_len = 0;
	r->alg = ODIN_ALG_SHA1;
	r->digits = 6;
	r->period = ODIN_PERIOD_DEFAULT;
	r->created = now;
	r->updated = now;
}

int
odin_record_same(const struct odin_record *a, const struct odin_record *b)
{
	int same;

	same = a->state == b->state && a->secret_len == b->secret_len &&
	    a->alg == b->alg && a->digits == b->digits && a->period == b->period &&
	    a->last_step == b->last_step && a->failures == b->failures &&
	    a->lockout_until == b->lockout_until && a->lockout_count == b->lockout_count &&
	    a->backup_iter == b->backup_iter && a->nbackup == b->nbackup &&
	    a->created == b->created && a->updated == b->updated &&
	    a->generation == b->generation &&
	    a->secret_len <= sizeof(a->secret) && a->nbackup <= ODIN_BACKUP_MAX;
	if (!same || !odin_record_extras_same(a, b))
		return 0;
	return odin_ct_equal(a->secret, b->secret, a->secret_len) &
	    odin_ct_equal(a->backup_salt, b->backup_salt, sizeof(a->backup_salt)) &
	    odin_ct_equal(a->backup, b->backup, (size_t)a->nbackup * ODIN_BACKUP_HASH_LEN);
}

int
odin_record_bypass_same(const struct odin_record *a, const struct odin_record *b)
{
	return a->bypass_uses == b->bypass_uses && a->bypass_expires == b->bypass_expires &&
	    a->bypass_issued == b->bypass_issued &&
	    memcmp(&a->bypass, &b->bypass, sizeof(a->bypass)) == 0;
}

int
odin_record_token_same(const struct odin_record *a, const struct odin_record *b)
{
	return a->token == b->token && a->token_expires == b->token_expires &&
	    a->token_issued == b->token_issued &&
	    memcmp(&a->token_hash, &b->token_hash, sizeof(a->token_hash)) == 0;
}

int
odin_record_extras_same(const struct odin_record *a, const struct odin_record *b)
{
	return odin_record_bypass_same(a, b) && odin_record_token_same(a, b);
}

void
odin_record_wipe(struct odin_record *r)
{
	if (r != NULL)
		odin_wipe(r, sizeof(*r));
}

const char *
odin_state_name(enum odin_state s)
{
	switch (s) {
	case ODIN_STATE_PENDING:	return "pending";
	case ODIN_STATE_ENABLED:	return "enabled";
	}
	return "invalid";
}

/*
 * A canonical unsigned decimal of len bytes: digits only, no sign, no
 * leading zero (except "0" itself), value <= max.
 */
static int
rec_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	char tmp[24];
	char *end;
	unsigned long long v;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (s[0] == '0' && len > 1)
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	v = strtoull(tmp, &end, 10);
	if (errno != 0 || end != tmp + len || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
rec_parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v;

	if (rec_parse_u64(s, len, INT64_MAX, &v) != 0)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int
rec_parse_uint(const char *s, size_t len, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;

	if (rec_parse_u64(s, len, max, &v) != 0 || v < min)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Exactly 2*n lower-case hex digits. */
static int
rec_parse_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
	return odin_base16_decode(s, len, out, n) == ODIN_OK ? 0 : -1;
}

static int
rec_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/*
 * The secret: canonical upper-case base32 without padding, 10..64 bytes,
 * or a sealed one (crypt.h) that opens with the key for this user.
 */
static int
rec_parse_secret(const char *s, size_t len, struct odin_record *r, struct rec_crypt *cr)
{
	char tmp[ODIN_RECORD_LINE_MAX + 1];
	size_t i, n = 0;
	int rc;

	if (rec_eq(s, len, "-")) {
		r->secret_len = 0;
		return 0;
	}
	if (odin_sealed(s, len)) {
		if (cr == NULL || cr->key == NULL || cr->user == NULL) {
			if (cr != NULL)
				cr->failed = ODIN_ECRYPTO;
			return -1;
		}
		rc = odin_unseal(cr->key, cr->user, s, len, r->secret, sizeof(r->secret), &n);
		if (rc == ODIN_ECRYPTO || rc == ODIN_EIO)
			cr->failed = rc;
		if (rc != ODIN_OK || n < ODIN_SECRET_MIN || n > ODIN_SECRET_MAX) {
			odin_wipe(r->secret, sizeof(r->secret));
			return -1;
		}
		r->secret_len = n;
		return 0;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '2' && s[i] <= '7')))
			return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	rc = odin_base32_decode(tmp, r->secret, sizeof(r->secret), &n);
	odin_wipe(tmp, sizeof(tmp));
	/* The length check also rules out a non-canonical encoding. */
	if (rc != ODIN_OK || n < ODIN_SECRET_MIN || n > ODIN_SECRET_MAX ||
	    odin_base32_enclen(n) != len) {
		odin_wipe(r->secret, sizeof(r->secret));
		return -1;
	}
	r->secret_len = n;
	return 0;
}

/* "pbkdf2-sha256 ITER SALT_HEX" or "none". */
static int
rec_parse_kdf(const char *s, size_t len, struct odin_record *r)
{
	const char *p, *end = s + len, *sp;
	size_t kl = strlen(REC_KDF_NAME);

	if (rec_eq(s, len, "none")) {
		r->backup_iter = 0;
		return 0;
	}
	if (len <= kl || memcmp(s, REC_KDF_NAME, kl) != 0 || s[kl] != ' ')
		return -1;
	p = s + kl + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return -1;
	if (rec_parse_uint(p, (size_t)(sp - p), ODIN_BACKUP_ITER_MIN,
	    ODIN_BACKUP_ITER_MAX, &r->backup_iter) != 0)
		return -1;
	p = sp + 1;
	return rec_parse_hex(p, (size_t)(end - p), r->backup_salt,
	    sizeof(r->backup_salt));
}

/* A generation: exactly 16 lower-case hex digits, not all zero. */
static int
rec_parse_generation(const char *v, size_t vl, uint64_t *out)
{
	uint64_t g = 0;
	size_t i;

	if (vl != 16)
		return -1;
	for (i = 0; i < vl; i++) {
		int d = v[i] >= '0' && v[i] <= '9' ? v[i] - '0' : v[i] >= 'a' && v[i] <= 'f' ? v[i] - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		g = g << 4 | (uint64_t)d;
	}
	if (g == 0)
		return -1;
	*out = g;
	return 0;
}

/* The next space-separated field of [*p, end): its start and length; -1 if none. */
static int
rec_field(const char **p, const char *end, const char **f, size_t *fl)
{
	const char *sp;

	if (*p >= end)
		return -1;
	sp = memchr(*p, ' ', (size_t)(end - *p));
	if (sp != NULL && sp + 1 == end)
		return -1;	/* a trailing space: not the formatter's */
	*f = *p;
	*fl = (size_t)((sp != NULL ? sp : end) - *p);
	*p = sp != NULL ? sp + 1 : end;
	return *fl > 0 ? 0 : -1;
}

/* "SALT_HEX HASH_HEX" ending the line. */
static int
rec_parse_onetime(const char **p, const char *end, struct odin_onetime *o)
{
	const char *f;
	size_t fl;

	if (rec_field(p, end, &f, &fl) != 0 || rec_parse_hex(f, fl, o->salt, sizeof(o->salt)) != 0 ||
	    rec_field(p, end, &f, &fl) != 0 || rec_parse_hex(f, fl, o->hash, sizeof(o->hash)) != 0)
		return -1;
	return *p == end ? 0 : -1;
}

/* "USES EXPIRES ISSUED SALT_HEX HASH_HEX" */
static int
rec_parse_bypass(const char *v, size_t vl, struct odin_record *r)
{
	const char *p = v, *end = v + vl, *f;
	size_t fl;

	if (rec_field(&p, end, &f, &fl) != 0 ||
	    rec_parse_uint(f, fl, 1, ODIN_BYPASS_USES_MAX, &r->bypass_uses) != 0 ||
	    rec_field(&p, end, &f, &fl) != 0 || rec_parse_i64(f, fl, &r->bypass_expires) != 0 ||
	    rec_field(&p, end, &f, &fl) != 0 || rec_parse_i64(f, fl, &r->bypass_issued) != 0)
		return -1;
	return rec_parse_onetime(&p, end, &r->bypass);
}

/* "active EXPIRES ISSUED SALT_HEX HASH_HEX" or "spent ISSUED" */
static int
rec_parse_token(const char *v, size_t vl, struct odin_record *r)
{
	const char *p = v, *end = v + vl, *f;
	size_t fl;

	if (rec_field(&p, end, &f, &fl) != 0)
		return -1;
	if (rec_eq(f, fl, "spent")) {
		r->token = ODIN_TOKEN_SPENT;
		if (rec_field(&p, end, &f, &fl) != 0 || rec_parse_i64(f, fl, &r->token_issued) != 0)
			return -1;
		return p == end ? 0 : -1;
	}
	if (!rec_eq(f, fl, "active"))
		return -1;
	r->token = ODIN_TOKEN_ACTIVE;
	if (rec_field(&p, end, &f, &fl) != 0 || rec_parse_i64(f, fl, &r->token_expires) != 0 ||
	    rec_field(&p, end, &f, &fl) != 0 || rec_parse_i64(f, fl, &r->token_issued) != 0)
		return -1;
	return rec_parse_onetime(&p, end, &r->token_hash);
}

/* One "key value" line (without its '\n'); seen tracks keys already read. */
static int
rec_parse_line(const char *line, size_t len, struct odin_record *r, unsigned *seen,
    struct rec_crypt *cr)
{
	const char *sp, *v;
	size_t kl, vl;
	int k;
	unsigned u;

	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return -1;
	kl = (size_t)(sp - line);
	v = sp + 1;
	vl = len - kl - 1;

	if (rec_eq(line, kl, "backup")) {
		if (r->nbackup >= ODIN_BACKUP_MAX)
			return -1;
		if (rec_parse_hex(v, vl, r->backup[r->nbackup], ODIN_BACKUP_HASH_LEN) != 0)
			return -1;
		r->nbackup++;
		return 0;
	}
	for (k = 0; k <= K_LAST; k++)
		if (rec_eq(line, kl, rec_keys[k]))
			break;
	if (k > K_LAST || (*seen & (1u << k)) != 0)
		return -1;
	*seen |= 1u << k;

	switch (k) {
	case K_STATE:
		if (rec_eq(v, vl, "pending"))
			r->state = ODIN_STATE_PENDING;
		else if (rec_eq(v, vl, "enabled"))
			r->state = ODIN_STATE_ENABLED;
		else
			return -1;
		return 0;
	case K_SECRET:
		return rec_parse_secret(v, vl, r, cr);
	case K_ALG:
		if (rec_eq(v, vl, "SHA1"))
			r->alg = ODIN_ALG_SHA1;
		else if (rec_eq(v, vl, "SHA256"))
			r->alg = ODIN_ALG_SHA256;
		else if (rec_eq(v, vl, "SHA512"))
			r->alg = ODIN_ALG_SHA512;
		else
			return -1;
		return 0;
	case K_DIGITS:
		return rec_parse_uint(v, vl, ODIN_DIGITS_MIN, ODIN_DIGITS_MAX, &r->digits);
	case K_PERIOD:
		return rec_parse_uint(v, vl, ODIN_PERIOD_MIN, ODIN_PERIOD_MAX, &r->period);
	case K_LAST_STEP:
		return rec_parse_i64(v, vl, &r->last_step);
	case K_FAILURES:
		if (rec_parse_uint(v, vl, 0, UINT32_MAX, &u) != 0)
			return -1;
		r->failures = u;
		return 0;
	case K_LOCKOUT_UNTIL:
		return rec_parse_i64(v, vl, &r->lockout_until);
	case K_LOCKOUT_COUNT:
		if (rec_parse_uint(v, vl, 0, UINT32_MAX, &u) != 0)
			return -1;
		r->lockout_count = u;
		return 0;
	case K_BACKUP_KDF:
		return rec_parse_kdf(v, vl, r);
	case K_CREATED:
		return rec_parse_i64(v, vl, &r->created);
	case K_UPDATED:
		return rec_parse_i64(v, vl, &r->updated);
	case K_GENERATION:
		return rec_parse_generation(v, vl, &r->generation);
	case K_BYPASS:
		return rec_parse_bypass(v, vl, r);
	case K_TOKEN:
		return rec_parse_token(v, vl, r);
	}
	return -1;
}

/* A bypass code only on an enabled record, a token only on a pending one; times in order. */
static int
rec_extras_valid(const struct odin_record *r)
{
	if (r->bypass_uses > ODIN_BYPASS_USES_MAX)
		return 0;
	if (r->bypass_uses > 0 && (r->state != ODIN_STATE_ENABLED || r->bypass_issued < 0 ||
	    r->bypass_expires < r->bypass_issued))
		return 0;
	if (r->token != ODIN_TOKEN_NONE && r->token != ODIN_TOKEN_ACTIVE && r->token != ODIN_TOKEN_SPENT)
		return 0;
	if (r->token != ODIN_TOKEN_NONE && (r->state != ODIN_STATE_PENDING || r->token_issued < 0))
		return 0;
	if (r->token == ODIN_TOKEN_ACTIVE && r->token_expires < r->token_issued)
		return 0;
	return 1;
}

static int
rec_parse(const char *buf, size_t len, struct odin_record *r, struct rec_crypt *cr)
{
	size_t off = 0, i;
	unsigned seen = 0;
	int first = 1, ended = 0;

	if (buf == NULL || len == 0 || len > ODIN_RECORD_MAX)
		return -1;
	/* Printable ASCII and '\n' only: no NUL, CR, tab, escape or 8-bit byte. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c != '\n' && (c < 0x20 || c > 0x7e))
			return -1;
	}
	if (buf[len - 1] != '\n')
		return -1;
	while (off < len) {
		const char *line = buf + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll;

		if (nl == NULL)		/* unreachable: buf ends in '\n' */
			return -1;
		ll = (size_t)(nl - line);
		off += ll + 1;
		if (ll > ODIN_RECORD_LINE_MAX || ended)
			return -1;
		if (first) {
			if (!rec_eq(line, ll, REC_HEADER))
				return -1;
			first = 0;
		} else if (rec_eq(line, ll, "end")) {
			ended = 1;
		} else if (rec_parse_line(line, ll, r, &seen, cr) != 0) {
			return -1;
		}
	}
	if (!ended || (seen & ((1u << K_COUNT) - 1)) != (1u << K_COUNT) - 1)
		return -1;
	/* Cross-field consistency. */
	if (r->state == ODIN_STATE_ENABLED && r->secret_len == 0)
		return -1;
	if (r->backup_iter == 0 && r->nbackup > 0)
		return -1;
	if (!rec_extras_valid(r))
		return -1;
	return 0;
}

int
odin_record_parse_key(const char *buf, size_t len, struct odin_record *r,
    const struct odin_key *key, const char *user)
{
	struct rec_crypt cr = { key, user, 0 };

	odin_wipe(r, sizeof(*r));
	if (rec_parse(buf, len, r, &cr) != 0) {
		odin_wipe(r, sizeof(*r));
		return cr.failed != 0 ? cr.failed : ODIN_ECORRUPT;
	}
	return ODIN_OK;
}

int
odin_record_parse(const char *buf, size_t len, struct odin_record *r)
{
	return odin_record_parse_key(buf, len, r, NULL, NULL);
}

static int
rec_valid(const struct odin_record *r)
{
	if (r->state != ODIN_STATE_PENDING && r->state != ODIN_STATE_ENABLED)
		return 0;
	if (r->secret_len == 0 ? r->state != ODIN_STATE_PENDING :
	    (r->secret_len < ODIN_SECRET_MIN || r->secret_len > ODIN_SECRET_MAX))
		return 0;
	if (r->alg != ODIN_ALG_SHA1 && r->alg != ODIN_ALG_SHA256 && r->alg != ODIN_ALG_SHA512)
		return 0;
	if (r->digits < ODIN_DIGITS_MIN || r->digits > ODIN_DIGITS_MAX ||
	    r->period < ODIN_PERIOD_MIN || r->period > ODIN_PERIOD_MAX)
		return 0;
	if (r->last_step < 0 || r->lockout_until < 0 || r->created < 0 || r->updated < 0)
		return 0;
	if (r->nbackup > ODIN_BACKUP_MAX)
		return 0;
	if (r->backup_iter == 0 ? r->nbackup != 0 :
	    (r->backup_iter < ODIN_BACKUP_ITER_MIN || r->backup_iter > ODIN_BACKUP_ITER_MAX))
		return 0;
	return rec_extras_valid(r);
}

/* Appends formatted text at *off; -1 on truncation. */
static int rec_put(char *buf, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rec_put(char *buf, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *off, ODIN_RECORD_MAX - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= ODIN_RECORD_MAX - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

/* "[USES ]EXPIRES ISSUED SALT_HEX HASH_HEX" (USES when uses > 0) */
static void
rec_onetime_value(char out[ODIN_RECORD_LINE_MAX], const char *prefix, unsigned uses,
    int64_t expires, int64_t issued, const struct odin_onetime *o)
{
	char salt[2 * sizeof(o->salt) + 1], hash[2 * sizeof(o->hash) + 1];
	char num[16] = "";

	odin_base16_encode(o->salt, sizeof(o->salt), salt);
	odin_base16_encode(o->hash, sizeof(o->hash), hash);
	if (uses > 0)
		(void)snprintf(num, sizeof(num), "%u ", uses);
	(void)snprintf(out, ODIN_RECORD_LINE_MAX, "%s%s%" PRId64 " %" PRId64 " %s %s", prefix, num,
	    expires, issued, salt, hash);
	odin_wipe(hash, sizeof(hash));
}

void
odin_record_bypass_value(const struct odin_record *r, char out[ODIN_RECORD_LINE_MAX])
{
	out[0] = '\0';
	if (r->bypass_uses > 0)
		rec_onetime_value(out, "", r->bypass_uses, r->bypass_expires, r->bypass_issued,
		    &r->bypass);
}

void
odin_record_token_value(const struct odin_record *r, char out[ODIN_RECORD_LINE_MAX])
{
	out[0] = '\0';
	if (r->token == ODIN_TOKEN_ACTIVE)
		rec_onetime_value(out, "active ", 0, r->token_expires, r->token_issued, &r->token_hash);
	else if (r->token == ODIN_TOKEN_SPENT)
		(void)snprintf(out, ODIN_RECORD_LINE_MAX, "spent %" PRId64, r->token_issued);
}

void
odin_record_text_free(char *text)
{
	odin_secure_free(text);
}

int
odin_record_format(const struct odin_record *r, char **out, size_t *outlen)
{
	return odin_record_format_key(r, NULL, NULL, out, outlen);
}

int
odin_record_format_key(const struct odin_record *r, const struct odin_key *key,
    const char *user, char **out, size_t *outlen)
{
	return odin_record_format_gen(r, r->generation, key, user, out, outlen);
}

int
odin_record_format_gen(const struct odin_record *r, uint64_t generation,
    const struct odin_key *key, const char *user, char **out, size_t *outlen)
{
	char secret[ODIN_RECORD_LINE_MAX], extra[ODIN_RECORD_LINE_MAX];
	char hex[2 * ODIN_BACKUP_HASH_LEN + 1];
	char *buf;
	size_t off = 0;
	unsigned i;
	int ok = 0;

	*out = NULL;
	*outlen = 0;
	if (!rec_valid(r))
		return ODIN_EINVAL;
	if ((buf = odin_secure_alloc(ODIN_RECORD_MAX)) == NULL)
		return ODIN_ENOMEM;

	if (r->secret_len == 0)
		(void)snprintf(secret, sizeof(secret), "-");
	else if (key != NULL) {
		if (user == NULL || odin_seal(key, user, r->secret, r->secret_len,
		    secret, sizeof(secret)) != ODIN_OK)
			goto done;
	} else if (odin_base32_encode(r->secret, r->secret_len, secret, sizeof(secret)) != ODIN_OK)
		goto done;

	if (rec_put(buf, &off, "%s\nstate %s\nsecret %s\nalgorithm %s\n"
	    "digits %u\nperiod %u\nlast_step %" PRId64 "\nfailures %u\n"
	    "lockout_until %" PRId64 "\nlockout_count %u\n",
	    REC_HEADER, odin_state_name(r->state), secret, odin_alg_name(r->alg),
	    r->digits, r->period, r->last_step, r->failures,
	    r->lockout_until, r->lockout_count) != 0)
		goto done;
	if (r->backup_iter == 0) {
		if (rec_put(buf, &off, "backup_kdf none\n") != 0)
			goto done;
	} else {
		odin_base16_encode(r->backup_salt, sizeof(r->backup_salt), hex);
		if (rec_put(buf, &off, "backup_kdf %s %u %s\n", REC_KDF_NAME,
		    r->backup_iter, hex) != 0)
			goto done;
	}
	for (i = 0; i < r->nbackup; i++) {
		odin_base16_encode(r->backup[i], ODIN_BACKUP_HASH_LEN, hex);
		if (rec_put(buf, &off, "backup %s\n", hex) != 0)
			goto done;
	}
	if (rec_put(buf, &off, "created %" PRId64 "\nupdated %" PRId64 "\n",
	    r->created, r->updated) != 0)
		goto done;
	if (generation != 0 && rec_put(buf, &off, "generation %016" PRIx64 "\n", generation) != 0)
		goto done;
	odin_record_bypass_value(r, extra);
	if (extra[0] != '\0' && rec_put(buf, &off, "bypass %s\n", extra) != 0)
		goto done;
	odin_record_token_value(r, extra);
	if (extra[0] != '\0' && rec_put(buf, &off, "enroll_token %s\n", extra) != 0)
		goto done;
	if (rec_put(buf, &off, "end\n") != 0)
		goto done;
	ok = 1;
done:
	odin_wipe(secret, sizeof(secret));
	odin_wipe(extra, sizeof(extra));
	odin_wipe(hex, sizeof(hex));
	if (!ok) {
		odin_secure_free(buf);
		return ODIN_EINVAL;
	}
	*out = buf;
	*outlen = off;
	return ODIN_OK;
}
