/**
 * AWS's documented limits on values that flow from a bundle into AWS requests (handler, function name,
 * tags, description, S3 user metadata), each at and past its bound; the validator reporting them; and
 * the stored manifest serialized during validation.
 */
import fc from 'fast-check';
import { validateBundle } from '../../../src/bundle';
import {
  LAMBDA_DESCRIPTION_MAX_LENGTH,
  S3_USER_METADATA_MAX_BYTES,
  functionDescription,
  functionNameProblem,
  handlerProblem,
  tagProblem,
  userMetadataProblem,
} from '../../../src/bundle/aws-limits';
import { IssueList } from '../../../src/bundle/issues';
import { lambdaFunctionName } from '../../../src/bundle/names';
import { serializeManifest, storeManifest } from '../../../src/bundle/stored-manifest';
import type { Bundle } from '../../../src/bundle/types';
import { desiredTags } from '../../../src/provision/lambda';
import { manifestMetadata } from '../../../src/provision/manifest';
import { functionZip } from '../../support/bundle-builder';
import { TEST_NOW, manifest, scratch, type Scratch } from './helpers';

const APP_ID_CHARS = 'abcXYZ019._-';
const VERSION_CHARS = 'abcXYZ019.-';
const FN_CHARS = 'abcXYZ019 _-';
const from = (chars: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });

