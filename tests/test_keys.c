/* tests/test_keys.c — the signing keys: secrets in vqd's key file and never in the
 * database, a ring that rotation can always renew because keys can be retired.
 *
 *   key file (coordinator/keyfile.c): written whole with mode 0600 and read back; a file
 *     others may read, a symbolic link, or text that is not a key file is refused with a
 *     message that says what to do; a write that fails changes nothing;
 *   store: schema 1's secrets wait in legacy_secrets for vqd, and once forgotten neither
 *     the database file nor its WAL holds a byte of them;
 *   vqd end to end (real broker, real vqd): the key file is made on the first start and
 *     the database holds no secret after start and rotation (every seed is looked for in
 *     the file's bytes); a key file with the wrong mode or a missing one stops vqd with a
 *     clear message, and --new-signing-key recovers; 40 rotate/retire cycles; retiring is
 *     refused for the active key, an unknown key and (unless forced) a key unexpired
 *     tickets may carry, and a retired key leaves state/_site, the key file and the keys
 *     gates verify with; a schema-1 database's secrets move to the key file at start.
 */
#define _GNU_SOURCE /* memmem */

#include <check.h>
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "coordinator/keyfile.h"
#include "coordinator/store.h"
#include "support/tutil.h"
#include "support/vqsite.h"

#define WAIT_MS 5000
#define CYCLES  40

static char *dir; /* per test */

static void unit_setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	dir = tu_tempdir("keys");
	ck_assert_ptr_nonnull(dir);
}

static void unit_teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	dir = NULL;
}

