/* tests/support/tutil.c — see tutil.h. */
#include "tutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *tu_tempdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/vq-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

void tu_rmtree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char sub[1024];
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			struct stat sb;
			if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
				tu_rmtree(sub);
			else
				unlink(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static char *scratch_root, *scratch_saved;

void tu_scratch_begin(const char *tag)
{
	const char *t = getenv("TMPDIR");
	scratch_saved = t ? strdup(t) : NULL;
	scratch_root = tu_tempdir(tag);
	if (!scratch_root) {
		fprintf(stderr, "tu_scratch_begin: cannot make a scratch folder\n");
		abort();
	}
	setenv("TMPDIR", scratch_root, 1);
}

void tu_scratch_end(void)
{
	if (scratch_saved)
		setenv("TMPDIR", scratch_saved, 1);
	else
		unsetenv("TMPDIR");
	free(scratch_saved);
	scratch_saved = NULL;
	if (scratch_root && !getenv("VQ_KEEP_BROKER_DIR"))
		tu_rmtree(scratch_root);
	free(scratch_root);
	scratch_root = NULL;
}

const char *tu_src(const char *rel)
{
	static char buf[1024];
	const char *root = getenv("VQ_SOURCE_DIR");
	snprintf(buf, sizeof buf, "%s/%s", root && *root ? root : ".", rel);
	return buf;
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

uint64_t tu_rng_next(tu_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

uint32_t tu_rng_below(tu_rng *r, uint32_t n)
{
	return (uint32_t)(tu_rng_next(r) % n);
}

void tu_exec_child(char *const argv[], int parent, int logfd, int deathsig)
{
	int nul = open("/dev/null", O_RDONLY);
	tu_exec_child_io(argv, parent, nul >= 0 ? nul : 0, logfd, logfd, deathsig);
}

void tu_exec_child_io(char *const argv[], int parent, int infd, int outfd, int errfd, int deathsig)
{
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, deathsig);
	if (getppid() != parent) /* the parent died before prctl took effect */
		_exit(127);
#else
	(void)parent;
	(void)deathsig;
#endif
	/* through fresh numbers first, so that one may be another's target */
	int in = fcntl(infd, F_DUPFD, 10), o = fcntl(outfd, F_DUPFD, 10),
	    e = fcntl(errfd, F_DUPFD, 10);
	dup2(in, 0);
	dup2(o, 1);
	dup2(e, 2);
	/* the child must not hold copies of the test's sockets and pipes */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
		for (int fd = 3; fd < 4096; fd++)
			close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(argv[0], argv);
	_exit(127);
}

int tu_hold_port(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

bool tu_port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

bool tu_find_program(const char *name, const char *const *fallback, char *out, size_t size)
{
	const char *path = getenv("PATH");
	for (const char *p = path; p && *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > 0 && n + strlen(name) + 2 < size) {
			snprintf(out, size, "%.*s/%s", (int)n, p, name);
			if (access(out, X_OK) == 0)
				return true;
		}
		if (!end)
			break;
		p = end + 1;
	}
	for (; fallback && *fallback; fallback++) {
		snprintf(out, size, "%s", *fallback);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

long long tu_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tu_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
