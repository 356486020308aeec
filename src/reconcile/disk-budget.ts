/**
 * The disk budget of a run's temp files (DESIGN.md "Size before download"): before downloading, a
 * worker reserves the object's listed size plus the largest function zip the validator stages beside
 * it (one at a time, removed once checked), and waits, first come first served, until that much of
 * the budget is free. The run's temp files therefore never exceed the budget, whatever the sizes and
 * the concurrency — the chart sizes its /tmp emptyDir to the same figure (APPS_DEPLOYER_TMP_BUDGET).
 * A reservation larger than the whole budget is clamped to it: that worker then runs alone.
 */
import { MAX_FUNCTION_ZIP_BYTES } from '../bundle/limits';

/** Bytes a worker reserves for one release object listed at `size` bytes. */
export function reservationFor(size: number): number {
  return Math.max(0, size) + MAX_FUNCTION_ZIP_BYTES;
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class DiskBudget {
  private free: number;
  private readonly queue: Waiter[] = [];

  constructor(readonly totalBytes: number) {
    if (!Number.isFinite(totalBytes) || totalBytes <= 0)
      throw new RangeError(`disk budget must be a positive number of bytes, got ${totalBytes}`);
    this.free = totalBytes;
  }

  /** Bytes not reserved now. */
  get available(): number {
    return this.free;
  }

  /** Workers waiting for room. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Reserves `bytes` (clamped to the budget), waiting for room; resolves to the release function
   * (idempotent). */
  async reserve(bytes: number): Promise<() => void> {
    const want = Math.min(Math.max(0, Math.ceil(bytes)), this.totalBytes);
    if (this.queue.length === 0 && want <= this.free) this.free -= want;
    else await new Promise<void>((grant) => this.queue.push({ bytes: want, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.free += want;
      this.grantWaiting();
    };
  }

  /** FIFO: the head of the queue goes first, so a large reservation is never starved by small ones. */
  private grantWaiting(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head || head.bytes > this.free) return;
      this.queue.shift();
      this.free -= head.bytes;
      head.grant();
    }
  }
}
