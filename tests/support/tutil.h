/* tests/support/tutil.h — small helpers every test program shares: scratch folders,
 * whole-file reads, the source tree's location, the monotonic clock and sleeps, a seeded
 * random generator. */
#ifndef VQ_TUTIL_H
#define VQ_TUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fresh empty folder under $TMPDIR (or /tmp); the caller owns the returned string. */
char *tu_tempdir(const char *tag);
/* Removes a folder and everything in it (best effort). */
void tu_rmtree(const char *path);
/* Path of a file in the source tree: $VQ_SOURCE_DIR/rel, into a static buffer. */
const char *tu_src(const char *rel);
/* Points $TMPDIR at a fresh folder for a whole suite, so everything its tests and the
 * programs they start make lands there; _end puts $TMPDIR back and removes the folder
 * (kept when VQ_KEEP_BROKER_DIR is set, for a post-mortem). */
void tu_scratch_begin(const char *tag);
void tu_scratch_end(void);
/* In a forked child: dies with the parent (deathsig), stdin from /dev/null, stdout and
 * stderr to logfd, no other inherited descriptors, signals unblocked, then execs argv.
 * Async-signal-safe calls only; never returns. */
void tu_exec_child(char *const argv[], int parent, int logfd, int deathsig);
/* The same with stdin, stdout and stderr given (a test talking to its child on pipes). */
void tu_exec_child_io(char *const argv[], int parent, int infd, int outfd, int errfd, int deathsig);
/* Lets the kernel choose a free 127.0.0.1 port and keeps it: the returned socket stays
 * bound (never listening) until closed, so no other test process gets the port while
 * ours is down; a server binds beside it (both SO_REUSEADDR). -1 on failure. */
int tu_hold_port(int *port);
/* Milliseconds on the monotonic clock (for deadlines and waits, never a date). */
long long tu_mono_ms(void);
/* Sleeps ms milliseconds, the whole of them even if a signal comes. */
void tu_sleep_ms(int ms);
/* True if something accepts connections on 127.0.0.1:port. */
bool tu_port_open(int port);
/* name in $PATH, else the first executable of fallback (NULL-terminated, may be NULL). */
bool tu_find_program(const char *name, const char *const *fallback, char *out, size_t size);
/* Reads a whole file; NULL on failure. The caller frees. */
char *tu_read_file(const char *path, size_t *len);

/* splitmix64: small, seedable, identical everywhere. */
typedef struct tu_rng {
	uint64_t s;
} tu_rng;
uint64_t tu_rng_next(tu_rng *r);
/* Uniform in [0, n), n > 0. */
uint32_t tu_rng_below(tu_rng *r, uint32_t n);

#endif