static const char *in_dir(const char *name)
{
	static char path[4][1024];
	static int next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", dir, name);
	return p;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* --- the key file --------------------------------------------------------------------- */

START_TEST(test_keyfile_roundtrip)
{
	char path[1024];
	snprintf(path, sizeof path, "%s", in_dir("vqd.keys"));
	char err[512];
	vq_keyfile *kf = NULL;
	ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_OK);
	ck_assert(!vq_keyfile_exists(kf));
	ck_assert_int_eq(vq_keyfile_count(kf), 0);
	ck_assert_ptr_null(vq_keyfile_get(kf, 1));
	ck_assert_int_eq(access(path, F_OK), -1); /* nothing written until a key comes */

	uint8_t pk[3][32], sk[3][64];
	for (int i = 0; i < 3; i++)
		crypto_sign_keypair(pk[i], sk[i]);
	ck_assert_int_eq(vq_keyfile_put(kf, 1, sk[0], err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_put(kf, 255, sk[1], err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_put(kf, 0, sk[2], err, sizeof err), VQ_OK);
	ck_assert(vq_keyfile_exists(kf));
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(access(in_dir("vqd.keys.tmp"), F_OK), -1);
	/* replaced, removed, removed again */
	ck_assert_int_eq(vq_keyfile_put(kf, 1, sk[1], err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_remove(kf, 255, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_remove(kf, 255, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_count(kf), 2);
	vq_keyfile_free(kf);

	kf = NULL;
	ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_OK);
	ck_assert(vq_keyfile_exists(kf));
	ck_assert_int_eq(vq_keyfile_count(kf), 2);
	ck_assert_mem_eq(vq_keyfile_get(kf, 1), sk[1], 64);
	ck_assert_mem_eq(vq_keyfile_get(kf, 0), sk[2], 64);
	ck_assert_ptr_null(vq_keyfile_get(kf, 255));

	/* a write that cannot happen changes neither the file nor the keys in memory */
	char *before = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(before);
	vq_keyfile *lost = NULL;
	char gone[1100];
	snprintf(gone, sizeof gone, "%s/no-such-folder/vqd.keys", dir);
	ck_assert_int_eq(vq_keyfile_open(gone, &lost, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_put(lost, 3, sk[0], err, sizeof err), VQ_ESTORE);
	ck_assert_msg(strstr(err, "no-such-folder"), "%s", err);
	ck_assert_ptr_null(vq_keyfile_get(lost, 3));
	ck_assert(!vq_keyfile_exists(lost));
	vq_keyfile_free(lost);
	char *after = tu_read_file(path, NULL);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	vq_keyfile_free(kf);
	vq_keyfile_free(NULL);
}
END_TEST

START_TEST(test_keyfile_refused)
{
	char path[1024];
	snprintf(path, sizeof path, "%s", in_dir("vqd.keys"));
	char err[512];
	vq_keyfile *kf = NULL;
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_OK);
	ck_assert_int_eq(vq_keyfile_put(kf, 4, sk, err, sizeof err), VQ_OK);
	vq_keyfile_free(kf);

	/* readable by others: refused, saying what to do */
	static const mode_t bad_modes[] = {0644, 0640, 0604, 0660, 0602};
	for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
		ck_assert_int_eq(chmod(path, bad_modes[i]), 0);
		kf = NULL;
		ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_EDENIED);
		ck_assert_ptr_null(kf);
		char want[32];
		snprintf(want, sizeof want, "mode %04o", (unsigned)bad_modes[i]);
		ck_assert_msg(strstr(err, want) && strstr(err, "chmod 600") && strstr(err, path),
		              "%s", err);
	}
	ck_assert_int_eq(chmod(path, 0400), 0); /* read-only for its owner is fine */
	ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_OK);
	vq_keyfile_free(kf);
	ck_assert_int_eq(chmod(path, 0600), 0);
	/* another user's file (only root can make one here) */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 12345, (gid_t)-1), 0);
		ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_EDENIED);
		ck_assert_msg(strstr(err, "belongs to uid 12345"), "%s", err);
		ck_assert_int_eq(chown(path, 0, (gid_t)-1), 0);
	}
	/* a symbolic link, a folder */
	ck_assert_int_eq(symlink(path, in_dir("link.keys")), 0);
	ck_assert_int_eq(vq_keyfile_open(in_dir("link.keys"), &kf, err, sizeof err), VQ_EDENIED);
	ck_assert_msg(strstr(err, "symbolic link"), "%s", err);
	ck_assert_int_eq(mkdir(in_dir("folder.keys"), 0700), 0);
	ck_assert_int_eq(vq_keyfile_open(in_dir("folder.keys"), &kf, err, sizeof err), VQ_EDENIED);
	ck_assert_msg(strstr(err, "not a regular file"), "%s", err);

	/* text that is not a key file, each with the line that is wrong */
	char hex[129];
	sodium_bin2hex(hex, sizeof hex, sk, 64);
	/* "H" stands for the secret's 128 hex digits, "h" for all but the last */
	static const struct {
		const char *tmpl, *want;
	} bad[] = {
	    {"", "empty"},
	    {"# only a comment\n", "empty"},
	    {"vq-keys 2\n", "line 1: expected 'vq-keys 1'"},
	    {"1 H\n", "line 1: expected 'vq-keys 1'"},
	    {"vq-keys 1\n\n1  H\n", "line 3: expected '<kid 0..255> <128 hex digits>'"},
	    {"vq-keys 1\n256 H\n", "line 2: expected"},
	    {"vq-keys 1\n01 H\n", "line 2: expected"},
	    {"vq-keys 1\n-1 H\n", "line 2: expected"},
	    {"vq-keys 1\n1 h\n", "line 2: expected"},
	    {"vq-keys 1\n1 Ha\n", "line 2: expected"},
	    {"vq-keys 1\n1 hz\n", "line 2: expected"},
	    {"vq-keys 1\n# a comment\n7 H\n7 H\n", "line 4: kid 7 again"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[1024];
		size_t n = 0;
		for (const char *p = bad[i].tmpl; *p; p++) {
			if (*p == 'H' || *p == 'h') {
				size_t len = *p == 'H' ? 128 : 127;
				memcpy(text + n, hex, len);
				n += len;
			} else {
				text[n++] = *p;
			}
		}
		text[n] = '\0';
		write_text(path, text, 0600);
		kf = NULL;
		ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_ECONFIG);
		ck_assert_msg(strstr(err, bad[i].want), "case %zu: %s", i, err);
	}
	/* CRLF line ends and comments are fine */
	char text[1024];
	snprintf(text, sizeof text, "# vq\r\nvq-keys 1\r\n9 %s\r\n", hex);
	write_text(path, text, 0600);
	ck_assert_int_eq(vq_keyfile_open(path, &kf, err, sizeof err), VQ_OK);
	ck_assert_mem_eq(vq_keyfile_get(kf, 9), sk, 64);
	vq_keyfile_free(kf);
}
END_TEST

/* --- schema 1 in the store ------------------------------------------------------------ */

/* Makes path a database of schema 1 (vq's first schema: secrets in keys.sk) holding the
 * given keys, kid i+1, the last one active. */
