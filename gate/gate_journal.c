/* gate/gate_journal.c — the gate's offline journal (see gate_journal.h).
 *
 * Owns the file format and its replay, the entries in memory and the set of tickets known
 * used. Invariants: j->size is the length of the file's whole lines, all of them fsync'd
 * (the file never holds a torn line after open returns); every append is written at
 * j->size with pwrite(2), whatever the file offset says, and followed by fsync(2), so a
 * failed append leaves at most bytes past j->size, which are cut before the next one is
 * written (and which the next open would cut as a torn tail) — a line already on disk is
 * never touched again; an entry, a batch or a result exists in memory only once its line
 * is on disk, so numbers and request ids never run ahead of the file; entries[i].n == i + 1
 * (a number missing from the file, which older gates could leave behind, is kept as a
 * GATE_J_MISSING placeholder and counted in gaps).
 */
#include "gate/gate_journal.h"
#include "core/json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JID_BYTES       6
#define JID_MAX         (2 * JID_BYTES + 1)
#define JOURNAL_MAX     (256L * 1024 * 1024) /* far beyond a day of any gate */
#define USED_MIN_SLOT   64
#define JOURNAL_MAX_GAP 100000 /* a larger jump in entry numbers is damage, not a gap */

struct gate_journal {
	int fd; /* -1: in memory only */
	char *path;
	long size;
	int tail; /* bytes past size may be on disk (a failed append): cut them first */
	char jid[JID_MAX];
	char gate[VQ_ID_MAX];
	gate_jentry *e;
	int n, cap;
	int pending;
	int batches; /* sync batches made so far: the next rid is batches + 1 */
	int skipped;
	int gaps; /* entry numbers the file skips */
	long torn;
	gate_used *used; /* open addressing on ticket, 0 = empty slot */
	size_t nused, slots;
};

static void put_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* --- the set of used tickets ------------------------------------------------------- */

