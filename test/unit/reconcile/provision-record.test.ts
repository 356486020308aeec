/**
 * The run record of `apps-deployer provision`: kind "provision", one bundle named by its file, and the
 * exit code the CLI returns (0 provisioned, 1 a conflict or a failed bundle, 2 a configuration error).
 */
import type { Bundle } from '../../../src/bundle/types';
import { AwsConfigurationError } from '../../../src/aws/errors';
import { ConflictError } from '../../../src/provision/errors';
import { provisionRunReport, type ProvisionRunFields } from '../../../src/reconcile/provision-record';

const bundle = { appId: 'com.example.hello', version: '1.0.0', sha256Hex: 'ab'.repeat(32) } as Bundle;

function fields(outcome: ProvisionRunFields['outcome']): ProvisionRunFields {
  return {
    runId: 'run-1',
    file: '/home/me/builds/hello.zip',
    bundle,
    update: true,
    startedAt: new Date('2024-01-01T10:00:00Z'),
    durationMs: 1234.4,
    requests: { 'S3.PutObject': 3 },
    outcome,
  };
}

describe('provisionRunReport', () => {
  it('records a provisioned bundle: kind, file name without directories, app version, exit 0', () => {
    // Act
    const r = provisionRunReport(
      fields({
        result: {
          appId: bundle.appId,
          version: bundle.version,
          status: 'provisioned',
          manifestKey: 'manifests/com.example.hello_1.0.0.json',
          functions: [],
          assets: [],
          durationMs: 1000,
        },
      }),
    );

    // Assess
    expect(r).toMatchObject({
      kind: 'provision',
      provision: { file: 'hello.zip', appId: 'com.example.hello', version: '1.0.0', update: true },
      exitCode: 0,
      counts: { provisioned: 1 },
      durationMs: 1234,
      requests: { 'S3.PutObject': 3 },
      dryRun: false,
    });
    expect(r.bundles).toHaveLength(1);
    expect(r.bundles[0]).toMatchObject({ releaseKey: 'hello.zip', etag: '', action: 'provision' });
    expect(r.error).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain('/home/me');
  });

  it('a conflict is the bundle’s outcome (exit 1), a configuration error the run’s own (exit 2)', () => {
    // Act
    const conflict = provisionRunReport(
      fields({
        error: new ConflictError('already provisioned from another bundle', {
          bundle: 'hello.zip',
          resource: 'manifests/x.json',
          hint: 'bump the version',
        }),
      }),
    );
    const denied = provisionRunReport(
      fields({
        error: new AwsConfigurationError('cannot provision: AccessDenied', {
          fix: 'grant lambda:CreateFunction',
          awsName: 'AccessDeniedException',
        }),
      }),
    );
    const unknown = provisionRunReport(fields({ error: new Error('boom') }));

    // Assess
    expect(conflict).toMatchObject({ exitCode: 1, counts: { conflict: 1 } });
    expect(conflict.error).toBeUndefined();
    expect(denied).toMatchObject({
      exitCode: 2,
      counts: { failed: 1 },
      error: { code: 'AWS_CONFIGURATION' },
    });
    expect(unknown).toMatchObject({ exitCode: 1, counts: { failed: 1 } });
    expect(unknown.bundles[0]?.outcome).toMatchObject({ status: 'failed', code: 'ERROR', message: 'boom' });
  });
});