static void make_v1(const char *path, int n, uint8_t pk[][32], uint8_t sk[][64])
{
	vq_store *st = NULL;
	char err[256];
	ck_assert_msg(vq_store_open(path, NULL, NULL, &st, err, sizeof err) == VQ_OK, "%s", err);
	vq_store_close(st);
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	int rc =
	    sqlite3_exec(db,
	                 "ALTER TABLE tickets DROP COLUMN kind;"
	                 "ALTER TABLE tickets DROP COLUMN issued_by;"
	                 "ALTER TABLE requests DROP COLUMN digest;"
	                 "DROP TABLE legacy_secrets; DROP TABLE keys;"
	                 "CREATE TABLE keys ("
	                 " kid INTEGER PRIMARY KEY CHECK (kid BETWEEN 0 AND 255),"
	                 " pk BLOB NOT NULL CHECK (length(pk) = 32),"
	                 " sk BLOB NOT NULL CHECK (length(sk) = 64),"
	                 " active INTEGER NOT NULL CHECK (active IN (0, 1)),"
	                 " created INTEGER NOT NULL) STRICT;"
	                 "CREATE UNIQUE INDEX keys_one_active ON keys (active) WHERE active = 1;"
	                 "PRAGMA user_version = 1;",
	                 NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "downgrade: %s", msg ? msg : "?");
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *s = NULL;
		ck_assert_int_eq(
		    sqlite3_prepare_v2(db,
		                       "INSERT INTO keys (kid, pk, sk, active, created)"
		                       " VALUES (?1, ?2, ?3, ?4, ?5)",
		                       -1, &s, NULL),
		    SQLITE_OK);
		sqlite3_bind_int(s, 1, i + 1);
		sqlite3_bind_blob(s, 2, pk[i], 32, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, sk[i], 64, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, i == n - 1);
		sqlite3_bind_int64(s, 5, 1000 + i * 100);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	ck_assert_int_eq(sqlite3_exec(db,
	                              "INSERT INTO requests (rid, kind, reply, at) VALUES "
	                              "('kiosk-1/r', 'issue', X'7b7d', 1)",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
}

/* Does any of the files hold a secret's seed, raw or as hex? (The other half of libsodium's
 * secret key is the public key, which belongs in the database.) */
static const char *holds_secret(const char *db_path, const uint8_t sk[64])
{
	static const char *const ext[] = {"", "-wal"};
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, sk, 32);
	for (size_t e = 0; e < 2; e++) {
		char path[1100];
		snprintf(path, sizeof path, "%s%s", db_path, ext[e]);
		size_t len = 0;
		char *bytes = tu_read_file(path, &len);
		if (!bytes)
			continue;
		int found = memmem(bytes, len, sk, 32) || memmem(bytes, len, hex, 64);
		free(bytes);
		if (found)
			return ext[e][0] ? "the WAL" : "the database";
	}
	return NULL;
}

START_TEST(test_store_legacy_secrets)
{
	const char *path = in_dir("v1.db");
	uint8_t pk[2][32], sk[2][64];
	for (int i = 0; i < 2; i++)
		crypto_sign_keypair(pk[i], sk[i]);
	make_v1(path, 2, pk, sk);
	ck_assert_ptr_nonnull(holds_secret(path, sk[0])); /* the scan finds what is there */

	vq_store *st = NULL;
	char err[256];
	ck_assert_msg(vq_store_open(path, NULL, NULL, &st, err, sizeof err) == VQ_OK, "%s", err);
	int v = 0;
	ck_assert_int_eq(vq_store_schema_version(st, &v), VQ_OK);
	ck_assert_int_eq(v, VQ_STORE_SCHEMA_VERSION);
	/* the public halves and their history are kept */
	vq_store_key k;
	ck_assert_int_eq(vq_store_get_key(st, 1, &k), VQ_OK);
	ck_assert_mem_eq(k.pk, pk[0], 32);
	ck_assert_int_eq(k.active, 0);
	ck_assert_int_eq(k.created, 1000);
	ck_assert_int_eq(k.deactivated, 1100); /* when key 2 was made */
	ck_assert_int_eq(vq_store_get_key(st, 2, &k), VQ_OK);
	ck_assert_int_eq(k.active, 1);
	ck_assert_int_eq(k.deactivated, 0);
	/* an old reply is still answered, for its verb */
	char *reply = NULL;
	static const uint8_t dg[VQ_STORE_DIGEST_LEN] = {7};
	ck_assert_int_eq(vq_store_get_request(st, "kiosk-1/r", "issue", dg, &reply, NULL), VQ_OK);
	free(reply);
	/* the secrets wait for vqd */
	uint8_t kids[256];
	uint8_t(*got)[64] = malloc(256 * 64);
	ck_assert_ptr_nonnull(got);
	int n = 0;
	ck_assert_int_eq(vq_store_legacy_secrets(st, kids, got, &n), VQ_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(kids[0], 1);
	ck_assert_mem_eq(got[0], sk[0], 64);
	ck_assert_int_eq(kids[1], 2);
	ck_assert_mem_eq(got[1], sk[1], 64);
	/* not inside a transaction (the checkpoint could not finish) */
	ck_assert_int_eq(vq_store_begin(st), VQ_OK);
	ck_assert_int_eq(vq_store_forget_legacy_secrets(st), VQ_EINVAL);
	ck_assert_int_eq(vq_store_rollback(st), VQ_OK);
	ck_assert_int_eq(vq_store_forget_legacy_secrets(st), VQ_OK);
	ck_assert_int_eq(vq_store_legacy_secrets(st, kids, got, &n), VQ_OK);
	ck_assert_int_eq(n, 0);
	/* neither the database nor its WAL holds a byte of them, even with the store open */
	for (int i = 0; i < 2; i++) {
		const char *where = holds_secret(path, sk[i]);
		ck_assert_msg(where == NULL, "secret %d still in %s", i + 1, where);
	}
	vq_store_close(st);
	for (int i = 0; i < 2; i++)
		ck_assert_ptr_null(holds_secret(path, sk[i]));
	free(got);
}
END_TEST

/* --- vqd end to end ------------------------------------------------------------------- */

static vqs_site *site;

#define CHECK(cond, ...) VQS_CHECK(site, cond, __VA_ARGS__)

static void suite_setup(void)
{
	tu_scratch_begin("keys-tests");
}

static void suite_teardown(void)
{
	tu_scratch_end();
}

static void e2e_setup(void)
{
	ck_assert_int_ge(sodium_init(), 0);
	site = NULL;
}

static void e2e_teardown(void)
{
	vqs_free(site);
	site = NULL;
}

static void up(const vqs_opts *o)
{
	int rc = vqs_start(o, &site);
	ck_assert_msg(rc == VQ_OK, "site did not start: %s", vq_strerror(rc));
}

__attribute__((format(printf, 3, 4))) static cJSON *call(vq_bus *b, const char *svc,
                                                         const char *fmt, ...)
{
	char body[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	cJSON *reply = NULL;
	int rc = vqs_call(b, svc, body, (size_t)n, WAIT_MS, &reply, NULL, NULL);
	CHECK(rc == VQ_OK, "%s: %s -> %s", svc, body, vq_strerror(rc));
	return reply;
}

static const char *key_path(void)
{
	static char p[1100];
	snprintf(p, sizeof p, "%s.keys", vqs_db_path(site));
	return p;
}

/* The key file as a test reads it: kid -> secret. */
typedef struct secrets {
	int n;
	int kid[256];
	uint8_t sk[256][64];
} secrets;

static void read_keys(secrets *s)
{
	memset(s, 0, sizeof *s);
	char *text = tu_read_file(key_path(), NULL);
	CHECK(text != NULL, "no key file at %s", key_path());
	char *save = NULL;
	for (char *line = strtok_r(text, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		int kid;
		char hex[200];
		if (line[0] == '#' || sscanf(line, "%d %199s", &kid, hex) != 2)
			continue;
		size_t got = 0;
		CHECK(sodium_hex2bin(s->sk[s->n], 64, hex, strlen(hex), NULL, &got, NULL) == 0 &&
		          got == 64,
		      "key file line: %s", line);
		s->kid[s->n++] = kid;
	}
	free(text);
}

static const uint8_t *secret_of(const secrets *s, int kid)
{
	for (int i = 0; i < s->n; i++)
		if (s->kid[i] == kid)
			return s->sk[i];
	return NULL;
}

/* No secret of the key file in the database or its WAL. */
static void db_holds_no_secret(const char *when)
{
	secrets s;
	read_keys(&s);
	CHECK(s.n > 0, "%s: an empty key file", when);
	for (int i = 0; i < s.n; i++) {
		const char *where = holds_secret(vqs_db_path(site), s.sk[i]);
		CHECK(where == NULL, "%s: the secret of key %d is in %s", when, s.kid[i], where);
	}
}

static bool has_kid(const vq_keyring *r, int kid)
{
	for (int i = 0; i < r->count; i++)
		if (r->keys[i].kid == kid)
			return true;
	return false;
}

/* Waits until state/_site's ring is exactly as wanted (has/lacks kid, count). */
static void ring_becomes(int kid, bool has, int count, vq_keyring *ring)
{
	long long tries = WAIT_MS / 50;
	do {
		CHECK(vqs_keyring(site, ring, WAIT_MS) == VQ_OK, "state/_site keys");
		if (has_kid(ring, kid) == has && (count < 0 || ring->count == count))
			return;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	} while (--tries > 0);
	CHECK(false, "state/_site: %d keys, kid %d %s", ring->count, kid,
	      has ? "missing" : "still there");
}

START_TEST(test_key_file_made)
{
	up(NULL);
	struct stat sb;
	CHECK(stat(key_path(), &sb) == 0 && (sb.st_mode & 07777) == 0600, "key file %s: mode %o",
	      key_path(), (unsigned)(sb.st_mode & 07777));
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK && ring.count == 1, "one key");
	secrets s;
	read_keys(&s);
	const uint8_t *sk = secret_of(&s, ring.keys[0].kid);
	CHECK(s.n == 1 && sk, "the key file holds the active key's secret");
	uint8_t pk[32];
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	CHECK(memcmp(pk, ring.keys[0].pk, 32) == 0, "the secret is the published key's");
	db_holds_no_secret("after the first start");

	vq_bus *ops = vqs_bus(site, "ops-1", NULL), *kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(ops && kiosk, "buses");
	cJSON *r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"mk-rot\",\"cmd\":\"keys_rotate\"}");
	int64_t kid = 0;
	CHECK(vqs_ok(r) && vqs_int(r, "kid", &kid), "rotate: %s", vqs_js(r));
	cJSON_Delete(r);
	read_keys(&s);
	CHECK(s.n == 2 && secret_of(&s, (int)kid), "the new secret is in the key file");
	db_holds_no_secret("after a rotation");
	ring_becomes((int)kid, true, 2, &ring);
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"mk-i\",\"attraction\":\"coaster\","
	         "\"party\":1}");
	const char *code = vqs_str(r, "ticket.code");
	vq_claims c;
	CHECK(code && vq_code_verify(code, strlen(code), &ring, &c) == VQ_OK && c.kid == kid,
	      "signed with the new key: %s", vqs_js(r));
	cJSON_Delete(r);
	/* and after a restart too */
	CHECK(vqs_vqd_restart(site) == VQ_OK, "restart");
	db_holds_no_secret("after a restart");
	vq_bus_free(kiosk);
	vq_bus_free(ops);
}
END_TEST

START_TEST(test_key_file_checked)
{
	up(NULL);
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk, "bus");
	cJSON *t = call(kiosk, "svc/issue",
	                "{\"v\":1,\"rid\":\"ck-1\",\"attraction\":\"coaster\","
	                "\"party\":1}");
	CHECK(vqs_ok(t), "issue: %s", vqs_js(t));
	vq_bus_free(kiosk);
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "stop");

	/* readable by others: vqd will not start, and says why */
	CHECK(chmod(key_path(), 0644) == 0, "chmod");
	CHECK(vqs_vqd_start(site) != VQ_OK, "vqd started with a key file others can read");
	char *log = tu_read_file(vqs_log_path(site), NULL);
	CHECK(log && strstr(log, "mode 0644") && strstr(log, "chmod 600") &&
	          strstr(log, key_path()),
	      "vqd's message: %s", log ? log : "");
	free(log);
	CHECK(vqs_vqd_last_status(site) != 0, "exit status 0");
	CHECK(chmod(key_path(), 0600) == 0, "chmod");
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd with the key file put right");
	CHECK(vqs_vqd_stop(site, NULL) == VQ_OK, "stop");

	/* lost: vqd will not sign with a key it does not have, and says what to do */
	char moved[1200];
	snprintf(moved, sizeof moved, "%s.lost", key_path());
	CHECK(rename(key_path(), moved) == 0, "rename");
	CHECK(vqs_vqd_start(site) != VQ_OK, "vqd started without its key file");
	log = tu_read_file(vqs_log_path(site), NULL);
	CHECK(log && strstr(log, "holds no secret for the active signing key") &&
	          strstr(log, "--new-signing-key"),
	      "vqd's message: %s", log ? log : "");
	free(log);
	/* --new-signing-key: a new key; tickets already issued keep verifying */
	char clock[32];
	snprintf(clock, sizeof clock, "%lld", VQS_CLOCK_START);
	const char *args[] = {
	    "--config", vqs_config_path(site), "--db",     vqs_db_path(site), "--clock-start",
	    clock,      "--new-signing-key",   "--broker", "127.0.0.1:1",     NULL};
	int status = 0;
	vqs_vqd_run(site, args, 2000, &status);
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd after --new-signing-key");
	vq_keyring ring;
	ring_becomes(2, true, 2, &ring);
	vq_bus *gate = vqs_bus(site, "gate-1", NULL);
	CHECK(gate, "bus");
	cJSON *r = call(gate, "svc/redeem",
	                "{\"v\":1,\"rid\":\"ck-r\",\"code\":\"%s\",\"attraction\":\"coaster\"}",
	                vqs_str(t, "ticket.code"));
	CHECK(vqs_ok(r), "a ticket of the lost key's time: %s", vqs_js(r));
	cJSON_Delete(r);
	cJSON_Delete(t);
	vq_bus_free(gate);
}
END_TEST

