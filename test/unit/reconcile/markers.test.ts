import fc from 'fast-check';
import {
  bareEtag,
  canonicalStem,
  indexMarkers,
  markerKey,
  nonCanonicalStem,
  parseMarkerKey,
  quotedEtag,
} from '../../../src/reconcile/markers';
import { VALIDATOR_VERSION } from '../../../src/reconcile/types';

describe('marker keys', () => {
  it('carry stem, bare ETag, outcome and validator version', () => {
    // Act
    const key = markerKey({
      stem: canonicalStem('com.example.app', '1.0.0'),
      etag: '"abc123"',
      outcome: 'provisioned',
    });
    // Assess
    expect(key).toBe(`deployer/seen/com.example.app_1.0.0/abc123/provisioned-v${VALIDATOR_VERSION}`);
  });

  it('name non-canonical release keys by their sha256: one path segment of fixed length', () => {
    const stem = nonCanonicalStem('bundles/sub dir/x.zip');
    expect(stem).toBe('_noncanonical/0d0828d379560d35c84a0219744052c89d9953ea4cdb79dbe9df64804a7ac2fa');
    const key = markerKey({ stem, etag: '"e-2"', outcome: 'rejected', validatorVersion: 3 });
    expect(key).toBe(
      'deployer/seen/_noncanonical/0d0828d379560d35c84a0219744052c89d9953ea4cdb79dbe9df64804a7ac2fa/e-2/rejected-v3',
    );
    // a release key of any length (S3 allows 1,024 bytes) still gives a marker key S3 accepts
    const long = `bundles/${'ü/'.repeat(330)}x.zip`;
    const longKey = markerKey({ stem: nonCanonicalStem(long), etag: '"e"', outcome: 'rejected' });
    expect(Buffer.byteLength(longKey)).toBeLessThan(200);
  });

  it('parse back what they encode (canonical and non-canonical)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .tuple(fc.stringMatching(/^[A-Za-z0-9._-]{3,32}$/), fc.stringMatching(/^[A-Za-z0-9.-]{1,10}$/))
            .map(([a, v]) => canonicalStem(a, v)),
          fc.string({ minLength: 1, maxLength: 60 }).map((k) => nonCanonicalStem(k)),
        ),
        fc.stringMatching(/^[0-9a-f]{32}(-[0-9]{1,3})?$/),
        fc.constantFrom('provisioned', 'identical', 'conflict', 'rejected' as const),
        fc.integer({ min: 0, max: 99 }),
        (stem, etag, outcome, validatorVersion) => {
          const key = markerKey({ stem, etag: `"${etag}"`, outcome, validatorVersion });
          expect(parseMarkerKey(key)).toEqual({ key, stem, etag, outcome, validatorVersion });
        },
      ),
    );
  });

  it.each([
    'deployer/seen/',
    'deployer/seen/app_1/abc',
    'deployer/seen/app_1/abc/provisioned',
    'deployer/seen/app_1/abc/unknown-v1',
    'deployer/seen/app_1/abc/provisioned-v1/extra',
    'deployer/seen/_noncanonical/abc/provisioned-v1',
    'deployer/seen/app_1//provisioned-v1',
    'deployer/lock',
    'manifests/app_1.json',
  ])('ignore keys that are not markers: %s', (key) => {
    expect(parseMarkerKey(key)).toBeUndefined();
  });

  it('index markers by stem and ETag', () => {
    const index = indexMarkers([
      'deployer/seen/a_1/e1/rejected-v1',
      'deployer/seen/a_1/e1/provisioned-v2',
      'deployer/seen/a_1/e2/conflict-v1',
      'deployer/seen/garbage',
    ]);
    expect(
      index
        .get('a_1')
        ?.get('e1')
        ?.map((m) => m.outcome),
    ).toEqual(['rejected', 'provisioned']);
    expect(index.get('a_1')?.get('e2')?.[0]?.outcome).toBe('conflict');
    expect(index.size).toBe(1);
  });

  it('normalize ETags with and without quotes', () => {
    expect(bareEtag('"abc"')).toBe('abc');
    expect(bareEtag('abc')).toBe('abc');
    expect(bareEtag('W/"abc"')).toBe('abc');
    expect(quotedEtag('abc')).toBe('"abc"');
    expect(quotedEtag('"abc"')).toBe('"abc"');
  });
});
