import { buildPlan } from '../../../src/reconcile/plan';
import type { Listings, ListedObject } from '../../../src/reconcile/listing';
import { canonicalStem, markerKey, nonCanonicalStem } from '../../../src/reconcile/markers';
import {
  PLAN_VERSION,
  VALIDATOR_VERSION,
  type MarkerOutcome,
  type PlanItem,
} from '../../../src/reconcile/types';

const location = { appsBucket: 'apps', releaseBucket: 'releases', releasePrefix: 'bundles/' };

function release(key: string, etag: string, size = 100): ListedObject {
  return { key, etag: `"${etag}"`, size };
}
function manifest(stem: string): ListedObject {
  return { key: `manifests/${stem}.json`, etag: '"m"', size: 10 };
}
function marker(
  stem: string,
  etag: string,
  outcome: MarkerOutcome,
  validatorVersion = VALIDATOR_VERSION,
): ListedObject {
  return { key: markerKey({ stem, etag, outcome, validatorVersion }), etag: '"x"', size: 10 };
}

function plan(
  listings: Partial<Listings>,
  opts: {
    replace?: boolean;
    only?: string;
    validatorVersion?: number;
    retryFailed?: boolean;
    maxBundleBytes?: number;
  } = {},
) {
  return buildPlan({
    runId: 'run-1',
    createdAt: new Date('2025-01-01T00:00:00Z'),
    location,
    listings: { release: [], manifests: [], markers: [], ...listings },
    ...opts,
  });
}

function actionOf(items: PlanItem[], key: string): string | undefined {
  return items.find((i) => i.releaseKey === key)?.action;
}