START_TEST(test_rotate_retire_cycles)
{
	up(NULL);
	vq_bus *ops = vqs_bus(site, "ops-1", NULL), *kiosk = vqs_bus(site, "kiosk-1", NULL),
	       *gate = vqs_bus(site, "gate-1", NULL);
	CHECK(ops && kiosk && gate, "buses");
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK && ring.count == 1, "one key");
	int active = ring.keys[0].kid;
	for (int i = 0; i < CYCLES; i++) {
		cJSON *r = call(ops, "svc/ops",
		                "{\"v\":1,\"rid\":\"cy-rot-%d\",\"cmd\":"
		                "\"keys_rotate\"}",
		                i);
		int64_t kid = -1;
		CHECK(vqs_ok(r) && vqs_int(r, "kid", &kid), "rotation %d: %s", i + 1, vqs_js(r));
		cJSON_Delete(r);
		r = call(ops, "svc/ops",
		         "{\"v\":1,\"rid\":\"cy-ret-%d\",\"cmd\":\"keys_retire\","
		         "\"kid\":%d}",
		         i, active);
		CHECK(vqs_ok(r), "retiring key %d after rotation %d: %s", active, i + 1, vqs_js(r));
		cJSON_Delete(r);
		active = (int)kid;
	}
	ring_becomes(active, true, 1, &ring);
	cJSON *r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"cy-keys\",\"cmd\":\"keys\"}");
	CHECK(cJSON_GetArraySize(vqs_get(r, "keys")) == 1 &&
	          cJSON_IsTrue(vqs_get(r, "keys.0.active")),
	      "keys: %s", vqs_js(r));
	cJSON_Delete(r);
	secrets s;
	read_keys(&s);
	CHECK(s.n == 1 && secret_of(&s, active), "the key file holds the active key alone (%d)",
	      s.n);
	/* and the ring still works as on day one */
	r = call(kiosk, "svc/issue",
	         "{\"v\":1,\"rid\":\"cy-i\",\"attraction\":\"coaster\","
	         "\"party\":1}");
	const char *code = vqs_str(r, "ticket.code");
	vq_claims c;
	CHECK(code && vq_code_verify(code, strlen(code), &ring, &c) == VQ_OK && c.kid == active,
	      "a ticket after %d cycles: %s", CYCLES, vqs_js(r));
	cJSON *a =
	    call(gate, "svc/redeem",
	         "{\"v\":1,\"rid\":\"cy-r\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	CHECK(vqs_ok(a), "redeem: %s", vqs_js(a));
	cJSON_Delete(a);
	cJSON_Delete(r);
	db_holds_no_secret("after the cycles");
	vq_bus_free(gate);
	vq_bus_free(kiosk);
	vq_bus_free(ops);
}
END_TEST

