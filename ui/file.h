/* ui/file.h — whole-file reads for the layer's own files (fonts, translations). */
#ifndef VQ_UI_FILE_H
#define VQ_UI_FILE_H

#include <stddef.h>

#include "core/vq.h"

/* A whole file of at most max bytes, NUL-terminated (vq_free it); err names the file.
 * VQ_ENOTFOUND (cannot open or read), VQ_ETOOBIG, VQ_ENOMEM. */
int ui_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);

#endif
