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
 * deployer never relies on it: a client with a cached chain never has two requests in flight. (Whatever a
 * middleware leaves in that context stays for the next send of the class: S3's `followRegionRedirects`
 * would make one redirect sticky, so it must stay off on pooled clients. The context also keeps the first
 * command of each class alive, with its input: pooled clients serve small requests only; lib-storage's
 * uploads, whose bodies are up to a part, go through the template, which has no cache.)
 *
 * The pool hands a request a client of its own for the request's whole duration (retries and waits
 * included) and takes it back afterwards, making a client when none is idle, up to `max`; beyond that,
 * requests go to the template, which resolves its middleware per request and so may serve any number at
 * once (what every request did before the pool). Pooled clients share the template's HTTP handler (one
 * socket pool), retry strategy (one adaptive rate limiter), credentials (one provider, one refresh) and
 * clock offset (the SDK's correction for a skewed host clock, learnt once for all). They are never
 * destroyed: `destroy()` on any of them would close the shared handler for all.
 */
export class ClientPool<C> {
  private readonly idle: C[] = [];
  private made = 0;

  /**
   * @param make a new client for the pool
   * @param max the most clients the pool makes
   * @param overflow the client for a request when `max` clients are busy: one that may serve many at once
   */
  constructor(
    private readonly make: () => Promise<C>,
    private readonly max: number,
    private readonly overflow: C,
  ) {}

  /** Runs `fn` with a client no other request uses until `fn` settles (or with `overflow`). */
  async use<T>(fn: (client: C) => Promise<T>): Promise<T> {
    const pooled = this.idle.pop() ?? (this.made < this.max ? await this.fresh() : undefined);
    if (pooled === undefined) return fn(this.overflow);
    try {
      return await fn(pooled);
    } finally {
      this.idle.push(pooled);
    }
  }

  /** Clients made so far (the most requests that were in flight at once, up to `max`). */
  get size(): number {
    return this.made;
  }

  private async fresh(): Promise<C> {
    this.made += 1; // counted before the await: concurrent requests never make more than `max`
    try {
      return await this.make();
    } catch (err) {
      this.made -= 1;
      throw err;
    }
  }
}

/** An SDK client, as far as the pool needs its resolved configuration. */
export interface PoolableClient {
  config: {
    requestHandler: unknown;
    retryStrategy: () => Promise<unknown>;
    credentials: unknown;
    systemClockOffset: number;
  };
}

/** What the clients of one pool share with their template: the parts of its resolved configuration
 * that hold state across requests. */
export interface SharedClientParts<C extends PoolableClient> {
  requestHandler: C['config']['requestHandler'];
  retryStrategy: Awaited<ReturnType<C['config']['retryStrategy']>>;
  credentials: C['config']['credentials'];
}

/** The template's shared parts, resolved once (its retry strategy is built on first use). */
export function sharedPartsOf<C extends PoolableClient>(template: C): () => Promise<SharedClientParts<C>> {
  let parts: Promise<SharedClientParts<C>> | undefined;
  return () =>
    (parts ??= template.config.retryStrategy().then(
      (retryStrategy) => ({
        requestHandler: template.config.requestHandler,
        retryStrategy: retryStrategy as SharedClientParts<C>['retryStrategy'],
        credentials: template.config.credentials,
      }),
      (err: unknown) => {
        parts = undefined; // the next request tries again
        throw err;
      },
    ));
}

/** `client` reads and writes the template's clock offset: the SDK corrects it from any response's Date
 * after a skew error, and every client of the pool then signs with the correction. */
function shareClockOffset(client: PoolableClient, template: PoolableClient): void {
  Object.defineProperty(client.config, 'systemClockOffset', {
    get: () => template.config.systemClockOffset,
    set: (offset: number) => {
      template.config.systemClockOffset = offset;
    },
    configurable: true,
    enumerable: true,
  });
}

/**
 * A pool of at most `max` clients made by `make` from the template's shared parts (with `cacheMiddleware:
 * true` and the template's own middlewares: `make`'s job), the template itself taking the overflow.
 */
export function poolLike<C extends PoolableClient>(
  template: C,
  make: (shared: SharedClientParts<C>) => C,
  max: number,
): ClientPool<C> {
  const shared = sharedPartsOf(template);
  return new ClientPool(
    async () => {
      const client = make(await shared());
      shareClockOffset(client, template);
      return client;
    },
    max,
    template,
  );
}
