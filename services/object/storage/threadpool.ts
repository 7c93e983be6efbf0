/**
 * Sizes libuv's thread pool before anything uses it (import this first in the process main).
 * Every fsync holds a pool thread for the whole disk flush, and LevelDB's synced batches run
 * there too; with the default 4 threads, a few concurrent PUTs' syncs queue every other file
 * call (opens, renames, reads of GETs) behind them. An explicit UV_THREADPOOL_SIZE wins.
 */
const POOL_THREADS = '16';

if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = POOL_THREADS;

export {};
