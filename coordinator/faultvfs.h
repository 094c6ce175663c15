/* coordinator/faultvfs.h — internal to vqstore: the "vqfault" SQLite VFS the store opens its
 * database through, so tests can make the n-th write or sync fail (vq_store_fail_io_after in
 * store.h arms it). Unarmed, it passes everything to the default VFS.
 */
#ifndef VQ_FAULTVFS_H
#define VQ_FAULTVFS_H

#define VQ_FAULTVFS_NAME "vqfault"

/* Registers the VFS (not as the default) the first time it is called; later calls return
 * the first call's result. SQLITE_OK or an SQLite error code. Thread-safe. */
int vq_faultvfs_register(void);

/* Writes, syncs and truncates done through the VFS since the last vq_store_fail_io_after. */
unsigned long vq_faultvfs_io_count(void);

#endif
