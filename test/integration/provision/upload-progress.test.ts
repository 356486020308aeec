/**
 * The provisioner reports the bytes of its uploads (function code staged, static assets) as they go
 * to S3 (ProvisionOptions.onBytes: a terminal draws them as progress bars): each upload from 0 to its
 * size, never backwards, and nothing for an object that is already there.
 */
import { randomBytes } from 'node:crypto';
import type { UploadProgress } from '../../../src/provision/types';
import { simpleAppSpec, tempDir } from '../../support/bundle-builder';
import { buildBundle, freshEnv, provisioner, uniqueAppId } from './support';

jest.setTimeout(120_000);

describe('provisioning upload progress', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('reports every upload from 0 to its size, then nothing when the bundle is provisioned again', async () => {
    // Prepare: a function and a 3 MiB asset (several chunks)
    const env = await freshEnv(dir);
    const appId = uniqueAppId('bytes');
    const spec = await simpleAppSpec(appId, '1.0.0');
    const big = randomBytes(3 * 1024 * 1024);
    spec.static = { ...spec.static, 'big.bin': big };
    const bundle = await buildBundle(dir, 'bytes', spec);
    const seen: UploadProgress[] = [];
    const p = provisioner(env);
    await p.ensureIam();

    // Act
    await p.provision(bundle, { runId: 'bytes-1', onBytes: (e) => seen.push({ ...e }) });
    const again: UploadProgress[] = [];
    await p.provision(bundle, { runId: 'bytes-2', onBytes: (e) => again.push({ ...e }) });

    // Assess
    const byKey = new Map<string, UploadProgress[]>();
    for (const e of seen) byKey.set(e.resource, [...(byKey.get(e.resource) ?? []), e]);
    const expected = new Map<string, { entry: string; size: number; step: string }>([
      ...bundle.functions.map(
        (f) =>
          [`deployer/code/${f.sha256Hex}.zip`, { entry: f.entry, size: f.size, step: 'stage-code' }] as const,
      ),
      ...bundle.assets.map((a) => [a.key, { entry: a.entry, size: a.size, step: 'asset' }] as const),
    ]);
    expect([...byKey.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, events] of byKey) {
      const want = expected.get(key)!;
      const bytes = events.map((e) => e.bytes);
      expect({ key, first: bytes[0], last: bytes.at(-1) }).toEqual({ key, first: 0, last: want.size });
      expect(bytes).toEqual([...bytes].sort((a, b) => a - b)); // never backwards
      for (const e of events)
        expect(e).toMatchObject({ entry: want.entry, step: want.step, total: want.size });
    }
    const bigEvents = byKey.get(bundle.assets.find((a) => a.relPath === 'big.bin')!.key)!;
    expect(bigEvents.length).toBeGreaterThan(2); // streamed in chunks, not one jump
    expect(again).toEqual([]); // everything is there: no upload, no progress
  });
});
