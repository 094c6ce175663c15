/* tests/support/vqsite.c — see vqsite.h. Owns a test site's folder, its broker, its vqd
 * child process and the harness's own "watch" bus.
 *
 * Invariants: s->vqd_pid > 0 exactly while a vqd child we have not reaped exists;
 * between fork and exec a child calls only async-signal-safe functions (the test
 * process has bus threads); only the thread that made the site touches the watch bus,
 * so presence messages are seen in the order the broker sent them, none skipped.
 */
#include "support/vqsite.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "bus/busopt.h"
#include "support/tutil.h"

#define START_MS     15000 /* vqd under ASan on a slow machine, first db */
#define STOP_MS      10000
#define WILL_MS      3000
#define RECONNECT_MS 20000 /* vqd's own backoff may reach several seconds */
#define CONNECT_MS   5000
#define ACCOUNTS_MS  30000
#define RID_MAX      64

struct vqs_site {
	char *dir;
	char site[32]; /* its id: opts.site, or VQS_SITE */
	vq_test_broker *broker;
	vq_test_broker *web;  /* the phones' broker, bridged to ours (opts->web) */
	vq_test_broker *peer; /* the site's second broker, bridged to ours (opts->peer) */
	vq_bus *watch;
	char devices[1024], config[1024], db[1024], log[1024], creds[1024], acclog[1024];
	char tls_dir[1024]; /* "" unless the site runs the production TLS config */
	char exe[1024];
	char clock_start[32], clock_speed[32], log_level[16];
	char **extra; /* NULL-terminated copies of opts->args */
	pid_t vqd_pid;
	int last_status;
	bool log_dumped;
	cJSON *site_state; /* latest state/_site */
};

static const char DEVICES[] = "# written by tests/support/vqsite.c\n"
                              "vqd      coordinator\n"
                              "kiosk-1  kiosk\n"
                              "kiosk-2  kiosk\n"
                              "gate-1   gate\n"
                              "gate-2   gate\n"
                              "board-1  display\n"
                              "ops-1    operator\n"
                              "ops-2    operator\n"
                              "web-1    web\n"
                              "web-2    web\n"
                              "vqd-2    coordinator\n"
                              "peer     peer\n"
                              "watch    display\n";

static const char DEFAULT_CONFIG[] =
    "{\"version\":1,\"id\":\"" VQS_SITE "\",\"name\":\"Test Park\",\"timezone\":\"UTC\","
    "\"languages\":[\"en\"],\"min_lead_min\":0,\"unknown_cards\":\"standard\","
    "\"tiers\":["
    "{\"id\":\"standard\",\"names\":{\"en\":\"Standard\"},\"protect_pct\":0,"
    "\"release_min\":60,\"max_passes\":2,\"horizon_min\":720,\"late_grace_min\":0},"
    "{\"id\":\"gold\",\"names\":{\"en\":\"Gold\"},\"protect_pct\":20,"
    "\"release_min\":30,\"max_passes\":3,\"horizon_min\":720,\"late_grace_min\":10}],"
    "\"attractions\":["
    "{\"id\":\"coaster\",\"prefix\":\"C\",\"kind\":\"ride\",\"names\":{\"en\":\"Coaster\"},"
    "\"throughput_per_hour\":6000,\"fast_share_pct\":50,\"slot_min\":15,\"window_min\":60,"
    "\"open\":\"09:00\",\"close\":\"21:00\",\"early_grace_min\":30,\"late_grace_min\":10,"
    "\"max_party\":8,\"standby_min\":35},"
    "{\"id\":\"flume\",\"prefix\":\"L\",\"kind\":\"ride\",\"names\":{\"en\":\"Flume\"},"
    "\"throughput_per_hour\":900,\"fast_share_pct\":30,\"slot_min\":10,\"window_min\":45,"
    "\"open\":\"09:00\",\"close\":\"19:00\",\"early_grace_min\":30,\"late_grace_min\":10,"
    "\"max_party\":6,\"standby_min\":25},"
    "{\"id\":\"tiny\",\"prefix\":\"T\",\"kind\":\"service\",\"names\":{\"en\":\"Tiny\"},"
    "\"throughput_per_hour\":4,\"fast_share_pct\":100,\"slot_min\":60,\"window_min\":60,"
    "\"open\":\"09:00\",\"close\":\"12:00\",\"max_party\":4},"
    "{\"id\":\"late\",\"prefix\":\"Z\",\"kind\":\"ride\",\"names\":{\"en\":\"Late Show\"},"
    "\"throughput_per_hour\":600,\"fast_share_pct\":50,\"slot_min\":30,\"window_min\":30,"
    "\"open\":\"14:00\",\"close\":\"16:00\",\"max_party\":4}]}";

const char *vqs_default_config(void)
{
	return DEFAULT_CONFIG;
}

