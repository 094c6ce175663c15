/* tests/support/webserver.c — see webserver.h. Owns the lighttpd child of a test.
 *
 * Invariants: w->pid > 0 exactly while a child we have not reaped exists; the server
 * listens on 127.0.0.1 only; between fork and exec the child calls only
 * async-signal-safe functions.
 */
#include "support/webserver.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/tutil.h"

#define START_MS 5000
#define STOP_MS  3000

struct vq_test_web {
	char *dir;
	char conf[1024], log[1024], exe[1024];
	int port, hold_fd;
	pid_t pid;
};

static int find_lighttpd(char *out, size_t size)
{
	static const char *const fallback[] = {"/usr/sbin/lighttpd", "/usr/local/sbin/lighttpd",
	                                       NULL};
	return tu_find_program("lighttpd", fallback, out, size);
}

int vq_test_web_available(void)
{
	char exe[1024];
	return find_lighttpd(exe, sizeof exe);
}

/* web/lighttpd.conf.in with its names filled in. */
static int render(const vq_test_web *w, const char *root, int mqtt_port, int ops_port)
{
	char *tmpl = tu_read_file(tu_src("web/lighttpd.conf.in"), NULL);
	if (!tmpl) {
		fprintf(stderr, "webserver: cannot read web/lighttpd.conf.in\n");
		return VQ_EINVAL;
	}
	char port[16], mport[16], oport[16];
	snprintf(port, sizeof port, "%d", w->port);
	snprintf(mport, sizeof mport, "%d", mqtt_port);
	snprintf(oport, sizeof oport, "%d", ops_port);
	const char *const vars[][2] = {{"@BIND@", "127.0.0.1"},    {"@PORT@", port},
	                               {"@ROOT@", root},           {"@MQTT_PORT@", mport},
	                               {"@OPS_MQTT_PORT@", oport}, {"@DIR@", w->dir}};
	FILE *f = fopen(w->conf, "w");
	int rc = f ? VQ_OK : VQ_EINVAL;
	for (const char *p = tmpl; f && rc == VQ_OK;) {
		const char *hit = NULL;
		size_t which = 0;
		for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			const char *h = strstr(p, vars[i][0]);
			if (h && (!hit || h < hit)) {
				hit = h;
				which = i;
			}
		}
		size_t n = hit ? (size_t)(hit - p) : strlen(p);
		if (fwrite(p, 1, n, f) != n || (hit && fputs(vars[which][1], f) < 0))
			rc = VQ_EINVAL;
		if (!hit)
			break;
		p = hit + strlen(vars[which][0]);
	}
	if (f && fclose(f) != 0)
		rc = VQ_EINVAL;
	free(tmpl);
	return rc;
}

static void dump_log(const vq_test_web *w)
{
	char *text = tu_read_file(w->log, NULL);
	char err[1100];
	snprintf(err, sizeof err, "%s/error.log", w->dir);
	char *elog = tu_read_file(err, NULL);
	fprintf(stderr, "webserver: lighttpd on port %d failed:\n%s\n%s\n", w->port,
	        text ? text : "", elog ? elog : "");
	free(text);
	free(elog);
}

int vq_test_web_start(const char *root, int mqtt_port, int ops_port, vq_test_web **out)
{
	*out = NULL;
	vq_test_web *w = calloc(1, sizeof *w);
	if (!w)
		return VQ_ENOMEM;
	w->hold_fd = -1;
	int rc = VQ_EBUS;
	if (!find_lighttpd(w->exe, sizeof w->exe)) {
		fprintf(stderr, "webserver: lighttpd not found (run tools/setup-deps)\n");
		goto fail;
	}
	w->hold_fd = tu_hold_port(&w->port);
	w->dir = tu_tempdir("web");
	if (w->hold_fd < 0 || !w->dir)
		goto fail;
	snprintf(w->conf, sizeof w->conf, "%s/lighttpd.conf", w->dir);
	snprintf(w->log, sizeof w->log, "%s/lighttpd.out", w->dir);
	char cache[1100];
	snprintf(cache, sizeof cache, "%s/cache", w->dir);
	if (mkdir(cache, 0700) != 0 || (rc = render(w, root, mqtt_port, ops_port)) != VQ_OK)
		goto fail;
	rc = VQ_EBUS;
	int logfd = open(w->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		goto fail;
	char *argv[] = {w->exe, "-D", "-f", w->conf, NULL};
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child(argv, parent, logfd, SIGTERM);
	close(logfd);
	if (pid < 0)
		goto fail;
	w->pid = pid;
	long long deadline = tu_mono_ms() + START_MS;
	for (;;) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			w->pid = 0;
			dump_log(w);
			goto fail;
		}
		if (tu_port_open(w->port))
			break;
		if (tu_mono_ms() > deadline) {
			dump_log(w);
			rc = VQ_ETIMEOUT;
			goto fail;
		}
		tu_sleep_ms(10);
	}
	*out = w;
	return VQ_OK;
fail:
	vq_test_web_stop(w);
	return rc;
}

int vq_test_web_port(const vq_test_web *w)
{
	return w ? w->port : -1;
}

void vq_test_web_stop(vq_test_web *w)
{
	if (!w)
		return;
	if (w->pid > 0) {
		kill(w->pid, SIGTERM);
		long long deadline = tu_mono_ms() + STOP_MS;
		int status;
		for (;;) {
			pid_t r = waitpid(w->pid, &status, WNOHANG);
			if (r == w->pid || (r < 0 && errno == ECHILD))
				break;
			if (tu_mono_ms() > deadline) {
				kill(w->pid, SIGKILL);
				while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
					;
				break;
			}
			tu_sleep_ms(5);
		}
	}
	if (w->hold_fd >= 0)
		close(w->hold_fd);
	if (w->dir) {
		if (!getenv("VQ_KEEP_BROKER_DIR"))
			tu_rmtree(w->dir);
		free(w->dir);
	}
	free(w);
}