describe('AWS limits', () => {
  it('handler: at most 128 characters, no whitespace', () => {
    expect(handlerProblem('a'.repeat(128))).toBeUndefined();
    expect(handlerProblem('é'.repeat(128))).toBeUndefined();
    expect(handlerProblem('a'.repeat(129))).toMatch(/129 characters long; Lambda takes at most 128/);
    expect(handlerProblem('index handler')).toMatch(/whitespace/);
    expect(handlerProblem('index.handler\n')).toMatch(/whitespace/);
    expect(handlerProblem('index.handler\u00a0')).toMatch(/whitespace/);
  });

  it('function name: every computed Lambda name is 1-64 of [A-Za-z0-9_-]', () => {
    expect(functionNameProblem('a'.repeat(64))).toBeUndefined();
    expect(functionNameProblem('a'.repeat(65))).toMatch(/1-64/);
    expect(functionNameProblem('a.b')).toMatch(/1-64/);
    fc.assert(
      fc.property(
        from(APP_ID_CHARS, 3, 32),
        from(VERSION_CHARS, 1, 10),
        from(FN_CHARS, 1, 200),
        (a, v, f) => {
          expect(functionNameProblem(lambdaFunctionName(a, v, f).name)).toBeUndefined();
        },
      ),
      { seed: 11, numRuns: 500 },
    );
  });

  it('tags: key 1-128, value 0-256 characters of letters, digits, spaces and _ . : / = + - @', () => {
    expect(tagProblem('k'.repeat(128), 'v'.repeat(256))).toBeUndefined();
    expect(tagProblem('ключ 1', 'värde:/=+-@_.')).toBeUndefined();
    expect(tagProblem('k', '')).toBeUndefined();
    expect(tagProblem('', 'v')).toMatch(/1-128/);
    expect(tagProblem('k'.repeat(129), 'v')).toMatch(/1-128/);
    expect(tagProblem('k', 'v'.repeat(257))).toMatch(/at most 256/);
    expect(tagProblem('k', 'a#b')).toMatch(/only letters/);
    expect(tagProblem('k', 'a\u0000b')).toMatch(/only letters/);
    expect(tagProblem('aws:k', 'v')).toMatch(/reserved/);
  });

  it('tags the provisioner sends for the longest app id and version pass', () => {
    fc.assert(
      fc.property(from(APP_ID_CHARS, 3, 32), from(VERSION_CHARS, 1, 10), (appId, version) => {
        const tags = desiredTags({ appId, version, sha256Hex: 'f'.repeat(64) } as Bundle);
        expect(Object.keys(tags).length).toBeLessThanOrEqual(50);
        for (const [k, v] of Object.entries(tags)) expect(tagProblem(k, v)).toBeUndefined();
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it('description: cut to 256 characters, never inside a character', () => {
    const long = functionDescription('a'.repeat(32), 'v'.repeat(10), 'f'.repeat(300));
    expect(long).toHaveLength(LAMBDA_DESCRIPTION_MAX_LENGTH);
    const emoji = functionDescription('app', '1', '😀'.repeat(300));
    expect(Array.from(emoji)).toHaveLength(LAMBDA_DESCRIPTION_MAX_LENGTH);
    expect(emoji.endsWith('😀')).toBe(true);
  });

  it('S3 user metadata: at most 2 KB of printable ASCII; the manifest object stays within it', () => {
    expect(userMetadataProblem({ k: 'v'.repeat(S3_USER_METADATA_MAX_BYTES - 1) })).toBeUndefined();
    expect(userMetadataProblem({ k: 'v'.repeat(S3_USER_METADATA_MAX_BYTES) })).toMatch(/at most 2048/);
    expect(userMetadataProblem({ k: 'é' })).toMatch(/printable ASCII/);
    const bundle = { sha256Hex: 'f'.repeat(64), storedManifestJson: '{}' } as Bundle;
    const meta = manifestMetadata(bundle, {
      runId: 'r'.repeat(40),
      releaseKey: `${'releases/'.repeat(20)}${'a'.repeat(32)}/${'a'.repeat(32)}_${'1'.repeat(10)}.zip`,
      releaseEtag: `"${'e'.repeat(32)}-10000"`,
    });
    expect(userMetadataProblem(meta)).toBeUndefined();
  });
});

describe('the validator enforces them', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  const validate = async (name: string, handler: string) => {
    const m = manifest({ aws_lambda: [{ path: '/', name: 'fn', handler, runtime: 'nodejs24.x' }] });
    const file = await s.bundle(name, { manifest: m, functions: { 'fn.zip': await functionZip() } });
    return validateBundle(file, { now: TEST_NOW });
  };

  it.each([
    ['a handler with a space', 'index handler'],
    ['a handler of 129 characters', `${'h'.repeat(120)}.handler0`],
  ])('rejects %s with HANDLER_INVALID at its path', async (_what, handler) => {
    const result = await validate('bad-handler.zip', handler);
    expect(result.ok ? [] : result.errors.map((i) => `${i.code} ${i.path}`)).toEqual([
      'HANDLER_INVALID $.aws_lambda[0].handler',
    ]);
  });

  it('accepts a handler of 128 characters and keeps the serialized stored manifest', async () => {
    const result = await validate('long-handler.zip', `${'h'.repeat(120)}.handler`);
    expect(result.ok ? 'ok' : result.errors).toBe('ok');
    if (!result.ok) return;
    expect(result.bundle.storedManifestJson).toBe(serializeManifest(result.bundle.storedManifest));
    expect(JSON.parse(result.bundle.storedManifestJson)).toEqual(result.bundle.storedManifest);
  });
});

describe('storeManifest', () => {
  it('refuses a stored form over the limit, naming its size', () => {
    const issues = new IssueList();
    expect(storeManifest(manifest({ extra: 'x'.repeat(2000) }), issues, 1000)).toBeUndefined();
    expect(issues.items.map((i) => i.code)).toEqual(['MANIFEST_STORED_TOO_LARGE']);
  });

  it('normalizes aws_lambda to the object form and reads back equal', () => {
    const issues = new IssueList();
    const stored = storeManifest(manifest({ n: 1.5e300, u: 'ü\u0000\u2028' }), issues);
    expect(issues.items).toEqual([]);
    expect(stored?.value.aws_lambda).toEqual({ functions: manifest().aws_lambda });
    expect(JSON.parse(stored?.json ?? '')).toEqual(stored?.value);
  });
});
