/* tests/support/browser.c — see browser.h. Owns the driver child and its two pipes.
 *
 * Invariants: b->pid > 0 exactly while a driver we have not reaped exists; answers are
 * read in order, one line each, and an answer whose id is not the one asked for is
 * skipped (it belongs to a command that timed out).
 */
#include "support/browser.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/tutil.h"
#include "support/webserver.h"

#define READY_MS 45000 /* chromium's first start on a cold, busy machine */
#define STOP_MS  5000
#define LINE_MAX (1 << 20)

struct vq_test_browser {
	pid_t pid;
	int to_fd, from_fd;
	char *buf; /* what came from the driver and is not yet a whole line */
	size_t len;
	int next_id;
	char log[1024];
};

/* The next whole line from the driver (NUL-terminated, in b->buf; the caller consumes it
 * with take_line). VQ_ETIMEOUT, or VQ_EBUS once the driver is gone. */
static int read_line(vq_test_browser *b, long long deadline, size_t *linelen)
{
	for (;;) {
		char *nl = b->len ? memchr(b->buf, '\n', b->len) : NULL;
		if (nl) {
			*nl = '\0';
			*linelen = (size_t)(nl - b->buf);
			return VQ_OK;
		}
		if (b->len >= LINE_MAX)
			return VQ_EBUS;
		long long left = deadline - tu_mono_ms();
		if (left <= 0)
			return VQ_ETIMEOUT;
		struct pollfd p = {.fd = b->from_fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR)
			return VQ_EBUS;
		if (r <= 0)
			continue;
		ssize_t n = read(b->from_fd, b->buf + b->len, LINE_MAX - b->len);
		if (n <= 0)
			return VQ_EBUS;
		b->len += (size_t)n;
	}
}

static void take_line(vq_test_browser *b, size_t linelen)
{
	memmove(b->buf, b->buf + linelen + 1, b->len - linelen - 1);
	b->len -= linelen + 1;
}

static void dump_log(const vq_test_browser *b)
{
	char *t = tu_read_file(b->log, NULL);
	if (t && *t)
		fprintf(stderr, "browser: the driver said:\n%s\n", t);
	free(t);
}

int vq_test_browser_start(vq_test_browser **out, char *why, size_t whylen)
{
	*out = NULL;
	snprintf(why, whylen, "?");
	char node[1024];
	if (!tu_find_program("node", NULL, node, sizeof node)) {
		snprintf(why, whylen, "node is not installed (run tools/setup-deps)");
		return VQ_EDENIED;
	}
	vq_test_browser *b = calloc(1, sizeof *b);
	if (!b || !(b->buf = malloc(LINE_MAX))) {
		free(b);
		return VQ_ENOMEM;
	}
	b->to_fd = b->from_fd = -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(b->log, sizeof b->log, "%s/vq-browser-%d.log", tmp && *tmp ? tmp : "/tmp",
	         (int)getpid());
	int in[2], outp[2];
	if (pipe(in) != 0 || pipe(outp) != 0) {
		free(b->buf);
		free(b);
		return VQ_EBUS;
	}
	int logfd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char script[1024];
	snprintf(script, sizeof script, "%s", tu_src("tests/browser/driver.mjs"));
	char *argv[] = {node, script, NULL};
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		tu_exec_child_io(argv, parent, in[0], outp[1], logfd >= 0 ? logfd : 2, SIGKILL);
	close(in[0]);
	close(outp[1]);
	if (logfd >= 0)
		close(logfd);
	b->pid = pid;
	b->to_fd = in[1];
	b->from_fd = outp[0];
	fcntl(b->to_fd, F_SETFD, FD_CLOEXEC);
	fcntl(b->from_fd, F_SETFD, FD_CLOEXEC);
	if (pid < 0) {
		b->pid = 0;
		vq_test_browser_stop(b);
		return VQ_EBUS;
	}
	size_t n;
	int rc = read_line(b, tu_mono_ms() + READY_MS, &n);
	cJSON *hello = rc == VQ_OK ? cJSON_Parse(b->buf) : NULL;
	if (rc == VQ_OK)
		take_line(b, n);
	const cJSON *skip = cJSON_GetObjectItemCaseSensitive(hello, "skip");
	if (cJSON_IsString(skip)) {
		snprintf(why, whylen, "%s", skip->valuestring);
		rc = VQ_EDENIED;
	} else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hello, "ready"))) {
		snprintf(why, whylen, "the browser driver did not start");
		dump_log(b);
		rc = rc == VQ_OK ? VQ_EBUS : rc;
	}
	cJSON_Delete(hello);
	if (rc != VQ_OK) {
		vq_test_browser_stop(b);
		return rc;
	}
	*out = b;
	return VQ_OK;
}

