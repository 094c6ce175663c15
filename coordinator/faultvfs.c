/* coordinator/faultvfs.c — "vqfault": a SQLite VFS that lets a test make the store's disk fail.
 *
 * Owns a thin shim around the platform's default VFS (sqlite3_vfs_find(NULL)); every
 * vq_store opens its database through it. A file opened here is our small header followed
 * by the real VFS's file; every method is handed to the real one, except that xWrite, xSync
 * and xTruncate first count themselves and, once vq_store_fail_io_after(n) is armed, the n-th
 * such call and every later one fails the way a dying disk would (SQLITE_IOERR_WRITE,
 * SQLITE_IOERR_FSYNC, SQLITE_IOERR_TRUNCATE) without touching the real file.
 *
 * Invariants:
 *   - unarmed, nothing SQLite can observe differs from the default VFS (the cost is one
 *     atomic increment per write or sync);
 *   - the VFS is registered at most once per process and never as the default, so other
 *     SQLite users in the process do not go through it;
 *   - an io-methods table never claims a higher iVersion than the real file's, so SQLite
 *     never calls a wrapper (xShmMap, xFetch, ...) whose real method does not exist.
 */
#include "coordinator/faultvfs.h"

#include "coordinator/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>

/* The two counters are the only mutable process-wide state in vqstore (the VFS object below
 * is written once, under pthread_once, before anyone can use it). They are atomics because
 * SQLite runs a connection's I/O on whatever thread steps its statements, and vqd, the
 * benchmark or a test may run stores on several threads at once: a plain counter bumped from
 * two of them is a data race, i.e. undefined behaviour, not merely a miscount. Relaxed order
 * suffices: the counters guard no other memory, and a test arms them on the thread that then
 * does the I/O it wants to fail. */
static atomic_ulong io_calls;
static atomic_ulong fail_at; /* 0 = unarmed */

/* A file of ours: SQLite sees `base`; the real VFS's file lives right after the header,
 * at an offset rounded up so the real struct keeps the alignment malloc gave the whole. */
typedef struct fault_file {
	sqlite3_file base;
	sqlite3_file *real;
} fault_file;

#define HDR_SIZE ((sizeof(fault_file) + 15u) & ~(size_t)15u)

static sqlite3_vfs fault_vfs;
static int register_rc = SQLITE_ERROR;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;

void vq_store_fail_io_after(unsigned long n)
{
	/* Disarm first so no I/O in flight on another thread fails against a half-reset count. */
	atomic_store_explicit(&fail_at, 0, memory_order_relaxed);
	atomic_store_explicit(&io_calls, 0, memory_order_relaxed);
	atomic_store_explicit(&fail_at, n, memory_order_relaxed);
}

unsigned long vq_faultvfs_io_count(void)
{
	return atomic_load_explicit(&io_calls, memory_order_relaxed);
}

static int io_fails(void)
{
	unsigned long n = atomic_fetch_add_explicit(&io_calls, 1, memory_order_relaxed) + 1;
	unsigned long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
	return at != 0 && n >= at;
}

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((fault_file *)f)->real;
}

static sqlite3_vfs *real_vfs(sqlite3_vfs *vfs)
{
	return (sqlite3_vfs *)vfs->pAppData;
}

/* ---- file methods: version 1 ---- */

static int ff_close(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xClose(r);
}

static int ff_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xRead(r, buf, amt, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);
	if (io_fails())
		return SQLITE_IOERR_WRITE;
	return r->pMethods->xWrite(r, buf, amt, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	sqlite3_file *r = real_of(f);
	if (io_fails())
		return SQLITE_IOERR_TRUNCATE;
	return r->pMethods->xTruncate(r, size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
	sqlite3_file *r = real_of(f);
	if (io_fails())
		return SQLITE_IOERR_FSYNC;
	return r->pMethods->xSync(r, flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xFileSize(r, size);
}

static int ff_lock(sqlite3_file *f, int lock)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xLock(r, lock);
}

static int ff_unlock(sqlite3_file *f, int lock)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xUnlock(r, lock);
}

static int ff_check_reserved(sqlite3_file *f, int *out)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xCheckReservedLock(r, out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xFileControl(r, op, arg);
}

static int ff_sector_size(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xSectorSize(r);
}

static int ff_device_characteristics(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xDeviceCharacteristics(r);
}

/* ---- version 2: the WAL index in shared memory. Not counted: it is not the durable
 * record (SQLite rebuilds it from the WAL), and failing it would test SQLite, not vq. ---- */

static int ff_shm_map(sqlite3_file *f, int page, int pgsz, int extend, void volatile **out)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xShmMap(r, page, pgsz, extend, out);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xShmLock(r, offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	r->pMethods->xShmBarrier(r);
}

static int ff_shm_unmap(sqlite3_file *f, int delete_flag)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xShmUnmap(r, delete_flag);
}

/* ---- version 3: memory-mapped reads ---- */

