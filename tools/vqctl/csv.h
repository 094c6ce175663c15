/* tools/vqctl/csv.h — the members file of 'vqctl members import': CSV to checked members.
 *
 * Owns the reading of "card,tier" lines (the format is in vqctl --help), every check a
 * member gets before it is sent, and the members_import request body. Works on a buffer,
 * not a file, so tests feed it strings. Line numbers count every line of the file, blank
 * and comment lines included, so they match what an editor shows.
 */
#ifndef VQCTL_CSV_H
#define VQCTL_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "tools/vqctl/cli.h"

#define VQCTL_BAD_KEEP 1000 /* bad lines remembered with their reason; all are counted */

typedef struct vqctl_member {
	char card[VQCTL_CARD_MAX];
	char tier[VQ_ID_MAX];
	unsigned line;
} vqctl_member;

typedef struct vqctl_bad_line {
	unsigned line;
	char why[120];
} vqctl_bad_line;

typedef struct vqctl_members {
	vqctl_member *v; /* the good members, in file order, each card once */
	size_t n, cap;
	vqctl_bad_line *bad; /* sorted by line; at most VQCTL_BAD_KEEP */
	size_t nbad;         /* every bad line, also those not kept */
	size_t nbad_kept;
	size_t duplicates; /* lines repeating an earlier card with the same tier (not sent) */
	bool header;       /* the file began with a "card,tier" header */
} vqctl_members;

/* Parses len bytes of CSV into *out (zeroed first). VQ_OK, or VQ_ENOMEM (and *out
 * empty). Bad lines are not an error of the call: they are listed in out->bad. */
int vqctl_csv_parse(const char *buf, size_t len, vqctl_members *out);

/* Moves every member whose tier is not one of tiers[0..ntiers) to the bad lines. */
void vqctl_members_check_tiers(vqctl_members *m, const char *const *tiers, size_t ntiers);

void vqctl_members_free(vqctl_members *m); /* leaves *m empty; fine twice */

/* {"v":1,"rid":…,"cmd":"members_import","members":[{"card","tier"}…]}, or NULL. */
cJSON *vqctl_import_request(const vqctl_member *m, size_t n, const char *rid);

#endif
