/** Exact function-zip matching and Content-Type from the extension only. */
import { validateBundle } from '../../../src/bundle';
import { contentTypeOf } from '../../../src/bundle/validate';
import { functionZip } from '../../support/bundle-builder';
import { TEST_NOW, codes, manifest, scratch, type Scratch } from './helpers';

describe('function zip matching is exact', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  it('does not take "fn.ZIP" for the zip of function "fn"', async () => {
    const file = await s.file('upper.zip', [
      { name: 'manifest.json', data: JSON.stringify(manifest()), method: 8 },
      { name: 'fn.ZIP', data: await functionZip() },
    ]);
    const result = await validateBundle(file, { now: TEST_NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const missing = result.errors.find((i) => i.message.includes('"fn.zip"'));
    expect(missing?.path).toBe('$.aws_lambda[0].name');
    expect(missing?.message).toContain('case-sensitive');
    expect(codes(result)).toContain('FUNCTION_ZIP_MISSING');
  });
});

describe('contentTypeOf', () => {
  it.each([
    ['photo.png', 'image/png'],
    ['some.json', 'application/json; charset=utf-8'],
    ['dir/static file with spaces.txt', 'text/plain; charset=utf-8'],
    ['json', 'application/octet-stream'],
    ['png', 'application/octet-stream'],
    ['dir/README', 'application/octet-stream'],
    ['archive.unknownext', 'application/octet-stream'],
  ])('%s → %s', (rel, type) => {
    expect(contentTypeOf(rel)).toBe(type);
  });
});
