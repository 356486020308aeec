/**
 * SDK clients of one configuration, each serving one request at a time, so that each may cache its
 * resolved middleware (the SDK's `cacheMiddleware: true`).
 *
 * Why: without the cache an SDK client resolves its whole middleware stack again for every `send` (the
 * ~40 middlewares copied, sorted and composed into a new handler chain). The chain lives as long as its
 * request, waits on the emulator or AWS included, so under load most of it outlives two young-generation
 * collections and is promoted: it was the largest part of the old-generation garbage a 60-bundle run
 * piles up before V8's next full collection (bench/memory-bench.js, BENCHMARKS.md "Memory").
 *
 * `cacheMiddleware` resolves the chain once per command class and client, but the cached chain shares one
 * mutable context between every send of that class on that client: the resolved endpoint (which names the
 * bucket) and the selected auth scheme are written into it per request and read back by later
 * middlewares, some after an await. The SDK does not say that this is safe with concurrent sends, so the
 * deployer never relies on it: a client with a cached chain never has two requests in flight. (The
 * context also keeps the first command of each class alive, with its input: pooled clients serve small
 * requests only; lib-storage's uploads, whose bodies are up to a part, go through a client without the
 * cache.) The pool hands a request a client of its own for the request's whole duration (retries and waits included) and takes it
 * back afterwards, creating a client when none is idle. The pool grows to the largest number of requests
 * in flight at once, which the callers bound (reconcile's concurrency, the provisioner's per-bundle
 * limits); every client is made by `make`, which shares the template client's HTTP handler (one socket
 * pool), retry strategy (one adaptive rate limiter) and credentials (one refresh).
 */
export class ClientPool<C> {
  private readonly idle: C[] = [];
  private made = 0;

  constructor(private readonly make: () => Promise<C>) {}

  /** Runs `fn` with a client no other request uses until `fn` settles. */
  async use<T>(fn: (client: C) => Promise<T>): Promise<T> {
    const client = this.idle.pop() ?? (await this.fresh());
    try {
      return await fn(client);
    } finally {
      this.idle.push(client);
    }
  }

  /** Clients made so far (the most requests that were in flight at once). */
  get size(): number {
    return this.made;
  }

  private async fresh(): Promise<C> {
    const client = await this.make();
    this.made += 1;
    return client;
  }
}

/** What the clients of one pool share with their template: the parts of its resolved configuration
 * that hold state across requests. */
export interface SharedClientParts<Handler, Retry, Credentials> {
  requestHandler: Handler;
  retryStrategy: Retry;
  credentials: Credentials;
}

/** The template's resolved configuration, as the SDK types it on every client. */
interface ResolvedParts<Handler, Retry, Credentials> {
  config: { requestHandler: Handler; retryStrategy: () => Promise<Retry>; credentials: Credentials };
}

/** The template's shared parts, resolved once (its retry strategy is built on first use). */
export function sharedPartsOf<Handler, Retry, Credentials>(
  template: ResolvedParts<Handler, Retry, Credentials>,
): () => Promise<SharedClientParts<Handler, Retry, Credentials>> {
  let parts: Promise<SharedClientParts<Handler, Retry, Credentials>> | undefined;
  return () =>
    (parts ??= template.config.retryStrategy().then(
      (retryStrategy) => ({
        requestHandler: template.config.requestHandler,
        retryStrategy,
        credentials: template.config.credentials,
      }),
      (err: unknown) => {
        parts = undefined; // the next request tries again
        throw err;
      },
    ));
}
