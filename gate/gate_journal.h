/* gate/gate_journal.h — the gate's append-only journal: what it did that vqd must still hear
 * about, and which tickets it knows to be used.
 *
 * One JSON object a line, each line written whole and fsync'd before the call returns:
 *	{"t":"open","v":1,"jid":"…","gate":"gate-1","created":T}   first line: who, and the
 *	                             journal id that makes this journal's request ids unique
 *	{"t":"adm","n":N,"ticket":…,"code":…,"attraction":…,"at":T,"number":…,"party":…,"tier":…}
 *	                             an admission made offline, to be sent with svc/sync
 *	{"t":"ovr","n":N,"rid":…,"attraction":…,"reason":…,"code":…,"at":T,…}
 *	                             a staff override, to be sent with svc/override
 *	{"t":"batch","rid":…,"n":[N…]}   admissions sent together under one sync rid; a gate
 *	                             that did not get the answer resends them, same rid
 *	{"t":"res","n":N,"ok":…,"error":…,"conflict":…,"first_gate":…,"first_at":…}
 *	                             vqd's answer for entry N: it is done
 *	{"t":"used","ticket":…,"at":T,"gate":…,"offline":0}   a ticket known to be used
 *
 * Lines are appended at the end the journal recorded (pwrite), never over a line already
 * written. Reopening replays the lines; a last line without its newline (the power failed
 * while it was written) is cut off the file, a complete line that does not parse is skipped
 * and counted, and an entry number the file skips (older gates numbered entries they
 * failed to write) is kept as a GATE_J_MISSING placeholder and counted, so every entry
 * after it keeps its number and is replayed. Invariants: entry N is at index N-1; an
 * entry's state only moves forward (pending -> sent -> done, an override pending -> done);
 * what is in the file is in memory, and an entry, a sync batch or a result is in memory
 * only once its line is in the file: a write that fails (a full disk) returns VQ_ESTORE and
 * changes nothing, so the gate must not show an admission it could not record, nor send a
 * sync whose rid the file does not hold. The one exception is a ticket marked used, which
 * stays known in memory (refusing a second scan) even when its line could not be written.
 */
#ifndef VQ_GATE_JOURNAL_H
#define VQ_GATE_JOURNAL_H

#include <stdint.h>

#include "core/code.h"

#define GATE_RID_MAX    48  /* request ids we make, with the NUL */
#define GATE_REASON_MAX 201 /* an override's reason: 1..200 bytes, as vqd takes it */
#define GATE_NUMBER_MAX 16
#define GATE_ERROR_MAX  32
#define GATE_SYNC_MAX   200 /* admissions one svc/sync may carry */

enum gate_jkind { GATE_J_ADMIT = 0, GATE_J_OVERRIDE = 1, GATE_J_MISSING = 2 };
enum gate_jstate { GATE_J_PENDING = 0, GATE_J_SENT = 1, GATE_J_DONE = 2 };

/* What vqd said about one entry. */
typedef struct gate_jresult {
	int ok;
	int conflict;               /* another gate admitted the ticket first */
	char error[GATE_ERROR_MAX]; /* wire code when !ok */
	char first_gate[VQ_ID_MAX]; /* conflict: who, and when */
	int64_t first_at;
} gate_jresult;

typedef struct gate_jentry {
	int n;    /* 1, 2, ... in the order made */
	int kind; /* enum gate_jkind */
	int state;
	uint64_t ticket; /* 0: unknown (an override without a readable code) */
	char code[VQ_CODE_MAX];
	char attraction[VQ_ID_MAX];
	int64_t at; /* Unix seconds, the gate's clock */
	char number[GATE_NUMBER_MAX];
	int party;
	char tier[VQ_ID_MAX];
	char reason[GATE_REASON_MAX]; /* override */
	char rid[GATE_RID_MAX];       /* the request that carries it, once there is one */
	gate_jresult res;             /* GATE_J_DONE */
} gate_jentry;

typedef struct gate_used {
	uint64_t ticket;
	int64_t at;
	char gate[VQ_ID_MAX];
	int offline;
} gate_used;

typedef struct gate_journal gate_journal;

/* Opens (creating it if need be) the journal at path and replays it; path NULL keeps it in
 * memory only (tests). gate_id is the account the gate runs as: a journal written by
 * another gate is refused (VQ_EINVAL), since its admissions are not ours to report.
 * VQ_ESTORE if the file cannot be read or written; err says why. */
int gate_journal_open(const char *path, const char *gate_id, int64_t now, gate_journal **out,
                      char *err, size_t errlen);
void gate_journal_free(gate_journal *j); /* NULL is fine */

const char *gate_journal_jid(const gate_journal *j);
int gate_journal_count(const gate_journal *j);
const gate_jentry *gate_journal_entry(const gate_journal *j, int n); /* NULL if no entry n */
int gate_journal_pending(const gate_journal *j);                     /* entries not done */
int gate_journal_skipped(const gate_journal *j); /* lines that did not parse at open */
int gate_journal_gaps(const gate_journal *j);    /* entry numbers missing from the file */
long gate_journal_torn(const gate_journal *j);   /* bytes of a torn last line cut at open */

/* Records e (kind, ticket, code, attraction, at, number, party, tier; an override also
 * reason) as entry *n, pending. An override gets its request id here ("o-<jid>-<n>"), so a
 * resend after a restart is the same request. An admission also marks its ticket used
 * here, offline. VQ_ESTORE if it cannot be written: then there is no entry. */
int gate_journal_add(gate_journal *j, const gate_jentry *e, int *n);

/* Puts entries ns[0..count) (pending admissions, 1..GATE_SYNC_MAX of them) into a new sync
 * batch, and writes its rid ("s-<jid>-<k>") to rid. VQ_ESTORE if it cannot be written: then
 * there is no batch and rid is "" (nothing may be sent). */
int gate_journal_batch(gate_journal *j, const int *ns, int count, char rid[GATE_RID_MAX]);

/* Records vqd's answers for entries ns[0..count) in one write; entries already done are
 * left alone (a late answer to a resent request repeats the first). VQ_ESTORE if it cannot
 * be written: the entries stay as they were, to be sent (same rid) and answered again. */
int gate_journal_results(gate_journal *j, const int *ns, const gate_jresult *rs, int count);

/* Remembers that ticket was used, at, at gate (a later call for the same ticket wins only
 * if it adds nothing new: the first use is what is kept). VQ_ESTORE if it cannot be
 * written; the ticket is known used in memory all the same. */
int gate_journal_mark_used(gate_journal *j, uint64_t ticket, int64_t at, const char *gate,
                           int offline);
/* 1 and *out if ticket is known used, else 0. */
int gate_journal_find_used(const gate_journal *j, uint64_t ticket, gate_used *out);

#endif
