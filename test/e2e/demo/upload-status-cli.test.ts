/**
 * `apps-deployer upload` and `apps-deployer status` as GitLab CI and operators run them: the built CLI
 * as a subprocess against the test backend, with exit codes, human output and --json.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';
import { testClients, uniqueBucket } from '../../support/emulator';

jest.setTimeout(60_000);

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli', 'main.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined>): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      CLI,
      args,
      {
        env: {
          ...process.env,
          APPS_DEPLOYER_LOG_LEVEL: 'warn',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

describe('upload and status CLI', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  let release: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('cli-upload-'));
    release = await uniqueBucket('cli-release');
    env = {
      MM_APPS_S3_BUCKET: await uniqueBucket('cli-apps'),
      MM_APPS_RELEASE_BUCKET: release,
      MM_APPS_RELEASE_PREFIX: 'bundles/',
    };
  });
  afterAll(() => cleanup());

  it('uploads, recognizes the same bytes, refuses other bytes and invalid bundles', async () => {
    // Prepare
    const good = await writeBundle(
      path.join(dir, 'good.zip'),
      await simpleAppSpec('com.example.cli', '1.0.0'),
    );
    const other = await writeBundle(
      path.join(dir, 'other.zip'),
      await simpleAppSpec('com.example.cli', '1.0.0', { body: 'rebuilt' }),
    );
    const badSpec = await simpleAppSpec('com.example.bad', '1.0.0');
    (badSpec.manifest as { homepage_url: string }).homepage_url = 'not a url';
    const bad = await writeBundle(path.join(dir, 'bad.zip'), badSpec);

    // Act
    const first = await cli(['upload', good, '--json'], env);
    const again = await cli(['upload', good], env);
    const conflict = await cli(['upload', other], env);
    const invalid = await cli(['upload', bad], env);
    const invalidJson = await cli(['upload', bad, '--json'], env);

    // Assess
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      uploadVersion: 1,
      status: 'uploaded',
      bucket: release,
      key: 'bundles/com.example.cli_1.0.0.zip',
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already uploaded: s3://${release}/bundles/com.example.cli_1.0.0.zip`);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('Release versions are immutable: bump the version');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('is not a valid app bundle; nothing was uploaded');
    expect(invalid.stderr).toContain('$.homepage_url');
    expect(invalidJson.code).toBe(1);
    expect(JSON.parse(invalidJson.stdout)).toMatchObject({ status: 'invalid' });
    const { s3 } = testClients();
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: release }));
    s3.destroy();
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['bundles/com.example.cli_1.0.0.zip']);
  });

  it('status shows the uploaded bundle as pending, for humans and as JSON', async () => {
    // Prepare
    const file = await writeBundle(
      path.join(dir, 'pending.zip'),
      await simpleAppSpec('com.example.pending', '0.1.0'),
    );
    const up = await cli(['upload', file], env);
    expect(up.code).toBe(0);
    // Act
    const human = await cli(['status'], env);
    const json = await cli(['status', '--json'], env);
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Provisioned apps (0)');
    expect(human.stdout).toMatch(
      /provision +com\.example\.pending +0\.1\.0 +bundles\/com\.example\.pending_0\.1\.0\.zip/,
    );
    expect(human.stdout).toContain('Lock: free');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as {
      statusVersion: number;
      pending: { releaseKey: string; action: string }[];
    };
    expect(doc.statusVersion).toBe(2);
    expect(doc.pending).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ releaseKey: 'bundles/com.example.pending_0.1.0.zip', action: 'provision' }),
      ]),
    );
  });

  it('exits 2 on a configuration error, naming the variable', async () => {
    const status = await cli(['status'], { ...env, MM_APPS_RELEASE_PREFIX: 'bundles' });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('MM_APPS_RELEASE_PREFIX must be empty or end with "/"');
    const upload = await cli(['upload', path.join(dir, 'good.zip')], {
      ...env,
      MM_APPS_S3_BUCKET: 'Not_A_Bucket',
    });
    expect(upload.code).toBe(2);
    expect(upload.stderr).toContain('MM_APPS_S3_BUCKET "Not_A_Bucket" is not a valid S3 bucket name');
  });
});
