/* SPDX-License-Identifier: ISC */
/*
 * otpauth URIs and QR renderings.  The oracle for every rendering is
 * zbarimg (an independent decoder): the PNG and SVG files directly, and the
 * terminal renderings after this test turns the characters back into an
 * image (a PGM written here, no code shared with qr.c).
 */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "otpauth.h"
#include "qr.h"
#include "qr_image.h"
#include "secure.h"

/* RFC 4226's test secret, "12345678901234567890". */
static const uint8_t rfc_key[20] = "12345678901234567890";
#define RFC_B32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static char tmpdir[64];

static void
dir_setup(void)
{
	strcpy(tmpdir, "/tmp/check_qr.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
dir_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- URI building ---- */

static char *
mkuri(const char *issuer, const char *account, enum odin_alg alg, unsigned digits, unsigned period)
{
	char *uri = NULL;

	ck_assert_int_eq(odin_otpauth_uri(issuer, account, rfc_key, sizeof(rfc_key),
	    alg, digits, period, &uri), ODIN_OK);
	ck_assert_ptr_nonnull(uri);
	return uri;
}

START_TEST(uri_default)
{
	char *u = mkuri("O.D.I.N.", "alice@host", ODIN_ALG_SHA1, 6, 30);

	/* '.' is unreserved (RFC 3986): the issuer is not encoded at all. */
	ck_assert_str_eq(u, "otpauth://totp/O.D.I.N.:alice%40host?secret=" RFC_B32
	    "&issuer=O.D.I.N.");
	odin_free_str(u);
}
END_TEST

START_TEST(uri_space_and_at)
{
	char *u = mkuri("O.D.I.N.", "Alice Smith@mail.example", ODIN_ALG_SHA1, 6, 30);

	ck_assert_str_eq(u, "otpauth://totp/O.D.I.N.:Alice%20Smith%40mail.example?secret="
	    RFC_B32 "&issuer=O.D.I.N.");
	odin_free_str(u);
	u = mkuri("ACME & Sons/IT", "b~o_b-1", ODIN_ALG_SHA1, 6, 30);
	ck_assert_str_eq(u, "otpauth://totp/ACME%20%26%20Sons%2FIT:b~o_b-1?secret="
	    RFC_B32 "&issuer=ACME%20%26%20Sons%2FIT");
	odin_free_str(u);
	u = mkuri("100%", "caf\xc3\xa9+x?y#z", ODIN_ALG_SHA1, 6, 30);
	ck_assert_str_eq(u, "otpauth://totp/100%25:caf%C3%A9%2Bx%3Fy%23z?secret="
	    RFC_B32 "&issuer=100%25");
	odin_free_str(u);
}
END_TEST

START_TEST(uri_non_default_params)
{
	char *u = mkuri("O.D.I.N.", "alice@host", ODIN_ALG_SHA256, 8, 60);

	ck_assert_str_eq(u, "otpauth://totp/O.D.I.N.:alice%40host?secret=" RFC_B32
	    "&issuer=O.D.I.N.&algorithm=SHA256&digits=8&period=60");
	odin_free_str(u);
	u = mkuri("X", "y", ODIN_ALG_SHA512, 6, 30);
	ck_assert_str_eq(u, "otpauth://totp/X:y?secret=" RFC_B32 "&issuer=X&algorithm=SHA512");
	odin_free_str(u);
	u = mkuri("X", "y", ODIN_ALG_SHA1, 7, 30);
	ck_assert_str_eq(u, "otpauth://totp/X:y?secret=" RFC_B32 "&issuer=X&digits=7");
	odin_free_str(u);
	u = mkuri("X", "y", ODIN_ALG_SHA1, 6, 3600);
	ck_assert_str_eq(u, "otpauth://totp/X:y?secret=" RFC_B32 "&issuer=X&period=3600");
	odin_free_str(u);
	/* No issuer: label is the account alone, no issuer parameter. */
	u = mkuri("", "y", ODIN_ALG_SHA1, 6, 30);
	ck_assert_str_eq(u, "otpauth://totp/y?secret=" RFC_B32);
	odin_free_str(u);
}
END_TEST

START_TEST(uri_rejects)
{
	char *u = (char *)1;
	uint8_t big[ODIN_SECRET_MAX + 1] = { 0 };

	ck_assert_int_eq(odin_otpauth_uri("a:b", "c", rfc_key, 20, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_ptr_null(u);
	ck_assert_int_eq(odin_otpauth_uri("a", "c:d", rfc_key, 20, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "", rfc_key, 20, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", NULL, rfc_key, 20, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "new\nline", rfc_key, 20, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", " c", rfc_key, 20, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", rfc_key, 9, ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", big, sizeof(big), ODIN_ALG_SHA1, 6, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", rfc_key, 20, ODIN_ALG_SHA1, 5, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", rfc_key, 20, ODIN_ALG_SHA1, 9, 30, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", rfc_key, 20, ODIN_ALG_SHA1, 6, 0, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", rfc_key, 20, ODIN_ALG_SHA1, 6, 3601, &u), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_uri("a", "c", rfc_key, 20, (enum odin_alg)7, 6, 30, &u), ODIN_EINVAL);
	ck_assert_ptr_null(u);
}
END_TEST

/* ---- parsing ---- */

struct rt {
	const char *issuer, *account;
	enum odin_alg alg;
	unsigned digits, period;
};

static const struct rt rts[] = {
	{ "O.D.I.N.", "alice@host", ODIN_ALG_SHA1, 6, 30 },
	{ "O.D.I.N.", "Alice Smith@mail.example", ODIN_ALG_SHA256, 8, 60 },
	{ "ACME & Sons/IT", "b~o_b-1", ODIN_ALG_SHA512, 7, 1 },
	{ "100%", "caf\xc3\xa9+x?y#z&secret=AAAA", ODIN_ALG_SHA1, 6, 3600 },
	{ "", "solo", ODIN_ALG_SHA1, 6, 30 },
};

START_TEST(parse_round_trip)
{
	const struct rt *t = &rts[_i];
	struct odin_otpauth p;
	char *u = mkuri(t->issuer, t->account, t->alg, t->digits, t->period);

	ck_assert_int_eq(odin_otpauth_parse(u, &p), ODIN_OK);
	ck_assert_uint_eq(p.secret_len, sizeof(rfc_key));
	ck_assert_mem_eq(p.secret, rfc_key, sizeof(rfc_key));
	ck_assert_str_eq(p.issuer, t->issuer);
	ck_assert_str_eq(p.account, t->account);
	ck_assert_int_eq(p.alg, t->alg);
	ck_assert_uint_eq(p.digits, t->digits);
	ck_assert_uint_eq(p.period, t->period);
	odin_wipe(&p, sizeof(p));
	odin_free_str(u);
}
END_TEST

/*
 * Regression (fuzz/fuzz_otpauth.c): a leading space of the account was kept
 * without an issuer prefix but dropped after "Issuer:", so parse -> build ->
 * parse changed the account.  It is dropped in both cases now.
 */
START_TEST(parse_account_leading_space)
{
	struct odin_otpauth p, p2;
	char *u = NULL;

	ck_assert_int_eq(odin_otpauth_parse("otpauth://totp/%20Co?secret=JBSWY3DPEHPK2PXP"
	    "&issuer=~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~", &p), ODIN_OK);
	ck_assert_str_eq(p.account, "Co");
	ck_assert_int_eq(odin_otpauth_uri(p.issuer, p.account, p.secret, p.secret_len, p.alg,
	    p.digits, p.period, &u), ODIN_OK);
	ck_assert_int_eq(odin_otpauth_parse(u, &p2), ODIN_OK);
	ck_assert_str_eq(p2.account, p.account);
	ck_assert_str_eq(p2.issuer, p.issuer);
	ck_assert_int_eq(odin_otpauth_parse("otpauth://totp/%20%20?secret=JBSWY3DPEHPK2PXP", &p),
	    ODIN_EINVAL);
	odin_free_str(u);
	odin_wipe(&p2, sizeof(p2));
}
END_TEST

/*
 * Regression (fuzz/fuzz_otpauth.c): a long account with an issuer parsed,
 * but the URI built from it did not: the label buffer had no room for
 * both.  Now the longest fields, every byte percent-encoded, go round.
 */
START_TEST(parse_build_longest)
{
	struct odin_otpauth p, p2;
	char issuer[64], account[sizeof(p.account)], *u = NULL;

	memset(issuer, '}', sizeof(issuer) - 1);
	issuer[sizeof(issuer) - 1] = '\0';
	memset(account, '=', sizeof(account) - 1);
	account[sizeof(account) - 1] = '\0';
	ck_assert_int_eq(odin_otpauth_uri(issuer, account, (const uint8_t *)"12345678901234567890", 20,
	    ODIN_ALG_SHA512, 8, 3600, &u), ODIN_OK);
	ck_assert_int_eq(odin_otpauth_parse(u, &p), ODIN_OK);
	ck_assert_str_eq(p.issuer, issuer);
	ck_assert_str_eq(p.account, account);
	odin_free_str(u);
	u = NULL;
	ck_assert_int_eq(odin_otpauth_parse("otpauth://totp/et}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}"
	    "}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}"
	    "======================================================================================"
	    "aom?secret=JBSWY3DPEHPK3XPP&issuer='Cotp%eD%eDp/ACM%eDPHP0o", &p), ODIN_OK);
	ck_assert_int_eq(odin_otpauth_uri(p.issuer, p.account, p.secret, p.secret_len, p.alg,
	    p.digits, p.period, &u), ODIN_OK);
	ck_assert_int_eq(odin_otpauth_parse(u, &p2), ODIN_OK);
	ck_assert_str_eq(p2.account, p.account);
	ck_assert_str_eq(p2.issuer, p.issuer);
	odin_free_str(u);
	odin_wipe(&p, sizeof(p));
	odin_wipe(&p2, sizeof(p2));
}
END_TEST

START_TEST(parse_accepts_variants)
{
	struct odin_otpauth p;

	/* Lower-case secret, padding, unknown parameter, issuer only as parameter. */
	ck_assert_int_eq(odin_otpauth_parse("OTPAUTH://TOTP/bob?image=http%3A%2F%2Fx&secret="
	    "gezdgnbvgy3tqojqgezdgnbvgy3tqojq&issuer=Corp&algorithm=sha256", &p), ODIN_OK);
	ck_assert_mem_eq(p.secret, rfc_key, 20);
	ck_assert_str_eq(p.issuer, "Corp");
	ck_assert_str_eq(p.account, "bob");
	ck_assert_int_eq(p.alg, ODIN_ALG_SHA256);
	/* "Issuer:%20account" (spaces after the colon are allowed) and %3A. */
	ck_assert_int_eq(odin_otpauth_parse("otpauth://totp/Corp%3A%20%20bob?secret=" RFC_B32, &p), ODIN_OK);
	ck_assert_str_eq(p.issuer, "Corp");
	ck_assert_str_eq(p.account, "bob");
	ck_assert_uint_eq(p.digits, 6);
	ck_assert_uint_eq(p.period, 30);
}
END_TEST

static const char *const bad_uris[] = {
	"otpauth://hotp/X:y?secret=" RFC_B32 "&counter=0",	/* counters */
	"http://totp/X:y?secret=" RFC_B32,
	"otpauth://totp/X:y?issuer=X",				/* no secret */
	"otpauth://totp/X:y?secret=",				/* empty secret */
	"otpauth://totp/X:y?secret=GEZDGNBVGY1",		/* bad base32 */
	"otpauth://totp/X:y?secret=GEZDGNBVGY3TQOJQ",		/* 80 bits: ok */
	"otpauth://totp/X:y?secret=GEZDGNBVGY3TQOJ",		/* under 80 bits */
	"otpauth://totp/X:y?secret=" RFC_B32 "&secret=" RFC_B32,	/* duplicate */
	"otpauth://totp/X:y?secret=" RFC_B32 "&digits=9",
	"otpauth://totp/X:y?secret=" RFC_B32 "&digits=5",
	"otpauth://totp/X:y?secret=" RFC_B32 "&digits=+6",
	"otpauth://totp/X:y?secret=" RFC_B32 "&period=0",
	"otpauth://totp/X:y?secret=" RFC_B32 "&period=30s",
	"otpauth://totp/X:y?secret=" RFC_B32 "&period=99999999999999999999",
	"otpauth://totp/X:y?secret=" RFC_B32 "&algorithm=MD5",
	"otpauth://totp/X:y?secret=" RFC_B32 "&counter=5",	/* HOTP-only meaning */
	"otpauth://totp/X:y?secret=" RFC_B32 "&issuer=Z",	/* label/param disagree */
	"otpauth://totp/X:y?secret=" RFC_B32 "&issuer=",
	"otpauth://totp/X:y?secret=" RFC_B32 "&",		/* empty parameter */
	"otpauth://totp/X:y?secret=" RFC_B32 "&flag",		/* no '=' */
	"otpauth://totp/X:y?secret=" RFC_B32 "#frag",
	"otpauth://totp/X:y z?secret=" RFC_B32,			/* raw space */
	"otpauth://totp/X:y%?secret=" RFC_B32,			/* truncated escape */
	"otpauth://totp/X:y%4?secret=" RFC_B32,
	"otpauth://totp/X:y%G0?secret=" RFC_B32,
	"otpauth://totp/X:y%00z?secret=" RFC_B32,		/* encoded NUL */
	"otpauth://totp/X:y%0Az?secret=" RFC_B32,		/* encoded newline */
	"otpauth://totp/X:y:z?secret=" RFC_B32,			/* two colons */
	"otpauth://totp/:y?secret=" RFC_B32,			/* empty issuer */
	"otpauth://totp/X:?secret=" RFC_B32,			/* empty account */
	"otpauth://totp/?secret=" RFC_B32,
	"otpauth://totp/X:y",					/* no query */
	"otpauth://totp/X:y?secret=" RFC_B32 "?x=1",
	"otpauth://totp/X:y?secret=" RFC_B32 "\n",
	"otpauth:/totp/X:y?secret=" RFC_B32,
	"",
};

START_TEST(parse_rejects)
{
	struct odin_otpauth p;
	const char *u = bad_uris[_i];
	int rc = odin_otpauth_parse(u, &p);

	if (_i == 5) {	/* the one good control case: exactly 80 bits */
		ck_assert_int_eq(rc, ODIN_OK);
		ck_assert_uint_eq(p.secret_len, 10);
		return;
	}
	ck_assert_msg(rc == ODIN_EINVAL, "accepted: %s", u);
	/* Nothing left behind on failure. */
	ck_assert_uint_eq(p.secret_len, 0);
	ck_assert_str_eq(p.account, "");
}
END_TEST

START_TEST(parse_too_long)
{
	struct odin_otpauth p;
	char *u = malloc(5000);
	size_t n;

	ck_assert_ptr_nonnull(u);
	n = (size_t)sprintf(u, "otpauth://totp/X:");
	memset(u + n, 'a', 4500);
	sprintf(u + n + 4500, "?secret=%s", RFC_B32);
	ck_assert_int_eq(odin_otpauth_parse(u, &p), ODIN_EINVAL);
	ck_assert_int_eq(odin_otpauth_parse(NULL, &p), ODIN_EINVAL);
	free(u);
}
END_TEST

/* ---- decoding images with zbarimg ---- */

/* Runs zbarimg on path; returns its stdout in out (NUL-terminated). */
static void
zbar(const char *path, char *out, size_t outsz)
{
	char cmd[256];
	FILE *f;
	size_t n;
	int st;

	ck_assert_msg(access("/usr/bin/zbarimg", X_OK) == 0 || system("command -v zbarimg >/dev/null") == 0,
	    "zbarimg is required (Debian package zbar-tools)");
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	st = pclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "zbarimg failed on %s (status %d)", path, st);
}

static void
expect_scan(const char *path, const char *uri)
{
	char got[4096], want[4096];

	zbar(path, got, sizeof(got));
	snprintf(want, sizeof(want), "%s\n", uri);
	ck_assert_str_eq(got, want);
}

static const char *const scan_uris[] = {
	"otpauth://totp/O.D.I.N.:alice%40host?secret=" RFC_B32 "&issuer=O.D.I.N.",
	"otpauth://totp/O.D.I.N.:Alice%20Smith%40mail.example?secret=" RFC_B32
	    "&issuer=O.D.I.N.&algorithm=SHA256&digits=8&period=60",
};

START_TEST(png_scans)
{
	const char *uri = scan_uris[_i];
	char path[128];
	struct stat st;
	unsigned char sig[8];
	int fd;

	snprintf(path, sizeof(path), "%s/qr.png", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(odin_qr_png(uri, fd), ODIN_OK);
	close(fd);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, sig, 8), 8);
	close(fd);
	ck_assert_mem_eq(sig, "\x89PNG\r\n\x1a\n", 8);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_gt(st.st_size, 100);
	expect_scan(path, uri);
}
END_TEST

START_TEST(png_bad_fd)
{
	int p[2];

	ck_assert_int_eq(odin_qr_png(scan_uris[0], -1), ODIN_EINVAL);
	/* A pipe with no reader: the write error is reported, not swallowed. */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_ne(odin_qr_png(scan_uris[0], p[1]), ODIN_OK);
	ck_assert_int_ne(odin_qr_svg(scan_uris[0], p[1]), ODIN_OK);
	close(p[1]);
}
END_TEST

/*
 * The test's own image writer: a grid of modules (1 = light) surrounded
 * by `pad` modules of pad_light, scale pixels per module, as a PGM.
 */
static void
write_pgm(const char *path, const unsigned char *grid, int w, int h, int pad, int pad_light)
{
	const int scale = 4;
	int W = (w + 2 * pad) * scale, H = (h + 2 * pad) * scale, x, y, gx, gy, v;
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "P5\n%d %d\n255\n", W, H);
	for (y = 0; y < H; y++) {
		for (x = 0; x < W; x++) {
			gx = x / scale - pad;
			gy = y / scale - pad;
			if (gx < 0 || gy < 0 || gx >= w || gy >= h)
				v = pad_light;
			else
				v = grid[gy * w + gx];
			fputc(v ? 255 : 0, f);
		}
	}
	ck_assert_int_eq(fclose(f), 0);
}

/* UTF-8 half blocks back to modules: glyph = light (foreground), space = dark. */
static unsigned char *
utf8_to_grid(char **lines, size_t n, int *w, int *h)
{
	unsigned char *g;
	size_t i;
	int x, cols = -1, top, bot;
	const char *s;

	/* Count columns on the first line; every line must agree. */
	for (i = 0; i < n; i++) {
		for (x = 0, s = lines[i]; *s != '\0'; x++)
			s += (*s == ' ') ? 1 : 3;
		if (cols < 0)
			cols = x;
		ck_assert_int_eq(x, cols);
	}
	*w = cols;
	*h = (int)n * 2;
	g = calloc((size_t)*w * (size_t)*h, 1);
	ck_assert_ptr_nonnull(g);
	for (i = 0; i < n; i++) {
		for (x = 0, s = lines[i]; *s != '\0'; x++) {
			if (*s == ' ') {
				top = bot = 0;
				s++;
			} else if (memcmp(s, "\xe2\x96\x88", 3) == 0) {
				top = bot = 1;
				s += 3;
			} else if (memcmp(s, "\xe2\x96\x80", 3) == 0) {
				top = 1, bot = 0;
				s += 3;
			} else if (memcmp(s, "\xe2\x96\x84", 3) == 0) {
				top = 0, bot = 1;
				s += 3;
			} else {
				ck_abort_msg("unexpected byte 0x%02x in UTF-8 rendering", (unsigned char)*s);
				return NULL;
			}
			g[(2 * i) * (size_t)*w + (size_t)x] = (unsigned char)top;
			g[(2 * i + 1) * (size_t)*w + (size_t)x] = (unsigned char)bot;
		}
	}
	return g;
}

/* ANSI: ESC[47m selects light, ESC[40m dark; each "  " is one module; ESC[0m ends the line. */
static unsigned char *
ansi_to_grid(char **lines, size_t n, int *w, int *h)
{
	unsigned char *g = NULL;
	size_t i, len;
	int x, cur, cols = -1;
	const char *s;

	*h = (int)n;
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			s = lines[i];
			len = strlen(s);
			ck_assert_msg(len >= 4 && strcmp(s + len - 4, "\x1b[0m") == 0,
			    "line %zu does not end with a reset", i);
			cur = -1;
			for (x = 0; *s != '\0';) {
				if (strncmp(s, "\x1b[47m", 5) == 0) {
					cur = 1;
					s += 5;
				} else if (strncmp(s, "\x1b[40m", 5) == 0) {
					cur = 0;
					s += 5;
				} else if (strcmp(s, "\x1b[0m") == 0) {
					break;
				} else {
					ck_assert_msg(s[0] == ' ' && s[1] == ' ', "bad ANSI cell on line %zu", i);
					ck_assert_msg(cur >= 0, "cell before any colour on line %zu", i);
					if (pass == 1)
						g[i * (size_t)cols + (size_t)x] = (unsigned char)cur;
					x++;
					s += 2;
				}
			}
			if (pass == 0) {
				if (cols < 0)
					cols = x;
				ck_assert_int_eq(x, cols);
			}
		}
		if (pass == 0) {
			*w = cols;
			g = calloc((size_t)cols * n, 1);
			ck_assert_ptr_nonnull(g);
		}
	}
	return g;
}

