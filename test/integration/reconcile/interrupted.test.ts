/**
 * Crash safety of a whole reconcile run (DESIGN.md "Idempotent and crash-safe"): a run killed right
 * after its k-th write (SIGKILL: nothing is written after it, the lock is left behind) is completed by
 * the next run (after `unlock`), and the run after that has nothing to do. Every write of a run is
 * tried: the lock, IAM, each bundle's code, function, log group, assets, version record and manifest,
 * the markers, the settings fingerprints, the run record and the lock's release.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { AwsPorts } from '../../../src/aws/ports';
import { ExitCode } from '../../../src/errors';
import { WRITE_OPERATIONS } from '../../../src/provision/guard';
import { conditionalDeleteMode, testPorts } from '../../support/emulator';
import { envSuite, keys, markerKeys, outcomes, run, uniqueAppId, uploadApp, type Env } from './support';

jest.setTimeout(900_000);

const suite = envSuite('reconcile-kill-');

class SimulatedKill extends Error {
  /** a 4xx, so that the dead run's lock release gives up at once instead of retrying for
   * LOCK_RELEASE_DEADLINE_MS (a killed process sends nothing: what it does after is irrelevant) */
  readonly $metadata = { httpStatusCode: 499 };
  constructor(readonly write: string) {
    super(`simulated SIGKILL after ${write}`);
    this.name = 'SimulatedKill';
  }
}

/** A write named without the test's app ids: "s3.putObject manifests/", "lock.deleteObject" */
function writeName(service: string, method: string, args: unknown[]): string {
  const key = (args[0] as { Key?: unknown } | undefined)?.Key;
  if (service !== 's3' || typeof key !== 'string') return `${service}.${method}`;
  const parts = key.split('/');
  return `${service}.${method} ${parts[0] === 'deployer' ? `deployer/${parts[1]}/` : `${parts[0]}/`}`;
}

/**
 * Wraps every write of the ports (the lock's own client included) in call order. With `killAfter`,
 * the process "dies" once that write has succeeded: it throws, and so does every later write (a dead
 * process sends nothing more; writes already sent may still land).
 */
function killTap(ports: AwsPorts, killAfter = -1): { ports: AwsPorts; writes: string[] } {
  const writes: string[] = [];
  let dead = false;
  const wrap = <P extends object>(service: string, port: P, methods: readonly string[]): P => {
    const out = { ...port } as Record<string, unknown>;
    for (const method of methods) {
      const original = (port as Record<string, unknown>)[method];
      if (typeof original !== 'function') continue;
      out[method] = async (...args: unknown[]) => {
        if (dead) throw new SimulatedKill(`${service}.${method} (not sent)`);
        const index = writes.push(writeName(service, method, args)) - 1;
        let result: unknown;
        try {
          result = await (original as (...a: unknown[]) => Promise<unknown>).apply(port, args);
        } finally {
          // killed once the write is answered, whatever the answer (LocalStack's 501 to a conditional
          // delete included)
          if (index === killAfter) dead = true;
        }
        if (index === killAfter) throw new SimulatedKill(`write ${index} (${writes[index]})`);
        return result;
      };
    }
    return out as P;
  };
  return {
    ports: {
      ...ports,
      s3: wrap('s3', ports.s3, WRITE_OPERATIONS.s3),
      ...(ports.lockS3 ? { lockS3: wrap('lock', ports.lockS3, ['putObject', 'deleteObject']) } : {}),
      lambda: wrap('lambda', ports.lambda, WRITE_OPERATIONS.lambda),
      iam: wrap('iam', ports.iam, WRITE_OPERATIONS.iam),
      logs: wrap('logs', ports.logs, WRITE_OPERATIONS.logs),
    },
    writes,
  };
}

/** Two apps released, judged one at a time (as the e2e SIGKILL test does with six). */
async function twoApps(): Promise<{ e: Env; releaseKeys: string[] }> {
  const e = await suite.env();
  const releaseKeys: string[] = [];
  for (const app of [uniqueAppId('ka'), uniqueAppId('kb')])
    releaseKeys.push((await uploadApp(e, app, '1.0')).key);
  return { e, releaseKeys };
}

describe('a reconcile run killed after any write', () => {
  let writesOfARun: string[] = [];

  beforeAll(async () => {
    const { e } = await twoApps();
    const tap = killTap(testPorts());
    const clean = await run(e, { concurrency: 1 }, { ports: tap.ports });
    expect(clean.report.exitCode).toBe(ExitCode.Ok);
    writesOfARun = tap.writes;
  });

  it('makes the writes this test kills after: per bundle the manifest then its marker; the record, the lock', async () => {
    const at = (w: string) => writesOfARun.flatMap((x, i) => (x === w ? [i] : []));
    expect(writesOfARun[0]).toBe('lock.putObject');
    // the lock's release: DeleteObject If-Match, or after LocalStack 4.14's 501 the fallback's delete
    const releases = (await conditionalDeleteMode()) === 'native' ? 1 : 2;
    const record = at('s3.putObject deployer/runs/');
    expect(record).toEqual([writesOfARun.length - 1 - releases]);
    expect(writesOfARun.slice(-releases)).toEqual(Array(releases).fill('lock.deleteObject'));
    expect(at('lambda.createFunction')).toHaveLength(2);
    const manifests = at('s3.putObject manifests/');
    expect(manifests).toHaveLength(2);
    for (const i of manifests) expect(writesOfARun[i + 1]).toBe('s3.putObject deployer/seen/');
  });

  it('is completed by the next run, and the run after that has nothing to do', async () => {
    const failures: unknown[] = [];
    for (let k = 0; k < writesOfARun.length; k++) {
      const where = { k, killedAfter: writesOfARun[k] };
      // Prepare: fresh buckets, IAM names and apps, so that every write of the count run happens again
      const { e, releaseKeys } = await twoApps();

      // Act 1: the run that dies after write k, leaving its lock (the operator's `unlock` removes it)
      const tap = killTap(testPorts(), k);
      await run(e, { concurrency: 1 }, { ports: tap.ports }).catch(() => undefined);
      expect({ ...where, killed: tap.writes[k] }).toEqual({ ...where, killed: writesOfARun[k] });
      await e.s3.send(new DeleteObjectCommand({ Bucket: e.appsBucket, Key: 'deployer/lock' }));

      // Act 2: the rerun, then the run after it
      const rerun = await run(e, { concurrency: 1 });
      const next = await run(e, { concurrency: 1 });

      // Assess: converged once, one judgement per release object, then nothing to do
      const converged = Object.values(outcomes(rerun)).every((s) => ['provisioned', 'identical'].includes(s));
      const got = {
        rerun: { exit: rerun.report.exitCode, converged },
        manifests: (await keys(e, 'manifests/')).length,
        judgements: (await markerKeys(e)).length,
        next: { plan: next.plan?.counts, report: next.report.counts, worked: next.report.bundles },
      };
      const want = {
        rerun: { exit: ExitCode.Ok, converged: true },
        manifests: releaseKeys.length,
        judgements: releaseKeys.length,
        next: { plan: { 'up-to-date': 2 }, report: { skipped: 2 }, worked: [] },
      };
      // every kill point is tried before failing, so that one failure names them all
      if (JSON.stringify(got) !== JSON.stringify(want)) failures.push({ ...where, got });
    }
    expect(failures).toEqual([]);
  });
});
