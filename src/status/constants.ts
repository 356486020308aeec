/** Objects `status` reads at once (HeadObject per manifest, GetObject per marker / run record). */
export const STATUS_READ_CONCURRENCY = 8;
/** Run records shown by default (`status --runs N` shows more). */
export const STATUS_RUNS = 5;
/** Most run records `status --runs N` reads (one GetObject each). */
export const MAX_STATUS_RUNS = 1000;
/** Largest run record or marker body `status` reads (they are small JSON documents). */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;
