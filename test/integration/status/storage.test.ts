/**
 * `status APP_ID` shows the storage the deployer accounts for, against the emulator: two versions
 * provisioned by a real reconcile, sharing their function code (one staged object per function for
 * both), beside another app that must not be counted; then a function deleted by hand is listed as
 * not counted. S3 and Lambda reads only: runs on moto and LocalStack alike.
 */
import { createHash } from 'node:crypto';
import {
  DeleteFunctionCommand,
  GetFunctionCommand,
  UntagResourceCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { ExitCode } from '../../../src/errors';
import { FUNCTION_TAGS } from '../../../src/provision/types';
import { formatStatus, getStatus } from '../../../src/status';
import { stagedCodeKey } from '../../../src/status/storage';
import { bundleBuffer, simpleAppSpec, tempDir } from '../../support/bundle-builder';
import { testClients, testPorts } from '../../support/emulator';
import { freshEnv, keys, run, upload, uniqueAppId, PREFIX, type Env } from '../reconcile/support';

jest.setTimeout(180_000);

let dir: string;
let cleanup: () => Promise<void>;
let env: Env;
let lambda: LambdaClient;
const appId = uniqueAppId('st');
const other = uniqueAppId('so');
let zips: Buffer[];

const where = () => ({
  appsBucket: env.appsBucket,
  releaseBucket: env.releaseBucket,
  releasePrefix: PREFIX,
});
const status = (id: string) => {
  const ports = testPorts();
  return getStatus(ports.s3, where(), { appId: id, lambda: ports.lambda });
};

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('status-storage-it-'));
  env = await freshEnv(dir);
  lambda = testClients().lambda;
  // Prepare: two versions of one app with the same two function zips, and another app
  const v1 = await simpleAppSpec(appId, '1.0.0', { functions: 2 });
  const v2 = { ...(await simpleAppSpec(appId, '2.0.0', { functions: 2 })), functions: v1.functions };
  zips = Object.values(v1.functions ?? {});
  await upload(env, `${PREFIX}${appId}_1.0.0.zip`, await bundleBuffer(v1));
  await upload(env, `${PREFIX}${appId}_2.0.0.zip`, await bundleBuffer(v2));
  await upload(env, `${PREFIX}${other}_1.0.0.zip`, await bundleBuffer(await simpleAppSpec(other, '1.0.0')));
  const res = await run(env);
  expect(res.report.exitCode).toBe(ExitCode.Ok);
});
afterAll(async () => {
  env.s3.destroy();
  lambda.destroy();
  await cleanup();
});

describe('status APP_ID: storage', () => {
  it("counts each version's functions' code and the staged objects they use, shared ones once", async () => {
    // Act
    const report = await status(appId);
    // Assess
    const sizes = zips.map((z) => z.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(zips).toHaveLength(2);
    // the staged objects are the function zips, keyed by their sha256 (what Lambda reports as CodeSha256)
    const staged = zips.map((z) => stagedCodeKey(createHash('sha256').update(z).digest('base64')));
    expect(await keys(env, 'deployer/code/')).toEqual(expect.arrayContaining(staged));
    const perVersion = {
      functions: 2,
      functionCodeBytes: total,
      stagedCodeObjects: 2,
      stagedCodeBytes: total,
    };
    expect(report.storage).toEqual({
      byVersion: [
        { version: '1.0.0', ...perVersion },
        { version: '2.0.0', ...perVersion },
      ],
      functions: 4,
      functionCodeBytes: 2 * total,
      stagedCodeObjects: 2,
      stagedCodeBytes: total,
      unaccounted: [],
    });
    const text = formatStatus(report);
    expect(text).toContain(`Storage of ${appId}`);
    expect(text).toMatch(/\n {2}all\s+4\s+/);
  });

  it('is read only for one app', async () => {
    const ports = testPorts();
    const all = await getStatus(ports.s3, where(), { lambda: ports.lambda });
    expect(all.storage).toBeUndefined();
    expect((await status(other)).storage?.functions).toBe(1);
  });

  it('lists apart, without counting them, a function deleted by hand and one no longer tagged as ours', async () => {
    const name = (version: string, fn: string) =>
      `${appId.replace(/\./g, '-')}_${version.replace(/\./g, '-')}_${fn}`;
    const gone = name('2.0.0', 'fn1');
    const untagged = name('1.0.0', 'fn0');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: gone }));
    const arn = (await lambda.send(new GetFunctionCommand({ FunctionName: untagged }))).Configuration
      ?.FunctionArn;
    await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: [FUNCTION_TAGS.managedBy] }));
    const report = await status(appId);
    expect(report.storage?.unaccounted).toEqual([
      { version: '1.0.0', lambdaName: untagged, reason: 'not tagged as this version of ours' },
      { version: '2.0.0', lambdaName: gone, reason: 'missing' },
    ]);
    expect(report.storage?.byVersion.map((v) => [v.version, v.functions, v.stagedCodeObjects])).toEqual([
      ['1.0.0', 1, 1],
      ['2.0.0', 1, 1],
    ]);
    // 1.0.0 keeps fn1, 2.0.0 keeps fn0: both staged objects are still in use
    expect(report.storage).toMatchObject({ functions: 2, stagedCodeObjects: 2 });
    expect(formatStatus(report)).toContain(`not counted: ${gone} (version 2.0.0): missing`);
  });
});
