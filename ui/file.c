/* ui/file.c — reads a whole file for the layer (fonts, translations): one read, bounded
 * in size, NUL-terminated, with a message that names the file when it cannot. */
#include "ui/file.h"

#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ui_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen)
{
	int rc = VQ_ENOTFOUND;
	char *buf = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return VQ_ENOTFOUND;
	}
	long size = -1;
	if (fseek(f, 0, SEEK_END) == 0)
		size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: not a regular file", path);
		goto cleanup;
	}
	if ((size_t)size > max) {
		rc = VQ_ETOOBIG;
		if (err && errlen)
			snprintf(err, errlen, "%s: over %zu bytes", path, max);
		goto cleanup;
	}
	buf = vq_malloc((size_t)size + 1);
	if (!buf) {
		rc = VQ_ENOMEM;
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		if (err && errlen)
			snprintf(err, errlen, "%s: short read", path);
		goto cleanup;
	}
	buf[size] = '\0';
	*out = buf;
	*len = (size_t)size;
	buf = NULL;
	rc = VQ_OK;
cleanup:
	vq_free(buf);
	fclose(f);
	return rc;
}
