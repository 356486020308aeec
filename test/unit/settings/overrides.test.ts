/**
 * Per-app overrides (APPS_DEPLOYER_OVERRIDES_FILE): YAML or JSON, schema-checked with every problem
 * and its path in the file at once (exit 2), merged over the deployment's settings.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { effectiveSettings } from '../../../src/settings/effective';
import { warnUnknownOverrides } from '../../../src/reconcile/settings';
import type { Plan } from '../../../src/reconcile/types';
import pino from 'pino';
import { configProblem as problem } from '../support/config';

const dir = mkdtempSync(path.join(os.tmpdir(), 'overrides-'));
const file = (name: string, text: string): string => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('APPS_DEPLOYER_OVERRIDES_FILE', () => {
  it('reads YAML and merges each app over the deployment', () => {
    const f = file(
      'ok.yaml',
      [
        'apps:',
        '  com.example.heavy:',
        '    timeout: 300',
        '    memory: 1024',
        '    architecture: arm64',
        '    reservedConcurrency: 5',
        '    logRetentionDays: 90',
        '    environment: {MODE: heavy}',
      ].join('\n'),
    );
    const config = loadConfig(
      {
        APPS_DEPLOYER_OVERRIDES_FILE: f,
        APPS_DEPLOYER_LAMBDA_TIMEOUT: '120',
        APPS_DEPLOYER_LAMBDA_ENVIRONMENT: '{"MM_CLOUD":"true"}',
      },
      {},
      {},
    );
    expect(effectiveSettings(config, 'com.example.heavy')).toEqual({
      timeoutSeconds: 300,
      memoryMb: 1024,
      subnetIds: [],
      securityGroupIds: [],
      environment: { MM_CLOUD: 'true', MODE: 'heavy' },
      logRetentionDays: 90,
      architecture: 'arm64',
      reservedConcurrency: 5,
    });
    expect(effectiveSettings(config, 'com.example.other')).toMatchObject({
      timeoutSeconds: 120,
      architecture: 'x86_64',
      reservedConcurrency: undefined,
    });
    // an app id that is a name of Object.prototype reads nothing from it
    expect(effectiveSettings(config, 'constructor').timeoutSeconds).toBe(120);
  });

  it('reads JSON too', () => {
    const f = file('ok.json', JSON.stringify({ apps: { a: { memory: 512 } } }));
    expect(effectiveSettings(loadConfig({ APPS_DEPLOYER_OVERRIDES_FILE: f }, {}, {}), 'a').memoryMb).toBe(
      512,
    );
  });

  it('names every problem with its path in the file, with the other configuration problems', () => {
    const f = file(
      'typo.yaml',
      [
        'apps:',
        '  com.example.a:',
        '    timout: 60', // the typo
        '    memory: 100',
        '    architecture: arm',
        '    reservedConcurrency: -1',
        '  com.example.b:',
        '    environment: {AWS_REGION: x}',
      ].join('\n'),
    );
    const message = problem({ APPS_DEPLOYER_OVERRIDES_FILE: f, APPS_DEPLOYER_LAMBDA_SUBNET_IDS: 'nope' });
    expect(message).toContain(`${f}: /apps/com.example.a must NOT have additional properties "timout"`);
    expect(message).toContain(`${f}: /apps/com.example.a/memory must be >= 128`);
    expect(message).toContain(
      `${f}: /apps/com.example.a/architecture must be equal to one of the allowed values: x86_64, arm64`,
    );
    expect(message).toContain(`${f}: /apps/com.example.a/reservedConcurrency must be >= 0`);
    expect(message).toMatch(/APPS_DEPLOYER_LAMBDA_SUBNET_IDS: "nope" is not a subnet id/);
  });

  it('checks an app’s environment merged with the deployment’s (4 KB in all)', () => {
    const f = file('env.yaml', `apps:\n  a:\n    environment:\n      BIG: "${'x'.repeat(3000)}"\n`);
    const message = problem({
      APPS_DEPLOYER_OVERRIDES_FILE: f,
      APPS_DEPLOYER_LAMBDA_ENVIRONMENT: JSON.stringify({ BASE: 'y'.repeat(1500) }),
    });
    expect(message).toMatch(/\/apps\/a\/environment \(with APPS_DEPLOYER_LAMBDA_ENVIRONMENT\): \d+ bytes/);
  });

  it('refuses a file that is missing, not YAML, or without apps', () => {
    expect(problem({ APPS_DEPLOYER_OVERRIDES_FILE: path.join(dir, 'missing.yaml') })).toMatch(
      /APPS_DEPLOYER_OVERRIDES_FILE .*missing\.yaml cannot be read/,
    );
    expect(problem({ APPS_DEPLOYER_OVERRIDES_FILE: file('bad.yaml', 'apps: [1, 2') })).toMatch(
      /not YAML or JSON/,
    );
    expect(problem({ APPS_DEPLOYER_OVERRIDES_FILE: file('empty.yaml', 'other: 1') })).toMatch(
      /must have required property 'apps'/,
    );
  });
});

describe('override app ids with no release bundle', () => {
  it('are a warning naming them, not an error', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const plan = { items: [{ appId: 'com.example.a' }] } as unknown as Plan;
    warnUnknownOverrides({ 'com.example.a': {}, 'com.exmaple.b': {} }, plan, logger);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 40, appIds: ['com.exmaple.b'] });
    warnUnknownOverrides({ 'com.example.a': {} }, plan, logger);
    expect(lines).toHaveLength(1);
  });
});
