import { RUNTIME_LIFECYCLE, judgeRuntime, newestSupported, runtimeFamily } from '../../../src/bundle';
import { TEST_NOW } from './helpers';

const at = (iso: string) => new Date(`${iso}T12:00:00Z`);

describe('runtime lifecycle table', () => {
  it('has one row per runtime, dates in order, a source for each', () => {
    const ids = RUNTIME_LIFECYCLE.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RUNTIME_LIFECYCLE) {
      expect(r.source).not.toBe('');
      expect(runtimeFamily(r.id)).toBe(r.family);
      for (const d of [r.deprecated, r.createBlocked, r.updateBlocked]) {
        if (d !== undefined) expect(d).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      if (r.deprecated && r.createBlocked) expect(r.deprecated <= r.createBlocked).toBe(true);
      if (r.createBlocked && r.updateBlocked) expect(r.createBlocked <= r.updateBlocked).toBe(true);
    }
  });

  it('always suggests a replacement that is itself supported', () => {
    for (const r of RUNTIME_LIFECYCLE) {
      const j = judgeRuntime(r.id, TEST_NOW);
      if (j.severity === 'none') continue;
      expect(j.replacement).toBeDefined();
      expect(judgeRuntime(j.replacement as string, TEST_NOW).status).toBe('supported');
      expect(j.message).toContain(j.replacement as string);
    }
  });
});

describe('judgeRuntime', () => {
  it.each([
    // runtime, date, status, severity, words the message must contain
    ['go1.x', '2026-11-24', 'create-blocked', 'error', ['go1.x', '2024-02-08', 'provided.al2023']],
    ['nodejs14.x', '2026-11-24', 'create-blocked', 'error', ['nodejs14.x', '2024-01-09', 'nodejs24.x']],
    ['python3.7', '2026-11-24', 'create-blocked', 'error', ['python3.7', '2024-01-09', 'python3.14']],
    ['nodejs16.x', '2026-11-24', 'create-blocked', 'error', ['nodejs16.x', '2026-02-03', 'nodejs24.x']],
    ['provided', '2026-11-24', 'create-blocked', 'error', ['provided.al2023']],
    ['java8', '2026-11-24', 'create-blocked', 'error', ['java25']],
    ['nodejs20.x', '2026-11-24', 'deprecated', 'warning', ['2026-04-30', '2027-02-01', 'nodejs24.x']],
    ['nodejs20.x', '2027-02-01', 'create-blocked', 'error', ['2027-02-01']],
    ['nodejs20.x', '2026-01-01', 'supported', 'none', []],
    ['python3.10', '2026-11-29', 'deprecated', 'warning', ['2026-11-30']],
    ['python3.10', '2026-11-30', 'create-blocked', 'error', ['2026-11-30', 'python3.14']],
    ['nodejs24.x', '2026-11-24', 'supported', 'none', []],
    ['provided.al2023', '2026-11-24', 'supported', 'none', []],
    ['python3.14', '2026-11-24', 'supported', 'none', []],
    ['nodejs26.x', '2026-11-24', 'unknown-version', 'warning', ['nodejs26.x', 'nodejs24.x']],
    ['python3.15', '2026-11-24', 'unknown-version', 'warning', ['python3.15']],
    ['dotnet9', '2026-11-24', 'container-only', 'error', ['container', 'dotnet10']],
    ['go1.22', '2026-11-24', 'unknown', 'error', ['provided.al2023']],
    ['cobol1.x', '2026-11-24', 'unknown', 'error', ['cobol1.x', 'not an AWS Lambda runtime']],
    ['', '2026-11-24', 'unknown', 'error', []],
    ['NODEJS24.X', '2026-11-24', 'unknown', 'error', []],
  ] as const)('%s at %s → %s', (runtime, date, status, severity, words) => {
    const j = judgeRuntime(runtime, at(date));
    expect(j.status).toBe(status);
    expect(j.severity).toBe(severity);
    for (const w of words) expect(j.message).toContain(w);
  });

  it('moves a runtime through its lifecycle as the dates pass', () => {
    const statuses = ['2025-12-31', '2027-04-30', '2027-06-01', '2027-07-01'].map(
      (d) => judgeRuntime('nodejs22.x', at(d)).status,
    );
    expect(statuses).toEqual(['supported', 'deprecated', 'create-blocked', 'create-blocked']);
  });

  it('picks the newest supported runtime of a family as the replacement', () => {
    expect(newestSupported('nodejs', TEST_NOW)).toBe('nodejs24.x');
    expect(newestSupported('python', TEST_NOW)).toBe('python3.14');
    expect(newestSupported('provided', TEST_NOW)).toBe('provided.al2023');
    expect(newestSupported('go', TEST_NOW)).toBe('provided.al2023');
    expect(newestSupported('nodejs', at('2028-05-01'))).toBeUndefined();
  });
});