/* The quiet zone: 4 light modules on every side of the code. */
static void
check_quiet_zone(const unsigned char *g, int w, int h_code)
{
	int x, y;

	for (y = 0; y < h_code; y++)
		for (x = 0; x < w; x++)
			if (y < 4 || y >= h_code - 4 || x < 4 || x >= w - 4)
				ck_assert_msg(g[y * w + x] == 1, "dark module in quiet zone at %d,%d", x, y);
	/* The finder pattern's corner is dark. */
	ck_assert_int_eq(g[4 * w + 4], 0);
}

START_TEST(utf8_scans)
{
	const char *uri = scan_uris[_i];
	char **lines = NULL, path[128];
	size_t n = 0;
	unsigned char *g;
	int w, h;

	ck_assert_int_eq(odin_qr_text(uri, ODIN_QR_UTF8, &lines, &n), ODIN_OK);
	ck_assert_uint_gt(n, 10);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_null(strchr(lines[i], '\x1b'));
	g = utf8_to_grid(lines, n, &w, &h);
	/* Odd module count: the last text line's lower half is the terminal's dark. */
	ck_assert_int_eq(h, w + 1);
	for (int x = 0; x < w; x++)
		ck_assert_int_eq(g[(h - 1) * w + x], 0);
	check_quiet_zone(g, w, w);
	/* As seen on a dark terminal: black all around the rendering. */
	snprintf(path, sizeof(path), "%s/utf8.pgm", tmpdir);
	write_pgm(path, g, w, h, 6, 0);
	expect_scan(path, uri);
	free(g);
	odin_qr_lines_free(lines, n);
}
END_TEST

