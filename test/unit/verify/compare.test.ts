/**
 * The comparison logic of verify, pure: expected state (manifest body, metadata, version record)
 * against what Lambda and S3 report. No AWS call.
 */
import type { GetFunctionCommandOutput } from '@aws-sdk/client-lambda';
import { loadConfig, type DeployerConfig } from '../../../src/config';
import { sha256Hex, type VersionRecord } from '../../../src/provision/record';
import { FUNCTION_TAGS, MANIFEST_METADATA } from '../../../src/provision/types';
import {
  compareAsset,
  compareFunction,
  foreignObjects,
  roleMatches,
  type ExpectedVersion,
} from '../../../src/verify/compare';
import { expectationOf, type StoredVersion } from '../../../src/verify/expected';
import { formatVerify } from '../../../src/verify/format';
import type { VerifyReport } from '../../../src/verify/types';

const config: DeployerConfig = {
  ...loadConfig({ MM_APPS_S3_BUCKET: 'apps', AWS_REGION: 'us-east-1' }, {}, {}),
  executeRoleName: 'exec-role',
  lambdaTimeoutSeconds: 120,
  lambdaMemoryMb: 256,
};

const V: ExpectedVersion = {
  appId: 'com.example.app',
  version: '1.0.0',
  bundleSha256: 'b'.repeat(64),
  functions: [
    {
      name: 'fn0',
      lambdaName: 'com-example-app_1-0-0_fn0',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      codeSha256: 'CODE=',
    },
  ],
  assets: [
    { key: 'static/com.example.app_1.0.0_app/icon.png', sha256Hex: 'a'.repeat(64), contentType: 'image/png' },
  ],
};
const FN = V.functions[0]!;

