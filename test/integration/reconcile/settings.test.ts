/**
 * Settings are desired state (DESIGN.md "Function settings"): reconcile records each app's settings
 * fingerprint after it converges, notices a changed one from its listing alone, converges that app's
 * functions as a plan action of its own, then goes back to the no-op budget.
 */
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { ExitCode } from '../../../src/errors';
import { effectiveSettings } from '../../../src/settings/effective';
import {
  SETTINGS_MARKER_PREFIX,
  settingsFingerprint,
  settingsMarkerKey,
} from '../../../src/settings/fingerprint';
import { conditionalDeleteMode, testPorts } from '../../support/emulator';
import { tempSuite } from '../support/suite';
import {
  freshEnv,
  keys,
  outcomes,
  run,
  uniqueAppId,
  uploadApp,
  type Env,
  lambdaName,
  withConfig,
} from './support';

jest.setTimeout(180_000);

describe('reconcile converges changed function settings app by app', () => {
  const suite = tempSuite();
  const { lambda } = suite.clients;

  const timeoutOf = async (name: string) =>
    (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration?.Timeout;
  const fingerprintKeys = (e: Env) => keys(e, SETTINGS_MARKER_PREFIX);

  it('records fingerprints, converges every app after a change, then runs within the no-op budget', async () => {
    // Prepare: two apps provisioned with a 30 s timeout
    const e = await freshEnv(suite.dir, { lambdaTimeoutSeconds: 30 });
    const [a, b] = [uniqueAppId('sa'), uniqueAppId('sb')];
    const va = await uploadApp(e, a, '1.0');
    const vb = await uploadApp(e, b, '2.0');
    const first = await run(e);
    expect(outcomes(first)).toEqual({ [va.key]: 'provisioned', [vb.key]: 'provisioned' });
    const fp30 = settingsFingerprint(effectiveSettings(e.config, a));
    expect(await fingerprintKeys(e)).toEqual([settingsMarkerKey(a, fp30), settingsMarkerKey(b, fp30)].sort());

    // Act: the operator sets the Cloud's 120 s
    const changed = withConfig(e, { lambdaTimeoutSeconds: 120 });
    const dry = await run(changed, { dryRun: true });
    const second = await run(changed);

    // Assess: planned from the listing alone, each app converged as its own action
    expect(dry.plan?.counts).toEqual({ 'converge-settings': 2 });
    expect(second.plan?.items.map((i) => i.action)).toEqual(['converge-settings', 'converge-settings']);
    expect(outcomes(second)).toEqual({ [va.key]: 'provisioned', [vb.key]: 'provisioned' });
    expect(second.report.exitCode).toBe(ExitCode.Ok);
    expect(second.report.requests['Lambda.UpdateFunctionConfiguration']).toBe(2);
    expect(second.report.requests['Lambda.CreateFunction']).toBeUndefined();
    expect(second.report.requests['Lambda.UpdateFunctionCode']).toBeUndefined();
    expect(await timeoutOf(lambdaName(a, '1.0'))).toBe(120);
    expect(await timeoutOf(lambdaName(b, '2.0'))).toBe(120);
    const fp120 = settingsFingerprint(effectiveSettings(changed.config, a));
    expect(fp120).not.toBe(fp30);
    // the new fingerprint replaces the old one
    expect(await fingerprintKeys(e)).toEqual(
      [settingsMarkerKey(a, fp120), settingsMarkerKey(b, fp120)].sort(),
    );

    // Act: the run after
    const ports = testPorts();
    const third = await run(changed, {}, { ports });

    // Assess: the no-op budget: the listings, the lock and the run record; no Lambda request at all
    expect(third.plan?.counts).toEqual({ 'up-to-date': 2 });
    // the lock's release: DeleteObject If-Match, or on LocalStack 4.14's 501 the emulator fallback
    const mode = await conditionalDeleteMode();
    expect(ports.requests.snapshot()).toEqual({
      'S3.ListObjectsV2': 3,
      'S3.PutObject': 2,
      ...(mode === 'native' ? { 'S3.DeleteObject': 1 } : { 'S3.DeleteObject': 2, 'S3.HeadObject': 1 }),
    });
  });

  it('converges only the app whose fingerprint is missing (an upgrade, resumed app by app)', async () => {
    // Prepare: two apps converged, then one fingerprint lost (as after an upgrade stopped half-way)
    const e = await freshEnv(suite.dir);
    const [a, b] = [uniqueAppId('ua'), uniqueAppId('ub')];
    const va = await uploadApp(e, a, '1.0');
    await uploadApp(e, b, '1.0');
    await run(e);
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    const fp = settingsFingerprint(effectiveSettings(e.config, a));
    await e.s3.send(new DeleteObjectCommand({ Bucket: e.appsBucket, Key: settingsMarkerKey(a, fp) }));

    // Act
    const ports = testPorts();
    const next = await run(e, {}, { ports });

    // Assess: app a converges (reads only: its settings did not change), b is left alone
    expect(next.plan?.items.map((i) => [i.appId, i.action])).toEqual(
      [
        [a, 'converge-settings'],
        [b, 'up-to-date'],
      ].sort(),
    );
    expect(outcomes(next)[va.key]).toBe('provisioned');
    const requests = ports.requests.snapshot();
    expect(requests['Lambda.UpdateFunctionConfiguration']).toBeUndefined();
    expect(requests['Lambda.GetFunction']).toBeGreaterThanOrEqual(1);
    expect(await fingerprintKeys(e)).toContain(settingsMarkerKey(a, fp));
  });
});