static size_t slot_of(uint64_t ticket, size_t slots)
{
	/* Ticket ids are sequential: spread them (Fibonacci hashing) before masking. */
	return (size_t)((ticket * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (slots - 1);
}

static gate_used *used_slot(const gate_journal *j, uint64_t ticket)
{
	if (!j->slots)
		return NULL;
	size_t i = slot_of(ticket, j->slots);
	while (j->used[i].ticket && j->used[i].ticket != ticket)
		i = (i + 1) & (j->slots - 1);
	return &j->used[i];
}

static int used_grow(gate_journal *j)
{
	size_t slots = j->slots ? j->slots * 2 : USED_MIN_SLOT;
	gate_used *t = calloc(slots, sizeof *t);
	if (!t)
		return VQ_ENOMEM;
	for (size_t i = 0; i < j->slots; i++) {
		if (!j->used[i].ticket)
			continue;
		size_t k = slot_of(j->used[i].ticket, slots);
		while (t[k].ticket)
			k = (k + 1) & (slots - 1);
		t[k] = j->used[i];
	}
	free(j->used);
	j->used = t;
	j->slots = slots;
	return VQ_OK;
}

/* The first use of a ticket is the one kept: that is what "already used at" reports. */
static int used_put(gate_journal *j, uint64_t ticket, int64_t at, const char *gate, int offline)
{
	if (!ticket)
		return VQ_EINVAL;
	if ((j->nused + 1) * 2 > j->slots && used_grow(j) != VQ_OK)
		return VQ_ENOMEM;
	gate_used *u = used_slot(j, ticket);
	if (u->ticket)
		return VQ_OK;
	u->ticket = ticket;
	u->at = at;
	copy_str(u->gate, sizeof u->gate, gate);
	u->offline = offline;
	j->nused++;
	return VQ_OK;
}

int gate_journal_find_used(const gate_journal *j, uint64_t ticket, gate_used *out)
{
	const gate_used *u = ticket ? used_slot(j, ticket) : NULL;
	if (!u || !u->ticket)
		return 0;
	if (out)
		*out = *u;
	return 1;
}

/* --- the file ------------------------------------------------------------------------ */

/* Appends len bytes (whole lines) at the recorded end and makes them durable; VQ_ESTORE
 * if any of it fails (a full disk: EFBIG, ENOSPC), and then nothing of it counts. */
static int append(gate_journal *j, const char *text, size_t len)
{
	if (j->fd < 0)
		return VQ_OK;
	if (j->tail) {
		if (ftruncate(j->fd, j->size) != 0 || fsync(j->fd) != 0)
			return VQ_ESTORE;
		j->tail = 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(j->fd, text + done, len - done, (off_t)j->size + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (fsync(j->fd) != 0)
		goto fail;
	j->size += (long)len;
	return VQ_OK;
fail:
	/* what was written of the line must not be taken for a line: cut it now if we can,
	 * before the next append otherwise */
	j->tail = ftruncate(j->fd, j->size) != 0;
	return VQ_ESTORE;
}

/* Prints o as one line and appends it; takes o. */
static int append_json(gate_journal *j, cJSON *o)
{
	int rc = VQ_ENOMEM;
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	if (s) {
		size_t n = strlen(s);
		char *line = malloc(n + 2);
		if (line) {
			memcpy(line, s, n);
			line[n] = '\n';
			line[n + 1] = '\0';
			rc = append(j, line, n + 1);
			free(line);
		}
	}
	free(s);
	cJSON_Delete(o);
	return rc;
}

/* --- entries ------------------------------------------------------------------------- */

static gate_jentry *entry(gate_journal *j, int n)
{
	return n >= 1 && n <= j->n ? &j->e[n - 1] : NULL;
}

const gate_jentry *gate_journal_entry(const gate_journal *j, int n)
{
	return n >= 1 && n <= j->n ? &j->e[n - 1] : NULL;
}

/* Makes room for one more entry. */
static int reserve(gate_journal *j)
{
	if (j->n == j->cap) {
		int cap = j->cap ? j->cap * 2 : 64;
		gate_jentry *ne = realloc(j->e, (size_t)cap * sizeof *ne);
		if (!ne)
			return VQ_ENOMEM;
		j->e = ne;
		j->cap = cap;
	}
	return VQ_OK;
}

static int push_entry(gate_journal *j, const gate_jentry *e)
{
	if (reserve(j) != VQ_OK)
		return VQ_ENOMEM;
	j->e[j->n] = *e;
	j->e[j->n].n = j->n + 1;
	j->e[j->n].state = GATE_J_PENDING;
	memset(&j->e[j->n].res, 0, sizeof j->e[j->n].res);
	j->n++;
	j->pending++;
	if (e->kind == GATE_J_ADMIT && e->ticket)
		used_put(j, e->ticket, e->at, j->gate, 1);
	return VQ_OK;
}

/* A number the file skips: an entry known to be lost, done so nothing waits for it. */
static int push_missing(gate_journal *j)
{
	if (reserve(j) != VQ_OK)
		return VQ_ENOMEM;
	gate_jentry *e = &j->e[j->n];
	memset(e, 0, sizeof *e);
	e->n = j->n + 1;
	e->kind = GATE_J_MISSING;
	e->state = GATE_J_DONE;
	copy_str(e->res.error, sizeof e->res.error, "missing");
	j->n++;
	j->gaps++;
	return VQ_OK;
}

static void set_done(gate_journal *j, gate_jentry *e, const gate_jresult *r)
{
	if (e->state == GATE_J_DONE)
		return;
	e->state = GATE_J_DONE;
	e->res = *r;
	j->pending--;
}

/* --- replay -------------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer field in lo..hi, as written; 0 if absent, not an integer or out of range.
 * Nothing is cast before its range is checked: an entry number of 2^32 + 1 once settled
 * entry 1. */
static int64_t jint(const cJSON *o, const char *k, int64_t lo, int64_t hi)
{
	int64_t v;
	return vq_json_int(cJSON_GetObjectItemCaseSensitive(o, k), lo, hi, &v) == VQ_OK ? v : 0;
}

/* An entry number: 1..INT_MAX, else 0 (no entry has it). */
static int jnum(const cJSON *v)
{
	int64_t n;
	return vq_json_int(v, 1, INT_MAX, &n) == VQ_OK ? (int)n : 0;
}

static void result_from(const cJSON *o, gate_jresult *r)
{
	memset(r, 0, sizeof *r);
	r->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
	r->conflict = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "conflict"));
	copy_str(r->error, sizeof r->error, jstr(o, "error"));
	copy_str(r->first_gate, sizeof r->first_gate, jstr(o, "first_gate"));
	r->first_at = jint(o, "first_at", INT64_MIN, INT64_MAX);
}

static void entry_from(const cJSON *o, int kind, gate_jentry *e)
{
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->ticket = (uint64_t)jint(o, "ticket", 0, INT64_MAX);
	copy_str(e->code, sizeof e->code, jstr(o, "code"));
	copy_str(e->attraction, sizeof e->attraction, jstr(o, "attraction"));
	e->at = jint(o, "at", INT64_MIN, INT64_MAX);
	copy_str(e->number, sizeof e->number, jstr(o, "number"));
	e->party = (int)jint(o, "party", 0, VQ_MAX_PARTY);
	copy_str(e->tier, sizeof e->tier, jstr(o, "tier"));
	copy_str(e->reason, sizeof e->reason, jstr(o, "reason"));
	copy_str(e->rid, sizeof e->rid, jstr(o, "rid"));
}

/* Applies one line. VQ_EINVAL: it does not parse or does not fit what came before. */
static int replay_line(gate_journal *j, const char *line, size_t len, char *err, size_t errlen)
{
	int rc = VQ_EINVAL;
	cJSON *o = NULL;
	if (vq_json_parse(line, len, VQ_JSON_TEXT, &o, NULL) != VQ_OK)
		o = NULL; /* strict: a damaged line is skipped, never half read */
	const char *t = o ? jstr(o, "t") : NULL;
	if (!t)
		goto cleanup;
	if (strcmp(t, "open") == 0) {
		const char *jid = jstr(o, "jid"), *gate = jstr(o, "gate");
		if (!jid || !gate || strlen(jid) >= JID_MAX)
			goto cleanup;
		if (strcmp(gate, j->gate) != 0) {
			put_err(err, errlen, "journal %s belongs to gate %s, not %s", j->path, gate,
			        j->gate);
			rc = VQ_EEXISTS;
			goto cleanup;
		}
		copy_str(j->jid, sizeof j->jid, jid);
		rc = VQ_OK;
	} else if (strcmp(t, "adm") == 0 || strcmp(t, "ovr") == 0) {
		gate_jentry e;
		entry_from(o, t[0] == 'a' ? GATE_J_ADMIT : GATE_J_OVERRIDE, &e);
		int64_t n = jnum(cJSON_GetObjectItemCaseSensitive(o, "n"));
		if (n <= j->n || n > (int64_t)j->n + JOURNAL_MAX_GAP || !e.attraction[0])
			goto cleanup;
		/* numbers an older gate gave to lines it never wrote: keep the places, so the
		 * entries that follow keep their numbers (a result names its entry by number) */
		while (j->n + 1 < n) {
			if ((rc = push_missing(j)) != VQ_OK)
				goto cleanup;
		}
		rc = push_entry(j, &e);
	} else if (strcmp(t, "batch") == 0) {
		const char *rid = jstr(o, "rid");
		const cJSON *ns = cJSON_GetObjectItemCaseSensitive(o, "n"), *it;
		if (!rid || !cJSON_IsArray(ns))
			goto cleanup;
		cJSON_ArrayForEach(it, ns)
		{
			gate_jentry *e = entry(j, jnum(it));
			if (e && e->state == GATE_J_PENDING) {
				e->state = GATE_J_SENT;
				copy_str(e->rid, sizeof e->rid, rid);
			}
		}
		j->batches++;
		rc = VQ_OK;
	} else if (strcmp(t, "res") == 0) {
		gate_jentry *e = entry(j, jnum(cJSON_GetObjectItemCaseSensitive(o, "n")));
		if (!e)
			goto cleanup;
		gate_jresult r;
		result_from(o, &r);
		set_done(j, e, &r);
		rc = VQ_OK;
	} else if (strcmp(t, "used") == 0) {
		rc = used_put(j, (uint64_t)jint(o, "ticket", 0, INT64_MAX),
		              jint(o, "at", INT64_MIN, INT64_MAX), jstr(o, "gate"),
		              (int)jint(o, "offline", 0, 1));
	}
cleanup:
	cJSON_Delete(o);
	return rc;
}

static int read_all(const char *path, char **buf, long *len, char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return VQ_OK;
		put_err(err, errlen, "journal %s: %s", path, strerror(errno));
		return VQ_ESTORE;
	}
	int rc = VQ_ESTORE;
	long size = -1;
	if (fseek(f, 0, SEEK_END) == 0)
		size = ftell(f);
	if (size < 0 || size > JOURNAL_MAX || fseek(f, 0, SEEK_SET) != 0) {
		put_err(err, errlen, "journal %s: unreadable or too large", path);
		goto cleanup;
	}
	*buf = malloc((size_t)size + 1);
	if (!*buf) {
		rc = VQ_ENOMEM;
		goto cleanup;
	}
	if (fread(*buf, 1, (size_t)size, f) != (size_t)size) {
		put_err(err, errlen, "journal %s: short read", path);
		free(*buf);
		*buf = NULL;
		goto cleanup;
	}
	(*buf)[size] = '\0';
	*len = size;
	rc = VQ_OK;
cleanup:
	fclose(f);
	return rc;
}

/* A new file must survive a crash too: its name lives in the folder. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0) {
			/* a folder some file systems cannot sync; the file itself is synced */
		}
		close(fd);
	}
	free(copy);
}

