/**
 * The bad-input suite through `reconcile` (issue 8; DESIGN.md "Reconcile: the contract": rejections,
 * size before download): the bundle tests' hostile corpus mixed with good bundles in the release
 * bucket, plus an object listed over the size limit and a non-canonical key. The deployer talks to the
 * emulator through the fault proxy (no fault injected), which counts the GetObject requests on the
 * release bucket. Run 1: every hostile bundle rejected once with its reason (report and marker),
 * downloaded once (the oversized and non-canonical ones never), nothing written for it (no function,
 * asset, manifest or staged code), the good bundles provisioned (I1), exit 1. Run 2: nothing
 * downloaded, everything known, exit 0. The CLI does the same in test/e2e/reconcile/bad-input-cli.
 */
import { GetFunctionCommand, ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { createAwsPorts } from '../../../src/aws/clients';
import { ExitCode } from '../../../src/errors';
import { markerKey } from '../../../src/reconcile/markers';
import type { ReconcileResult } from '../../../src/reconcile/run';
import { tempDir } from '../../support/bundle-builder';
import { testAwsConfig, testClients } from '../../support/emulator';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import { codeKeyOf, hostileReleases, REACHABLE_CASES, sha256Hex } from '../../support/hostile-corpus';
import { freshEnv, keys, readJson, run, upload, uploadApp, uniqueAppId, type Env, PREFIX } from './support';

jest.setTimeout(600_000);

let dir: string;
let cleanup: () => Promise<void>;
let proxy: FaultProxy;
let lambda: LambdaClient;
let e: Env;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('bad-input-it-'));
  proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL ?? '' });
  lambda = testClients().lambda;
});
afterAll(async () => {
  e?.s3.destroy();
  lambda.destroy();
  await proxy.close();
  await cleanup();
});

const sanitize = (s: string): string => s.replace(/\./g, '-');

/** Every Lambda function name of the backend (paginated). */
async function functionNames(): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const res = await lambda.send(new ListFunctionsCommand({ Marker: marker }));
    names.push(...(res.Functions ?? []).map((f) => f.FunctionName ?? ''));
    marker = res.NextMarker;
  } while (marker);
  return names;
}

function bundleOf(result: ReconcileResult, key: string) {
  return result.report.bundles.find((b) => b.releaseKey === key);
}