char *vqs_config_with_limits(const char *limits)
{
	size_t n = strlen(DEFAULT_CONFIG), m = strlen(limits);
	char *c = malloc(n + m + 16);
	if (c)
		snprintf(c, n + m + 16, "%.*s,\"limits\":%s}", (int)(n - 1), DEFAULT_CONFIG,
		         limits);
	return c;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return VQ_EINVAL;
	size_t n = strlen(text);
	int rc = fwrite(text, 1, n, f) == n ? VQ_OK : VQ_EINVAL;
	if (fclose(f) != 0)
		rc = VQ_EINVAL;
	return rc;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Forks and execs argv with its output appended to logpath; returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *logpath)
{
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		/* SIGKILL, not SIGTERM: a vqd left behind by a dead test must not linger finishing
		 * its work against a broker that is gone too. */
		tu_exec_child(argv, parent, logfd, SIGKILL);
	close(logfd);
	return pid;
}

/* Waits for pid up to timeout_ms; then SIGKILLs it. Returns true if it exited by
 * itself; *status is its exit code (or 128 + signal). */
static bool reap(pid_t pid, int timeout_ms, int *status)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			*status = exit_code(st);
			return true;
		}
		if (r < 0 && errno != EINTR) {
			*status = -1;
			return true;
		}
		if (tu_mono_ms() >= deadline)
			break;
		tu_sleep_ms(5);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = exit_code(st);
	return false;
}

static void dump_file(const char *title, const char *path)
{
	char *text = tu_read_file(path, NULL);
	fprintf(stderr, "----- %s (%s) -----\n%s%s----- end of %s -----\n", title, path,
	        text ? text : "(no file)\n",
	        text && *text && text[strlen(text) - 1] != '\n' ? "\n" : "", title);
	free(text);
}

void vqs_dump_log(vqs_site *s, bool force)
{
	if (!s || (s->log_dumped && !force))
		return;
	s->log_dumped = true;
	dump_file("vqd log", s->log);
}

/* --- the watch bus: presence/vqd and state/_site, seen in order ------------------- */

/* Takes one message from the watch bus (waiting up to timeout_ms). Returns 1 and sets
 * *online for a presence/vqd message, 0 for anything else or nothing. state/_site is
 * kept as the latest site state. */
static int watch_step(vqs_site *s, int timeout_ms, bool *online)
{
	vq_bus_msg *m = NULL;
	size_t n = 0;
	if (vq_bus_poll(s->watch, &m, 1, &n, timeout_ms) != VQ_OK || n == 0)
		return 0;
	int got = 0;
	if (m->kind == VQ_BUS_MESSAGE) {
		cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
		if (strcmp(m->suffix, "presence/vqd") == 0) {
			const cJSON *on = j ? cJSON_GetObjectItemCaseSensitive(j, "online") : NULL;
			if (cJSON_IsBool(on)) {
				*online = cJSON_IsTrue(on);
				got = 1;
			} else {
				fprintf(stderr,
				        "vqsite: presence/vqd without a boolean online: %.*s\n",
				        (int)m->len, m->payload);
			}
		} else if (strcmp(m->suffix, "state/_site") == 0 && cJSON_IsObject(j)) {
			cJSON_Delete(s->site_state);
			s->site_state = j;
			j = NULL;
		}
		cJSON_Delete(j);
	}
	vq_bus_msg_free(m);
	return got;
}

static void watch_drain(vqs_site *s)
{
	bool on;
	vq_bus_stats st;
	for (;;) {
		vq_bus_get_stats(s->watch, &st);
		if (st.queued == 0)
			return;
		watch_step(s, 0, &on);
	}
}

int vqs_wait_presence(vqs_site *s, bool online, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	for (;;) {
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			return VQ_ETIMEOUT;
		bool on = false;
		if (watch_step(s, left > 50 ? 50 : (int)left, &on) == 1 && on == online)
			return VQ_OK;
		/* Waiting for vqd to come online: no use once it has exited. */
		if (online && s->vqd_pid > 0 && !vqs_vqd_alive(s))
			return VQ_EBUS;
	}
}

cJSON *vqs_site_state(vqs_site *s, int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	watch_drain(s);
	while (!s->site_state && tu_mono_ms() < deadline) {
		bool on;
		watch_step(s, 50, &on);
	}
	return s->site_state ? cJSON_Duplicate(s->site_state, true) : NULL;
}