static int write_header(gate_journal *j, int64_t now)
{
	unsigned char raw[JID_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(j->jid, sizeof j->jid, raw, sizeof raw);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "t", "open");
	cJSON_AddNumberToObject(o, "v", 1);
	cJSON_AddStringToObject(o, "jid", j->jid);
	cJSON_AddStringToObject(o, "gate", j->gate);
	cJSON_AddNumberToObject(o, "created", (double)now);
	return append_json(j, o);
}

int gate_journal_open(const char *path, const char *gate_id, int64_t now, gate_journal **out,
                      char *err, size_t errlen)
{
	int rc = VQ_ENOMEM;
	char *buf = NULL;
	long len = 0;
	if (!gate_id || !*gate_id || strlen(gate_id) >= VQ_ID_MAX || !out)
		return VQ_EINVAL;
	if (sodium_init() < 0)
		return VQ_ENOMEM;
	gate_journal *j = calloc(1, sizeof *j);
	if (!j)
		return VQ_ENOMEM;
	j->fd = -1;
	copy_str(j->gate, sizeof j->gate, gate_id);
	if (!path) {
		if ((rc = write_header(j, now)) != VQ_OK)
			goto fail;
		*out = j;
		return VQ_OK;
	}
	j->path = strdup(path);
	if (!j->path)
		goto fail;
	if ((rc = read_all(path, &buf, &len, err, errlen)) != VQ_OK)
		goto fail;
	long good = 0; /* bytes of whole lines */
	for (long i = 0; i < len;) {
		char *nl = memchr(buf + i, '\n', (size_t)(len - i));
		if (!nl)
			break; /* the torn tail */
		long end = nl - buf;
		if (end > i) {
			int lr = replay_line(j, buf + i, (size_t)(end - i), err, errlen);
			if (lr == VQ_EEXISTS || lr == VQ_ENOMEM) {
				rc = lr == VQ_EEXISTS ? VQ_EINVAL : lr;
				goto fail;
			}
			if (lr != VQ_OK)
				j->skipped++;
		}
		i = end + 1;
		good = i;
	}
	j->torn = len - good;
	j->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0 || (j->torn && ftruncate(j->fd, good) != 0) ||
	    lseek(j->fd, good, SEEK_SET) < 0) {
		put_err(err, errlen, "journal %s: %s", path, strerror(errno));
		rc = VQ_ESTORE;
		goto fail;
	}
	j->size = good;
	if (j->torn && fsync(j->fd) != 0) {
		put_err(err, errlen, "journal %s: %s", path, strerror(errno));
		rc = VQ_ESTORE;
		goto fail;
	}
	if (!j->jid[0]) {
		rc = write_header(j, now);
		if (rc != VQ_OK) {
			put_err(err, errlen, "journal %s: cannot write: %s", path, strerror(errno));
			goto fail;
		}
		if (good == 0)
			sync_dir(path);
	}
	free(buf);
	*out = j;
	return VQ_OK;
