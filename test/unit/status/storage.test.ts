/**
 * The pure parts of `status APP_ID`'s storage (src/status/storage.ts, storage-format.ts): which Lambda
 * names a stored manifest declares (whatever the manifest holds), the staged key of a CodeSha256,
 * and the byte figures shown.
 */
import { createHash } from 'node:crypto';
import { lambdaFunctionName } from '../../../src/bundle/names';
import { manifestLambdaNames, stagedCodeKey } from '../../../src/status/storage';
import { formatBytes } from '../../../src/status/storage-format';

describe('manifestLambdaNames', () => {
  it('maps the stored form (and the array form) to the Lambda names provisioning uses', () => {
    const functions = [{ name: 'main' }, { name: 'with spaces' }];
    const expected = ['com-example-app_1-0-0_main', 'com-example-app_1-0-0_with-spaces'];
    expect(manifestLambdaNames({ aws_lambda: { functions } }, 'com.example.app', '1.0.0')).toEqual(expected);
    expect(manifestLambdaNames({ aws_lambda: functions }, 'com.example.app', '1.0.0')).toEqual(expected);
    const long = 'f'.repeat(60);
    expect(
      manifestLambdaNames({ aws_lambda: { functions: [{ name: long }] } }, 'com.example.app', '1.0.0'),
    ).toEqual([lambdaFunctionName('com.example.app', '1.0.0', long).name]);
  });

  it.each([
    ['no manifest', undefined],
    ['not an object', 'text'],
    ['no aws_lambda', {}],
    ['functions not a list', { aws_lambda: { functions: 'main' } }],
    [
      'names that are not strings or not valid',
      { aws_lambda: { functions: [null, { name: 7 }, { name: '../x' }, {}] } },
    ],
  ])('declares no function for %s', (_what, manifest) => {
    expect(manifestLambdaNames(manifest, 'com.example.app', '1.0.0')).toEqual([]);
  });

  it('names a duplicate once', () => {
    const m = { aws_lambda: { functions: [{ name: 'main' }, { name: 'main' }] } };
    expect(manifestLambdaNames(m, 'com.example.app', '1.0.0')).toEqual(['com-example-app_1-0-0_main']);
  });
});

it("stagedCodeKey turns Lambda's CodeSha256 (base64) into the staged object's key (hex)", () => {
  const digest = createHash('sha256').update('zip bytes');
  const hex = digest.copy().digest('hex');
  expect(stagedCodeKey(digest.digest('base64'))).toBe(`deployer/code/${hex}.zip`);
});

it.each([
  [0, '0 B'],
  [1023, '1023 B'],
  [1024, '1.0 KiB'],
  [1536, '1.5 KiB'],
  [50 * 1024 * 1024, '50.0 MiB'],
  [75 * 1024 ** 3, '75.0 GiB'],
])('formatBytes(%d) is %s', (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});
