/**
 * What every SDK client of the deployer carries: the request counter its middlewares feed, and the
 * logger it is given.
 */
import type { Logger } from '../log';
import type { RequestCounter } from './ports';

/** Counts requests by operation in memory. */
export class MemoryRequestCounter implements RequestCounter {
  private counts = new Map<string, number>();
  add(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
  reset(): void {
    this.counts.clear();
  }
}

/** What sdkLogger gives the SDK: its Logger without `info` and `error` (see there). */
export interface SdkLogger {
  trace: () => void;
  debug: () => void;
  warn: (...content: unknown[]) => void;
}

/**
 * The SDK's own log calls. Without a logger it writes some warnings to the console, e.g. "An error was
 * encountered in a non-retryable streaming request." for every failed PutObject with a body (a 412 of
 * a conditional create included), which our code handles and reports itself. Its warnings go to our
 * logger at debug.
 *
 * `info` and `error` are left out on purpose: the SDK's logger middleware calls them as
 * `logger.info?.({ input: filter(input), output: filter(output), ... })` after every request and
 * `logger.error?.({ input: filter(input), error, ... })` after every failed one (a 404 of a HeadObject
 * or GetFunction included), building a schema-filtered copy of the input and output as the argument even
 * when the function ignores it (~5 MB of garbage over 60 bundles, bench/memory-bench.js). Without the
 * functions the optional call builds nothing. The failures themselves reach our code as errors.
 */
export function sdkLogger(logger?: Logger): SdkLogger {
  const toDebug = (...content: unknown[]): void =>
    logger?.debug({ sdk: content.map((c) => (typeof c === 'string' ? c : String(c))) }, 'aws sdk');
  const ignore = (): void => undefined;
  return { trace: ignore, debug: ignore, warn: toDebug };
}
