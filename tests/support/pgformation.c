/* tests/support/pgformation.c — see pgformation.h. Owns a test's formation: its folder,
 * its held ports, the guard process, and the runs of tools/pg-formation.
 *
 * Invariants: f->guard_fd is the only write end of the guard's stdin, held only by the
 * test (close-on-exec); the guard never dies with the test (no death signal) and runs
 * `down` exactly when its stdin ends without "bye"; between fork and exec a child calls
 * only async-signal-safe functions (the test process has threads).
 */
#include "support/pgformation.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/pgserver.h"
#include "support/tutil.h"

#define UP_MS      240000 /* up waits up to 3 min for the nodes itself */
#define SHORT_MS   30000
#define MAX_NODES  4
#define PORT_TRIES 50

struct vq_test_pgf {
	char *dir;       /* ours: holds f/ (the formation's folder) and pg-formation.log */
	char fdir[1024]; /* the formation's folder, handed to postgres by the script */
	char log[1024];  /* every run's output */
	char script[1024];
	char uri[512];
	int nodes;
	int base;
	int hold[MAX_NODES + 1];
	int guard_fd;
	pid_t guard;
};

/* A pipe whose ends close on exec. */
static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Binds 127.0.0.1:port beside a server to come (both SO_REUSEADDR), as tu_hold_port. */
static int hold_exact(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || tu_port_open(port)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void release_ports(vq_test_pgf *f)
{
	for (int i = 0; i <= MAX_NODES; i++) {
		if (f->hold[i] >= 0)
			close(f->hold[i]);
		f->hold[i] = -1;
	}
}

/* nodes + 1 consecutive free ports: the monitor's, then each node's. */
static int hold_ports(vq_test_pgf *f)
{
	for (int t = 0; t < PORT_TRIES; t++) {
		f->hold[0] = tu_hold_port(&f->base);
		int ok = f->hold[0] >= 0 && f->base + f->nodes < 65536;
		for (int i = 1; ok && i <= f->nodes; i++)
			ok = (f->hold[i] = hold_exact(f->base + i)) >= 0;
		if (ok)
			return VQ_OK;
		release_ports(f);
	}
	fprintf(stderr, "pgformation: no %d consecutive free ports\n", f->nodes + 1);
	return VQ_EBUS;
}

/* Runs tools/pg-formation with args (NULL-terminated, after the script's name and before
 * nothing else), its stderr to the log and its stdout into out (may be NULL: the log).
 * VQ_OK if it exited 0 within timeout_ms; otherwise it is killed and the log's end goes
 * to stderr. */
static int run(vq_test_pgf *f, const char *const *args, int timeout_ms, char *out, size_t outlen)
{
	char *argv[16];
	int n = 0;
	argv[n++] = "/bin/bash";
	argv[n++] = f->script;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	int logfd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pipefd[2] = {-1, -1};
	if (logfd < 0 || nullfd < 0 || cloexec_pipe(pipefd) != 0) {
		fprintf(stderr, "pgformation: %s\n", strerror(errno));
		if (logfd >= 0)
			close(logfd);
		if (nullfd >= 0)
			close(nullfd);
		return VQ_EBUS;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child_io(argv, parent, nullfd, out ? pipefd[1] : logfd, logfd, SIGKILL);
	close(pipefd[1]);
	close(logfd);
	close(nullfd);
	size_t got = 0;
	long long deadline = tu_mono_ms() + timeout_ms;
	int st = 0, done = pid < 0, eof = 0;
	while (!done) {
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			break;
		int wait = (int)(left < 100 ? left : 100);
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		if (eof) {
			poll(NULL, 0, wait);
		} else if (poll(&p, 1, wait) > 0) {
			char buf[512];
			ssize_t k = read(pipefd[0], buf, sizeof buf);
			eof = k == 0;
			for (ssize_t i = 0; k > 0 && out && i < k && got + 1 < outlen; i++)
				out[got++] = buf[i];
		}
		done = waitpid(pid, &st, WNOHANG) == pid;
	}
	close(pipefd[0]);
	if (out && outlen)
		out[got] = '\0';
	if (!done && pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (done && pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return VQ_OK;
	size_t len = 0;
	char *text = tu_read_file(f->log, &len);
	fprintf(stderr, "pgformation: tools/pg-formation %s %s (%s); its log ends:\n%s\n", argv[2],
	        done ? "failed" : "timed out", f->log,
	        text ? text + (len > 3000 ? len - 3000 : 0) : "(none)");
	free(text);
	return done ? VQ_EBUS : VQ_ETIMEOUT;
}

/* The guard: a shell whose stdin is a pipe only we write to. "bye" dismisses it; the end
 * of the pipe without it (we died) brings the formation down. */
static int start_guard(vq_test_pgf *f)
{
	int pipefd[2];
	if (cloexec_pipe(pipefd) != 0)
		return VQ_EBUS;
	char *argv[] = {"/bin/sh",
	                "-c",
	                "read -r word && [ \"$word\" = bye ] && exit 0; "
	                "/bin/bash \"$1\" down \"$2/f\" >/dev/null 2>&1; rm -rf \"$2\"",
	                "pgformation-guard",
	                f->script,
	                f->dir,
	                NULL};
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child_io(argv, getppid(), pipefd[0], 2, 2, 0);
	close(pipefd[0]);
	if (pid < 0) {
		close(pipefd[1]);
		return VQ_EBUS;
	}
	f->guard = pid;
	f->guard_fd = pipefd[1];
	return VQ_OK;
}

int vq_test_pgf_start(int nodes, vq_test_pgf **out)
{
	if (!out || nodes < 2 || nodes > MAX_NODES)
		return VQ_EINVAL;
	*out = NULL;
	vq_test_pgf *f = calloc(1, sizeof *f);
	if (!f)
		return VQ_ENOMEM;
	f->nodes = nodes;
	f->guard_fd = -1;
	for (int i = 0; i <= MAX_NODES; i++)
		f->hold[i] = -1;
	int rc = VQ_EBUS;
	snprintf(f->script, sizeof f->script, "%s", tu_src("tools/pg-formation"));
	char found[1024];
	if (!tu_find_program("pg_autoctl", (const char *const[]){"/usr/bin/pg_autoctl", NULL},
	                     found, sizeof found) ||
	    access("/usr/lib/postgresql/15/bin/initdb", X_OK) != 0) {
		fprintf(stderr, "pgformation: no pg_autoctl, or no PostgreSQL 15: tools/setup-deps "
		                "installs postgresql-15, postgresql-15-auto-failover and "
		                "pg-auto-failover-cli\n");
		goto fail;
	}
	unsigned uid = (unsigned)geteuid();
	if (uid == 0) {
		const struct passwd *pw = getpwnam("postgres");
		if (!pw) {
			fprintf(stderr, "pgformation: running as root, and there is no 'postgres' "
			                "user to run PostgreSQL as\n");
			goto fail;
		}
		uid = (unsigned)pw->pw_uid;
	}
	f->dir = tu_tempdir("pgf");
	if (!f->dir || !vq_test_pg_reachable(f->dir, uid) || chmod(f->dir, 0711) != 0) {
		fprintf(stderr, "pgformation: no folder PostgreSQL's user can reach\n");
		goto fail;
	}
	snprintf(f->fdir, sizeof f->fdir, "%s/f", f->dir);
	snprintf(f->log, sizeof f->log, "%s/pg-formation.log", f->dir);
	if ((rc = hold_ports(f)) != VQ_OK || (rc = start_guard(f)) != VQ_OK)
		goto fail;
	char base[16], count[16];
	snprintf(base, sizeof base, "%d", f->base);
	snprintf(count, sizeof count, "%d", nodes);
	long long t0 = tu_mono_ms();
	rc = run(f,
	         (const char *const[]){"up", f->fdir, "--base-port", base, "--nodes", count, NULL},
	         UP_MS, f->uri, sizeof f->uri);
	if (rc != VQ_OK)
		goto fail;
	f->uri[strcspn(f->uri, "\n")] = '\0';
	fprintf(stderr, "pgformation: %d nodes up in %.1f s: %s\n", nodes,
	        (tu_mono_ms() - t0) / 1e3, f->uri);
	*out = f;
	return VQ_OK;
fail:
	vq_test_pgf_stop(f);
	return rc;
}

void vq_test_pgf_stop(vq_test_pgf *f)
{
	if (!f)
		return;
	if (f->guard > 0) {
		run(f, (const char *const[]){"down", f->fdir, NULL}, SHORT_MS * 2, NULL, 0);
		if (write(f->guard_fd, "bye\n", 4) != 4)
			fprintf(stderr, "pgformation: cannot dismiss the guard\n");
		close(f->guard_fd);
		int st;
		while (waitpid(f->guard, &st, 0) < 0 && errno == EINTR)
			;
	}
	release_ports(f);
	if (f->dir) {
		if (!getenv("VQ_KEEP_BROKER_DIR"))
			tu_rmtree(f->dir);
		else
			fprintf(stderr, "pgformation: kept %s\n", f->dir);
		free(f->dir);
	}
	free(f);
}

const char *vq_test_pgf_uri(const vq_test_pgf *f)
{
	return f->uri;
}

const char *vq_test_pgf_dir(const vq_test_pgf *f)
{
	return f->fdir;
}

int vq_test_pgf_primary(vq_test_pgf *f, int *port)
{
	char out[64];
	int rc = run(f, (const char *const[]){"primary", f->fdir, NULL}, SHORT_MS, out, sizeof out);
	if (rc != VQ_OK)
		return rc;
	char *end;
	long p = strtol(out, &end, 10);
	if (end == out || p <= f->base || p > f->base + f->nodes) {
		fprintf(stderr, "pgformation: no primary now (\"%s\")\n", out);
		return VQ_ENOTFOUND;
	}
	*port = (int)p;
	return VQ_OK;
}

static int node_cmd(vq_test_pgf *f, const char *cmd, int port)
{
	if (port <= f->base || port > f->base + f->nodes)
		return VQ_EINVAL;
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	return run(f, (const char *const[]){cmd, f->fdir, p, NULL}, SHORT_MS, NULL, 0);
}

int vq_test_pgf_kill(vq_test_pgf *f, int port)
{
	return node_cmd(f, "kill", port);
}

int vq_test_pgf_node_start(vq_test_pgf *f, int port)
{
	return node_cmd(f, "start", port);
}

int vq_test_pgf_wait(vq_test_pgf *f, int seconds)
{
	char s[16];
	snprintf(s, sizeof s, "%d", seconds);
	return run(f, (const char *const[]){"wait", f->fdir, s, NULL}, (seconds + 30) * 1000, NULL,
	           0);
}

void vq_test_pgf_show(vq_test_pgf *f)
{
	char out[4096];
	if (run(f, (const char *const[]){"state", f->fdir, NULL}, SHORT_MS, out, sizeof out) ==
	    VQ_OK)
		fprintf(stderr, "pgformation: the monitor's view:\n%s", out);
}