function healthy(
  over: Partial<NonNullable<GetFunctionCommandOutput['Configuration']>> = {},
): GetFunctionCommandOutput {
  return {
    $metadata: {},
    Configuration: {
      FunctionName: FN.lambdaName,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::123456789012:role/exec-role',
      Timeout: 120,
      MemorySize: 256,
      CodeSha256: 'CODE=',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      Architectures: ['x86_64'],
      ...over,
    },
    Tags: {
      [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
      [FUNCTION_TAGS.appId]: V.appId,
      [FUNCTION_TAGS.version]: V.version,
      [FUNCTION_TAGS.bundleSha256]: V.bundleSha256!,
    },
  };
}

describe('compareFunction', () => {
  it('finds nothing on a healthy function, and Inactive (idleness) is healthy', () => {
    expect(compareFunction(config, V, FN, healthy())).toEqual([]);
    expect(compareFunction(config, V, FN, healthy({ State: 'Inactive' }))).toEqual([]);
  });

  it('names a missing function', () => {
    expect(compareFunction(config, V, FN, undefined)).toEqual([
      expect.objectContaining({ kind: 'function-missing', resource: FN.lambdaName, repairable: true }),
    ]);
  });

  it('names Failed state and failed updates', () => {
    const d = compareFunction(config, V, FN, healthy({ State: 'Failed', StateReason: 'no ENI' }));
    expect(d.map((x) => x.kind)).toEqual(['function-failed']);
    expect(d[0]?.detail).toContain('no ENI');
    expect(
      compareFunction(config, V, FN, healthy({ LastUpdateStatus: 'Failed' })).map((x) => x.kind),
    ).toEqual(['function-failed']);
  });

  it('names other code, and skips the code check when no CodeSha256 was recorded', () => {
    const other = healthy({ CodeSha256: 'OTHER=' });
    expect(compareFunction(config, V, FN, other)).toEqual([
      expect.objectContaining({ kind: 'function-code', detail: 'CodeSha256: "OTHER=" (expected "CODE=")' }),
    ]);
    const unrecorded = { ...FN, codeSha256: undefined };
    expect(compareFunction(config, V, unrecorded, other)).toEqual([]);
  });

  it('names each setting that differs, with the effective settings (overrides) as expected', () => {
    const d = compareFunction(config, V, FN, healthy({ Timeout: 7, MemorySize: 128 }));
    expect(d).toEqual([
      expect.objectContaining({
        kind: 'function-config',
        detail: 'Timeout: 7 (expected 120); MemorySize: 128 (expected 256)',
      }),
    ]);
    const overridden = { ...config, appOverrides: { [V.appId]: { timeout: 7, memory: 128 } } };
    expect(compareFunction(overridden, V, FN, healthy({ Timeout: 7, MemorySize: 128 }))).toEqual([]);
  });

  it('names environment variables by name only (values may be secrets)', () => {
    const withEnv = { ...config, lambdaEnvironment: { API_KEY: 's3cr3t' } };
    const d = compareFunction(
      withEnv,
      V,
      FN,
      healthy({ Environment: { Variables: { API_KEY: 'changed' } } }),
    );
    expect(d).toHaveLength(1);
    expect(d[0]?.detail).toBe('Environment: other values for API_KEY (values not shown)');
    const more = compareFunction(withEnv, V, FN, healthy({ Environment: { Variables: { DEBUG: '1' } } }));
    expect(more[0]?.detail).toBe('Environment: missing API_KEY; not expected DEBUG (values not shown)');
    expect(JSON.stringify(d)).not.toMatch(/s3cr3t|changed/);
  });

  it('compares the role by name (no IAM call), architecture and reserved concurrency', () => {
    expect(compareFunction(config, V, FN, healthy({ Role: 'arn:aws:iam::1:role/path/exec-role' }))).toEqual(
      [],
    );
    const d = compareFunction(
      config,
      V,
      FN,
      healthy({ Role: 'arn:aws:iam::1:role/other', Architectures: ['arm64'] }),
    );
    expect(d[0]?.detail).toMatch(
      /^Role: .*other.* \(expected "exec-role"\); Architectures: "arm64" \(expected "x86_64"\)$/,
    );
    const reserved = { ...healthy(), Concurrency: { ReservedConcurrentExecutions: 5 } };
    expect(compareFunction(config, V, FN, reserved)[0]?.detail).toBe(
      'ReservedConcurrency: 5 (expected (none))',
    );
  });

  it('names a changed deployer tag as tag drift, but a foreign owner as an unrepairable conflict', () => {
    const tagged = healthy();
    tagged.Tags = { ...tagged.Tags, [FUNCTION_TAGS.bundleSha256]: 'x' };
    expect(compareFunction(config, V, FN, tagged)).toEqual([
      expect.objectContaining({ kind: 'function-tags', repairable: true }),
    ]);
    const foreign = healthy();
    foreign.Tags = {};
    expect(compareFunction(config, V, FN, foreign)).toEqual([
      expect.objectContaining({ kind: 'function-owner', repairable: false }),
    ]);
    const other = healthy();
    other.Tags = { ...other.Tags, [FUNCTION_TAGS.appId]: 'com.other' };
    expect(compareFunction(config, V, FN, other)).toEqual([
      expect.objectContaining({
        kind: 'function-owner',
        repairable: false,
        detail: expect.stringContaining('com.other'),
      }),
    ]);
  });

  it('roleMatches compares the last path segment of the ARN', () => {
    expect(roleMatches('arn:aws:iam::1:role/a/b/exec-role', 'exec-role')).toBe(true);
    expect(roleMatches('arn:aws:iam::1:role/exec-role-2', 'exec-role')).toBe(false);
    expect(roleMatches(undefined, 'exec-role')).toBe(false);
  });
});

describe('compareAsset and foreignObjects', () => {
  const asset = V.assets![0]!;
  it('names a missing asset, another sha256 and another Content-Type', () => {
    expect(compareAsset(V, asset, undefined)).toEqual([expect.objectContaining({ kind: 'asset-missing' })]);
    expect(
      compareAsset(V, asset, {
        $metadata: {},
        Metadata: { sha256: asset.sha256Hex },
        ContentType: 'image/png',
      }),
    ).toEqual([]);
    const d = compareAsset(V, asset, { $metadata: {}, Metadata: { sha256: 'f' }, ContentType: 'text/html' });
    expect(d[0]?.detail).toBe(
      `sha256: "f" (expected "${asset.sha256Hex}"); Content-Type: "text/html" (expected "image/png")`,
    );
  });

  it('lists keys under the prefix that are none of the assets; none without a record', () => {
    const keys = [asset.key, 'static/com.example.app_1.0.0_app/evil.html'];
    expect(foreignObjects(V, keys)).toEqual([{ appId: V.appId, version: V.version, key: keys[1] }]);
    expect(foreignObjects({ ...V, assets: undefined }, keys)).toEqual([]);
  });
});

describe('expectationOf', () => {
  const body = JSON.stringify({
    app_id: V.appId,
    version: V.version,
    aws_lambda: { functions: [{ name: 'fn0', path: '/', handler: 'index.handler', runtime: 'nodejs22.x' }] },
  });
  const record: VersionRecord = {
    recordVersion: 1,
    appId: V.appId,
    version: V.version,
    bundleSha256: V.bundleSha256!,
    manifestSha256: sha256Hex(body),
    functions: [
      {
        name: 'fn0',
        lambdaName: FN.lambdaName,
        handler: 'index.handler',
        runtime: 'nodejs22.x',
        codeSha256: 'CODE=',
      },
    ],
    assets: V.assets!,
  };
  const stored = (over: Partial<StoredVersion> = {}): StoredVersion => ({
    appId: V.appId,
    version: V.version,
    manifestKey: `manifests/${V.appId}_${V.version}.json`,
    body,
    metadata: {
      [MANIFEST_METADATA.bundleSha256]: V.bundleSha256!,
      [MANIFEST_METADATA.manifestSha256]: sha256Hex(body),
    },
    record,
    ...over,
  });

  it('builds the expected version from the body, the metadata and the record', () => {
    const e = expectationOf(stored());
    expect(e.drift).toEqual([]);
    expect(e.notices).toEqual([]);
    expect(e.expected).toEqual(V);
  });

  it("names a manifest body whose hash differs; the expected functions stay the record's", () => {
    const e = expectationOf(stored({ body: body.replace('index.handler', 'evil.handler') }));
    expect(e.drift).toEqual([expect.objectContaining({ kind: 'manifest-hash', repairable: true })]);
    expect(e.expected).toEqual(V);
  });

  it('without a record, the functions come from the body', () => {
    const other = body.replace('index.handler', 'main.handler');
    const e = expectationOf(
      stored({
        body: other,
        metadata: { [MANIFEST_METADATA.bundleSha256]: 'b'.repeat(64) },
        record: undefined,
      }),
    );
    expect(e.expected?.functions).toEqual([
      { name: 'fn0', lambdaName: FN.lambdaName, runtime: 'nodejs22.x', handler: 'main.handler' },
    ]);
  });

  it('a manifest written before hashes and records: notices, not drift; code and assets unchecked', () => {
    const e = expectationOf(
      stored({ metadata: { [MANIFEST_METADATA.bundleSha256]: 'b'.repeat(64) }, record: undefined }),
    );
    expect(e.drift).toEqual([]);
    expect(e.notices.map((n) => n.message)).toEqual([
      expect.stringContaining('before body hashes were recorded'),
      expect.stringContaining('no version record'),
    ]);
    expect(e.expected?.assets).toBeUndefined();
    expect(e.expected?.functions[0]?.codeSha256).toBeUndefined();
  });

  it('ignores a record of another bundle', () => {
    const e = expectationOf(stored({ record: { ...record, bundleSha256: 'c'.repeat(64) } }));
    expect(e.notices).toEqual([
      expect.objectContaining({ message: expect.stringContaining('not of the provisioned bundle') }),
    ]);
    expect(e.expected?.assets).toBeUndefined();
  });

  it('names a body that is not a manifest with functions, and a function name that cannot be a Lambda name', () => {
    const unreadable = expectationOf(stored({ body: 'not json', metadata: {}, record: undefined }));
    expect(unreadable.drift).toEqual([
      expect.objectContaining({ kind: 'manifest-unreadable', repairable: false }),
    ]);
    expect(unreadable.expected).toBeUndefined();
    // with a record, the functions are still checked
    const withRecord = expectationOf(stored({ body: 'not json' }));
    expect(withRecord.drift.map((d) => d.kind)).toEqual(['manifest-hash', 'manifest-unreadable']);
    expect(withRecord.expected?.functions).toEqual(V.functions);
    const bad = JSON.stringify({ aws_lambda: [{ name: '../x', handler: 'h', runtime: 'r' }] });
    const e = expectationOf(stored({ body: bad, metadata: {}, record: undefined }));
    expect(e.drift).toEqual([expect.objectContaining({ kind: 'manifest-unreadable', repairable: false })]);
    expect(e.expected?.functions).toEqual([]);
  });
});

describe('formatVerify', () => {
  it('prints a table of drift with escaped strings, the foreign objects and a summary', () => {
    const report: VerifyReport = {
      verifyVersion: 1,
      generatedAt: '2026-01-01T00:00:00.000Z',
      runId: 'r',
      repair: false,
      versions: 1,
      functions: 1,
      assets: 1,
      drift: [
        {
          appId: V.appId,
          version: V.version,
          kind: 'function-missing',
          resource: FN.lambdaName,
          detail: 'gone\u001b[2J',
          repairable: true,
        },
      ],
      repairs: [],
      foreign: [{ appId: V.appId, version: V.version, key: 'static/x/\u001b]0;evil\u0007' }],
      notices: [],
      requests: {},
      durationMs: 1,
      exitCode: 1,
    };
    const text = formatVerify(report);
    expect(text).toMatch(/^Drift \(1\):\nAPP +VERSION +RESOURCE +DRIFT +WHAT DIFFERS\n/);
    expect(text).toContain(`com.example.app  1.0.0    ${FN.lambdaName}  function-missing  gone`);
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(
      /verify: 1 version\(s\), 1 function\(s\), 1 asset\(s\): 1 drift, 1 foreign object\(s\)$/,
    );
  });
});
