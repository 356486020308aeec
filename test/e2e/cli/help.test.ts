/**
 * Every subcommand's --help names the environment variables it reads and the exit codes it returns
 * (the built CLI as a subprocess; the names are checked against src/config.ts ENV).
 */
import { ENV } from '../../../src/config';
import { assertBuilt, cli } from '../reconcile/support';

jest.setTimeout(60_000);
beforeAll(() => assertBuilt());

const KNOWN = new Set<string>(Object.values(ENV).flat());

/** command → variables its help must name, and exit codes it must list */
const EXPECTED: [string, string[], number[]][] = [
  ['validate', [], [0, 1, 2]],
  ['generate-terraform-data', [], [0, 1, 2]],
  [
    'provision',
    ['APPS_PROVISION_AWS_ACCESS_KEY', 'MM_APPS_S3_BUCKET', 'APPS_DEPLOYER_EXECUTE_ROLE'],
    [0, 1, 2, 3, 4, 143],
  ],
  [
    'reconcile',
    ['MM_APPS_S3_BUCKET', 'MM_APPS_RELEASE_BUCKET', 'MM_APPS_RELEASE_PREFIX', 'APPS_DEPLOYER_CONCURRENCY'],
    [0, 1, 2, 3, 4, 143],
  ],
  ['plan', ['MM_APPS_S3_BUCKET', 'MM_APPS_RELEASE_BUCKET', 'MM_APPS_RELEASE_PREFIX'], [0, 2, 4]],
  ['upload', ['MM_APPS_RELEASE_BUCKET', 'MM_APPS_RELEASE_PREFIX', 'AWS_REGION'], [0, 1, 2, 4]],
  ['status', ['MM_APPS_S3_BUCKET', 'MM_APPS_RELEASE_BUCKET'], [0, 2, 4]],
  ['unlock', ['MM_APPS_S3_BUCKET', 'APPS_DEPLOYER_LOCK_TTL_SECONDS'], [0, 1, 2, 4]],
];

describe('subcommand help', () => {
  it.each(EXPECTED)('%s --help names its environment and exit codes', async (command, vars, codes) => {
    const r = await cli([command, '--help'], {});
    expect(r.code).toBe(0);
    const [, after = ''] = r.stdout.split('\nEnvironment:\n');
    const [environment = '', exits = ''] = after.split('\nExit codes:\n');
    for (const v of vars) expect(environment).toMatch(new RegExp(`^  ${v}\\b`, 'm'));
    // every variable named is one the configuration reads
    for (const named of environment.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? []) {
      if (!['AWS_PROFILE', 'AWS_ACCESS_KEY_ID'].includes(named)) expect(KNOWN).toContain(named);
    }
    const listed = [...exits.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
    expect(listed).toEqual(codes);
  });
});
