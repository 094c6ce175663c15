/* tests/support/pgserver.h — a throwaway PostgreSQL server for one test program, on
 * loopback only.
 *
 * vq_test_pg_start runs initdb in a fresh folder under $TMPDIR and starts postgres on a
 * free 127.0.0.1 port (held for the server's whole life, as the broker's is: see
 * tu_hold_port), without a Unix socket, with trust authentication, and makes the database
 * "vq". PostgreSQL refuses to run as root: as root, the folder is handed to the "postgres"
 * user and both programs run as it. The server skips fsync (a killed process loses nothing
 * the kernel already has; only a machine crash would, and tests do not crash machines):
 * commits still wait for the WAL to be written, so synchronous_commit keeps its meaning.
 *
 * The binaries are found in $VQ_PG_BIN, else in /usr/lib/postgresql/<newest>/bin (Debian's
 * postgresql-15, which tools/setup-deps installs). When they are missing, start fails and
 * says so: a test that needs PostgreSQL must then fail, not skip.
 *
 * postgres is a child of the calling thread and dies with it (PR_SET_PDEATHSIG), so a test
 * program that crashes leaves no server behind; stop it from the thread that started it
 * (the test's main thread). Every wait is bounded. VQ_KEEP_BROKER_DIR=1 keeps the folder.
 * Functions return enum vq_err values and say why on stderr.
 */
#ifndef VQ_TEST_PGSERVER_H
#define VQ_TEST_PGSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vq.h"

typedef struct vq_test_pg vq_test_pg;

/* initdb, start, wait until it accepts connections, create the database "vq". On failure
 * *out is NULL, nothing is left running, and vq_test_pg_why() says why. */
int vq_test_pg_start(vq_test_pg **out);
/* Fast shutdown (SIGINT), SIGKILL if it has not ended within ~10 s; removes the folder;
 * frees. NULL is fine. */
void vq_test_pg_stop(vq_test_pg *p);
/* Why the last start failed ("" if it did not). */
const char *vq_test_pg_why(void);

/* "postgresql://postgres@127.0.0.1:<port>/vq" */
const char *vq_test_pg_uri(const vq_test_pg *p);
int vq_test_pg_port(const vq_test_pg *p);
const char *vq_test_pg_dir(const vq_test_pg *p);

/* As a machine losing power: stops the postmaster (SIGSTOP, so it starts nothing new),
 * SIGKILLs every process it started, then itself; waits until all are gone. */
int vq_test_pg_kill(vq_test_pg *p);
/* Starts the server again on the same folder and port (crash recovery after a kill) and
 * waits until it accepts connections. */
int vq_test_pg_up(vq_test_pg *p);

/* Runs sql (any number of statements) on a connection of its own to "vq", with
 * search_path set to schema first when schema is not NULL. If out is not NULL, *out is
 * the first column of the first row of the last statement, as an integer (0 when NULL).
 * VQ_ESTORE (and the server's message on stderr) if anything fails. Any thread. */
int vq_test_pg_exec(const vq_test_pg *p, const char *schema, const char *sql, int64_t *out);

/* Sets synchronous_standby_names for the whole server (ALTER SYSTEM, reload). The
 * checkpointer applies it a moment after this returns; until then commits do not wait. */
int vq_test_pg_sync_standby(const vq_test_pg *p, const char *names);

/* For a thread of the test's own while another commits: waits (up to timeout_ms, or until
 * *stop turns non-zero) for a session whose application_name is app to wait for a
 * synchronous standby (wait_event SyncRep), then ends it (terminate) or cancels its wait.
 * VQ_OK if it did; VQ_ETIMEOUT if no such wait came. */
int vq_test_pg_cut_sync_wait(const vq_test_pg *p, const char *app, int terminate, int timeout_ms,
                             const volatile int *stop);

/* As root: lets the user uid (PostgreSQL's) reach dir, made by tu_tempdir, by giving its
 * parent (a vq-* scratch folder, nothing else) o+x. True when it can reach it. */
bool vq_test_pg_reachable(const char *dir, unsigned uid);

#endif
