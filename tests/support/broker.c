/* tests/support/broker.c — see broker.h. Owns the mosquitto child process of a test.
 *
 * Invariants: b->pid > 0 exactly while a child we have not reaped exists; nothing
 * listens anywhere but 127.0.0.1; between fork and exec the child calls only
 * async-signal-safe functions (the test process may have threads, e.g. a bus).
 */
#include "support/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
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

#include "support/tutil.h"

#define START_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS  3000

struct vq_test_broker {
	char *dir;
	char conf[1024];
	char log[1024];
	char exe[1024];
	int port;
	int hold_fd;               /* keeps the port ours; tu_hold_port */
	int tls_port, tls_hold_fd; /* the template's @TLS_PORT@, if it has one */
	pid_t pid;
};

/* mosquitto lives in /usr/sbin, which is often not in a user's PATH. */
static bool find_mosquitto(char *out, size_t size)
{
	const char *env = getenv("VQ_MOSQUITTO");
	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, X_OK) == 0;
	}
	static const char *const fallback[] = {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto",
	                                       NULL};
	return tu_find_program("mosquitto", fallback, out, size);
}

/* Writes text with every "@DIR@" replaced by the folder, "@PORT@" by the port and, for
 * the production template, "@TLS_PORT@" by the second port and "@TLS_BIND@" by
 * 127.0.0.1 (nothing here listens beyond loopback); and every other name of vars
 * (NULL-terminated name, value pairs; may be NULL) by its value. */
static int put_expanded(FILE *f, const char *text, const vq_test_broker *b, const char *const *vars)
{
	char port[16], tls_port[16];
	snprintf(port, sizeof port, "%d", b->port);
	snprintf(tls_port, sizeof tls_port, "%d", b->tls_port);
	struct {
		const char *name, *value;
	} subst[36] = {{"@DIR@", b->dir},
	               {"@PORT@", port},
	               {"@TLS_PORT@", tls_port},
	               {"@TLS_BIND@", "127.0.0.1"}};
	size_t nsubst = 4;
	for (; vars && vars[0] && vars[1] && nsubst < 36; vars += 2, nsubst++) {
		subst[nsubst].name = vars[0];
		subst[nsubst].value = vars[1];
	}
	const char *p = text;
	for (;;) {
		const char *hit = NULL;
		size_t which = 0;
		for (size_t i = 0; i < nsubst; i++) {
			const char *h = strstr(p, subst[i].name);
			if (h && (!hit || h < hit)) {
				hit = h;
				which = i;
			}
		}
		if (!hit)
			break;
		if (fwrite(p, 1, (size_t)(hit - p), f) != (size_t)(hit - p) ||
		    fputs(subst[which].value, f) < 0)
			return -1;
		p = hit + strlen(subst[which].name);
	}
	return fputs(p, f) < 0 ? -1 : 0;
}

/* True if some line of text starts with the option name (mosquitto rejects a
 * repeated "user", so we must not add ours after the template's). */
static bool has_option(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '\t'))
			return true;
	}
	return false;
}

static int write_conf(vq_test_broker *b, const char *tmpl_path, const char *const *vars)
{
	char *tmpl = NULL;
	if (tmpl_path) {
		tmpl = tu_read_file(tmpl_path, NULL);
		if (!tmpl) {
			fprintf(stderr, "broker: cannot read template %s\n", tmpl_path);
			return VQ_EINVAL;
		}
	}
	int rc = VQ_EINVAL;
	FILE *f = fopen(b->conf, "w");
	if (!f)
		goto out;
	/* A template that says "listener @PORT@ ..." places its own listener (after
	 * per_listener_settings and the like, where mosquitto wants it). */
	if (!tmpl || !strstr(tmpl, "@PORT@"))
		fprintf(f, "listener %d 127.0.0.1\n", b->port);
	/* As root, mosquitto would drop to the "mosquitto" user, which cannot read our
	 * 0700 scratch folder (password and ACL files are read after the drop). */
	if (geteuid() == 0 && !(tmpl && has_option(tmpl, "user")))
		fputs("user root\n", f);
	if (tmpl) {
		if (put_expanded(f, tmpl, b, vars) == 0 && fputc('\n', f) != EOF)
			rc = VQ_OK;
	} else if (fputs("allow_anonymous true\nset_tcp_nodelay true\n", f) >= 0) {
		rc = VQ_OK;
	}
	if (fclose(f) != 0)
		rc = VQ_EINVAL;
out:
	free(tmpl);
	return rc;
}

int vq_test_broker_new(const char *conf_template, vq_test_broker **out)
{
	return vq_test_broker_new_vars(conf_template, NULL, out);
}