/* A public key as vqd may write it: 64 hex digits, or base64 of either flavour. */
static bool decode_key(const char *text, uint8_t pk[32])
{
	size_t n = strlen(text), got = 0;
	if (n == 64 && sodium_hex2bin(pk, 32, text, n, NULL, &got, NULL) == 0 && got == 32)
		return true;
	static const int variants[] = {
	    sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
	    sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
		if (sodium_base642bin(pk, 32, text, n, NULL, &got, NULL, variants[i]) == 0 &&
		    got == 32)
			return true;
	return false;
}

int vqs_keyring(vqs_site *s, vq_keyring *ring, int timeout_ms)
{
	memset(ring, 0, sizeof *ring);
	cJSON *st = vqs_site_state(s, timeout_ms);
	if (!st) {
		fprintf(stderr, "vqsite: no state/_site within %d ms\n", timeout_ms);
		return VQ_ETIMEOUT;
	}
	int rc = VQ_EBADREQ;
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(st, "keys");
	const cJSON *k;
	cJSON_ArrayForEach(k, keys)
	{
		int64_t kid;
		const char *pk_text = vqs_str(k, "public_key");
		uint8_t pk[32];
		if (!vqs_int(k, "kid", &kid) || kid < 0 || kid > 255 || !pk_text ||
		    !decode_key(pk_text, pk)) {
			char *t = cJSON_PrintUnformatted(k);
			fprintf(stderr, "vqsite: state/_site key I cannot read: %s\n", t ? t : "?");
			free(t);
			rc = VQ_EBADREQ;
			goto out;
		}
		if (vq_keyring_add(ring, (uint8_t)kid, pk) != VQ_OK)
			goto out;
		rc = VQ_OK;
	}
	if (rc)
		fprintf(stderr, "vqsite: state/_site has no \"keys\"\n");
out:
	cJSON_Delete(st);
	return rc;
}

/* --- set-up and the vqd process -------------------------------------------------- */

static int run_accounts(vqs_site *s)
{
	char accounts[1024];
	snprintf(accounts, sizeof accounts, "%s", tu_src("broker-config/vq-accounts"));
	char *argv[] = {"/bin/sh",   accounts,   "--site",
	                s->site,     "--out",    (char *)vq_test_broker_dir(s->broker),
	                "--devices", s->devices, s->tls_dir[0] ? "--tls" : NULL,
	                NULL};
	pid_t pid = spawn(argv, s->acclog);
	if (pid < 0)
		return VQ_EBUS;
	int status;
	if (!reap(pid, ACCOUNTS_MS, &status) || status != 0) {
		fprintf(stderr, "vqsite: vq-accounts failed (%d)\n", status);
		dump_file("vq-accounts output", s->acclog);
		return VQ_EBUS;
	}
	return VQ_OK;
}

static void find_vqd(vqs_site *s)
{
	const char *env = getenv("VQ_VQD");
	const char *bin = getenv("VQ_BINARY_DIR");
	if (env && *env)
		snprintf(s->exe, sizeof s->exe, "%s", env);
	else
		snprintf(s->exe, sizeof s->exe, "%s/coordinator/vqd", bin && *bin ? bin : ".");
}

static int start_web(vqs_site *s);
static int start_peer(vqs_site *s);

int vqs_start(const vqs_opts *opts, vqs_site **out)
{
	static const vqs_opts none;
	if (!out)
		return VQ_EINVAL;
	*out = NULL;
	if (!opts)
		opts = &none;
	vqs_site *s = calloc(1, sizeof *s);
	if (!s)
		return VQ_ENOMEM;
	s->last_status = -1;
	snprintf(s->site, sizeof s->site, "%s", opts->site ? opts->site : VQS_SITE);
	int rc = VQ_EBUS;
	s->dir = tu_tempdir("site");
	if (!s->dir) {
		fprintf(stderr, "vqsite: cannot make a scratch folder\n");
		goto fail;
	}
	snprintf(s->devices, sizeof s->devices, "%s/devices.txt", s->dir);
	snprintf(s->config, sizeof s->config, "%s/site.json", s->dir);
	snprintf(s->db, sizeof s->db, "%s/vqd.db", s->dir);
	snprintf(s->log, sizeof s->log, "%s/vqd.log", s->dir);
	snprintf(s->acclog, sizeof s->acclog, "%s/accounts.log", s->dir);
	if (opts->clock_start)
		snprintf(s->clock_start, sizeof s->clock_start, "%s", opts->clock_start);
	else
		snprintf(s->clock_start, sizeof s->clock_start, "%lld", VQS_CLOCK_START);
	snprintf(s->clock_speed, sizeof s->clock_speed, "%s",
	         opts->clock_speed ? opts->clock_speed : "");
	snprintf(s->log_level, sizeof s->log_level, "%s",
	         opts->log_level ? opts->log_level : "info");
	find_vqd(s);

	size_t nextra = 0;
	while (opts->args && opts->args[nextra])
		nextra++;
	s->extra = calloc(nextra + 1, sizeof *s->extra);
	if (!s->extra) {
		rc = VQ_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < nextra; i++)
		if (!(s->extra[i] = strdup(opts->args[i]))) {
			rc = VQ_ENOMEM;
			goto fail;
		}

	if (write_file(s->devices, DEVICES) != VQ_OK ||
	    write_file(s->config, opts->config ? opts->config : DEFAULT_CONFIG) != VQ_OK) {
		fprintf(stderr, "vqsite: cannot write into %s\n", s->dir);
		goto fail;
	}
	/* Both templates read passwd, acl (and tls/) from @DIR@, the broker's own folder, so
	 * the accounts go there; the local one also says "user root" itself. */
	char tmpl[1024];
	snprintf(tmpl, sizeof tmpl, "%s",
	         tu_src(opts->tls ? "broker-config/mosquitto-production.conf.in"
	                          : "broker-config/mosquitto-local.conf.in"));
	if ((rc = vq_test_broker_new(tmpl, &s->broker)) != VQ_OK)
		goto fail;
	snprintf(s->creds, sizeof s->creds, "%s/credentials", vq_test_broker_dir(s->broker));
	if (opts->tls)
		snprintf(s->tls_dir, sizeof s->tls_dir, "%s/tls", vq_test_broker_dir(s->broker));
	if ((rc = run_accounts(s)) != VQ_OK)
		goto fail;
	if ((rc = vq_test_broker_up(s->broker)) != VQ_OK)
		goto fail;
	s->watch = vqs_bus(s, "watch", (const char *const[]){"presence/vqd", "state/_site", NULL});
	if (!s->watch) {
		rc = VQ_EBUS;
		goto fail;
	}
	if (opts->web && (rc = start_web(s)) != VQ_OK)
		goto fail;
	if (opts->peer && (rc = start_peer(s)) != VQ_OK)
		goto fail;
	if (!opts->no_vqd && (rc = vqs_vqd_start(s)) != VQ_OK)
		goto fail;
	*out = s;
	return VQ_OK;
fail:
	vqs_free(s);
	return rc;
}

void vqs_free(vqs_site *s)
{
	if (!s)
		return;
	if (s->vqd_pid > 0) {
		kill(s->vqd_pid, SIGKILL);
		int st;
		while (waitpid(s->vqd_pid, &st, 0) < 0 && errno == EINTR)
			;
		s->vqd_pid = 0;
	}
	vq_bus_free(s->watch);
	vq_test_broker_stop(s->web);
	vq_test_broker_stop(s->peer);
	vq_test_broker_stop(s->broker);
	if (s->dir) {
		if (!getenv("VQ_KEEP_BROKER_DIR"))
			tu_rmtree(s->dir);
		else
			fprintf(stderr, "vqsite: kept %s\n", s->dir);
		free(s->dir);
	}
	for (char **p = s->extra; p && *p; p++)
		free(*p);
	free(s->extra);
	cJSON_Delete(s->site_state);
	free(s);
}

/* The phones' broker from the project's template, bridged to ours as web-1; ready once
 * its bridge says it is up (web/bridge "1", which a phone may read). */
static int start_web(vqs_site *s)
{
	char password[256], role[VQ_BUS_ID_MAX], port[16], tmpl[1024];
	if (vq_busopt_credentials(s->creds, "web-1", password, sizeof password, role,
	                          sizeof role) != VQ_OK)
		return VQ_EBUS;
	snprintf(port, sizeof port, "%d", vq_test_broker_port(s->broker));
	snprintf(tmpl, sizeof tmpl, "%s", tu_src("broker-config/mosquitto-web.conf.in"));
	const char *const vars[] = {
	    "@ACCOUNTS@", vq_test_broker_dir(s->broker), "@SITE_PORT@", port,       "@SITE@",
	    s->site,      "@BRIDGE_PASSWORD@",           password,      "@BRIDGE@", "web-1",
	    NULL};
	int rc = vq_test_broker_new_vars(tmpl, vars, &s->web);
	if (rc == VQ_OK)
		rc = vq_test_broker_up(s->web);
	if (rc != VQ_OK)
		return rc;
	vq_bus *phone = vqs_phone_bus(s, "0000000000000000000000000000000f",
	                              (const char *const[]){"web/bridge", NULL});
	if (!phone)
		return VQ_EBUS;
	rc = VQ_ETIMEOUT;
	long long deadline = tu_mono_ms() + CONNECT_MS;
	while (rc != VQ_OK && tu_mono_ms() < deadline) {
		vq_bus_msg *m = NULL;
		size_t n = 0;
		vq_bus_poll(phone, &m, 1, &n, 100);
		if (n && m->kind == VQ_BUS_MESSAGE && m->len == 1 && m->payload[0] == '1')
			rc = VQ_OK;
		if (n)
			vq_bus_msg_free(m);
	}
	vq_bus_free(phone);
	if (rc != VQ_OK)
		fprintf(stderr, "vqsite: the web broker's bridge did not come up\n");
	return rc;
}

/* The site's second broker, as the project's own tool makes it: the same accounts
 * (credentials copied, so vq-accounts keeps the passwords), then `vq-accounts --port P
 * --peer <first broker>` renders mosquitto-bridged.conf, which replaces the harness's
 * conf (the same local template, plus the bridge). Ready once a retained message of the
 * first broker (the watch bus's presence) has come through the bridge. */
static int start_peer(vqs_site *s)
{
	char tmpl[1024], bport[16], peer[64], accounts[1024], creds[1100], conf[1100],
	    bridged[1100];
	snprintf(tmpl, sizeof tmpl, "%s", tu_src("broker-config/mosquitto-local.conf.in"));
	int rc = vq_test_broker_new(tmpl, &s->peer);
	if (rc != VQ_OK)
		return rc;
	const char *dir = vq_test_broker_dir(s->peer);
	snprintf(creds, sizeof creds, "%s/credentials", dir);
	snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
	snprintf(bridged, sizeof bridged, "%s/mosquitto-bridged.conf", dir);
	size_t len = 0;
	char *text = tu_read_file(s->creds, &len);
	rc = text && write_file(creds, text) == VQ_OK ? VQ_OK : VQ_EBUS;
	free(text);
	if (rc != VQ_OK)
		return rc;
	snprintf(bport, sizeof bport, "%d", vq_test_broker_port(s->peer));
	snprintf(peer, sizeof peer, "127.0.0.1:%d", vq_test_broker_port(s->broker));
	snprintf(accounts, sizeof accounts, "%s", tu_src("broker-config/vq-accounts"));
	char *argv[] = {"/bin/sh",  accounts, "--site", s->site,  "--out", (char *)dir, "--devices",
	                s->devices, "--port", bport,    "--peer", peer,    NULL};
	pid_t pid = spawn(argv, s->acclog);
	int status = -1;
	if (pid < 0 || !reap(pid, ACCOUNTS_MS, &status) || status != 0) {
		fprintf(stderr, "vqsite: vq-accounts --peer failed (%d)\n", status);
		dump_file("vq-accounts output", s->acclog);
		return VQ_EBUS;
	}
	text = tu_read_file(bridged, &len);
	rc = text && write_file(conf, text) == VQ_OK ? VQ_OK : VQ_EBUS;
	free(text);
	if (rc == VQ_OK)
		rc = vq_test_broker_up(s->peer);
	if (rc != VQ_OK)
		return rc;
	const int ports[] = {vq_test_broker_port(s->peer)};
	vq_bus *b =
	    vqs_bus_at(s, "board-1", (const char *const[]){"presence/watch", NULL}, ports, 1);
	if (!b)
		return VQ_EBUS;
	cJSON *seen = vqs_wait_json(b, "presence/watch", NULL, NULL, CONNECT_MS);
	rc = seen ? VQ_OK : VQ_ETIMEOUT;
	cJSON_Delete(seen);
	vq_bus_free(b);
	if (rc != VQ_OK)
		fprintf(stderr, "vqsite: the bridge between the two brokers did not come up\n");
	return rc;
}

void vqs_set_clock(vqs_site *s, const char *clock_start, const char *clock_speed)
{
	snprintf(s->clock_start, sizeof s->clock_start, "%s", clock_start);
	snprintf(s->clock_speed, sizeof s->clock_speed, "%s", clock_speed ? clock_speed : "");
}

int vqs_vqd_start(vqs_site *s)
{
	if (!s || s->vqd_pid > 0)
		return VQ_EINVAL;
	if (access(s->exe, X_OK) != 0) {
		fprintf(stderr, "vqsite: no vqd at %s (build it, or set VQ_VQD)\n", s->exe);
		return VQ_EBUS;
	}
	char port[32];
	snprintf(port, sizeof port, "127.0.0.1:%d", vqs_port(s));
	char *argv[64];
	int n = 0;
	argv[n++] = s->exe;
	argv[n++] = "--config";
	argv[n++] = s->config;
	argv[n++] = "--db";
	argv[n++] = s->db;
	argv[n++] = "--broker";
	argv[n++] = port;
	argv[n++] = "--site";
	argv[n++] = s->site;
	argv[n++] = "--user";
	argv[n++] = "vqd";
	argv[n++] = s->tls_dir[0] ? "--tls-dir" : "--credentials";
	argv[n++] = s->tls_dir[0] ? s->tls_dir : s->creds;
	argv[n++] = "--clock-start";
	argv[n++] = s->clock_start;
	if (s->clock_speed[0]) {
		argv[n++] = "--clock-speed";
		argv[n++] = s->clock_speed;
	}
	argv[n++] = "--log-level";
	argv[n++] = s->log_level;
	for (char **p = s->extra; *p && n < 63; p++)
		argv[n++] = *p;
	argv[n] = NULL;

	/* Whatever is queued predates this vqd; from here on, only new presence counts. */
	watch_drain(s);
	s->log_dumped = false;
	pid_t pid = spawn(argv, s->log);
	if (pid < 0) {
		fprintf(stderr, "vqsite: cannot start vqd: %s\n", strerror(errno));
		return VQ_EBUS;
	}
	s->vqd_pid = pid;
	int rc = vqs_wait_presence(s, true, START_MS);
	if (rc == VQ_EBUS) {
		fprintf(stderr, "vqsite: vqd exited (status %d) before coming online\n",
		        s->last_status);
		vqs_dump_log(s, false);
	} else if (rc != VQ_OK) {
		fprintf(stderr, "vqsite: vqd did not say online within %d ms\n", START_MS);
		vqs_dump_log(s, false);
		int st;
		kill(s->vqd_pid, SIGKILL);
		reap(s->vqd_pid, 1000, &st);
		s->vqd_pid = 0;
		s->last_status = st;
	}
	return rc;
}

bool vqs_vqd_alive(vqs_site *s)
{
	if (!s || s->vqd_pid <= 0)
		return false;
	int st;
	pid_t r = waitpid(s->vqd_pid, &st, WNOHANG);
	if (r == 0)
		return true;
	s->last_status = r == s->vqd_pid ? exit_code(st) : -1;
	s->vqd_pid = 0;
	return false;
}

int vqs_vqd_pid(const vqs_site *s)
{
	return s ? (int)s->vqd_pid : 0;
}

int vqs_vqd_last_status(const vqs_site *s)
{
	return s ? s->last_status : -1;
}

int vqs_vqd_signal(vqs_site *s, int sig)
{
	if (!vqs_vqd_alive(s))
		return VQ_EINVAL;
	return kill(s->vqd_pid, sig) == 0 ? VQ_OK : VQ_EINVAL;
}

int vqs_vqd_signal_stop(vqs_site *s, int sig, int *status)
{
	int dummy;
	if (!status)
		status = &dummy;
	*status = -1;
	if (!s || s->vqd_pid <= 0) {
		if (s)
			*status = s->last_status;
		return VQ_EINVAL;
	}
	kill(s->vqd_pid, sig);
	bool by_itself = reap(s->vqd_pid, STOP_MS, status);
	s->vqd_pid = 0;
	s->last_status = *status;
	if (!by_itself) {
		fprintf(stderr, "vqsite: vqd ignored signal %d for %d ms; killed\n", sig, STOP_MS);
		vqs_dump_log(s, false);
		return VQ_ETIMEOUT;
	}
	if (*status != 0)
		vqs_dump_log(s, false);
	return VQ_OK;
}

int vqs_vqd_stop(vqs_site *s, int *status)
{
	return vqs_vqd_signal_stop(s, SIGTERM, status);
}

int vqs_vqd_kill(vqs_site *s)
{
	if (!s || s->vqd_pid <= 0)
		return VQ_EINVAL;
	kill(s->vqd_pid, SIGKILL);
	int st;
	reap(s->vqd_pid, STOP_MS, &st);
	s->vqd_pid = 0;
	s->last_status = st;
	/* The Last Will comes once the broker sees the socket close; waiting for it keeps
	 * the next start from racing it. Not seeing it is not an error of ours to judge. */
	if (vqs_wait_presence(s, false, WILL_MS) != VQ_OK)
		fprintf(stderr, "vqsite: no offline presence within %d ms of SIGKILL\n", WILL_MS);
	return VQ_OK;
}

int vqs_vqd_restart(vqs_site *s)
{
	int status = -1;
	int rc = vqs_vqd_stop(s, &status);
	if (rc != VQ_OK || status != 0) {
		fprintf(stderr, "vqsite: vqd stop for restart: rc %d, exit status %d\n", rc,
		        status);
		return VQ_EBUS;
	}
	return vqs_vqd_start(s);
}

int vqs_vqd_run(vqs_site *s, const char *const *args, int timeout_ms, int *status)
{
	char *argv[64];
	int n = 0;
	argv[n++] = s->exe;
	for (; args && *args && n < 63; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	if (access(s->exe, X_OK) != 0) {
		fprintf(stderr, "vqsite: no vqd at %s\n", s->exe);
		return VQ_EBUS;
	}
	pid_t pid = spawn(argv, s->log);
	if (pid < 0)
		return VQ_EBUS;
	return reap(pid, timeout_ms, status) ? VQ_OK : VQ_ETIMEOUT;
}

int vqs_vqctl(vqs_site *s, const char *user, const char *const *args, int timeout_ms, int *status,
              char **output)
{
	char exe[1100], port[64], out[1100];
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(exe, sizeof exe, "%s/tools/vqctl", bin && *bin ? bin : ".");
	snprintf(port, sizeof port, "127.0.0.1:%d", vq_test_broker_port(s->broker));
	snprintf(out, sizeof out, "%s/vqctl.out", s->dir);
	char *argv[64];
	int n = 0;
	char *const head[] = {exe,          "--broker",      port,    "--site", s->site, "--user",
	                      (char *)user, "--credentials", s->creds};
	for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
		argv[n++] = head[i];
	for (; args && *args && n < 63; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	if (output)
		*output = NULL;
	if (access(exe, X_OK) != 0) {
		fprintf(stderr, "vqsite: no vqctl at %s\n", exe);
		return VQ_EBUS;
	}
	unlink(out);
	pid_t pid = spawn(argv, out);
	if (pid < 0)
		return VQ_EBUS;
	int st = -1;
	int rc = reap(pid, timeout_ms, &st) ? VQ_OK : VQ_ETIMEOUT;
	if (status)
		*status = st;
	if (output)
		*output = tu_read_file(out, NULL);
	return rc;
}

int vqs_broker_restart(vqs_site *s)
{
	watch_drain(s);
	int rc = vq_test_broker_restart(s->broker);
	if (rc != VQ_OK)
		return rc;
	/* The broker keeps nothing (persistence false): any presence/vqd from now on
	 * comes from vqd's new connection. */
	rc = vqs_wait_presence(s, true, RECONNECT_MS);
	if (rc != VQ_OK) {
		fprintf(stderr, "vqsite: vqd not back online %d ms after the broker restart (%d)\n",
		        RECONNECT_MS, rc);
		vqs_dump_log(s, false);
	}
	return rc;
}

/* --- buses and requests ----------------------------------------------------------- */

vq_bus *vqs_bus(vqs_site *s, const char *account, const char *const *subs)
{
	return vqs_bus_at(s, account, subs, NULL, 0);
}

vq_bus *vqs_bus_at(vqs_site *s, const char *account, const char *const *subs, const int *ports,
                   size_t nports)
{
	char password[256], role[VQ_BUS_ID_MAX];
	if (vq_busopt_credentials(s->creds, account, password, sizeof password, role,
	                          sizeof role) != VQ_OK) {
		fprintf(stderr, "vqsite: no account %s in %s\n", account, s->creds);
		return NULL;
	}
	vq_bus_opts o = {0};
	o.port = vqs_port(s);
	o.username = account;
	o.password = password;
	o.site = s->site;
	char ca[1100], crt[1100], key[1100];
	if (s->tls_dir[0]) { /* the certificate's CN is the account; no password */
		snprintf(ca, sizeof ca, "%s/ca.crt", s->tls_dir);
		snprintf(crt, sizeof crt, "%s/devices/%s.crt", s->tls_dir, account);
		snprintf(key, sizeof key, "%s/devices/%s.key", s->tls_dir, account);
		o.password = NULL;
		o.tls_cafile = ca;
		o.tls_certfile = crt;
		o.tls_keyfile = key;
	}
	o.role = role;
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 500;
	vq_bus_addr addrs[VQ_BUS_MAX_BROKERS];
	if (nports > VQ_BUS_MAX_BROKERS)
		return NULL;
	for (size_t i = 0; i < nports; i++)
		addrs[i] = (vq_bus_addr){.host = "127.0.0.1", .port = ports[i]};
	if (nports) {
		o.brokers = addrs;
		o.nbrokers = nports;
	}
	vq_bus *b = NULL;
	int rc = vq_bus_new(&o, &b);
	for (; rc == VQ_OK && subs && *subs; subs++)
		rc = vq_bus_subscribe(b, *subs, 1);
	if (rc == VQ_OK)
		rc = vq_bus_start(b);
	if (rc == VQ_OK)
		rc = vq_bus_wait_connected(b, CONNECT_MS);
	if (rc != VQ_OK) {
		fprintf(stderr, "vqsite: bus for %s: %s\n", account, vq_strerror(rc));
		vq_bus_free(b);
		return NULL;
	}
	return b;
}

vq_bus *vqs_phone_bus(vqs_site *s, const char *visitor, const char *const *subs)
{
	if (!s->web)
		return NULL;
	vq_bus_opts o = {0};
	o.port = vq_test_broker_port(s->web);
	o.client_id = visitor;
	o.site = s->site;
	o.role = "phone";
	char reply[128];
	snprintf(reply, sizeof reply, "web/reply/%s", visitor);
	o.reply_suffix = reply;
	o.no_presence = true; /* a phone has none: the web broker would refuse it */
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 500;
	vq_bus *b = NULL;
	int rc = vq_bus_new(&o, &b);
	for (; rc == VQ_OK && subs && *subs; subs++)
		rc = vq_bus_subscribe(b, *subs, 1);
	if (rc == VQ_OK)
		rc = vq_bus_start(b);
	if (rc == VQ_OK)
		rc = vq_bus_wait_connected(b, CONNECT_MS);
	if (rc != VQ_OK) {
		fprintf(stderr, "vqsite: phone bus %s: %s\n", visitor, vq_strerror(rc));
		vq_bus_free(b);
		return NULL;
	}
	return b;
}

/* The rid of a request, if it is one the protocol allows (1..64 printable ASCII). */
static bool request_rid(const void *body, size_t len, char rid[RID_MAX + 1])
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *r = j ? cJSON_GetObjectItemCaseSensitive(j, "rid") : NULL;
	bool ok = cJSON_IsString(r) && r->valuestring[0] && strlen(r->valuestring) <= RID_MAX;
	for (const char *p = ok ? r->valuestring : ""; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			ok = false;
	if (ok)
		strcpy(rid, r->valuestring);
	cJSON_Delete(j);
	return ok;
}

int vqs_call(vq_bus *b, const char *svc, const void *body, size_t len, int timeout_ms,
             cJSON **reply, char **raw, size_t *rawlen)
{
	*reply = NULL;
	if (raw)
		*raw = NULL;
	vq_bus_msg *m = NULL;
	int rc = vq_bus_call(b, svc, body, len, timeout_ms, &m);
	if (rc != VQ_OK)
		return rc;
	rc = VQ_EBADREQ;
	char rid[RID_MAX + 1];
	bool has_rid = request_rid(body, len, rid);
	cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
	const char *why = NULL;
	const cJSON *v = j ? cJSON_GetObjectItemCaseSensitive(j, "v") : NULL;
	const cJSON *ok = j ? cJSON_GetObjectItemCaseSensitive(j, "ok") : NULL;
	const cJSON *r = j ? cJSON_GetObjectItemCaseSensitive(j, "rid") : NULL;
	if (!m->corr || m->corr_len == 0)
		why = "no correlation data";
	else if (!cJSON_IsObject(j))
		why = "not a JSON object";
	else if (!cJSON_IsNumber(v) || v->valuedouble != 1)
		why = "no \"v\":1";
	else if (!cJSON_IsBool(ok))
		why = "no boolean \"ok\"";
	else if (has_rid && (!cJSON_IsString(r) || strcmp(r->valuestring, rid) != 0) &&
	         !(cJSON_IsNull(r) && (strcmp(vqs_errcode(j), "too_large") == 0 ||
	                               strcmp(vqs_errcode(j), "rate_limited") == 0)))
		/* (A payload too large, or over the rate limit, is refused unread, so its rid
		 * may be null.) */
		why = "\"rid\" is not the request's";
	else if (!cJSON_IsTrue(ok) && !vqs_str(j, "error.code"))
		why = "a refusal without error.code";
	if (why) {
		fprintf(stderr, "vqsite: bad reply on %s (%s)\n  request: %.*s\n  reply:   %.*s\n",
		        svc, why, (int)(len > 400 ? 400 : len), (const char *)body, (int)m->len,
		        m->payload);
		cJSON_Delete(j);
		goto out;
	}
	if (raw) {
		*raw = malloc(m->len + 1);
		if (!*raw) {
			cJSON_Delete(j);
			rc = VQ_ENOMEM;
			goto out;
		}
		memcpy(*raw, m->payload, m->len + 1);
		if (rawlen)
			*rawlen = m->len;
	}
	*reply = j;
	rc = VQ_OK;
out:
	vq_bus_msg_free(m);
	return rc;
}

cJSON *vqs_callf(vq_bus *b, const char *svc, const char *fmt, ...)
{
	char stack[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(stack, sizeof stack, fmt, ap);
	va_end(ap);
	char *body = stack;
	if (n < 0)
		return NULL;
	if ((size_t)n >= sizeof stack) {
		body = malloc((size_t)n + 1);
		if (!body)
			return NULL;
		va_start(ap, fmt);
		vsnprintf(body, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	cJSON *reply = NULL;
	int rc = vqs_call(b, svc, body, (size_t)n, VQS_CALL_MS, &reply, NULL, NULL);
	if (rc != VQ_OK && rc != VQ_EBADREQ)
		fprintf(stderr, "vqsite: %s %s: %s\n", svc, body, vq_strerror(rc));
	if (body != stack)
		free(body);
	return reply;
}

int vqs_publish_raw(vq_bus *b, const char *suffix, const void *bytes, size_t len)
{
	return vq_bus_publish(b, suffix, bytes, len, 1, false);
}

cJSON *vqs_wait_json(vq_bus *b, const char *suffix, bool (*match)(const cJSON *, void *), void *arg,
                     int timeout_ms)
{
	long long deadline = tu_mono_ms() + timeout_ms;
	for (;;) {
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			return NULL;
		vq_bus_msg *m = NULL;
		size_t n = 0;
		if (vq_bus_poll(b, &m, 1, &n, (int)left) != VQ_OK || n == 0)
			return NULL;
		cJSON *j = NULL;
		if (m->kind == VQ_BUS_MESSAGE && (!suffix || strcmp(m->suffix, suffix) == 0))
			j = cJSON_ParseWithLength(m->payload, m->len);
		vq_bus_msg_free(m);
		if (j && (!match || match(j, arg)))
			return j;
		cJSON_Delete(j);
	}
}

/* --- JSON ------------------------------------------------------------------------- */

const cJSON *vqs_get(const cJSON *j, const char *path)
{
	char part[128];
	while (j && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		path += n + (path[n] == '.');
		if (cJSON_IsArray(j) && part[0] >= '0' && part[0] <= '9')
			j = cJSON_GetArrayItem(j, atoi(part));
		else if (cJSON_IsObject(j))
			j = cJSON_GetObjectItemCaseSensitive(j, part);
		else
			return NULL;
	}
	return j;
}

const char *vqs_str(const cJSON *j, const char *path)
{
	const cJSON *v = vqs_get(j, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool vqs_int(const cJSON *j, const char *path, int64_t *out)
{
	const cJSON *v = vqs_get(j, path);
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

bool vqs_bool(const cJSON *j, const char *path, bool *out)
{
	const cJSON *v = vqs_get(j, path);
	if (!cJSON_IsBool(v))
		return false;
	*out = cJSON_IsTrue(v);
	return true;
}

const char *vqs_js(const cJSON *j)
{
	static _Thread_local char bufs[4][8192];
	static _Thread_local int next;
	char *b = bufs[next++ % 4];
	char *t = j ? cJSON_PrintUnformatted(j) : NULL;
	snprintf(b, sizeof bufs[0], "%s", t ? t : "(null)");
	free(t);
	return b;
}

bool vqs_ok(const cJSON *reply)
{
	bool ok = false;
	return vqs_bool(reply, "ok", &ok) && ok;
}

const char *vqs_errcode(const cJSON *reply)
{
	const char *c = vqs_ok(reply) ? NULL : vqs_str(reply, "error.code");
	return c ? c : "";
}

int vqs_db_int(vqs_site *s, const char *sql, int64_t *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = VQ_ESTORE;
	/* Read-write open (no create): a reader of a WAL database may need to make the
	 * shared-memory file when vqd is not running. We only ever read. */
	if (sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*out = sqlite3_column_int64(st, 0);
	rc = VQ_OK;
out:
	if (rc != VQ_OK)
		fprintf(stderr, "vqsite: db query \"%s\": %s\n", sql,
		        db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

const char *vqs_site_id(const vqs_site *s)
{
	return s->site;
}

const char *vqs_dir(const vqs_site *s)
{
	return s->dir;
}

const char *vqs_db_path(const vqs_site *s)
{
	return s->db;
}

const char *vqs_log_path(const vqs_site *s)
{
	return s->log;
}

const char *vqs_config_path(const vqs_site *s)
{
	return s->config;
}

const char *vqs_credentials(const vqs_site *s)
{
	return s->creds;
}

int vqs_port(const vqs_site *s)
{
	return s->tls_dir[0] ? vq_test_broker_tls_port(s->broker) : vq_test_broker_port(s->broker);
}

const char *vqs_tls_dir(const vqs_site *s)
{
	return s->tls_dir[0] ? s->tls_dir : NULL;
}

vq_test_broker *vqs_broker(vqs_site *s)
{
	return s->broker;
}

vq_test_broker *vqs_peer(vqs_site *s)
{
	return s->peer;
}

int vqs_web_port(const vqs_site *s)
{
	return s->web ? vq_test_broker_port(s->web) : -1;
}