fail:
	free(buf);
	gate_journal_free(j);
	return rc;
}

void gate_journal_free(gate_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j->e);
	free(j->used);
	free(j);
}

const char *gate_journal_jid(const gate_journal *j)
{
	return j->jid;
}

int gate_journal_count(const gate_journal *j)
{
	return j->n;
}

int gate_journal_pending(const gate_journal *j)
{
	return j->pending;
}

int gate_journal_skipped(const gate_journal *j)
{
	return j->skipped;
}

int gate_journal_gaps(const gate_journal *j)
{
	return j->gaps;
}

long gate_journal_torn(const gate_journal *j)
{
	return j->torn;
}

/* --- changes ------------------------------------------------------------------------- */

int gate_journal_add(gate_journal *j, const gate_jentry *in, int *n)
{
	if (!in || !in->attraction[0] ||
	    (in->kind != GATE_J_ADMIT && in->kind != GATE_J_OVERRIDE) ||
	    (in->kind == GATE_J_ADMIT && (!in->ticket || !in->code[0])) ||
	    (in->kind == GATE_J_OVERRIDE && !in->reason[0]))
		return VQ_EINVAL;
	gate_jentry e = *in;
	e.rid[0] = '\0';
	if (e.kind == GATE_J_OVERRIDE)
		snprintf(e.rid, sizeof e.rid, "o-%s-%d", j->jid, j->n + 1);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "t", e.kind == GATE_J_ADMIT ? "adm" : "ovr");
	cJSON_AddNumberToObject(o, "n", j->n + 1);
	if (e.rid[0])
		cJSON_AddStringToObject(o, "rid", e.rid);
	if (e.ticket)
		cJSON_AddNumberToObject(o, "ticket", (double)e.ticket);
	if (e.code[0])
		cJSON_AddStringToObject(o, "code", e.code);
	cJSON_AddStringToObject(o, "attraction", e.attraction);
	cJSON_AddNumberToObject(o, "at", (double)e.at);
	if (e.number[0])
		cJSON_AddStringToObject(o, "number", e.number);
	if (e.party)
		cJSON_AddNumberToObject(o, "party", e.party);
	if (e.tier[0])
		cJSON_AddStringToObject(o, "tier", e.tier);
	if (e.reason[0])
		cJSON_AddStringToObject(o, "reason", e.reason);
	if (reserve(j) != VQ_OK) {
		cJSON_Delete(o);
		return VQ_ENOMEM;
	}
	int rc = append_json(j, o);
	if (rc != VQ_OK)
		return rc; /* not on disk: not an entry, and its number is still free */
	rc = push_entry(j, &e);
	if (rc == VQ_OK && n)
		*n = j->n;
	return rc;
}

