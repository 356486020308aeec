/**
 * S3's clock, as seen through its responses: every S3 response carries a `Date` header. The lock's
 * expiry is judged against this clock (DESIGN.md "One writer"), never against the local one, so a
 * deployer whose host clock is off cannot steal a live lock or keep a dead one.
 *
 * `now()` = the last S3 `Date` seen + the local monotonic time elapsed since it was seen. `Date` has
 * one-second resolution and is truncated, so the estimate lags S3 by less than a second: expiry is
 * judged slightly late, never early.
 */
import type { S3Client } from '@aws-sdk/client-s3';

type S3MiddlewareStack = S3Client['middlewareStack'];
type DeserializeMiddleware = Extract<
  Parameters<S3MiddlewareStack['add']>[0],
  (next: never, context: never) => unknown
>;

export const SERVER_CLOCK_MIDDLEWARE = 'appsDeployerServerClock';

interface Sample {
  serverMs: number;
  localMs: number;
}

/** A source of "now"; undefined when unknown. */
export interface Clock {
  now(): Date | undefined;
}

export class ServerClock implements Clock {
  private sample: Sample | undefined;

  /** `localNow`: a monotonic clock in milliseconds (tests pass a fake). */
  constructor(private readonly localNow: () => number = () => performance.now()) {}

  /** Records a `Date` header value (RFC 7231). Unparseable values are ignored. */
  observe(dateHeader: string | undefined): void {
    if (!dateHeader) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    this.sample = { serverMs, localMs: this.localNow() };
  }

  /** True once an S3 response has been seen. */
  get synced(): boolean {
    return this.sample !== undefined;
  }

  /** S3's current time, or undefined before any S3 response was seen. */
  now(): Date | undefined {
    if (!this.sample) return undefined;
    return new Date(this.sample.serverMs + (this.localNow() - this.sample.localMs));
  }

  /** Adds the middleware that feeds this clock to an S3 client (every attempt's raw response). */
  attach(client: S3Client): void {
    client.middlewareStack.add(this.middleware(), {
      step: 'deserialize',
      // below the deserializer: sees the raw HTTP response of every attempt, errors (412, 404) included
      priority: 'low',
      name: SERVER_CLOCK_MIDDLEWARE,
      override: true,
    });
  }

  middleware(): DeserializeMiddleware {
    const mw = (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
      const result = await next(args);
      this.observe(dateHeaderOf(result.response));
      return result;
    };
    return mw as unknown as DeserializeMiddleware;
  }
}

function dateHeaderOf(response: unknown): string | undefined {
  const headers = (response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
  if (!headers) return undefined;
  if (headers.date !== undefined) return headers.date;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'date');
  return key === undefined ? undefined : headers[key];
}