int vq_test_broker_new_vars(const char *conf_template, const char *const *vars,
                            vq_test_broker **out)
{
	if (!out)
		return VQ_EINVAL;
	*out = NULL;
	vq_test_broker *b = calloc(1, sizeof *b);
	if (!b)
		return VQ_ENOMEM;
	b->hold_fd = b->tls_hold_fd = -1;
	int rc = VQ_EBUS;
	if (!find_mosquitto(b->exe, sizeof b->exe)) {
		fprintf(stderr,
		        "broker: mosquitto not found (PATH, /usr/sbin; or set VQ_MOSQUITTO)\n");
		goto fail;
	}
	b->hold_fd = tu_hold_port(&b->port);
	b->dir = tu_tempdir("broker");
	if (b->hold_fd < 0 || !b->dir)
		goto fail;
	char *tmpl = conf_template ? tu_read_file(conf_template, NULL) : NULL;
	bool tls = tmpl && strstr(tmpl, "@TLS_PORT@");
	free(tmpl);
	if (tls && (b->tls_hold_fd = tu_hold_port(&b->tls_port)) < 0)
		goto fail;
	snprintf(b->conf, sizeof b->conf, "%s/mosquitto.conf", b->dir);
	snprintf(b->log, sizeof b->log, "%s/mosquitto.log", b->dir);
	rc = write_conf(b, conf_template, vars);
	if (rc)
		goto fail;
	*out = b;
	return VQ_OK;
fail:
	vq_test_broker_stop(b);
	return rc;
}

static void dump_log(const vq_test_broker *b)
{
	char *text = tu_read_file(b->log, NULL);
	fprintf(stderr, "broker: mosquitto on port %d failed; its log:\n%s\n", b->port,
	        text ? text : "(none)");
	free(text);
}

int vq_test_broker_up(vq_test_broker *b)
{
	if (!b)
		return VQ_EINVAL;
	if (b->pid > 0)
		return VQ_OK;
	int logfd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return VQ_EBUS;
	char *argv[] = {b->exe, "-c", b->conf, NULL};
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child(argv, parent, logfd, SIGTERM);
	close(logfd);
	if (pid < 0)
		return VQ_EBUS;
	b->pid = pid;

	long long deadline = tu_mono_ms() + START_TIMEOUT_MS;
	for (;;) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			b->pid = 0;
			dump_log(b);
			return VQ_EBUS;
		}
		if (tu_port_open(b->port) && (!b->tls_port || tu_port_open(b->tls_port)))
			return VQ_OK;
		if (tu_mono_ms() > deadline) {
			vq_test_broker_down(b);
			dump_log(b);
			return VQ_ETIMEOUT;
		}
		tu_sleep_ms(10);
	}
}

void vq_test_broker_down(vq_test_broker *b)
{
	if (!b || b->pid <= 0)
		return;
	kill(b->pid, SIGTERM);
	long long deadline = tu_mono_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		int status;
		pid_t r = waitpid(b->pid, &status, WNOHANG);
		if (r == b->pid || (r < 0 && errno == ECHILD))
			break;
		if (tu_mono_ms() > deadline) {
			kill(b->pid, SIGKILL);
			while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		tu_sleep_ms(5);
	}
	b->pid = 0;
}

int vq_test_broker_start(const char *conf_template, vq_test_broker **out)
{
	if (!out)
		return VQ_EINVAL;
	*out = NULL;
	vq_test_broker *b;
	int rc = vq_test_broker_new(conf_template, &b);
	if (rc)
		return rc;
	rc = vq_test_broker_up(b);
	if (rc) {
		vq_test_broker_stop(b);
		return rc;
	}
	*out = b;
	return VQ_OK;
}

int vq_test_broker_restart(vq_test_broker *b)
{
	if (!b)
		return VQ_EINVAL;
	vq_test_broker_down(b);
	return vq_test_broker_up(b);
}

void vq_test_broker_stop(vq_test_broker *b)
{
	if (!b)
		return;
	vq_test_broker_down(b);
	if (b->hold_fd >= 0)
		close(b->hold_fd);
	if (b->tls_hold_fd >= 0)
		close(b->tls_hold_fd);
	if (b->dir) {
		if (!getenv("VQ_KEEP_BROKER_DIR"))
			tu_rmtree(b->dir);
		free(b->dir);
	}
	free(b);
}

int vq_test_broker_port(const vq_test_broker *b)
{
	return b ? b->port : -1;
}

int vq_test_broker_tls_port(const vq_test_broker *b)
{
	return b ? b->tls_port : 0;
}

const char *vq_test_broker_dir(const vq_test_broker *b)
{
	return b ? b->dir : NULL;
}

int vq_test_broker_pid(const vq_test_broker *b)
{
	return b ? (int)b->pid : 0;
}