static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **out)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xFetch(r, off, amt, out);
}

static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	sqlite3_file *r = real_of(f);
	return r->pMethods->xUnfetch(r, off, p);
}

#define FF_METHODS(version)                                                                        \
	{                                                                                          \
		version, ff_close, ff_read, ff_write, ff_truncate, ff_sync, ff_file_size, ff_lock, \
		    ff_unlock, ff_check_reserved, ff_file_control, ff_sector_size,                 \
		    ff_device_characteristics, ff_shm_map, ff_shm_lock, ff_shm_barrier,            \
		    ff_shm_unmap, ff_fetch, ff_unfetch                                             \
	}

/* Indexed by the real file's iVersion - 1: SQLite reads only the members its iVersion has. */
static const sqlite3_io_methods ff_methods[3] = {FF_METHODS(1), FF_METHODS(2), FF_METHODS(3)};

/* ---- the VFS ---- */

static int fv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *out_flags)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	fault_file *ff = (fault_file *)file;
	ff->real = (sqlite3_file *)((char *)file + HDR_SIZE);
	ff->real->pMethods = NULL;
	int rc = rv->xOpen(rv, name, ff->real, flags, out_flags);
	/* SQLite calls xClose whenever pMethods is set after xOpen, even if xOpen failed, so
	 * mirror the real file: ours has methods exactly when it does. */
	if (ff->real->pMethods) {
		int v = ff->real->pMethods->iVersion;
		if (v < 1)
			v = 1;
		if (v > 3)
			v = 3;
		file->pMethods = &ff_methods[v - 1];
	} else {
		file->pMethods = NULL;
	}
	return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xDelete(rv, name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xAccess(rv, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xFullPathname(rv, name, n, out);
}

static void *fv_dl_open(sqlite3_vfs *vfs, const char *name)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xDlOpen(rv, name);
}

static void fv_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	rv->xDlError(rv, n, msg);
}

static void (*fv_dl_sym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xDlSym(rv, lib, sym);
}

static void fv_dl_close(sqlite3_vfs *vfs, void *lib)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	rv->xDlClose(rv, lib);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xRandomness(rv, n, out);
}

static int fv_sleep(sqlite3_vfs *vfs, int us)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xSleep(rv, us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *out)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xCurrentTime(rv, out);
}

static int fv_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xGetLastError ? rv->xGetLastError(rv, n, out) : 0;
}

static int fv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xCurrentTimeInt64(rv, out);
}

static int fv_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xSetSystemCall(rv, name, p);
}

static sqlite3_syscall_ptr fv_get_system_call(sqlite3_vfs *vfs, const char *name)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xGetSystemCall(rv, name);
}

static const char *fv_next_system_call(sqlite3_vfs *vfs, const char *name)
{
	sqlite3_vfs *rv = real_vfs(vfs);
	return rv->xNextSystemCall(rv, name);
}

static void do_register(void)
{
	sqlite3_vfs *rv = sqlite3_vfs_find(NULL);
	if (!rv) {
		register_rc = SQLITE_ERROR;
		return;
	}
	int v = rv->iVersion > 3 ? 3 : rv->iVersion;
	fault_vfs = (sqlite3_vfs){
	    .iVersion = v,
	    .szOsFile = (int)HDR_SIZE + rv->szOsFile,
	    .mxPathname = rv->mxPathname,
	    .zName = VQ_FAULTVFS_NAME,
	    .pAppData = rv,
	    .xOpen = fv_open,
	    .xDelete = fv_delete,
	    .xAccess = fv_access,
	    .xFullPathname = fv_full_pathname,
	    /* A build without extension loading has no xDl*: keep them absent here too. */
	    .xDlOpen = rv->xDlOpen ? fv_dl_open : NULL,
	    .xDlError = rv->xDlError ? fv_dl_error : NULL,
	    .xDlSym = rv->xDlSym ? fv_dl_sym : NULL,
	    .xDlClose = rv->xDlClose ? fv_dl_close : NULL,
	    .xRandomness = fv_randomness,
	    .xSleep = fv_sleep,
	    .xCurrentTime = fv_current_time,
	    .xGetLastError = fv_get_last_error,
	    .xCurrentTimeInt64 = v >= 2 && rv->xCurrentTimeInt64 ? fv_current_time_int64 : NULL,
	    .xSetSystemCall = v >= 3 && rv->xSetSystemCall ? fv_set_system_call : NULL,
	    .xGetSystemCall = v >= 3 && rv->xGetSystemCall ? fv_get_system_call : NULL,
	    .xNextSystemCall = v >= 3 && rv->xNextSystemCall ? fv_next_system_call : NULL,
	};
	register_rc = sqlite3_vfs_register(&fault_vfs, 0);
}

int vq_faultvfs_register(void)
{
	if (pthread_once(&register_once, do_register) != 0)
		return SQLITE_ERROR;
	return register_rc;
}
