/* tests/support/pgformation.h — a PostgreSQL formation with automatic failover for one
 * test program: tools/pg-formation (a pg_auto_failover monitor and N synchronous data
 * nodes) in a scratch folder, on loopback ports held for the formation's whole life.
 *
 * The formation's keepers run in sessions of their own (as the "postgres" user when the
 * test runs as root), so they cannot die with the test by PR_SET_PDEATHSIG: a guard
 * process, forked at start, waits on a pipe only the test holds and runs
 * `tools/pg-formation down` and removes the folder when the test ends without saying
 * goodbye (a crash, a ctest timeout). vq_test_pgf_stop does the same and dismisses it.
 *
 * Bringing a formation up takes ~20 s (tools/pg-formation up): a test program starts one
 * for all its scenarios. When PostgreSQL or pg_auto_failover is missing, start fails and
 * says so (tools/setup-deps installs both): a test that needs it must fail, not skip.
 * Functions return enum vq_err values and say why on stderr; every wait is bounded.
 * Call them from the thread that started the formation.
 */
#ifndef VQ_TEST_PGFORMATION_H
#define VQ_TEST_PGFORMATION_H

#include "core/vq.h"

typedef struct vq_test_pgf vq_test_pgf;

/* Makes the folder, holds nodes + 1 consecutive ports, starts the guard, runs
 * `tools/pg-formation up` and waits for one primary and nodes - 1 secondaries (up to 3
 * min). On failure *out is NULL and nothing is left running. */
int vq_test_pgf_start(int nodes, vq_test_pgf **out);
/* `tools/pg-formation down`, removes the folder (kept with VQ_KEEP_BROKER_DIR), frees.
 * NULL is fine. */
void vq_test_pgf_stop(vq_test_pgf *f);

/* The libpq URI of every data node, read-write sessions only:
 * "postgresql://postgres@127.0.0.1:P1,127.0.0.1:P2/vq?target_session_attrs=read-write&...". */
const char *vq_test_pgf_uri(const vq_test_pgf *f);
const char *vq_test_pgf_dir(const vq_test_pgf *f);

/* The port of the node the monitor calls primary. */
int vq_test_pgf_primary(vq_test_pgf *f, int *port);
/* kill -9 of that node, as a machine losing power (keeper and postgres). */
int vq_test_pgf_kill(vq_test_pgf *f, int port);
/* Starts that node's keeper again; it rejoins as a secondary. */
int vq_test_pgf_node_start(vq_test_pgf *f, int port);
/* Waits up to seconds for one primary and nodes - 1 secondaries. */
int vq_test_pgf_wait(vq_test_pgf *f, int seconds);
/* The monitor's view of the nodes (pg_autoctl show state) on stderr, for a post-mortem. */
void vq_test_pgf_show(vq_test_pgf *f);

#endif
