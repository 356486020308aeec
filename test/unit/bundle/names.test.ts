import { createHash } from 'node:crypto';
import path from 'node:path';
import fc from 'fast-check';
import {
  LAMBDA_NAME_PATTERN,
  lambdaFunctionName,
  manifestKey,
  parseReleaseKey,
  nonCanonicalReason,
  releaseKey,
  staticAssetKey,
  staticPrefix,
  upstreamLongLambdaName,
} from '../../../src/bundle';

const chars = (s: string) => fc.constantFrom(...s.split(''));
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const appIdArb = fc.string({ unit: chars(`${ALNUM}._-`), minLength: 3, maxLength: 32 });
const versionArb = fc.string({ unit: chars(`${ALNUM}.-`), minLength: 1, maxLength: 10 });
const fnNameArb = fc.string({ unit: chars(`${ALNUM} _-`), minLength: 1, maxLength: 100 });

describe('Lambda function names (upstream LambdaName, sanitized)', () => {
  it('maps the upstream examples', () => {
    expect(lambdaFunctionName('com.mattermost.servicenow', '0.1.0', 'function with spaces')).toEqual({
      name: 'com-mattermost-servicenow_0-1-0_function-with-spaces',
      long: false,
    });
    expect(lambdaFunctionName('com.mattermost.servicenow', '0.1.0', 'function1').name).toBe(
      'com-mattermost-servicenow_0-1-0_function1',
    );
  });

  it('hashes long names like upstream, with the dots sanitized', () => {
    const fn = 'function-with-very-very-very-very-very-very-very-long-name';
    const full = `com-mattermost-servicenow_0-1-0_${fn}`;
    const hash = createHash('sha256')
      .update(full)
      .digest('hex')
      .slice(0, 64 - 25 - 5 - 2);
    expect(hash).toBe('95f51579baba92ea2a0a3ad98c24fcbc');
    expect(lambdaFunctionName('com.mattermost.servicenow', '0.1.0', fn)).toEqual({
      name: 'com-mattermost-servicenow_0-1-0_95f51579baba92ea2a0a3ad98c24fcbc',
      long: true,
    });
    // what the Apps plugin <= v1.2.2 computes (upstream aws/provision_data_test.go)
    expect(upstreamLongLambdaName('com.mattermost.servicenow', '0.1.0', fn)).toBe(
      'com.mattermost.servicenow_0.1.0_95f51579baba92ea2a0a3ad98c24fcbc',
    );
  });

  it('keeps a name of exactly 64 characters short, and hashes 65', () => {
    const app = 'a'.repeat(32);
    const ver = 'v'.repeat(10);
    const room = 64 - 32 - 10 - 2;
    expect(lambdaFunctionName(app, ver, 'f'.repeat(room))).toEqual({
      name: `${app}_${ver}_${'f'.repeat(room)}`,
      long: false,
    });
    const long = lambdaFunctionName(app, ver, 'f'.repeat(room + 1));
    expect(long.long).toBe(true);
    expect(long.name).toHaveLength(64);
  });

  it('refuses inputs outside the manifest rules', () => {
    expect(() => lambdaFunctionName('ab', '1', 'fn')).toThrow(/app_id/);
    expect(() => lambdaFunctionName('app', '1_0', 'fn')).toThrow(/version/);
    expect(() => lambdaFunctionName('app', '1', 'f/n')).toThrow(/function name/);
  });

  it('property: always a valid Lambda name, deterministic, long exactly when the plain form is too long', () => {
    fc.assert(
      fc.property(appIdArb, versionArb, fnNameArb, (appId, version, fn) => {
        const a = lambdaFunctionName(appId, version, fn);
        expect(a.name).toMatch(LAMBDA_NAME_PATTERN);
        expect(lambdaFunctionName(appId, version, fn)).toEqual(a);
        const plain = `${appId}_${version}_${fn}`.replaceAll('.', '-').replaceAll(' ', '-');
        expect(a.long).toBe(plain.length > 64);
        if (!a.long) expect(a.name).toBe(plain);
        else
          expect(a.name.startsWith(`${appId.replaceAll('.', '-')}_${version.replaceAll('.', '-')}_`)).toBe(
            true,
          );
      }),
      { numRuns: 500 },
    );
  });
});