START_TEST(ansi_scans)
{
	const char *uri = scan_uris[_i];
	char **lines = NULL, path[128];
	size_t n = 0;
	unsigned char *g;
	int w, h;

	ck_assert_int_eq(odin_qr_text(uri, ODIN_QR_ANSI, &lines, &n), ODIN_OK);
	g = ansi_to_grid(lines, n, &w, &h);
	ck_assert_int_eq(w, h);
	check_quiet_zone(g, w, h);
	/* Explicit colours: scans on a dark terminal and on a light one. */
	snprintf(path, sizeof(path), "%s/ansi-dark.pgm", tmpdir);
	write_pgm(path, g, w, h, 6, 0);
	expect_scan(path, uri);
	snprintf(path, sizeof(path), "%s/ansi-light.pgm", tmpdir);
	write_pgm(path, g, w, h, 6, 1);
	expect_scan(path, uri);
	free(g);
	odin_qr_lines_free(lines, n);
}
END_TEST

/* 1 if a file whose path contains name is mapped into this process. */
static int
mapped(const char *name)
{
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, name) != NULL)
			found = 1;
	fclose(f);
	return found;
}

/*
 * libqrencode is mapped only while a matrix is made (qr_encode.c): a
 * process that links common/ (the PAM module) does not load it for a
 * login, and is rid of it again after an enrollment's QR code.
 */
