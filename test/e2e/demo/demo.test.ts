/**
 * `npm run demo` end to end: scripts/demo.sh starts its own moto, builds and uploads the example apps,
 * runs reconcile twice and status. The script checks its own outcomes (exit codes and `status --json`)
 * and exits 1 when one is not as announced; this test also reads what it printed.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DEMO_TIMEOUT_MS = 180_000;

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, APPS_DEPLOYER_LOG_LEVEL: 'warn' };
    delete env.DEMO_KEEP_EMULATOR;
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'demo.sh')], { cwd: ROOT, env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** The text between a section header and the next one. */
function section(out: string, title: string): string {
  const start = out.indexOf(`══ ${title}`);
  if (start < 0) throw new Error(`section "${title}" not found in:\n${out}`);
  const next = out.indexOf('══ ', out.indexOf('\n', start));
  return out.slice(start, next < 0 ? undefined : next);
}

describe('npm run demo', () => {
  let result: { code: number | null; out: string };

  beforeAll(async () => {
    result = await runDemo();
  }, DEMO_TIMEOUT_MS);

  it('finishes and says every step behaved as announced', () => {
    if (result.code !== 0) throw new Error(`demo exited ${result.code}:\n${result.out}`);
    expect(result.out).toContain('All steps behaved as announced.');
    expect(result.out).not.toContain('not as announced');
  });

  it('shows the invocation a user types (README "Running the CLI"), and runs exactly that', () => {
    expect(result.out).toContain('$ npx apps-deployer upload ');
    expect(result.out).toContain('$ npx apps-deployer reconcile');
    expect(result.out).not.toMatch(/\$ (node \S*dist\/cli\/main\.js|apps-deployer) /);
  });

  it('uploads the good examples, recognizes a repeated upload and refuses the broken one', () => {
    const s = section(result.out, '3. Build the example apps');
    expect(s).toMatch(
      /uploaded com\.example\.hello-world 1\.0\.0 to s3:\/\/demo-app-releases\/bundles\/com\.example\.hello-world_1\.0\.0\.zip/,
    );
    expect(s).toMatch(/uploaded com\.example\.weather-bot 2\.1\.0 to /);
    expect(s).toContain('already uploaded: s3://demo-app-releases/bundles/com.example.hello-world_1.0.0.zip');
    expect(s).toContain('broken-app.zip is not a valid app bundle; nothing was uploaded (2 errors)');
    expect(s).toContain('$.aws_lambda[0].runtime');
    expect(s).toContain('→ exit 1, as expected (upload refuses the broken bundle)');
  });

  it('first reconcile: 2 apps provisioned, the broken bundle rejected, exit 1', () => {
    const s = section(result.out, '4. First reconcile');
    expect(s).toMatch(/provision +com\.example\.hello-world +1\.0\.0/); // the plan
    expect(s).toMatch(/✓ +com\.example\.hello-world +1\.0\.0 +provisioned/);
    expect(s).toMatch(/✓ +com\.example\.weather-bot +2\.1\.0 +provisioned/);
    expect(s).toMatch(/✗ +com\.example\.broken-app +0\.1\.0 +rejected/);
    expect(s).toMatch(/2 provisioned · 1 rejected — .*exit 1/);
    expect(s).toContain('→ exit 1, as expected');
    expect(s).toContain('✓ checked: hello-world and weather-bot are provisioned');
    expect(s).toContain('✓ checked: broken-app is rejected with its reasons, nothing is pending');
  });

  it('second reconcile: nothing to do, exit 0', () => {
    const s = section(result.out, '5. Second reconcile');
    expect(s).toMatch(/nothing to do, 3 unchanged \(1 known rejection\/conflict\)/);
    expect(s).toContain('→ exit 0, as expected');
    expect(s).toContain('✓ checked: the second run judged nothing again');
  });

  it('status lists the apps, the rejection and both runs', () => {
    const s = section(result.out, '6. Status');
    expect(s).toContain('Provisioned apps (2)');
    expect(s).toMatch(/com\.example\.hello-world +1\.0\.0 +\d{4}-\d\d-\d\d/);
    expect(s).toMatch(/com\.example\.weather-bot +2\.1\.0 +\d{4}-\d\d-\d\d/);
    expect(s).toContain('Pending (0)');
    expect(s).toContain('Rejected (1)');
    expect(s).toContain('bundles/com.example.broken-app_0.1.0.zip (com.example.broken-app 0.1.0): rejected');
    expect(s).toContain('Last runs (2)');
  });
});
