/**
 * Configuration rules of this area: the release layout, the release prefix against the deployer's own
 * prefixes, and the invoke principal against the execute role. Every problem is one ConfigError (exit 2).
 */
import { releasePrefixOverlap } from '../../../src/config';
import { configProblem as problem, loadFrom as load } from '../support/config';

describe('APPS_DEPLOYER_RELEASE_LAYOUT', () => {
  it('defaults to flat, so an upgrade changes nothing', () => {
    expect(load({}).releaseLayout).toBe('flat');
  });

  it.each(['flat', 'per-app'])('accepts %s', (layout) => {
    expect(load({ APPS_DEPLOYER_RELEASE_LAYOUT: layout }).releaseLayout).toBe(layout);
  });

  it.each(['perapp', 'Per-App', 'folder', 'flat '])('refuses %j with exit 2 naming the values', (layout) => {
    if (layout.trim() === 'flat') {
      // surrounding blanks are trimmed like every other setting
      expect(load({ APPS_DEPLOYER_RELEASE_LAYOUT: layout }).releaseLayout).toBe('flat');
      return;
    }
    expect(problem({ APPS_DEPLOYER_RELEASE_LAYOUT: layout })).toContain(
      `APPS_DEPLOYER_RELEASE_LAYOUT must be one of flat, per-app (got "${layout}")`,
    );
  });
});

describe('the release prefix against the deployer’s own prefixes', () => {
  const sameBucket = { MM_APPS_S3_BUCKET: 'apps-bucket' };

  it.each([
    ['deployer/', 'contains'],
    ['deployer/bundles/', 'is inside'],
    ['manifests/', 'contains'],
    ['manifests/x/', 'is inside'],
    ['static/', 'contains'],
    ['static/releases/', 'is inside'],
    ['', 'contains'],
  ])('refuses %j in the apps bucket (%s a deployer prefix)', (prefix, how) => {
    const message = problem({ ...sameBucket, MM_APPS_RELEASE_PREFIX: prefix });
    expect(message).toContain(`MM_APPS_RELEASE_PREFIX "${prefix}" ${how} the deployer's own prefix`);
    expect(message).toContain('a separate release bucket');
  });

  it.each(['bundles/', 'releases/apps/', 'static-bundles/', 'deployers/'])(
    'accepts %j in the apps bucket',
    (prefix) => {
      expect(load({ ...sameBucket, MM_APPS_RELEASE_PREFIX: prefix }).releasePrefix).toBe(prefix);
    },
  );

  it('accepts any prefix, even the empty one, in a separate release bucket', () => {
    for (const prefix of ['', 'deployer/', 'manifests/']) {
      expect(releasePrefixOverlap('apps', 'releases', prefix)).toBeUndefined();
      expect(
        load({ ...sameBucket, MM_APPS_RELEASE_BUCKET: 'releases-bucket', MM_APPS_RELEASE_PREFIX: prefix })
          .releasePrefix,
      ).toBe(prefix);
    }
  });
});

describe('the invoke principal', () => {
  it('may not be the execute role (any case: IAM role names are case-insensitive)', () => {
    expect(problem({ APPS_DEPLOYER_INVOKE_ROLE: 'mattermost-apps-execute-lambda-role' })).toContain(
      'APPS_DEPLOYER_INVOKE_ROLE "mattermost-apps-execute-lambda-role" is the functions\' execute role',
    );
    expect(
      problem({ APPS_DEPLOYER_EXECUTE_ROLE: 'fn-role', APPS_DEPLOYER_INVOKE_ROLE: 'FN-Role' }),
    ).toContain('APPS_DEPLOYER_EXECUTE_ROLE');
  });

  it('may be another role', () => {
    expect(load({ APPS_DEPLOYER_INVOKE_ROLE: 'mattermost-server' }).invokeRoleName).toBe('mattermost-server');
  });

  it('reports every problem at once', () => {
    const message = problem({
      APPS_DEPLOYER_RELEASE_LAYOUT: 'tree',
      MM_APPS_RELEASE_PREFIX: 'deployer/',
      APPS_DEPLOYER_INVOKE_ROLE: 'mattermost-apps-execute-lambda-role',
    });
    expect(message.split('\n  - ')).toHaveLength(4);
  });
});