START_TEST(test_retire_refused_then_forced)
{
	up(NULL);
	vq_bus *ops = vqs_bus(site, "ops-1", NULL), *kiosk = vqs_bus(site, "kiosk-1", NULL),
	       *gate = vqs_bus(site, "gate-1", NULL);
	CHECK(ops && kiosk && gate, "buses");
	vq_keyring ring;
	CHECK(vqs_keyring(site, &ring, WAIT_MS) == VQ_OK && ring.count == 1, "one key");
	int old = ring.keys[0].kid;
	cJSON *t = call(kiosk, "svc/issue",
	                "{\"v\":1,\"rid\":\"rf-t\",\"card\":\"rf-card\","
	                "\"attraction\":\"coaster\",\"party\":1}");
	CHECK(vqs_ok(t), "issue: %s", vqs_js(t));
	const char *code = vqs_str(t, "ticket.code");

	/* the active key: rotate first */
	cJSON *r = call(ops, "svc/ops",
	                "{\"v\":1,\"rid\":\"rf-0\",\"cmd\":\"keys_retire\",\"kid\":%d}", old);
	CHECK(!vqs_ok(r) && !strcmp(vqs_errcode(r), "invalid") &&
	          strstr(vqs_str(r, "error.message"), "active"),
	      "retiring the active key: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"rf-rot\",\"cmd\":\"keys_rotate\"}");
	int64_t kid = 0;
	CHECK(vqs_ok(r) && vqs_int(r, "kid", &kid), "rotate: %s", vqs_js(r));
	cJSON_Delete(r);
	/* a key that is not there; a kid out of range; force of the wrong type */
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"rf-1\",\"cmd\":\"keys_retire\",\"kid\":99}");
	CHECK(!strcmp(vqs_errcode(r), "unknown_key"), "kid 99: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"rf-2\",\"cmd\":\"keys_retire\",\"kid\":256}");
	CHECK(!strcmp(vqs_errcode(r), "invalid") && strstr(vqs_str(r, "error.message"), "kid"),
	      "kid 256: %s", vqs_js(r));
	cJSON_Delete(r);
	r = call(ops, "svc/ops",
	         "{\"v\":1,\"rid\":\"rf-3\",\"cmd\":\"keys_retire\",\"kid\":%d,"
	         "\"force\":1}",
	         old);
	CHECK(!strcmp(vqs_errcode(r), "bad_request") &&
	          strstr(vqs_str(r, "error.message"), "force"),
	      "force 1: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the old key may still be on an unexpired ticket: refused, saying how many */
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"rf-4\",\"cmd\":\"keys_retire\",\"kid\":%d}",
	         old);
	int64_t n = 0;
	CHECK(!strcmp(vqs_errcode(r), "invalid") && vqs_int(r, "error.tickets", &n) && n == 1,
	      "retiring a key a ticket carries: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the same through vqctl (as ops-1 too: our connection makes way, one per account) */
	vq_bus_free(ops);
	char kidtext[8];
	snprintf(kidtext, sizeof kidtext, "%d", old);
	const char *args[] = {"keys", "retire", kidtext, NULL};
	int status = -1;
	char *out = NULL;
	CHECK(vqs_vqctl(site, "ops-1", args, 20000, &status, &out) == VQ_OK, "vqctl");
	CHECK(status == 1 && out && strstr(out, "vqctl: invalid: 1 unexpired ticket"),
	      "vqctl keys retire: %d %s", status, out ? out : "");
	free(out);
	/* forced: gates no longer accept the old key */
	const char *fargs[] = {"keys", "retire", kidtext, "--force", NULL};
	CHECK(vqs_vqctl(site, "ops-1", fargs, 20000, &status, &out) == VQ_OK, "vqctl");
	CHECK(status == 0 && out && strstr(out, "retired") && strstr(out, "1 unexpired ticket"),
	      "vqctl keys retire --force: %d %s", status, out ? out : "");
	free(out);
	ops = vqs_bus(site, "ops-1", NULL);
	CHECK(ops, "ops bus");
	ring_becomes(old, false, 1, &ring);
	secrets s;
	read_keys(&s);
	CHECK(!secret_of(&s, old) && secret_of(&s, (int)kid), "the old secret left the key file");
	r = call(gate, "svc/redeem",
	         "{\"v\":1,\"rid\":\"rf-r\",\"code\":\"%s\",\"attraction\":\"coaster\"}", code);
	CHECK(!strcmp(vqs_errcode(r), "unknown_key"), "the old key's code: %s", vqs_js(r));
	cJSON_Delete(r);
	/* the guest's ticket is not lost: the kiosk shows it again under the new key */
	r = call(kiosk, "svc/identify", "{\"v\":1,\"rid\":\"rf-id\",\"card\":\"rf-card\"}");
	const char *again = vqs_str(r, "held.0.code");
	vq_claims c;
	CHECK(again && vq_code_verify(again, strlen(again), &ring, &c) == VQ_OK && c.kid == kid,
	      "the ticket shown again: %s", vqs_js(r));
	cJSON *a =
	    call(gate, "svc/redeem",
	         "{\"v\":1,\"rid\":\"rf-r2\",\"code\":\"%s\",\"attraction\":\"coaster\"}", again);
	CHECK(vqs_ok(a), "its new code: %s", vqs_js(a));
	cJSON_Delete(a);
	cJSON_Delete(r);
	/* retired once */
	r = call(ops, "svc/ops", "{\"v\":1,\"rid\":\"rf-5\",\"cmd\":\"keys_retire\",\"kid\":%d}",
	         old);
	CHECK(!strcmp(vqs_errcode(r), "unknown_key"), "retired twice: %s", vqs_js(r));
	cJSON_Delete(r);
	int64_t audits = 0;
	CHECK(vqs_db_int(site, "SELECT count(*) FROM audit WHERE action = 'keys_retire'",
	                 &audits) == VQ_OK &&
	          audits == 1,
	      "%lld retirements audited", (long long)audits);
	cJSON_Delete(t);
	vq_bus_free(gate);
	vq_bus_free(kiosk);
	vq_bus_free(ops);
}
END_TEST

