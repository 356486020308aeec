/**
 * Crash safety: a provision interrupted at its k-th write (before the write is sent, or right after it
 * succeeded) leaves invariant I1 intact, and the next run completes the bundle; the run after that
 * writes nothing. Every write index of a full provision is tried, IAM writes included.
 */
import { tempDir, upstreamLikeSpec } from '../../support/bundle-builder';
import { uniqueName } from '../../support/emulator';
import {
  SimulatedCrash,
  assertI1,
  buildBundle,
  freshEnv,
  provisioner,
  roleArnOf,
  uniqueAppId,
  writeRequests,
  writeTap,
  type Env,
} from './support';

jest.setTimeout(600_000);

/** The provisioner wraps unknown errors (ProvisionStepError); the crash is somewhere in the causes. */
function causedByCrash(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof SimulatedCrash) return true;
  return false;
}

describe('interrupted provision', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Env;
  let totalWrites: string[];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    env = await freshEnv(dir);
    // how many writes a full provision makes, with fresh IAM
    const bundle = await buildBundle(
      dir,
      'count',
      await upstreamLikeSpec({ app_id: uniqueAppId('c') }, 'count'),
    );
    const tap = writeTap(env.ports);
    await provisioner(env, tap.ports).provision(bundle, { runId: 'count' });
    totalWrites = tap.writes;
  });
  afterAll(async () => {
    await cleanup();
  });

  it('makes the writes of DESIGN.md in commit order: IAM, code and functions, assets, manifest last', () => {
    expect(totalWrites).toHaveLength(5 + 4 + 4 + 5 + 1 + 1); // … assets, the version record, the manifest
    expect(totalWrites[totalWrites.length - 1]).toBe('s3.putObject');
    expect(totalWrites.filter((w) => w === 'lambda.createFunction')).toHaveLength(4);
    expect(totalWrites.filter((w) => w === 's3.upload')).toHaveLength(4 + 5);
    expect(totalWrites.slice(0, 5)).toEqual([
      'iam.createRole',
      'iam.attachRolePolicy',
      'iam.createPolicy',
      'iam.createGroup',
      'iam.attachGroupPolicy',
    ]);
  });

  it('holds I1 after every write of a provision', async () => {
    // Prepare
    const bundle = await buildBundle(
      dir,
      'steps',
      await upstreamLikeSpec({ app_id: uniqueAppId('s') }, 'steps'),
    );
    const p = provisioner(env);
    const { roleArn } = await p.ensureIam();
    const seen: boolean[] = [];
    const tap = writeTap(env.ports, {
      onWrite: async () => {
        seen.push(await assertI1(env, bundle, roleArn));
      },
    });

    // Act
    await provisioner(env, tap.ports).provision(bundle, { runId: 'steps' });

    // Assess: no manifest until the last write, then I1 with the manifest
    expect(seen.length).toBe(tap.writes.length);
    expect(seen.slice(0, -1).every((m) => m === false)).toBe(true);
    expect(seen[seen.length - 1]).toBe(true);
  });

  for (const when of ['before', 'after'] as const) {
    it(`completes on rerun after a crash ${when} any write k`, async () => {
      for (let k = 0; k < totalWrites.length; k++) {
        // Prepare: fresh app, fresh code (code keys are content-addressed) and fresh IAM names, so
        // every write of the count run happens again, IAM writes included
        const kEnv: Env = {
          ...env,
          config: {
            ...env.config,
            executeRoleName: uniqueName(`r${k}`),
            invokePolicyName: uniqueName(`p${k}`),
            invokeGroupName: uniqueName(`g${k}`),
          },
        };
        const bundle = await buildBundle(
          dir,
          `k${when}${k}`,
          await upstreamLikeSpec({ app_id: uniqueAppId(`k${k}`) }, `${when}-${k}`),
        );
        const tap = writeTap(env.ports, { interrupt: { at: k, when } });

        // Act 1: the run that dies at write k
        const crashed = await provisioner(kEnv, tap.ports)
          .provision(bundle, { runId: `crash-${k}` })
          .then(
            () => undefined,
            (err: unknown) => err,
          );
        expect({ k, crash: causedByCrash(crashed) }).toEqual({ k, crash: true });
        const publishedAfterCrash = await assertI1(kEnv, bundle, await roleArnOf(kEnv));
        // the manifest is the last write: it exists after a crash only if that write went through
        expect({ k, publishedAfterCrash }).toEqual({
          k,
          publishedAfterCrash: when === 'after' && k === totalWrites.length - 1,
        });

        // Act 2: the next run
        const rerun = await provisioner(kEnv).provision(bundle, { runId: `rerun-${k}` });

        // Assess
        expect(await assertI1(kEnv, bundle, await roleArnOf(kEnv))).toBe(true);
        expect(rerun.functions).toHaveLength(4);
        env.ports.requests.reset();
        await provisioner(kEnv).provision(bundle, { runId: `third-${k}` });
        expect({ k, writes: writeRequests(env.ports.requests.snapshot()) }).toEqual({ k, writes: {} });
      }
    });
  }
});