int vq_test_browser_cmd(vq_test_browser *b, int timeout_ms, cJSON **value, char *err, size_t errlen,
                        const char *cmd, const char *fields_fmt, ...)
{
	*value = NULL;
	if (err && errlen)
		err[0] = '\0';
	char fields[8192];
	va_list ap;
	va_start(ap, fields_fmt);
	int fl = vsnprintf(fields, sizeof fields, fields_fmt, ap);
	va_end(ap);
	if (fl < 0 || (size_t)fl >= sizeof fields)
		return VQ_EINVAL;
	/* unique across the forks of one test program that share this driver */
	int id = (int)(getpid() % 100000) * 10000 + ++b->next_id % 10000;
	char line[8400];
	int n = snprintf(line, sizeof line, "{\"id\":%d,\"cmd\":\"%s\"%s%s}\n", id, cmd,
	                 fields[0] ? "," : "", fields);
	if (n < 0 || (size_t)n >= sizeof line)
		return VQ_EINVAL;
	for (int off = 0; off < n;) {
		ssize_t w = write(b->to_fd, line + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			dump_log(b);
			return VQ_EBUS;
		}
		off += (int)w;
	}
	long long deadline = tu_mono_ms() + timeout_ms;
	for (;;) {
		size_t len;
		int rc = read_line(b, deadline, &len);
		if (rc != VQ_OK) {
			if (rc == VQ_EBUS)
				dump_log(b);
			return rc;
		}
		cJSON *a = cJSON_Parse(b->buf);
		take_line(b, len);
		const cJSON *aid = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (!cJSON_IsNumber(aid) || aid->valueint != id) {
			cJSON_Delete(a);
			continue;
		}
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "ok"))) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(a, "error");
			if (err && errlen)
				snprintf(err, errlen, "%s",
				         cJSON_IsString(e) ? e->valuestring : "?");
			cJSON_Delete(a);
			return VQ_EINVAL;
		}
		*value = cJSON_DetachItemFromObjectCaseSensitive(a, "value");
		cJSON_Delete(a);
		if (!*value)
			*value = cJSON_CreateNull();
		return VQ_OK;
	}
}

void vq_test_browser_stop(vq_test_browser *b)
{
	if (!b)
		return;
	if (b->to_fd >= 0)
		close(b->to_fd);
	if (b->pid > 0) {
		long long deadline = tu_mono_ms() + STOP_MS;
		int status;
		for (;;) {
			pid_t r = waitpid(b->pid, &status, WNOHANG);
			if (r == b->pid || (r < 0 && errno == ECHILD))
				break;
			if (tu_mono_ms() > deadline) {
				/* node and the chromium it started are one process group's worth
				 * of children; the driver dies and takes its browser with it */
				kill(b->pid, SIGKILL);
				while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
					;
				break;
			}
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (b->from_fd >= 0)
		close(b->from_fd);
	unlink(b->log);
	free(b->buf);
	free(b);
}

int vq_test_browser_main(const char *test, const char *page, Suite *suite, char *pages,
                         size_t pageslen, vq_test_browser **browser)
{
	const char *bin = getenv("VQ_BINARY_DIR");
	snprintf(pages, pageslen, "%s/web", bin && *bin ? bin : ".");
	char index[1100], why[512];
	snprintf(index, sizeof index, "%s/%s/index.html", pages, page);
	if (access(index, R_OK) != 0) {
		printf("%s: skipped: no built pages at %s (node missing at configure time? run "
		       "tools/setup-deps)\n",
		       test, pages);
		return 77;
	}
	if (!vq_test_web_available()) {
		printf("%s: skipped: lighttpd is not installed (run tools/setup-deps)\n", test);
		return 77;
	}
	int rc = vq_test_browser_start(browser, why, sizeof why);
	if (rc == VQ_EDENIED) {
		printf("%s: skipped: %s\n", test, why);
		return 77;
	}
	if (rc != VQ_OK) {
		printf("%s: the browser driver failed: %s (%s)\n", test, why, vq_strerror(rc));
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	vq_test_browser_stop(*browser);
	*browser = NULL;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