START_TEST(test_migrate_v1)
{
	vqs_opts o = {.no_vqd = true};
	up(&o);
	uint8_t pk[2][32], sk[2][64];
	for (int i = 0; i < 2; i++)
		crypto_sign_keypair(pk[i], sk[i]);
	make_v1(vqs_db_path(site), 2, pk, sk);
	CHECK(vqs_vqd_start(site) == VQ_OK, "vqd on a schema-1 database");
	char *log = tu_read_file(vqs_log_path(site), NULL);
	CHECK(log && strstr(log, "moved 2 signing secrets from the database to the key file"),
	      "vqd's log: %s", log ? log : "");
	free(log);
	secrets s;
	read_keys(&s);
	CHECK(s.n == 2 && secret_of(&s, 1) && !memcmp(secret_of(&s, 1), sk[0], 64) &&
	          secret_of(&s, 2) && !memcmp(secret_of(&s, 2), sk[1], 64),
	      "the key file holds both secrets (%d)", s.n);
	struct stat sb;
	CHECK(stat(key_path(), &sb) == 0 && (sb.st_mode & 07777) == 0600, "mode");
	for (int i = 0; i < 2; i++) {
		const char *where = holds_secret(vqs_db_path(site), sk[i]);
		CHECK(where == NULL, "secret %d still in %s", i + 1, where);
	}
	/* vqd signs with the database's active key, as before */
	vq_bus *kiosk = vqs_bus(site, "kiosk-1", NULL);
	CHECK(kiosk, "bus");
	cJSON *r = call(kiosk, "svc/issue",
	                "{\"v\":1,\"rid\":\"mv-i\",\"attraction\":\"coaster\","
	                "\"party\":1}");
	vq_keyring ring = {.count = 1};
	ring.keys[0].kid = 2;
	memcpy(ring.keys[0].pk, pk[1], 32);
	const char *code = vqs_str(r, "ticket.code");
	vq_claims c;
	CHECK(code && vq_code_verify(code, strlen(code), &ring, &c) == VQ_OK,
	      "signed with the migrated key: %s", vqs_js(r));
	cJSON_Delete(r);
	vq_bus_free(kiosk);
	/* and a restart finds nothing more to move */
	CHECK(vqs_vqd_restart(site) == VQ_OK, "restart");
	db_holds_no_secret("after the restart");
}
END_TEST

static Suite *keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tu = tcase_create("file");
	tcase_add_checked_fixture(tu, unit_setup, unit_teardown);
	tcase_add_test(tu, test_keyfile_roundtrip);
	tcase_add_test(tu, test_keyfile_refused);
	tcase_add_test(tu, test_store_legacy_secrets);
	suite_add_tcase(s, tu);
	TCase *te = tcase_create("site");
	tcase_add_unchecked_fixture(te, suite_setup, suite_teardown);
	tcase_add_checked_fixture(te, e2e_setup, e2e_teardown);
	tcase_set_timeout(te, 90);
	tcase_add_test(te, test_key_file_made);
	tcase_add_test(te, test_key_file_checked);
	tcase_add_test(te, test_rotate_retire_cycles);
	tcase_add_test(te, test_retire_refused_then_forced);
	tcase_add_test(te, test_migrate_v1);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(keys_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