START_TEST(qrencode_loaded_only_to_encode)
{
	struct odin_qr_matrix m;
	char **lines = NULL;
	size_t n = 0;

	ck_assert(!mapped("libqrencode"));
	ck_assert_int_eq(odin_qr_matrix_make(scan_uris[0], &m), ODIN_OK);
	ck_assert_int_gt(m.size, 21 + 8 - 1);	/* version 1 is 21 modules, plus the quiet zone */
	ck_assert_int_eq(odin_qr_matrix_dark(&m, 0, 0), 0);		/* quiet zone */
	ck_assert_int_eq(odin_qr_matrix_dark(&m, 4, 4), 1);		/* finder pattern corner */
	ck_assert_int_eq(odin_qr_matrix_dark(&m, -1, m.size), 0);	/* outside */
	odin_qr_matrix_free(&m);
	ck_assert_ptr_null(m.dark);
	ck_assert(!mapped("libqrencode"));
	ck_assert_int_eq(odin_qr_text(scan_uris[0], ODIN_QR_UTF8, &lines, &n), ODIN_OK);
	odin_qr_lines_free(lines, n);
	ck_assert(!mapped("libqrencode"));
}
END_TEST

START_TEST(text_rejects)
{
	char **lines = (char **)1;
	size_t n = 7;
	char *huge = malloc(8000);

	ck_assert_int_eq(odin_qr_text("", ODIN_QR_UTF8, &lines, &n), ODIN_EINVAL);
	ck_assert_ptr_null(lines);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(odin_qr_text(NULL, ODIN_QR_UTF8, &lines, &n), ODIN_EINVAL);
	ck_assert_int_eq(odin_qr_text("x", (enum odin_qr_style)5, &lines, &n), ODIN_EINVAL);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'a', 7999);
	huge[7999] = '\0';
	ck_assert_int_eq(odin_qr_text(huge, ODIN_QR_UTF8, &lines, &n), ODIN_EINVAL);
	ck_assert_int_eq(odin_qr_png(huge, 1), ODIN_EINVAL);
	free(huge);
}
END_TEST