describe('bad input through reconcile (the hostile corpus among good bundles)', () => {
  it('rejects each hostile bundle once with its reason, writes nothing for it, never downloads it again', async () => {
    e = await freshEnv(dir);
    const ports = () =>
      createAwsPorts({ ...testAwsConfig(), endpoint: proxy.url }, { lambdaRequestsPerSecond: 50 });
    const hostile = await hostileReleases(PREFIX);
    expect(hostile.length).toBe(REACHABLE_CASES.length);
    for (const h of hostile) await upload(e, h.key, h.bytes);
    const good = [];
    for (let i = 0; i < 3; i++) good.push(await uploadApp(e, uniqueAppId('good'), `1.${i}`));
    // the size limit just above the largest object: one object over it, never to be downloaded
    const maxBundleBytes = Math.max(
      ...hostile.map((h) => h.bytes.length),
      ...good.map((g) => g.bytes.length),
    );
    const oversizedKey = `${PREFIX}${uniqueAppId('big')}_1.0.zip`;
    await upload(e, oversizedKey, Buffer.alloc(maxBundleBytes + 1, 0x50));
    const nonCanonicalKey = `${PREFIX}not a canonical key.zip`;
    await upload(e, nonCanonicalKey, good[0]!.bytes);
    const functionsBefore = new Set(await functionNames());

    // Run 1: finds them all
    const first = await run(e, { maxBundleBytes }, { ports: ports() });
    expect(first.report.error).toBeUndefined();
    expect(first.report.exitCode).toBe(ExitCode.Failed);
    expect(first.report.counts).toEqual({ provisioned: good.length, rejected: hostile.length + 2 });

    // each hostile bundle: rejected with its reason in the report and in its marker, downloaded once
    const reasons = [];
    for (const h of hostile) {
      const b = bundleOf(first, h.key);
      const issues = b?.outcome.status === 'rejected' ? b.outcome.issues : [];
      const marker = await readJson(
        e,
        markerKey({ stem: `${h.appId}_${h.version}`, etag: b?.etag ?? '', outcome: 'rejected' }),
      );
      const markerCodes = ((marker.issues ?? []) as { code: string }[]).map((i) => i.code);
      reasons.push({
        case: h.name,
        status: b?.outcome.status,
        reasonInReport: issues.some((i) => h.codes.includes(i.code) && i.severity === 'error'),
        reasonInMarker: markerCodes.some((c) => h.codes.includes(c)),
        markerSha256: marker.bundleSha256,
        downloads: proxy.count({
          service: 's3',
          operation: 'GetObject',
          bucket: e.releaseBucket,
          key: h.key,
        }),
      });
    }
    expect(reasons).toEqual(
      hostile.map((h) => ({
        case: h.name,
        status: 'rejected',
        reasonInReport: true,
        reasonInMarker: true,
        markerSha256: sha256Hex(h.bytes),
        downloads: 1,
      })),
    );
    // size before download; a non-canonical key is judged from its name
    expect(bundleOf(first, oversizedKey)).toMatchObject({
      action: 'reject-oversized',
      outcome: { status: 'rejected', issues: [{ code: 'BUNDLE_TOO_LARGE' }] },
    });
    expect(bundleOf(first, nonCanonicalKey)).toMatchObject({
      action: 'reject-non-canonical',
      outcome: { status: 'rejected' },
    });
    for (const key of [oversizedKey, nonCanonicalKey])
      expect({ key, downloads: proxy.count({ service: 's3', operation: 'GetObject', key }) }).toEqual({
        key,
        downloads: 0,
      });

    // nothing written for a rejected bundle: the apps bucket holds the good apps' objects only
    const goodFunctions = good.map((g) => `${sanitize(g.key.slice(PREFIX.length, -'.zip'.length))}_fn0`);
    const codes = [];
    for (const [i, g] of good.entries()) {
      const fn = await lambda.send(new GetFunctionCommand({ FunctionName: goodFunctions[i] }));
      // I1: the manifest exists, so the function has the bundle's code and tags, the asset exists
      const manifest = await e.s3.send(
        new HeadObjectCommand({
          Bucket: e.appsBucket,
          Key: `manifests/${g.key.slice(PREFIX.length, -'.zip'.length)}.json`,
        }),
      );
      expect(manifest.Metadata?.['bundle-sha256']).toBe(sha256Hex(g.bytes));
      expect(fn.Tags?.['mattermost-app-id']).toBe(g.key.slice(PREFIX.length).split('_')[0]);
      codes.push(codeKeyOf(fn.Configuration?.CodeSha256 ?? ''));
    }
    const goodStems = good.map((g) => g.key.slice(PREFIX.length, -'.zip'.length));
    expect(await keys(e, 'manifests/')).toEqual(goodStems.map((s) => `manifests/${s}.json`).sort());
    expect(await keys(e, 'static/')).toEqual(goodStems.map((s) => `static/${s}_app/icon.png`).sort());
    expect(await keys(e, 'deployer/code/')).toEqual([...new Set(codes)].sort());
    // no function of a hostile bundle: neither under its manifest's app id nor under its key's
    const hostileAppIds = ['com.example.hello', ...hostile.map((h) => h.appId)].map(sanitize);
    const created = (await functionNames()).filter((n) => !functionsBefore.has(n));
    expect(created.filter((n) => hostileAppIds.some((id) => n.startsWith(`${id}_`)))).toEqual([]);
    expect(created.filter((n) => goodFunctions.includes(n)).sort()).toEqual([...goodFunctions].sort());

    // Run 2: everything known from the listings; nothing downloaded, exit 0
    const getsBefore = proxy.count({ service: 's3', operation: 'GetObject', bucket: e.releaseBucket });
    const second = await run(e, { maxBundleBytes }, { ports: ports() });
    expect(proxy.count({ service: 's3', operation: 'GetObject', bucket: e.releaseBucket })).toBe(getsBefore);
    expect(second.report.exitCode).toBe(ExitCode.Ok);
    expect(second.report.bundles).toEqual([]);
    expect(second.report.unchanged).toEqual({
      'up-to-date': good.length,
      'known-rejection': hostile.length + 1,
      'known-non-canonical': 1,
    });
  });
});
