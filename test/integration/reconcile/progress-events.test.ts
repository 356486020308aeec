/**
 * The byte progress a reconcile run reports to its observers (a terminal draws it): each bundle's
 * download, then the uploads of its provisioning (function code staged, static assets), each ending
 * at its size; a run with nothing to do reports none.
 */
import type { BytesProgress, RunObserver } from '../../../src/reconcile/types';
import { simpleAppSpec, tempDir } from '../../support/bundle-builder';
import { freshEnv, outcomes, run, uniqueAppId, uploadApp } from './support';

jest.setTimeout(120_000);

describe('reconcile byte progress', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(() => cleanup());

  it('reports the download and every upload of each provisioned bundle, then nothing on a no-op run', async () => {
    // Prepare
    const e = await freshEnv(dir);
    const appId = uniqueAppId('bytes');
    const spec = await simpleAppSpec(appId, '1.0.0', { functions: 2 });
    spec.static = { ...spec.static, 'data.bin': Buffer.alloc(300_000, 7) };
    const released = await uploadApp(e, appId, '1.0.0', spec);
    const events: BytesProgress[] = [];
    const observer: RunObserver = { bundleBytes: (p) => void events.push(p) };

    // Act
    const first = await run(e, { observers: [observer] });
    const seen = events.length;
    await run(e, { observers: [observer] });

    // Assess: the last report of each transfer is complete
    expect(outcomes(first)).toEqual({ [released.key]: 'provisioned' });
    const last = new Map<string, BytesProgress>();
    for (const p of events) last.set(`${p.step} ${p.entry ?? ''}`, p);
    expect([...last.keys()].sort()).toEqual([
      'asset static/data.bin',
      'asset static/icon.png',
      'download ',
      'stage-code fn0.zip',
      'stage-code fn1.zip',
    ]);
    for (const [what, p] of last) {
      expect({ what, done: p.bytes === p.total, bundle: p.item.releaseKey }).toEqual({
        what,
        done: true,
        bundle: released.key,
      });
    }
    expect(last.get('download ')?.total).toBe(released.bytes.length);
    expect(last.get('asset static/data.bin')?.total).toBe(300_000);
    expect(events).toHaveLength(seen); // the no-op run transferred nothing
  });
});
