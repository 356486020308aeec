/**
 * A token bucket: at most `ratePerSecond` takes per second on average, bursts up to `burst`.
 * Used on the Lambda control plane (AWS allows ~15 requests/s per account for control-plane calls).
 * Waiters are FIFO, so no caller starves; `now` and `sleep` are injectable for tests.
 */
export interface TokenBucketOptions {
  ratePerSecond: number;
  /** tokens available at once (default: the rate, at least 1) */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class TokenBucket {
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private tokens: number;
  private last: number;
  /** serializes takers: each waits for the previous one, then for its own token */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    this.rate = options.ratePerSecond;
    this.burst = Math.max(1, options.burst ?? Math.floor(options.ratePerSecond));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeOne());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  private async takeOne(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    this.tokens -= 1;
  }
}

/**
 * The per-account request quotas AWS applies, mirrored client-side (DESIGN.md "Isolation"):
 *  - lambdaControl: every Lambda control-plane call but GetFunction, GetPolicy and Invoke share one
 *    pool (AWS: 15 req/s per account and region; ours defaults to 10 and may be set up to 15, leaving
 *    room for other tenants of the account);
 *  - lambdaGetFunction: GetFunction has its own pool (AWS: 100 req/s, not adjustable); the
 *    FunctionActiveV2 / FunctionUpdatedV2 waiters poll with GetFunction, so they count here;
 *  - lambdaGetPolicy: GetPolicy has its own (AWS: 15 req/s);
 *  - iam: IAM is a global service that throttles each account with token buckets per API whose sizes
 *    AWS does not publish ("Rate exceeded"); the deployer makes a handful of IAM calls per run, so one
 *    conservative pool for all of them;
 *  - unlimited: Invoke (counted by concurrency, not by rate) and everything else not rate-limited here.
 */
export type QuotaPool = 'lambdaControl' | 'lambdaGetFunction' | 'lambdaGetPolicy' | 'iam' | 'unlimited';

/** AWS's documented Lambda API request quotas (requests per second, per account and region). */
export const AWS_LAMBDA_QUOTAS = { control: 15, getFunction: 100, getPolicy: 15 } as const;
/** Our default share of the shared control-plane pool. */
export const DEFAULT_LAMBDA_CONTROL_RPS = 10;
/** IAM: AWS publishes no figure; a rate well below what IAM has been seen to allow. */
export const DEFAULT_IAM_RPS = 5;

/** Lambda operations AWS does not count in the shared control-plane pool. */
const LAMBDA_OWN_POOLS: Readonly<Record<string, QuotaPool>> = {
  GetFunction: 'lambdaGetFunction',
  GetPolicy: 'lambdaGetPolicy',
  Invoke: 'unlimited',
  InvokeAsync: 'unlimited',
  InvokeWithResponseStream: 'unlimited',
};

/** The pool AWS counts a call in: service ("Lambda", "IAM", "S3") and operation ("GetFunction"). */
export function quotaPoolOf(service: string, operation: string): QuotaPool {
  if (service === 'Lambda') return LAMBDA_OWN_POOLS[operation] ?? 'lambdaControl';
  if (service === 'IAM') return 'iam';
  return 'unlimited';
}

export interface QuotaRates {
  /** the shared Lambda control-plane pool (config.lambdaRequestsPerSecond, at most 15) */
  lambdaControl?: number;
  lambdaGetFunction?: number;
  lambdaGetPolicy?: number;
  iam?: number;
}

/** Takes a token from a pool before a request is sent. */
export interface PoolLimiter {
  take(pool: QuotaPool): Promise<void>;
}

/** One token bucket per pool; 'unlimited' passes at once. */
export class QuotaPools implements PoolLimiter {
  private readonly buckets: Map<QuotaPool, TokenBucket>;

  constructor(rates: QuotaRates = {}, clock: Pick<TokenBucketOptions, 'now' | 'sleep'> = {}) {
    // the configuration caps it at AWS's 15/s (config.ts); tests against an emulator may go faster
    const control = rates.lambdaControl ?? DEFAULT_LAMBDA_CONTROL_RPS;
    const bucket = (ratePerSecond: number): TokenBucket => new TokenBucket({ ratePerSecond, ...clock });
    this.buckets = new Map<QuotaPool, TokenBucket>([
      ['lambdaControl', bucket(control)],
      ['lambdaGetFunction', bucket(rates.lambdaGetFunction ?? AWS_LAMBDA_QUOTAS.getFunction)],
      ['lambdaGetPolicy', bucket(rates.lambdaGetPolicy ?? AWS_LAMBDA_QUOTAS.getPolicy)],
      ['iam', bucket(rates.iam ?? DEFAULT_IAM_RPS)],
    ]);
  }

  take(pool: QuotaPool): Promise<void> {
    return this.buckets.get(pool)?.take() ?? Promise.resolve();
  }
}