int gate_journal_batch(gate_journal *j, const int *ns, int count, char rid[GATE_RID_MAX])
{
	if (!ns || count < 1 || count > GATE_SYNC_MAX)
		return VQ_EINVAL;
	for (int i = 0; i < count; i++) {
		const gate_jentry *e = entry(j, ns[i]);
		if (!e || e->kind != GATE_J_ADMIT || e->state != GATE_J_PENDING)
			return VQ_EINVAL;
	}
	snprintf(rid, GATE_RID_MAX, "s-%s-%d", j->jid, j->batches + 1);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "t", "batch");
	cJSON_AddStringToObject(o, "rid", rid);
	cJSON *arr = cJSON_AddArrayToObject(o, "n");
	for (int i = 0; i < count; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(ns[i]));
	int rc = append_json(j, o);
	if (rc != VQ_OK) {
		rid[0] = '\0'; /* never sent under a rid the file does not hold */
		return rc;
	}
	j->batches++;
	for (int i = 0; i < count; i++) {
		gate_jentry *e = entry(j, ns[i]);
		e->state = GATE_J_SENT;
		copy_str(e->rid, sizeof e->rid, rid);
	}
	return VQ_OK;
}

int gate_journal_results(gate_journal *j, const int *ns, const gate_jresult *rs, int count)
{
	if (count < 0 || (count && (!ns || !rs)))
		return VQ_EINVAL;
	/* One write for the whole answer: a batch of 200 costs one fsync, not 200. */
	size_t cap = 256, len = 0;
	char *text = malloc(cap);
	if (!text)
		return VQ_ENOMEM;
	int rc = VQ_OK;
	for (int i = 0; i < count; i++) {
		const gate_jentry *e = entry(j, ns[i]);
		if (!e || e->state == GATE_J_DONE)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "t", "res");
		cJSON_AddNumberToObject(o, "n", ns[i]);
		cJSON_AddBoolToObject(o, "ok", rs[i].ok);
		if (rs[i].error[0])
			cJSON_AddStringToObject(o, "error", rs[i].error);
		if (rs[i].conflict) {
			cJSON_AddBoolToObject(o, "conflict", 1);
			cJSON_AddStringToObject(o, "first_gate", rs[i].first_gate);
			cJSON_AddNumberToObject(o, "first_at", (double)rs[i].first_at);
		}
		char *s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!s) {
			rc = VQ_ENOMEM;
			goto cleanup;
		}
		size_t n = strlen(s);
		if (len + n + 2 > cap) {
			while (len + n + 2 > cap)
				cap *= 2;
			char *t = realloc(text, cap);
			if (!t) {
				free(s);
				rc = VQ_ENOMEM;
				goto cleanup;
			}
			text = t;
		}
		memcpy(text + len, s, n);
		len += n;
		text[len++] = '\n';
		free(s);
	}
	if (len)
		rc = append(j, text, len);
	for (int i = 0; rc == VQ_OK && i < count; i++) {
		gate_jentry *e = entry(j, ns[i]);
		if (e)
			set_done(j, e, &rs[i]);
	}
cleanup:
	free(text);
	return rc;
}

int gate_journal_mark_used(gate_journal *j, uint64_t ticket, int64_t at, const char *gate,
                           int offline)
{
	if (!ticket)
		return VQ_EINVAL;
	if (gate_journal_find_used(j, ticket, NULL))
		return VQ_OK;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "t", "used");
	cJSON_AddNumberToObject(o, "ticket", (double)ticket);
	cJSON_AddNumberToObject(o, "at", (double)at);
	cJSON_AddStringToObject(o, "gate", gate ? gate : "");
	cJSON_AddNumberToObject(o, "offline", offline ? 1 : 0);
	int wrc = append_json(j, o);
	if (wrc == VQ_ENOMEM)
		return wrc;
	int rc = used_put(j, ticket, at, gate, offline);
	return rc != VQ_OK ? rc : wrc;
}
