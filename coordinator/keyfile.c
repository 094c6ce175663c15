/* coordinator/keyfile.c — the signing secrets' own file (contract: keyfile.h).
 *
 * Invariants: kf holds exactly what the file on disk holds (a write that fails is undone in
 * memory); every buffer that held a secret, in memory or on its way to disk, is wiped
 * before it is freed; the file is never written in place, so a reader or a crash sees the
 * old file or the new one whole.
 */
#include "coordinator/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAX  (64 * 1024) /* 256 lines of 134 bytes, and room for comments */
#define KEYFILE_HEAD "vq-keys 1"

struct secrets {
	uint8_t present[256];
	uint8_t sk[256][64];
};

struct vq_keyfile {
	char *path;
	int exists;
	struct secrets *s; /* sodium_malloc: guarded, locked, wiped by sodium_free */
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Reads all of fd (at most KEYFILE_MAX bytes) into a buffer the caller wipes and frees. */
static int read_all(int fd, char **out, size_t *len)
{
	char *buf = malloc(KEYFILE_MAX + 1);
	size_t n = 0;
	if (!buf)
		return VQ_ENOMEM;
	for (;;) {
		ssize_t r = read(fd, buf + n, KEYFILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_memzero(buf, n);
			free(buf);
			return VQ_ESTORE;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > KEYFILE_MAX) {
			sodium_memzero(buf, n);
			free(buf);
			return VQ_ECONFIG;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return VQ_OK;
}

/* One line "<kid> <128 hex>" into s. */
static int parse_key_line(const char *line, size_t n, struct secrets *s, int *kid)
{
	size_t i = 0;
	int k = 0;
	while (i < n && i < 3 && line[i] >= '0' && line[i] <= '9')
		k = k * 10 + (line[i++] - '0');
	if (i == 0 || (i > 1 && line[0] == '0') || k > 255 || i >= n || line[i] != ' ')
		return VQ_ECONFIG;
	i++;
	if (n - i != 128)
		return VQ_ECONFIG;
	uint8_t sk[64];
	size_t got = 0;
	if (sodium_hex2bin(sk, sizeof sk, line + i, 128, NULL, &got, NULL) != 0 || got != 64) {
		sodium_memzero(sk, sizeof sk);
		return VQ_ECONFIG;
	}
	*kid = k;
	if (s->present[k]) {
		sodium_memzero(sk, sizeof sk);
		return VQ_EEXISTS;
	}
	s->present[k] = 1;
	memcpy(s->sk[k], sk, 64);
	sodium_memzero(sk, sizeof sk);
	return VQ_OK;
}

static int parse(const char *path, const char *text, size_t len, struct secrets *s, char *err,
                 size_t errlen)
{
	int lineno = 0, head = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		const char *line = text + at;
		at += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		if (!head) {
			if (n != strlen(KEYFILE_HEAD) || memcmp(line, KEYFILE_HEAD, n) != 0)
				return fail(
				    err, errlen, VQ_ECONFIG,
				    "key file %s line %d: expected '%s' (is it a vq key file?)",
				    path, lineno, KEYFILE_HEAD);
			head = 1;
			continue;
		}
		int kid = -1;
		int rc = parse_key_line(line, n, s, &kid);
		if (rc == VQ_EEXISTS)
			return fail(err, errlen, VQ_ECONFIG, "key file %s line %d: kid %d again",
			            path, lineno, kid);
		if (rc != VQ_OK)
			return fail(err, errlen, VQ_ECONFIG,
			            "key file %s line %d: expected '<kid 0..255> <128 hex digits>'",
			            path, lineno);
	}
	if (!head)
		return fail(err, errlen, VQ_ECONFIG, "key file %s: empty (expected '%s' and keys)",
		            path, KEYFILE_HEAD);
	return VQ_OK;
}

int vq_keyfile_open(const char *path, vq_keyfile **out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path || !out)
		return fail(err, errlen, VQ_EINVAL, "no key file path");
	vq_keyfile *kf = calloc(1, sizeof *kf);
	char *text = NULL;
	size_t len = 0;
	int fd = -1, rc;
	if (!kf || !(kf->path = strdup(path)) || !(kf->s = sodium_malloc(sizeof *kf->s))) {
		rc = fail(err, errlen, VQ_ENOMEM, "key file %s: out of memory", path);
		goto fail;
	}
	memset(kf->s, 0, sizeof *kf->s);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*out = kf; /* first start: written at the first put */
		return VQ_OK;
	}
	if (fd < 0) {
		rc = fail(
		    err, errlen, errno == ELOOP ? VQ_EDENIED : VQ_ESTORE, "key file %s: %s", path,
		    errno == ELOOP ? "a symbolic link (give the file itself)" : strerror(errno));
		goto fail;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		rc = fail(err, errlen, VQ_ESTORE, "key file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = fail(err, errlen, VQ_EDENIED, "key file %s is not a regular file", path);
		goto fail;
	}
	if (sb.st_uid != geteuid()) {
		rc = fail(err, errlen, VQ_EDENIED,
		          "key file %s belongs to uid %u, not to vqd's user (uid %u): it holds the "
		          "signing secrets, so only vqd's user may own it (chown)",
		          path, (unsigned)sb.st_uid, (unsigned)geteuid());
		goto fail;
	}
	if (sb.st_mode & 077) {
		rc = fail(err, errlen, VQ_EDENIED,
		          "key file %s has mode %04o: it holds the signing secrets, so only vqd's "
		          "user may read it (chmod 600 %s)",
		          path, (unsigned)(sb.st_mode & 07777), path);
		goto fail;
	}
	rc = read_all(fd, &text, &len);
	if (rc == VQ_ECONFIG) {
		rc = fail(err, errlen, rc, "key file %s: larger than %d bytes", path, KEYFILE_MAX);
		goto fail;
	}
	if (rc != VQ_OK) {
		rc = fail(err, errlen, rc, "key file %s: cannot read it: %s", path,
		          rc == VQ_ENOMEM ? "out of memory" : strerror(errno));
		goto fail;
	}
	rc = parse(path, text, len, kf->s, err, errlen);
	sodium_memzero(text, len);
	free(text);
	if (rc != VQ_OK)
		goto fail;
	close(fd);
	kf->exists = 1;
	*out = kf;
	return VQ_OK;
fail:
	if (fd >= 0)
		close(fd);
	vq_keyfile_free(kf);
	return rc;
}

void vq_keyfile_free(vq_keyfile *kf)
{
	if (!kf)
		return;
	sodium_free(kf->s);
	free(kf->path);
	free(kf);
}

int vq_keyfile_exists(const vq_keyfile *kf)
{
	return kf && kf->exists;
}

const char *vq_keyfile_path(const vq_keyfile *kf)
{
	return kf ? kf->path : "";
}

int vq_keyfile_count(const vq_keyfile *kf)
{
	int n = 0;
	for (int k = 0; kf && k < 256; k++)
		n += kf->s->present[k];
	return n;
}

const uint8_t *vq_keyfile_get(const vq_keyfile *kf, uint8_t kid)
{
	return kf && kf->s->present[kid] ? kf->s->sk[kid] : NULL;
}

static int write_fully(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The folder holding path, synced so the rename is durable too. */
static int sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes the secrets of s to kf's file: FILE.tmp, sync, rename, sync the folder. */
static int save(const vq_keyfile *kf, const struct secrets *s, char *err, size_t errlen)
{
	size_t cap = 256 * 136 + 256;
	char *text = sodium_malloc(cap);
	char tmp[4200];
	int fd = -1, rc = VQ_ESTORE;
	if (!text)
		return fail(err, errlen, VQ_ESTORE, "key file %s: out of memory", kf->path);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", kf->path) >= sizeof tmp) {
		sodium_free(text);
		return fail(err, errlen, VQ_ESTORE, "key file %s: path too long", kf->path);
	}
	size_t n = (size_t)snprintf(text, cap,
	                            "# vq signing secrets: vqd's alone (mode 0600); back them up "
	                            "apart from the database\n%s\n",
	                            KEYFILE_HEAD);
	for (int k = 0; k < 256; k++) {
		if (!s->present[k])
			continue;
		n += (size_t)snprintf(text + n, cap - n, "%d ", k);
		sodium_bin2hex(text + n, cap - n, s->sk[k], 64);
		n += 128;
		text[n++] = '\n';
	}
	unlink(tmp); /* a leftover of a crash, possibly of another mode */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 || write_fully(fd, text, n) != 0 || fsync(fd) != 0) {
		rc = fail(err, errlen, VQ_ESTORE, "key file %s: writing %s: %s", kf->path, tmp,
		          strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = fail(err, errlen, VQ_ESTORE, "key file %s: closing %s: %s", kf->path, tmp,
		          strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, kf->path) != 0) {
		rc = fail(err, errlen, VQ_ESTORE, "key file %s: renaming %s: %s", kf->path, tmp,
		          strerror(errno));
		goto out;
	}
	if (sync_dir(kf->path) != 0) {
		rc = fail(err, errlen, VQ_ESTORE, "key file %s: syncing its folder: %s", kf->path,
		          strerror(errno));
		goto out;
	}
	rc = VQ_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != VQ_OK)
		unlink(tmp);
	sodium_free(text);
	return rc;
}

