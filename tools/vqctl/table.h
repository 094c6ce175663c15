/* tools/vqctl/table.h — what vqctl prints for people: aligned tables, local times, the
 * import progress bar, and one printer per kind of reply.
 *
 * Pure formatting into a FILE (tests use open_memstream). Times are printed in the site's
 * zone (clock/timefmt.h: the offset where a time is shown twice; UTC, said so, for a zone
 * this machine does not have).
 */
#ifndef VQCTL_TABLE_H
#define VQCTL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "clock/timefmt.h"

typedef struct vqctl_table vqctl_table;

/* A table of ncols columns; the first row added is the header. NULL without memory. */
vqctl_table *vqctl_table_new(size_t ncols);
/* Copies ncols cells (NULL prints as ""). VQ_OK or VQ_ENOMEM. */
int vqctl_table_add(vqctl_table *t, const char *const *cells);
/* Numbers read better right-aligned. */
void vqctl_table_align_right(vqctl_table *t, size_t col);
/* Columns two spaces apart, widths in UTF-8 characters, no trailing blanks. */
void vqctl_table_print(const vqctl_table *t, FILE *out);
void vqctl_table_free(vqctl_table *t); /* NULL is fine */

/* Local "HH:MM" of a Unix time in zone; "-" for 0 or less (the protocol's "never"). */
void vqctl_hhmm(const char *zone, int64_t t, char out[VQ_TIME_HHMM_MAX]);

/* "[#####.....]  1000/2000  50%" with a bar of width characters. */
void vqctl_progress(char *out, size_t n, size_t done, size_t total, int width);

/* Prints a successful reply to command cmd (enum vqctl_cmd) for people, times in zone
 * (the site's, from state/_site). VQ_OK, or
 * VQ_EBADREQ when the reply lacks what the command returns (the caller then shows the
 * raw JSON); VQ_ENOMEM. */
int vqctl_print_reply(FILE *out, const char *zone, int cmd, const cJSON *reply);

#endif
