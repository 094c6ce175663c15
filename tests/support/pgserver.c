/* tests/support/pgserver.c — see pgserver.h. Owns a test's PostgreSQL server: its folder,
 * its port and its postmaster child.
 *
 * Invariants: p->pid > 0 exactly while a postmaster child we have not reaped exists;
 * nothing listens anywhere but 127.0.0.1; between fork and exec a child calls only
 * async-signal-safe functions (the test process may have threads).
 */
#include "support/pgserver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/tutil.h"

#define INITDB_MS 60000
#define START_MS  30000
#define STOP_MS   10000
#define GONE_MS   10000

struct vq_test_pg {
	char *dir; /* ours: holds data/ and postgres.log */
	char data[1024], log[1024];
	char bin[512];
	char uri[128];
	int port;
	int hold_fd;
	uid_t uid; /* whom postgres runs as; ours unless we are root */
	gid_t gid;
	pid_t pid;
};

static char why[512];

const char *vq_test_pg_why(void)
{
	return why;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	fprintf(stderr, "pgserver: %s\n", why);
}

/* $VQ_PG_BIN, or the newest /usr/lib/postgresql/<major>/bin that has initdb. */
static bool find_bin(char *out, size_t size)
{
	const char *env = getenv("VQ_PG_BIN");
	char probe[600];
	if (env && *env) {
		snprintf(out, size, "%s", env);
		snprintf(probe, sizeof probe, "%s/initdb", out);
		return access(probe, X_OK) == 0;
	}
	DIR *d = opendir("/usr/lib/postgresql");
	if (!d)
		return false;
	long best = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long major = strtol(e->d_name, &end, 10);
		snprintf(probe, sizeof probe, "/usr/lib/postgresql/%s/bin/initdb", e->d_name);
		if (*end == '\0' && end != e->d_name && major > best && access(probe, X_OK) == 0) {
			best = major;
			snprintf(out, size, "/usr/lib/postgresql/%ld/bin", major);
		}
	}
	closedir(d);
	return best >= 0;
}

/* Forks and execs argv as the server's user, output to the log; returns the pid or -1. */
static pid_t spawn(const vq_test_pg *p, char *const argv[], bool die_with_us)
{
	int logfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* the credentials first: changing them clears the parent-death signal */
		if (geteuid() != p->uid &&
		    (setgroups(0, NULL) != 0 || setgid(p->gid) != 0 || setuid(p->uid) != 0))
			_exit(126);
		/* postgres: SIGQUIT is its immediate shutdown; initdb just dies */
		tu_exec_child(argv, parent, logfd, die_with_us ? SIGQUIT : SIGKILL);
	}
	close(logfd);
	return pid;
}

static void dump_log(const vq_test_pg *p)
{
	char *text = tu_read_file(p->log, NULL);
	fprintf(stderr, "pgserver: its log (%s):\n%s\n", p->log, text ? text : "(none)");
	free(text);
}

static int initdb(vq_test_pg *p)
{
	char exe[600];
	snprintf(exe, sizeof exe, "%s/initdb", p->bin);
	char *argv[] = {exe,  "-D",   p->data,      "-U",        "postgres",          "-A", "trust",
	                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions", NULL};
	pid_t pid = spawn(p, argv, false);
	if (pid < 0)
		return VQ_EBUS;
	long long deadline = tu_mono_ms() + INITDB_MS;
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (tu_mono_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			say("initdb did not finish in %d s", INITDB_MS / 1000);
			return VQ_ETIMEOUT;
		}
		tu_sleep_ms(20);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say("initdb failed (status %d)", status);
		dump_log(p);
		return VQ_EBUS;
	}
	return VQ_OK;
}

static bool accepts(const vq_test_pg *p, const char *db)
{
	char conn[128];
	snprintf(conn, sizeof conn,
	         "host=127.0.0.1 port=%d user=postgres dbname=%s connect_timeout=2", p->port, db);
	return PQping(conn) == PQPING_OK;
}

