/** The `validate` and `generate-terraform-data` commands, through their run() (the e2e suite runs the built CLI). */
import path from 'node:path';
import { run as generateTerraformData } from '../../../src/cli/commands/generate-terraform-data';
import { run as validate, type ValidateReport } from '../../../src/cli/commands/validate';
import { ExitCode, UsageError } from '../../../src/errors';
import { upstreamLikeSpec } from '../../support/bundle-builder';
import { scratch, validEntries, type Scratch } from './helpers';

function capture(): { out: () => string; err: () => string; restore: () => void } {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
  return { out: () => out, err: () => err, restore: () => (o.mockRestore(), e.mockRestore()) };
}

describe('CLI commands', () => {
  let s: Scratch;
  let good: string;
  let bad: string;
  let missing: string;
  beforeAll(async () => {
    s = await scratch();
    good = await s.bundle('good.zip', await upstreamLikeSpec());
    bad = await s.file('bad.zip', [...(await validEntries()), { name: '../evil', data: 'x' }]);
    missing = path.join(s.dir, 'missing.zip');
  });
  afterAll(() => s.cleanup());

  it('validate: exit 0 and OK for a valid bundle, with its warnings', async () => {
    const c = capture();
    const code = await validate([good], {}).finally(c.restore);
    expect(code).toBe(0);
    expect(c.out()).toContain(`${good}: OK com.mattermost.servicenow 0.1.0`);
    expect(c.out()).toContain('→ com-mattermost-servicenow_0-1-0_95f51579baba92ea2a0a3ad98c24fcbc');
    expect(c.out()).toMatch(/warning \$\.aws_lambda\.functions\[3\]\.name: .*v1\.2\.2.*\[LONG_LAMBDA_NAME\]/);
    expect(c.err()).toBe('');
  });

  it('validate: exit 1 when any bundle is invalid, each reported', async () => {
    const c = capture();
    const code = await validate([good, bad], {}).finally(c.restore);
    expect(code).toBe(1);
    const out = c.out();
    expect(out).toContain(`${good}: OK`);
    expect(out).toContain(`${bad}: INVALID com.example.hello 1.0.0`);
    expect(out).toMatch(
      /error {3}\.\.\/evil: entry "\.\.\/evil" has a "\.\." path segment .*\[UNSAFE_ENTRY_PATH\]/,
    );
    expect(c.err()).toBe('');
  });

  it('validate: a path that is not a file is a usage error (exit 2), before any bundle is read', async () => {
    const c = capture();
    const err = await validate([good, missing], {})
      .finally(c.restore)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((err as UsageError).message).toBe(`${missing}: no such file`);
    expect(c.out()).toBe('');
  });

  it('validate --json: one report per bundle', async () => {
    const c = capture();
    const code = await validate([good, bad], { json: true }).finally(c.restore);
    expect(code).toBe(1);
    const doc = JSON.parse(c.out()) as { validateVersion: number; bundles: ValidateReport[] };
    expect(doc.validateVersion).toBe(1);
    const reports = doc.bundles;
    expect(reports.map((r) => [r.file, r.ok])).toEqual([
      [good, true],
      [bad, false],
    ]);
    expect(reports[0]?.manifestKey).toBe('manifests/com.mattermost.servicenow_0.1.0.json');
    expect(reports[0]?.functions).toHaveLength(4);
    expect(reports[1]?.errors[0]).toMatchObject({ code: 'UNSAFE_ENTRY_PATH', severity: 'error' });
  });

  it('generate-terraform-data: the JSON on stdout, warnings on stderr', async () => {
    const c = capture();
    const code = await generateTerraformData(good).finally(c.restore);
    expect(code).toBe(0);
    const data = JSON.parse(c.out()) as {
      lambda_functions: Record<string, { name: string }>;
      manifest_key: string;
    };
    expect(data.manifest_key).toBe('manifests/com.mattermost.servicenow_0.1.0.json');
    expect(data.lambda_functions['function-with-very-very-very-very-very-very-very-long-name']?.name).toBe(
      'com-mattermost-servicenow_0-1-0_95f51579baba92ea2a0a3ad98c24fcbc',
    );
    expect(c.err()).toContain('LONG_LAMBDA_NAME');
  });

  it('generate-terraform-data: exit 1 with the errors on stderr for an invalid bundle', async () => {
    const c = capture();
    const code = await generateTerraformData(bad).finally(c.restore);
    expect(code).toBe(1);
    expect(c.out()).toBe('');
    expect(c.err()).toContain('UNSAFE_ENTRY_PATH');
    expect(c.err()).toContain('../evil');
  });
});
