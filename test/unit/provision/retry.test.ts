/**
 * The retry wrapper on its own, with a fake clock: what is retried, for how long, and what it becomes.
 */
import {
  InvalidParameterValueException,
  ResourceConflictException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { DEFAULT_TUNING, type ProvisionTuning } from '../../../src/provision/constants';
import { DeadlineError, IamError, ProvisionStepError } from '../../../src/provision/errors';
import {
  backoffMs,
  classify,
  SERVER_ERROR_ATTEMPTS,
  withRetry,
  type RetryClock,
} from '../../../src/provision/retry';

const meta = { $metadata: {} };
const propagation = () =>
  new InvalidParameterValueException({
    message: 'The role defined for the function cannot be assumed by Lambda.',
    ...meta,
  });
const inProgress = () =>
  new ResourceConflictException({
    message: 'The operation cannot be performed at this time. An update is in progress for resource',
    ...meta,
  });
const throttled = () => new TooManyRequestsException({ message: 'Rate exceeded', ...meta });
/** what the SDK throws once its own retries gave up: a 500, a reset */
const internal = () =>
  Object.assign(new Error('We encountered an internal error.'), {
    name: 'InternalError',
    $metadata: { httpStatusCode: 500 },
  });
const reset = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });

function fakeClock(): RetryClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

const tuning: ProvisionTuning = {
  ...DEFAULT_TUNING,
  iamPropagationDeadlineMs: 60_000,
  conflictDeadlineMs: 10_000,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 2_000,
};

/** An operation failing with the given errors, then returning "ok". */
function failing(errors: Error[]): { op: () => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    op: async () => {
      const e = errors[n++];
      if (e) throw e;
      return 'ok';
    },
    calls: () => n,
  };
}

describe('classify', () => {
  it('recognizes the four temporary conditions and nothing else', () => {
    expect(classify(internal())).toBe('server-error');
    expect(classify(reset())).toBe('server-error');
    expect(classify(propagation())).toBe('iam-propagation');
    expect(classify(inProgress())).toBe('update-in-progress');
    expect(classify(throttled())).toBe('throttled');
    expect(classify(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe('throttled');
    expect(classify(new InvalidParameterValueException({ message: 'Bad handler', ...meta }))).toBeUndefined();
    expect(classify(new Error('boom'))).toBeUndefined();
  });
});

describe('withRetry', () => {
  it('waits out IAM propagation while the role is new', async () => {
    // Prepare
    const clock = fakeClock();
    const f = failing([propagation(), propagation(), propagation()]);
    const retries: string[] = [];

    // Act
    const out = await withRetry(f.op, {
      step: 'function',
      resource: 'fn',
      bundle: 'b.zip',
      tuning,
      roleIsNew: true,
      clock,
      random: () => 0.5,
      onRetry: (r) => retries.push(r.reason),
    });

    // Assess
    expect(out).toBe('ok');
    expect(f.calls()).toBe(4);
    expect(retries).toEqual(['iam-propagation', 'iam-propagation', 'iam-propagation']);
    expect(clock.sleeps).toEqual([75, 150, 300]); // base × 2^n, half fixed + half jitter
  });

  it('does not wait for a role that is not new: a wrong trust policy is an IamError at once', async () => {
    const clock = fakeClock();
    const f = failing([propagation()]);
    const run = withRetry(f.op, {
      step: 'function',
      resource: 'fn',
      bundle: 'b.zip',
      tuning,
      roleIsNew: false,
      roleName: 'my-role',
      clock,
    });
    await expect(run).rejects.toBeInstanceOf(IamError);
    await expect(run).rejects.toMatchObject({
      resource: 'my-role',
      hint: expect.stringContaining('lambda.amazonaws.com'),
    });
    expect(f.calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries an update in progress and throttling', async () => {
    const clock = fakeClock();
    const f = failing([inProgress(), throttled(), inProgress()]);
    await expect(withRetry(f.op, { step: 'function', resource: 'fn', tuning, clock })).resolves.toBe('ok');
    expect(f.calls()).toBe(4);
  });

  it('turns a deadline into a DeadlineError carrying the last AWS error', async () => {
    // Prepare: throttled forever
    const clock = fakeClock();
    let calls = 0;
    const op = async (): Promise<string> => {
      calls++;
      throw throttled();
    };

    // Act
    const err = await withRetry(op, {
      step: 'function',
      resource: 'fn',
      bundle: 'b.zip',
      tuning,
      clock,
    }).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(DeadlineError);
    const d = err as DeadlineError;
    expect(d.code).toBe('DEADLINE');
    expect(d.cause).toBeInstanceOf(TooManyRequestsException);
    expect(d.message).toMatch(
      /function of fn \(bundle b\.zip\) did not succeed within 10s after \d+ attempts: throttled/,
    );
    expect(clock.t).toBe(tuning.conflictDeadlineMs); // the last sleep is cut to the deadline
    expect(calls).toBeGreaterThan(3);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(tuning.retryMaxDelayMs);
  });

  it('wraps any other error in a ProvisionStepError naming step, resource and bundle, without retrying', async () => {
    const f = failing([new InvalidParameterValueException({ message: 'Bad handler', ...meta })]);
    const err = await withRetry(f.op, {
      step: 'function',
      resource: 'fn',
      bundle: 'b.zip',
      tuning,
      clock: fakeClock(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionStepError);
    expect((err as Error).message).toBe(
      'bundle b.zip: function of fn failed: InvalidParameterValueException: Bad handler',
    );
    expect(f.calls()).toBe(1);
  });

  // found by the fault suite (bench/fault-suite.js, RELIABILITY.md): at 50% faults a streamed upload
  // (which the SDK does not replay) or any call after the SDK's retry quota was spent failed the bundle
  // on its first 500 or reset
  it('drives a step again after a 5xx or a reset, up to SERVER_ERROR_ATTEMPTS in all', async () => {
    const clock = fakeClock();
    const f = failing([internal(), reset(), internal()]);
    await expect(withRetry(f.op, { step: 'stage-code', resource: 'k', tuning, clock })).resolves.toBe('ok');
    expect(f.calls()).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
  });

  it('fails a step transiently once its 5xx/reset attempts are used up, naming the last error', async () => {
    const clock = fakeClock();
    const f = failing(Array.from({ length: SERVER_ERROR_ATTEMPTS + 2 }, internal));
    const err = await withRetry(f.op, {
      step: 'manifest',
      resource: 'm',
      bundle: 'b.zip',
      tuning,
      clock,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionStepError);
    expect((err as Error).message).toContain('InternalError: We encountered an internal error.');
    expect(f.calls()).toBe(SERVER_ERROR_ATTEMPTS);
    expect(clock.sleeps).toHaveLength(SERVER_ERROR_ATTEMPTS - 1);
  });

  it('lets deployer errors through unchanged (a lost lock stops everything)', async () => {
    const lost = new IamError('x', { resource: 'r', hint: 'h' });
    await expect(
      withRetry(
        async () => {
          throw lost;
        },
        { step: 's', resource: 'r', tuning, clock: fakeClock() },
      ),
    ).rejects.toBe(lost);
  });
});

describe('backoffMs', () => {
  it('grows exponentially and stays within [half, full] of the capped delay', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const cap = Math.min(tuning.retryMaxDelayMs, tuning.retryBaseDelayMs * 2 ** (attempt - 1));
      expect(backoffMs(attempt, tuning, () => 0)).toBe(cap / 2);
      expect(backoffMs(attempt, tuning, () => 0.999999)).toBeLessThanOrEqual(cap);
    }
  });
});