describe('buildPlan', () => {
  const A = 'bundles/com.example.a_1.0.0.zip';
  const stemA = canonicalStem('com.example.a', '1.0.0');

  it('provisions a canonical object that has no manifest and no marker', () => {
    const p = plan({ release: [release(A, 'e1')] });
    expect(p.items).toEqual([
      {
        releaseKey: A,
        etag: '"e1"',
        size: 100,
        appId: 'com.example.a',
        version: '1.0.0',
        action: 'provision',
        reason: expect.any(String),
      },
    ]);
    expect(p).toMatchObject({
      planVersion: PLAN_VERSION,
      runId: 'run-1',
      createdAt: '2025-01-01T00:00:00.000Z',
      appsBucket: 'apps',
      releaseBucket: 'releases',
      releasePrefix: 'bundles/',
      replace: false,
      counts: { provision: 1 },
    });
    expect(p.only).toBeUndefined();
  });

  it('checks a re-upload when the manifest exists but the ETag was never judged', () => {
    const p = plan({
      release: [release(A, 'e2')],
      manifests: [manifest(stemA)],
      markers: [marker(stemA, 'e1', 'provisioned')],
    });
    expect(actionOf(p.items, A)).toBe('check-reupload');
  });

  it.each(['provisioned', 'identical'] as const)('is up to date when the ETag was judged %s', (outcome) => {
    const p = plan({
      release: [release(A, 'e1')],
      manifests: [manifest(stemA)],
      markers: [marker(stemA, 'e1', outcome)],
    });
    expect(actionOf(p.items, A)).toBe('up-to-date');
  });

  it('provisions again when a provisioned object lost its manifest', () => {
    const p = plan({ release: [release(A, 'e1')], markers: [marker(stemA, 'e1', 'provisioned')] });
    expect(actionOf(p.items, A)).toBe('provision');
  });

  it('knows a conflict; --replace turns it into a re-upload check; a missing manifest into a provision', () => {
    const listings = {
      release: [release(A, 'e2')],
      manifests: [manifest(stemA)],
      markers: [marker(stemA, 'e1', 'provisioned'), marker(stemA, 'e2', 'conflict')],
    };
    expect(actionOf(plan(listings).items, A)).toBe('known-conflict');
    expect(actionOf(plan(listings, { replace: true }).items, A)).toBe('check-reupload');
    expect(actionOf(plan({ ...listings, manifests: [] }).items, A)).toBe('provision');
  });

  it('keeps a name collision (a conflict judged without a manifest) known, with or without a manifest', () => {
    const listings = { release: [release(A, 'e1')], markers: [marker(stemA, 'e1', 'collision')] };
    // without the collision marker kind, "conflict + no manifest" would provision it again every run
    expect(actionOf(plan(listings).items, A)).toBe('known-conflict');
    expect(actionOf(plan({ ...listings, manifests: [manifest(stemA)] }).items, A)).toBe('known-conflict');
    expect(actionOf(plan(listings, { replace: true }).items, A)).toBe('provision');
    // a new upload under the key (another ETag) is judged again
    expect(actionOf(plan({ ...listings, release: [release(A, 'e2')] }).items, A)).toBe('provision');
  });

  it('prefers provisioned over an older conflict of the same bytes (redeployed with --replace)', () => {
    const p = plan({
      release: [release(A, 'e2')],
      manifests: [manifest(stemA)],
      markers: [marker(stemA, 'e2', 'conflict'), marker(stemA, 'e2', 'provisioned')],
    });
    expect(actionOf(p.items, A)).toBe('up-to-date');
  });

  it('knows a rejection under the current validator, re-checks one under an older validator', () => {
    const listings = { release: [release(A, 'e1')], markers: [marker(stemA, 'e1', 'rejected', 1)] };
    expect(actionOf(plan(listings, { validatorVersion: 1 }).items, A)).toBe('known-rejection');
    const p = plan(listings, { validatorVersion: 2 });
    expect(actionOf(p.items, A)).toBe('recheck-rejected');
    expect(p.items[0]?.reason).toContain('v1');
  });

  it('judges a new upload after a rejection (another ETag) again', () => {
    const p = plan({ release: [release(A, 'e2')], markers: [marker(stemA, 'e1', 'rejected')] });
    expect(actionOf(p.items, A)).toBe('provision');
  });

  it('rejects non-canonical keys once, then knows them', () => {
    const keys = [
      'bundles/no-version.zip',
      'bundles/sub/app_1.zip',
      'bundles/app_1_x.tar',
      'bundles/x_1.0.zip',
    ];
    const first = plan({ release: keys.map((k) => release(k, 'e')) });
    expect(first.items.map((i) => i.action)).toEqual(keys.map(() => 'reject-non-canonical'));
    expect(first.items.every((i) => i.appId === undefined)).toBe(true);
    const second = plan({
      release: keys.map((k) => release(k, 'e')),
      markers: keys.map((k) => marker(nonCanonicalStem(k), 'e', 'rejected')),
    });
    expect(second.items.map((i) => i.action)).toEqual(keys.map(() => 'known-non-canonical'));
    // a new upload under the same key is judged again
    const third = plan({
      release: [release(keys[0]!, 'f')],
      markers: [marker(nonCanonicalStem(keys[0]!), 'e', 'rejected')],
    });
    expect(third.items[0]?.action).toBe('reject-non-canonical');
  });

  it('ignores folder placeholders', () => {
    const p = plan({
      release: [release('bundles/', 'd', 0), release('bundles/old/', 'd', 0), release(A, 'e1')],
    });
    expect(p.items.map((i) => i.releaseKey)).toEqual([A]);
  });

  it('limits the plan to one app with --only (and leaves non-canonical keys out)', () => {
    const B = 'bundles/com.example.b_2.0.zip';
    const p = plan(
      { release: [release(A, 'e1'), release(B, 'e2'), release('bundles/junk.zip', 'e3')] },
      { only: 'com.example.b' },
    );
    expect(p.items.map((i) => i.releaseKey)).toEqual([B]);
    expect(p.only).toBe('com.example.b');
  });

  it('sorts items by key and counts them by action', () => {
    const B = 'bundles/com.example.b_2.0.zip';
    const C = 'bundles/com.example.c_3.0.zip';
    const p = plan({
      release: [release(C, 'c'), release(A, 'a'), release(B, 'b')],
      manifests: [manifest(canonicalStem('com.example.b', '2.0'))],
      markers: [marker(canonicalStem('com.example.b', '2.0'), 'b', 'provisioned')],
    });
    expect(p.items.map((i) => i.releaseKey)).toEqual([A, B, C]);
    expect(p.counts).toEqual({ provision: 2, 'up-to-date': 1 });
  });

  it('plans thousands of judged objects from the listings alone', () => {
    const n = 5000;
    const rel: ListedObject[] = [];
    const man: ListedObject[] = [];
    const mk: ListedObject[] = [];
    for (let i = 0; i < n; i++) {
      const stem = canonicalStem(`app${i}`, '1.0');
      rel.push(release(`bundles/${stem}.zip`, `e${i}`));
      man.push(manifest(stem));
      mk.push(marker(stem, `e${i}`, 'provisioned'));
    }
    const p = plan({ release: rel, manifests: man, markers: mk });
    expect(p.counts).toEqual({ 'up-to-date': n });
  });

  describe('permanent failures (marked failed)', () => {
    const A = 'bundles/com.example.a_1.0.zip';
    const stem = canonicalStem('com.example.a', '1.0');

    it('are known failures: not downloaded again, whatever else is marked', () => {
      const p = plan({ release: [release(A, 'a')], markers: [marker(stem, 'a', 'failed')] });
      expect(p.items[0]).toMatchObject({
        action: 'known-failure',
        reason: expect.stringMatching(/--retry-failed/),
      });
    });

    it('are judged again with --retry-failed (provision, or check-reupload when the manifest exists)', () => {
      const markers = [marker(stem, 'a', 'failed')];
      expect(plan({ release: [release(A, 'a')], markers }, { retryFailed: true }).items[0]!.action).toBe(
        'provision',
      );
      expect(
        plan({ release: [release(A, 'a')], markers, manifests: [manifest(stem)] }, { retryFailed: true })
          .items[0]!.action,
      ).toBe('check-reupload');
    });

    it('--retry-failed --only retries that app alone', () => {
      const B = 'bundles/com.example.b_1.0.zip';
      const markers = [
        marker(stem, 'a', 'failed'),
        marker(canonicalStem('com.example.b', '1.0'), 'b', 'failed'),
      ];
      const p = plan(
        { release: [release(A, 'a'), release(B, 'b')], markers },
        { retryFailed: true, only: 'com.example.a' },
      );
      expect(p.items.map((i) => [i.releaseKey, i.action])).toEqual([[A, 'provision']]);
      const all = plan({ release: [release(A, 'a'), release(B, 'b')], markers });
      expect(all.counts).toEqual({ 'known-failure': 2 });
    });

    it('a new upload (another ETag) is judged; a newer validator judges the failed object again', () => {
      expect(
        plan({ release: [release(A, 'new')], markers: [marker(stem, 'a', 'failed')] }).items[0]!.action,
      ).toBe('provision');
      expect(
        plan(
          { release: [release(A, 'a')], markers: [marker(stem, 'a', 'failed', VALIDATOR_VERSION)] },
          { validatorVersion: VALIDATOR_VERSION + 1 },
        ).items[0]!.action,
      ).toBe('provision');
    });

    it('a provisioned marker of the same object wins (retried successfully)', () => {
      const p = plan({
        release: [release(A, 'a')],
        manifests: [manifest(stem)],
        markers: [marker(stem, 'a', 'failed'), marker(stem, 'a', 'provisioned')],
      });
      expect(p.items[0]!.action).toBe('up-to-date');
    });
  });

  describe('size before download', () => {
    const A = 'bundles/com.example.a_1.0.zip';
    const stem = canonicalStem('com.example.a', '1.0');

    it('rejects an object listed over the limit instead of downloading it', () => {
      const p = plan({ release: [release(A, 'a', 1001)] }, { maxBundleBytes: 1000 });
      expect(p.items[0]).toMatchObject({ action: 'reject-oversized', reason: expect.stringMatching(/1001/) });
      expect(plan({ release: [release(A, 'a', 1000)] }, { maxBundleBytes: 1000 }).items[0]!.action).toBe(
        'provision',
      );
    });

    it('once marked rejected, it is a known rejection (no work)', () => {
      const p = plan(
        { release: [release(A, 'a', 5000)], markers: [marker(stem, 'a', 'rejected')] },
        { maxBundleBytes: 1000 },
      );
      expect(p.items[0]!.action).toBe('known-rejection');
    });

    it('applies the default limit of 1 GiB', () => {
      const p = plan({ release: [release(A, 'a', 1024 * 1024 * 1024 + 1)] });
      expect(p.items[0]!.action).toBe('reject-oversized');
    });
  });
});