START_TEST(svg_scans)
{
	const char *uri = scan_uris[_i];
	char svg[128], png[128], cmd[512], head[64];
	int fd, st;
	FILE *f;

	snprintf(svg, sizeof(svg), "%s/qr.svg", tmpdir);
	snprintf(png, sizeof(png), "%s/svg.png", tmpdir);
	fd = open(svg, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(odin_qr_svg(uri, fd), ODIN_OK);
	close(fd);
	f = fopen(svg, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(head, sizeof(head), f));
	fclose(f);
	ck_assert_str_eq(head, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* librsvg renders the SVG (white page, as printed); zbarimg reads the result. */
	snprintf(cmd, sizeof(cmd), "rsvg-convert -b white -o '%s' '%s' 2>/dev/null", png, svg);
	st = system(cmd);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rsvg-convert could not render the SVG");
	expect_scan(png, uri);
}
END_TEST

static Suite *
qr_suite(void)
{
	Suite *s = suite_create("qr");
	TCase *tc;
	int nscan = (int)(sizeof(scan_uris) / sizeof(scan_uris[0]));

	tc = tcase_create("uri");
	tcase_add_test(tc, uri_default);
	tcase_add_test(tc, uri_space_and_at);
	tcase_add_test(tc, uri_non_default_params);
	tcase_add_test(tc, uri_rejects);
	tcase_add_loop_test(tc, parse_round_trip, 0, (int)(sizeof(rts) / sizeof(rts[0])));
	tcase_add_test(tc, parse_account_leading_space);
	tcase_add_test(tc, parse_build_longest);
	tcase_add_test(tc, parse_accepts_variants);
	tcase_add_loop_test(tc, parse_rejects, 0, (int)(sizeof(bad_uris) / sizeof(bad_uris[0])));
	tcase_add_test(tc, parse_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("render");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_loop_test(tc, png_scans, 0, nscan);
	tcase_add_test(tc, png_bad_fd);
	tcase_add_loop_test(tc, utf8_scans, 0, nscan);
	tcase_add_loop_test(tc, ansi_scans, 0, nscan);
	tcase_add_test(tc, text_rejects);
	tcase_add_test(tc, qrencode_loaded_only_to_encode);
	tcase_add_loop_test(tc, svg_scans, 0, nscan);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(qr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
