/**
 * prune's choice of versions (a pure function of the listings), the pin list, the retention plan, and
 * reconcile's known-retired verdict.
 */
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { parsePinned } from '../../../src/prune/pins';
import { planRunRecords, planStagedCode } from '../../../src/prune/retention';
import { manifestFunctionNames } from '../../../src/prune/retire';
import { compareSemver, parseSemver, selectVersions, type SelectInput } from '../../../src/prune/select';
import type { ListedObject } from '../../../src/reconcile/listing';
import { markerKey } from '../../../src/reconcile/markers';
import { buildPlan } from '../../../src/reconcile/plan';

const NOW = new Date('2026-06-01T00:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);
const manifest = (app: string, version: string, age: number): ListedObject => ({
  key: `manifests/${app}_${version}.json`,
  etag: `"${app}-${version}"`,
  size: 10,
  lastModified: daysAgo(age),
});

function select(manifests: ListedObject[], over: Partial<SelectInput> = {}) {
  return selectVersions({
    manifests,
    markerKeys: [],
    keep: 1,
    olderThanDays: 30,
    pinned: [],
    now: NOW,
    ...over,
  });
}
const actions = (ds: ReturnType<typeof select>) => ds.map((d) => `${d.appId}@${d.version}:${d.action}`);

describe('semver', () => {
  it('orders by precedence, prereleases below their release, numeric identifiers numerically', () => {
    const sorted = ['1.0.0', '1.0.0-rc.10', '1.0.0-rc.2', '1.0.0-alpha', '0.9.12', '0.10.0', 'v2.0.0']
      .map((v) => ({ v, p: parseSemver(v)! }))
      .sort((a, b) => compareSemver(a.p, b.p))
      .map((x) => x.v);
    expect(sorted).toEqual([
      '0.9.12',
      '0.10.0',
      '1.0.0-alpha',
      '1.0.0-rc.2',
      '1.0.0-rc.10',
      '1.0.0',
      'v2.0.0',
    ]);
    expect(parseSemver('1.0')).toBeUndefined();
    expect(parseSemver('01.0.0')).toBeUndefined();
  });
});

describe('selectVersions', () => {
  it('never retires the newest nor the --keep newest; by semver, not by upload time', () => {
    // 0.10.0 went live first but is the newest by semver
    const ms = [
      manifest('a.app', '0.10.0', 400),
      manifest('a.app', '0.9.0', 100),
      manifest('a.app', '0.8.0', 200),
    ];
    expect(actions(select(ms))).toEqual(['a.app@0.10.0:keep', 'a.app@0.9.0:retire', 'a.app@0.8.0:retire']);
    expect(actions(select(ms, { keep: 2 }))).toEqual([
      'a.app@0.10.0:keep',
      'a.app@0.9.0:keep',
      'a.app@0.8.0:retire',
    ]);
  });

  it('orders by LastModified when a version of the app is not semver', () => {
    const ms = [
      manifest('b.app', '2.0.0', 300),
      manifest('b.app', 'beta', 10),
      manifest('b.app', '1.0.0', 200),
    ];
    expect(actions(select(ms))).toEqual(['b.app@beta:keep', 'b.app@1.0.0:retire', 'b.app@2.0.0:retire']);
  });

  it('keeps pinned versions, versions younger than --older-than, and one app at a time with --only', () => {
    const ms = [
      manifest('a.app', '3.0.0', 100),
      manifest('a.app', '2.0.0', 100),
      manifest('a.app', '1.0.0', 100),
      manifest('c.app', '1.1.0', 5),
      manifest('c.app', '1.0.0', 10),
    ];
    const ds = select(ms, { pinned: ['a.app@1.0.0'] });
    expect(actions(ds)).toEqual([
      'a.app@3.0.0:keep',
      'a.app@2.0.0:retire',
      'a.app@1.0.0:keep',
      'c.app@1.1.0:keep',
      'c.app@1.0.0:keep',
    ]);
    expect(ds.find((d) => d.version === '1.0.0' && d.appId === 'c.app')?.reason).toMatch(/less than 30 days/);
    expect(actions(select(ms, { olderThanDays: 7, only: 'c.app' }))).toEqual([
      'c.app@1.1.0:keep',
      'c.app@1.0.0:retire',
    ]);
  });

  it('resumes a retirement a former run began, even once its manifest is gone; a completed one is left', () => {
    const retired = (stem: string) => markerKey({ stem, etag: 'e1', outcome: 'retired' });
    const pruned = (stem: string) => markerKey({ stem, etag: 'e1', outcome: 'pruned' });
    const ms = [manifest('a.app', '2.0.0', 100), manifest('a.app', '1.0.0', 100)];
    const ds = select(ms, {
      markerKeys: [
        retired('a.app_1.0.0'),
        retired('a.app_0.9.0'),
        retired('a.app_0.8.0'),
        pruned('a.app_0.8.0'),
      ],
      olderThanDays: 1000,
    });
    expect(actions(ds)).toEqual(['a.app@0.9.0:resume', 'a.app@1.0.0:resume', 'a.app@2.0.0:keep']);
    expect(ds.find((d) => d.version === '0.9.0')?.manifestEtag).toBeUndefined();
    expect(ds.find((d) => d.version === '1.0.0')?.manifestEtag).toBe('"a.app-1.0.0"');
  });

  it('a retired marker alone (forgeable under deployer/) never retires a listed newest or pinned version', () => {
    const retired = (stem: string) => markerKey({ stem, etag: 'forged', outcome: 'retired' });
    const ms = [
      manifest('a.app', '2.0.0', 100),
      manifest('a.app', '1.0.0', 100),
      manifest('a.app', '0.9.0', 100),
      manifest('b.app', '1.0.0', 100),
    ];
    const ds = select(ms, {
      markerKeys: [
        retired('a.app_2.0.0'),
        retired('a.app_1.0.0'),
        retired('a.app_0.9.0'),
        retired('b.app_1.0.0'),
      ],
      pinned: ['a.app@1.0.0'],
      keep: 5,
    });
    expect(actions(ds)).toEqual([
      'a.app@0.9.0:resume',
      'a.app@2.0.0:keep',
      'a.app@1.0.0:keep',
      'b.app@1.0.0:keep',
    ]);
  });
});

describe('APPS_DEPLOYER_PRUNE_PINNED', () => {
  it('parses app_id@version lists and names every bad entry (exit 2 from loadConfig)', () => {
    const problems: string[] = [];
    expect(parsePinned('P', ' com.a.b@1.0.0 , x-y.z@2.1,com.a.b@1.0.0,', problems)).toEqual([
      'com.a.b@1.0.0',
      'x-y.z@2.1',
    ]);
    expect(problems).toEqual([]);
    parsePinned('P', 'nope,ab@1.0,abc@1_0,abc@', problems);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/P: "nope" is not app_id@version/);
    let err: unknown;
    try {
      loadConfig({ APPS_DEPLOYER_PRUNE_PINNED: 'com.a.b@1.0.0,bad' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/APPS_DEPLOYER_PRUNE_PINNED: "bad"/);
    expect(loadConfig({ APPS_DEPLOYER_PRUNE_PINNED: 'com.a.b@1.0.0' }).prunePinned).toEqual([
      'com.a.b@1.0.0',
    ]);
  });
});

describe('retention plans', () => {
  const obj = (key: string, age: number): ListedObject => ({
    key,
    etag: '"e"',
    size: 1,
    lastModified: daysAgo(age),
  });
  it('expires run records older than the retention, keeping the newest N whatever their age', () => {
    const runs = [
      obj('deployer/runs/a.json', 200),
      obj('deployer/runs/b.json', 150),
      obj('deployer/runs/c.json', 100),
      obj('deployer/runs/d.json', 1),
    ];
    expect(planRunRecords(runs, NOW, 90, 1).expire).toEqual([
      'deployer/runs/a.json',
      'deployer/runs/b.json',
      'deployer/runs/c.json',
    ]);
    expect(planRunRecords(runs, NOW, 90, 3).expire).toEqual(['deployer/runs/a.json']);
    expect(planRunRecords(runs, NOW, 160, 0).expire).toEqual(['deployer/runs/a.json']);
  });

  it('deletes staged code no function uses (CodeSha256 base64 = the key hex), keeps young objects and foreign keys', () => {
    const hex = (c: string) => c.repeat(64);
    const used = Buffer.from(hex('a'), 'hex').toString('base64');
    const inUse = new Set([Buffer.from(used, 'base64').toString('hex')]);
    const plan = planStagedCode(
      [
        obj(`deployer/code/${hex('a')}.zip`, 10),
        obj(`deployer/code/${hex('b')}.zip`, 10),
        { ...obj(`deployer/code/${hex('c')}.zip`, 0), lastModified: new Date(NOW.getTime() - 60_000) },
        obj(`deployer/code/${hex('D')}.zip`, 10),
        obj('deployer/code/readme.txt', 10),
      ],
      inUse,
      NOW,
      300,
    );
    expect(plan).toEqual({ remove: [`deployer/code/${hex('b')}.zip`], inUse: 1, young: 1, unrecognized: 2 });
  });
});

describe('retirement record', () => {
  it('names the Lambda functions of a stored manifest in either aws_lambda form, skipping invalid names', () => {
    const stored = JSON.stringify({
      aws_lambda: { functions: [{ name: 'fn one' }, { name: '../x' }, { name: 3 }] },
    });
    expect(manifestFunctionNames('com.a.b', '1.0.0', stored)).toEqual(['com-a-b_1-0-0_fn-one']);
    expect(
      manifestFunctionNames('com.a.b', '1.0.0', JSON.stringify({ aws_lambda: [{ name: 'f' }] })),
    ).toEqual(['com-a-b_1-0-0_f']);
    expect(manifestFunctionNames('com.a.b', '1.0.0', 'not json')).toEqual([]);
  });
});

describe('reconcile plan: known-retired', () => {
  const location = { appsBucket: 'apps', releaseBucket: 'rel', releasePrefix: 'bundles/' };
  const release = (key: string, etag: string): ListedObject => ({ key, etag: `"${etag}"`, size: 100 });
  const m = (stem: string, etag: string, outcome: 'provisioned' | 'retired' | 'pruned'): ListedObject => ({
    key: markerKey({ stem, etag, outcome }),
    etag: '"x"',
    size: 1,
  });
  it('a retired version is never provisioned again: the old object, and a new upload under its key', () => {
    const plan = buildPlan({
      runId: 'r',
      createdAt: NOW,
      location,
      listings: {
        release: [release('bundles/a.app_1.0.0.zip', 'old'), release('bundles/b.app_1.0.0.zip', 'new')],
        manifests: [],
        markers: [
          m('a.app_1.0.0', 'old', 'provisioned'),
          m('a.app_1.0.0', 'old', 'retired'),
          m('b.app_1.0.0', 'old', 'provisioned'),
          m('b.app_1.0.0', 'old', 'pruned'),
        ],
      },
      replace: true,
    });
    expect(plan.items.map((i) => [i.appId, i.action])).toEqual([
      ['a.app', 'known-retired'],
      ['b.app', 'known-retired'],
    ]);
    expect(plan.items[0]?.reason).toBe('retired by prune');
    expect(plan.items[1]?.reason).toMatch(/versions are immutable/);
  });
});