describe('buildPlan: per-app layout and squatting', () => {
  const perApp = { ...location, releaseLayout: 'per-app' as const };
  const planIn = (where: typeof perApp | typeof location, listings: Partial<Listings>) =>
    buildPlan({
      runId: 'run-1',
      createdAt: new Date('2025-01-01T00:00:00Z'),
      location: where,
      listings: { release: [], manifests: [], markers: [], ...listings },
    });

  it('per-app: provisions <prefix><app_id>/<app_id>_<version>.zip; flat and foreign-folder keys are non-canonical', () => {
    const own = 'bundles/com.a/com.a_1.0.zip';
    const flat = 'bundles/com.a_1.0.zip';
    const foreign = 'bundles/com.a/com.b_1.0.zip';
    const p = planIn(perApp, { release: [release(own, 'e1'), release(flat, 'e2'), release(foreign, 'e3')] });
    expect(actionOf(p.items, own)).toBe('provision');
    expect(p.items.find((i) => i.releaseKey === own)).toMatchObject({ appId: 'com.a', version: '1.0' });
    expect(actionOf(p.items, flat)).toBe('reject-non-canonical');
    expect(actionOf(p.items, foreign)).toBe('reject-non-canonical');
    // the same listing under flat: only the flat key is canonical
    const f = planIn(location, { release: [release(own, 'e1'), release(flat, 'e2')] });
    expect(actionOf(f.items, flat)).toBe('provision');
    expect(actionOf(f.items, own)).toBe('reject-non-canonical');
  });

  it('rejects a new app id whose function names are those of a provisioned app, from the listing alone', () => {
    const squat = 'bundles/com.x_1.0.zip';
    const legit = 'bundles/com-x_2.0.zip';
    const p = planIn(location, {
      release: [release(squat, 'e1'), release(legit, 'e2')],
      manifests: [manifest('com-x_1.0')],
    });
    expect(actionOf(p.items, squat)).toBe('reject-name-taken');
    expect(p.items.find((i) => i.releaseKey === squat)?.reason).toContain('com-x');
    expect(actionOf(p.items, legit)).toBe('provision');
    // once marked rejected, it is known
    const later = planIn(location, {
      release: [release(squat, 'e1')],
      manifests: [manifest('com-x_1.0')],
      markers: [marker(canonicalStem('com.x', '1.0'), 'e1', 'rejected')],
    });
    expect(actionOf(later.items, squat)).toBe('known-rejection');
  });
});