int vq_test_pg_up(vq_test_pg *p)
{
	if (!p)
		return VQ_EINVAL;
	if (p->pid > 0)
		return VQ_OK;
	char exe[600], port[16];
	snprintf(exe, sizeof exe, "%s/postgres", p->bin);
	snprintf(port, sizeof port, "%d", p->port);
	char *argv[] = {exe,
	                "-D",
	                p->data,
	                "-p",
	                port,
	                "-c",
	                "listen_addresses=127.0.0.1",
	                "-c",
	                "unix_socket_directories=",
	                "-c",
	                "fsync=off",
	                "-c",
	                "full_page_writes=off",
	                "-c",
	                "shared_buffers=16MB",
	                "-c",
	                "max_connections=60",
	                "-c",
	                "logging_collector=off",
	                NULL};
	pid_t pid = spawn(p, argv, true);
	if (pid < 0)
		return VQ_EBUS;
	p->pid = pid;
	long long deadline = tu_mono_ms() + START_MS;
	for (;;) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			p->pid = 0;
			say("postgres exited at start (status %d)", status);
			dump_log(p);
			return VQ_EBUS;
		}
		if (accepts(p, "postgres"))
			return VQ_OK;
		if (tu_mono_ms() > deadline) {
			say("postgres did not accept connections within %d s", START_MS / 1000);
			dump_log(p);
			vq_test_pg_kill(p);
			return VQ_ETIMEOUT;
		}
		tu_sleep_ms(50);
	}
}

/* Field `which` (1: state, 2: ppid) of /proc/<pid>/stat: 0 if the process is gone. */
static int stat_field(pid_t pid, int which)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* pid (comm) state ppid ...: comm may hold spaces and parentheses */
	char *cp = strrchr(buf, ')');
	char state = 0;
	int ppid = 0;
	if (!cp || sscanf(cp + 1, " %c %d", &state, &ppid) != 2)
		return 0;
	return which == 1 ? state : ppid;
}

/* Not gone, and not a zombie waiting for its parent (init, or a subreaper). */
static bool running(pid_t pid)
{
	int st = stat_field(pid, 1);
	return st != 0 && st != 'Z';
}

/* Every process whose parent is pid (its backends, checkpointer, walwriter...). */
static size_t children_of(pid_t pid, pid_t *out, size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char *end;
		long q = strtol(e->d_name, &end, 10);
		if (*end == '\0' && q > 0 && stat_field((pid_t)q, 2) == pid)
			out[n++] = (pid_t)q;
	}
	closedir(d);
	return n;
}

int vq_test_pg_kill(vq_test_pg *p)
{
	if (!p || p->pid <= 0)
		return VQ_EINVAL;
	pid_t kids[256];
	kill(p->pid, SIGSTOP);
	size_t n = children_of(p->pid, kids, sizeof kids / sizeof kids[0]);
	for (size_t i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	kill(p->pid, SIGKILL);
	int status;
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
	/* they were not our children: wait for the kernel to take them away, or the next
	 * postmaster finds their shared memory still in use */
	long long deadline = tu_mono_ms() + GONE_MS;
	for (size_t i = 0; i < n; i++)
		while (running(kids[i]) && tu_mono_ms() < deadline)
			tu_sleep_ms(10);
	return tu_mono_ms() < deadline ? VQ_OK : VQ_ETIMEOUT;
}

static void down(vq_test_pg *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGINT); /* fast shutdown: ends sessions, checkpoints, exits */
	long long deadline = tu_mono_ms() + STOP_MS;
	for (;;) {
		int status;
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid || (r < 0 && errno == ECHILD)) {
			p->pid = 0;
			return;
		}
		if (tu_mono_ms() > deadline) {
			vq_test_pg_kill(p);
			return;
		}
		tu_sleep_ms(20);
	}
}

/* NOTICEs ("drop cascades to...") are not the test's business. */
static void quiet(void *arg, const PGresult *res)
{
}

int vq_test_pg_exec(const vq_test_pg *p, const char *schema, const char *sql, int64_t *out)
{
	if (!p || !sql)
		return VQ_EINVAL;
	PGconn *c = PQconnectdb(p->uri);
	int rc = VQ_ESTORE;
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgserver: connect: %s", PQerrorMessage(c));
		goto out;
	}
	PQsetNoticeReceiver(c, quiet, NULL);
	if (schema) {
		char set[256];
		snprintf(set, sizeof set, "SET search_path TO \"%s\"", schema);
		PGresult *r = PQexec(c, set);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok) {
			fprintf(stderr, "pgserver: %s: %s", set, PQerrorMessage(c));
			goto out;
		}
	}
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		fprintf(stderr, "pgserver: %s: %s", sql, PQresultErrorMessage(r));
	} else {
		if (out)
			*out = PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0)
			           ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
			           : 0;
		rc = VQ_OK;
	}
	PQclear(r);
out:
	PQfinish(c);
	return rc;
}

int vq_test_pg_sync_standby(const vq_test_pg *p, const char *names)
{
	char sql[256];
	snprintf(sql, sizeof sql, "ALTER SYSTEM SET synchronous_standby_names = '%s'", names);
	int rc = vq_test_pg_exec(p, NULL, sql, NULL);
	return rc == VQ_OK ? vq_test_pg_exec(p, NULL, "SELECT pg_reload_conf()", NULL) : rc;
}

