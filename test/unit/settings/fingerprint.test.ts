/**
 * The settings fingerprint: equal for equal settings whatever the order of ids and variables,
 * different for any change; its keys parse back, anything else under the prefix is ignored.
 */
import {
  recordedFingerprints,
  settingsFingerprint,
  settingsMarkerKey,
  SETTINGS_MARKER_PREFIX,
} from '../../../src/settings/fingerprint';
import { parseMarkerKey } from '../../../src/reconcile/markers';
import type { EffectiveSettings } from '../../../src/settings/effective';

const base: EffectiveSettings = {
  timeoutSeconds: 120,
  memoryMb: 256,
  subnetIds: ['subnet-11111111', 'subnet-22222222'],
  securityGroupIds: ['sg-11111111'],
  environment: { A: '1', B: '2' },
  logRetentionDays: 14,
  architecture: 'x86_64',
};

describe('settingsFingerprint', () => {
  it('ignores the order of subnets and environment variables', () => {
    expect(
      settingsFingerprint({
        ...base,
        subnetIds: ['subnet-22222222', 'subnet-11111111'],
        environment: { B: '2', A: '1' },
      }),
    ).toBe(settingsFingerprint(base));
  });

  it.each<[string, Partial<EffectiveSettings>]>([
    ['timeout', { timeoutSeconds: 90 }],
    ['memory', { memoryMb: 512 }],
    ['subnets', { subnetIds: ['subnet-11111111'] }],
    ['security groups', { securityGroupIds: [] }],
    ['environment', { environment: { A: '1', B: '3' } }],
    ['log retention', { logRetentionDays: undefined }],
    ['architecture', { architecture: 'arm64' }],
    ['reserved concurrency', { reservedConcurrency: 5 }],
  ])('changes with the %s', (_what, change) => {
    expect(settingsFingerprint({ ...base, ...change })).not.toBe(settingsFingerprint(base));
  });
});

describe('settings marker keys', () => {
  it('parse back by app id; other keys under the prefix are ignored; no judgement marker', () => {
    const fp = settingsFingerprint(base);
    const key = settingsMarkerKey('com.example.a', fp);
    expect(key.startsWith(SETTINGS_MARKER_PREFIX)).toBe(true);
    expect(parseMarkerKey(key)).toBeUndefined();
    const found = recordedFingerprints([
      key,
      `${SETTINGS_MARKER_PREFIX}x/not-a-fingerprint`,
      'deployer/seen/a_1/e/provisioned-v1',
    ]);
    expect([...found.entries()].map(([app, fps]) => [app, [...fps]])).toEqual([['com.example.a', [fp]]]);
  });
});
