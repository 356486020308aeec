/**
 * verify's alert, notification and metrics texts: drift named and counted, repairs listed, nothing from
 * S3 or Lambda (app ids, resources, details) reaching the chat raw, and the metrics in Prometheus'
 * text format under verify's own names.
 */
import {
  verifyAlertText,
  verifyMetricsText,
  verifyRepairText,
  MAX_DRIFT_PER_ALERT,
} from '../../../src/verify/alerts';
import { VERIFY_VERSION, type Drift, type VerifyReport } from '../../../src/verify/types';

// eslint-disable-next-line no-control-regex -- detecting control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const MENTION = /@(all|channel|here)/;
const HOSTILE = '@channel \u001b[31mRED\u001b[0m \u202eevil\u202c [click](evil.example) @all';

function drift(n: number, over: Partial<Drift> = {}): Drift {
  return {
    appId: `app${n}`,
    version: '1.0.0',
    kind: 'function-missing',
    resource: `app${n}_1-0-0_f`,
    detail: 'the function does not exist',
    repairable: true,
    ...over,
  };
}

function report(over: Partial<VerifyReport> = {}): VerifyReport {
  return {
    verifyVersion: VERIFY_VERSION,
    generatedAt: '2026-11-30T06:00:00.000Z',
    runId: 'run-1',
    repair: false,
    versions: 30,
    functions: 60,
    assets: 30,
    drift: [],
    repairs: [],
    foreign: [],
    notices: [],
    requests: {},
    durationMs: 1500,
    exitCode: 0,
    ...over,
  };
}

describe('verify alerts', () => {
  it('no drift: no alert; no repair: no notification', () => {
    expect(verifyAlertText(report())).toBeUndefined();
    expect(verifyRepairText(report())).toBeUndefined();
  });

  it('names each drift up to the limit, counts the rest and says what to run', () => {
    const many = Array.from({ length: MAX_DRIFT_PER_ALERT + 3 }, (_, i) => drift(i));
    const text = verifyAlertText(report({ drift: many, exitCode: 1 })) ?? '';
    expect(text).toMatch(/found 13 drifts in 13 of 30 provisioned versions/);
    expect(text.split('\n').filter((l) => l.startsWith('- `app'))).toHaveLength(MAX_DRIFT_PER_ALERT);
    expect(text).toContain('… and 3 more');
    expect(text).toContain('apps-deployer verify --repair');
    const unrepairable = verifyAlertText(report({ drift: [drift(1, { repairable: false })], exitCode: 1 }));
    expect(unrepairable).toMatch(/None of it is repairable/);
  });

  it('lets nothing from S3 or Lambda reach the chat raw', () => {
    const text =
      verifyAlertText(
        report({
          drift: [drift(1, { appId: HOSTILE, version: HOSTILE, resource: HOSTILE, detail: HOSTILE })],
          exitCode: 1,
        }),
      ) ?? '';
    const repaired =
      verifyRepairText(
        report({ repairs: [{ appId: HOSTILE, version: HOSTILE, status: 'repaired', message: HOSTILE }] }),
      ) ?? '';
    for (const t of [text, repaired]) {
      expect(t).not.toMatch(RAW_CONTROL);
      expect(t).not.toMatch(MENTION);
    }
    // outside code spans (the detail is plain text), a Markdown link is escaped
    const detailOnly = verifyAlertText(report({ drift: [drift(1, { detail: HOSTILE })], exitCode: 1 })) ?? '';
    expect(detailOnly).not.toContain('[click](evil.example)');
  });

  it('lists the repaired versions only', () => {
    const text = verifyRepairText(
      report({
        repair: true,
        repairs: [
          { appId: 'a', version: '1', status: 'repaired', message: '' },
          { appId: 'b', version: '2', status: 'not-repaired', message: 'release bundle gone' },
        ],
      }),
    );
    expect(text).toMatch(/repaired 1 version from their release bundles: `a` `1`\./);
  });

  it('metrics: verify names, the success time only when clean', () => {
    const at = new Date('2026-11-30T06:00:00Z');
    const clean = verifyMetricsText(report(), at);
    expect(clean).toMatch(/^apps_deployer_verify_last_success_timestamp_seconds 1796018400$/m);
    expect(clean).toMatch(/^apps_deployer_verify_drift 0$/m);
    expect(clean).toMatch(/^apps_deployer_verify_versions 30$/m);
    expect(clean.endsWith('\n')).toBe(true);
    const dirty = verifyMetricsText(report({ drift: [drift(1)], exitCode: 1 }), at);
    expect(dirty).not.toMatch(/last_success/);
    expect(dirty).toMatch(/^apps_deployer_verify_last_run_exit_code 1$/m);
    for (const line of dirty.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^apps_deployer_verify_[a-z_]+ [0-9.]+$/);
  });
});