describe('S3 keys', () => {
  it('maps the upstream examples', () => {
    expect(staticAssetKey('com.mattermost.servicenow', '0.1.0', 'photo.png')).toBe(
      'static/com.mattermost.servicenow_0.1.0_app/photo.png',
    );
    expect(staticAssetKey('com.mattermost.servicenow', '0.1.0', 'static file with spaces.txt')).toBe(
      'static/com.mattermost.servicenow_0.1.0_app/static-file-with-spaces.txt',
    );
    expect(manifestKey('com.mattermost.servicenow', '0.1.0')).toBe(
      'manifests/com.mattermost.servicenow_0.1.0.json',
    );
    expect(releaseKey('bundles/', 'com.mattermost.servicenow', '0.1.0')).toBe(
      'bundles/com.mattermost.servicenow_0.1.0.zip',
    );
  });

  it('refuses static paths that would escape the app folder', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', '', 'a//b', './a', 'a/.', 'a\u0000b']) {
      expect(() => staticAssetKey('app', '1', bad)).toThrow(/static path/);
    }
  });

  it('property: a static key never escapes static/<app>_<ver>_app/', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', ' ', 'a b', '%2e%2e', '\\', '~'),
      fc.string({ unit: fc.constantFrom(...`${ALNUM} ._-/\\%~`.split('')), minLength: 0, maxLength: 8 }),
    );
    const relPathArb = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(appIdArb, versionArb, relPathArb, (appId, version, rel) => {
        const prefix = staticPrefix(appId, version);
        let key: string;
        try {
          key = staticAssetKey(appId, version, rel);
        } catch {
          return; // refused: fine
        }
        expect(key.startsWith(prefix)).toBe(true);
        expect(path.posix.normalize(key).startsWith(prefix)).toBe(true);
        expect(key.length).toBeGreaterThan(prefix.length);
        expect(key).not.toMatch(/\\/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseReleaseKey', () => {
  it('parses canonical keys, splitting at the last "_"', () => {
    expect(parseReleaseKey('bundles/', 'bundles/com.mattermost.servicenow_0.1.0.zip')).toEqual({
      appId: 'com.mattermost.servicenow',
      version: '0.1.0',
    });
    expect(parseReleaseKey('bundles/', 'bundles/my_app_v2_1.2.3.zip')).toEqual({
      appId: 'my_app_v2',
      version: '1.2.3',
    });
    expect(parseReleaseKey('', 'app_1.zip')).toEqual({ appId: 'app', version: '1' });
  });

  it('returns undefined for non-canonical keys', () => {
    for (const key of [
      'other/app_1.zip',
      'bundles/app-1.zip',
      'bundles/app_1.ZIP',
      'bundles/app_1.tar.gz',
      'bundles/sub/app_1.zip',
      'bundles/ap_1.zip',
      'bundles/app_.zip',
      'bundles/app_12345678901.zip',
      'bundles/_1.zip',
      'bundles/app_1 2.zip',
    ]) {
      expect(parseReleaseKey('bundles/', key)).toBeUndefined();
    }
  });

  it('property: round-trips every valid app id and version', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'bundles/', 'a/b/'), appIdArb, versionArb, (prefix, appId, version) => {
        const key = releaseKey(prefix, appId, version);
        expect(parseReleaseKey(prefix, key)).toEqual({ appId, version });
        expect(manifestKey(appId, version).slice('manifests/'.length, -'.json'.length)).toBe(
          key.slice(prefix.length, -'.zip'.length),
        );
      }),
    );
  });
});

describe('release layouts', () => {
  it('per-app keys are <prefix><app_id>/<app_id>_<version>.zip and round-trip', () => {
    expect(releaseKey('bundles/', 'com.x', '1.0.0', 'per-app')).toBe('bundles/com.x/com.x_1.0.0.zip');
    fc.assert(
      fc.property(fc.constantFrom('', 'bundles/', 'a/b/'), appIdArb, versionArb, (prefix, appId, version) => {
        const key = releaseKey(prefix, appId, version, 'per-app');
        expect(parseReleaseKey(prefix, key, 'per-app')).toEqual({ appId, version });
        // a key of one layout is never canonical in the other
        expect(parseReleaseKey(prefix, key, 'flat')).toBeUndefined();
        expect(parseReleaseKey(prefix, releaseKey(prefix, appId, version), 'per-app')).toBeUndefined();
      }),
    );
  });

  it('per-app: a key whose folder is not the app id of its name is not canonical', () => {
    for (const key of [
      'bundles/com.a/com.b_1.zip',
      'bundles/com.a_1.zip',
      'bundles/com.a/sub/com.a_1.zip',
      'bundles//com.a_1.zip',
      'bundles/com.a/com.a_1.tar',
    ]) {
      expect(parseReleaseKey('bundles/', key, 'per-app')).toBeUndefined();
    }
  });

  it('explains a non-canonical key with the fix: the key to move to, or the folder and the app id', () => {
    expect(nonCanonicalReason('bundles/', 'bundles/com.a_1.zip', 'per-app')).toContain(
      'move it to bundles/com.a/com.a_1.zip',
    );
    expect(nonCanonicalReason('bundles/', 'bundles/com.a/com.a_1.zip', 'flat')).toContain(
      'move it to bundles/com.a_1.zip',
    );
    const foreign = nonCanonicalReason('bundles/', 'bundles/com.a/com.b_1.zip', 'per-app');
    expect(foreign).toContain('folder of app com.a');
    expect(foreign).toContain('says app com.b');
    expect(foreign).toContain('bundles/com.b/com.b_1.zip');
    expect(nonCanonicalReason('bundles/', 'bundles/x y.zip', 'flat')).toContain('apps-deployer upload');
  });
});
