/**
 * Memory budget of a run's streamed uploads. Each streamed upload (function code staged in S3, large
 * static assets) holds up to (UPLOAD_QUEUE_SIZE + 1) parts of UPLOAD_PART_SIZE in memory, and a run
 * has concurrency × the provisioner's per-bundle function concurrency of them at once (4 × 2 = 8 by
 * default: ~200 MB of part buffers). The run caps the uploads in flight across all its workers so that
 * its peak RSS is bounded by a constant, not by how many bundles and functions happen to overlap
 * (DESIGN.md "Memory": ≤ 300 MB at the default concurrency with 200 MB bundles).
 */
import { UPLOAD_PART_SIZE, UPLOAD_QUEUE_SIZE } from '../aws/clients';
import type { AwsPorts, S3Port } from '../aws/ports';

/** Bytes of upload part buffers a run may hold at once. */
export const UPLOAD_BUFFER_BUDGET_BYTES = 96 * 1024 * 1024;

/** Streamed uploads in flight at once across a run's workers (at least one). */
export const UPLOAD_SLOTS = Math.max(
  1,
  Math.floor(UPLOAD_BUFFER_BUDGET_BYTES / ((UPLOAD_QUEUE_SIZE + 1) * UPLOAD_PART_SIZE)),
);

/** A counting semaphore (FIFO). */
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.available = slots;
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.available++;
    }
  }
}

/** The same ports, with `s3.upload` limited to `slots` at once. */
export function limitUploads(ports: AwsPorts, slots: number = UPLOAD_SLOTS): AwsPorts {
  const gate = new Semaphore(slots);
  const s3: S3Port = { ...ports.s3, upload: (input) => gate.use(() => ports.s3.upload(input)) };
  return { ...ports, s3 };
}