/* Applies one change to a copy, writes the copy, and only then takes it. */
static int change(vq_keyfile *kf, uint8_t kid, const uint8_t *sk, char *err, size_t errlen)
{
	struct secrets *next = sodium_malloc(sizeof *next);
	if (!next)
		return fail(err, errlen, VQ_ESTORE, "key file %s: out of memory", kf->path);
	memcpy(next, kf->s, sizeof *next);
	next->present[kid] = sk != NULL;
	if (sk)
		memcpy(next->sk[kid], sk, 64);
	else
		sodium_memzero(next->sk[kid], 64);
	int rc = save(kf, next, err, errlen);
	if (rc != VQ_OK) {
		sodium_free(next);
		return rc;
	}
	sodium_free(kf->s);
	kf->s = next;
	kf->exists = 1;
	return VQ_OK;
}

int vq_keyfile_put(vq_keyfile *kf, uint8_t kid, const uint8_t sk[64], char *err, size_t errlen)
{
	if (!kf || !sk)
		return fail(err, errlen, VQ_EINVAL, "no key");
	return change(kf, kid, sk, err, errlen);
}

int vq_keyfile_remove(vq_keyfile *kf, uint8_t kid, char *err, size_t errlen)
{
	if (!kf)
		return fail(err, errlen, VQ_EINVAL, "no key file");
	if (!kf->s->present[kid])
		return VQ_OK;
	return change(kf, kid, NULL, err, errlen);
}