int vq_test_pg_cut_sync_wait(const vq_test_pg *p, const char *app, int terminate, int timeout_ms,
                             const volatile int *stop)
{
	char find[256];
	snprintf(find, sizeof find,
	         "SELECT pid FROM pg_stat_activity WHERE application_name = '%s'"
	         " AND wait_event = 'SyncRep'",
	         app);
	long long deadline = tu_mono_ms() + timeout_ms;
	while (tu_mono_ms() < deadline && !(stop && *stop)) {
		int64_t pid = 0;
		if (vq_test_pg_exec(p, NULL, find, &pid) == VQ_OK && pid > 0) {
			char sql[96];
			snprintf(sql, sizeof sql, "SELECT %s(%lld)",
			         terminate ? "pg_terminate_backend" : "pg_cancel_backend",
			         (long long)pid);
			return vq_test_pg_exec(p, NULL, sql, NULL);
		}
		tu_sleep_ms(10);
	}
	return VQ_ETIMEOUT;
}

/* As root, the server's user must reach its folder: ours (vq-*) may get o+x, nothing else
 * is touched. */
bool vq_test_pg_reachable(const char *dir, unsigned uid)
{
	if (geteuid() != 0 || uid == 0)
		return true;
	char parent[1024];
	snprintf(parent, sizeof parent, "%s", dir);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return true;
	*slash = '\0';
	struct stat sb;
	if (stat(parent, &sb) != 0)
		return false;
	if (sb.st_mode & S_IXOTH)
		return true;
	const char *base = strrchr(parent, '/');
	if (!base || strncmp(base + 1, "vq-", 3) != 0)
		return false;
	return chmod(parent, (sb.st_mode & 07777) | S_IXOTH) == 0;
}

int vq_test_pg_start(vq_test_pg **out)
{
	if (!out)
		return VQ_EINVAL;
	*out = NULL;
	why[0] = '\0';
	vq_test_pg *p = calloc(1, sizeof *p);
	if (!p)
		return VQ_ENOMEM;
	p->hold_fd = -1;
	p->uid = geteuid();
	p->gid = getegid();
	int rc = VQ_EBUS;
	if (!find_bin(p->bin, sizeof p->bin)) {
		say("PostgreSQL's initdb not found (VQ_PG_BIN, /usr/lib/postgresql/*/bin): "
		    "tools/setup-deps installs postgresql-15");
		goto fail;
	}
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw) {
			say("running as root, and there is no 'postgres' user to run PostgreSQL "
			    "as");
			goto fail;
		}
		p->uid = pw->pw_uid;
		p->gid = pw->pw_gid;
	}
	p->hold_fd = tu_hold_port(&p->port);
	p->dir = tu_tempdir("pg");
	if (p->hold_fd < 0 || !p->dir) {
		say("no port or folder");
		goto fail;
	}
	snprintf(p->data, sizeof p->data, "%s/data", p->dir);
	snprintf(p->log, sizeof p->log, "%s/postgres.log", p->dir);
	snprintf(p->uri, sizeof p->uri, "postgresql://postgres@127.0.0.1:%d/vq", p->port);
	if (!vq_test_pg_reachable(p->dir, p->uid) || chown(p->dir, p->uid, p->gid) != 0) {
		say("cannot hand %s to the server's user", p->dir);
		goto fail;
	}
	rc = initdb(p);
	if (rc == VQ_OK)
		rc = vq_test_pg_up(p);
	if (rc == VQ_OK) {
		char conn[128];
		snprintf(conn, sizeof conn, "postgresql://postgres@127.0.0.1:%d/postgres", p->port);
		PGconn *c = PQconnectdb(conn);
		PGresult *r = PQexec(c, "CREATE DATABASE vq");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			say("CREATE DATABASE vq: %s", PQerrorMessage(c));
			rc = VQ_ESTORE;
		}
		PQclear(r);
		PQfinish(c);
	}
	if (rc != VQ_OK)
		goto fail;
	*out = p;
	return VQ_OK;
fail:
	vq_test_pg_stop(p);
	return rc;
}

void vq_test_pg_stop(vq_test_pg *p)
{
	if (!p)
		return;
	down(p);
	if (p->hold_fd >= 0)
		close(p->hold_fd);
	if (p->dir) {
		if (!getenv("VQ_KEEP_BROKER_DIR"))
			tu_rmtree(p->dir);
		free(p->dir);
	}
	free(p);
}

const char *vq_test_pg_uri(const vq_test_pg *p)
{
	return p ? p->uri : "";
}

int vq_test_pg_port(const vq_test_pg *p)
{
	return p ? p->port : -1;
}

const char *vq_test_pg_dir(const vq_test_pg *p)
{
	return p ? p->dir : NULL;
}
