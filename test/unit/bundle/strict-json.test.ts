/**
 * The strict JSON reader of manifests: every rule (duplicates at any depth, depth, forbidden keys,
 * lone surrogates, inexact numbers) with its path, all problems at once, syntax errors with a
 * position, no prototype change, no recursion; and, through validateBundle, each rule's issue code.
 */
import fc from 'fast-check';
import { validateBundle } from '../../../src/bundle';
import { parseManifestText } from '../../../src/bundle/manifest-json';
import { IssueList } from '../../../src/bundle/issues';
import { MAX_PROBLEMS_PER_KIND, decimalKey, parseStrictJson } from '../../../src/bundle/strict-json';
import { functionZip } from '../../support/bundle-builder';
import { TEST_NOW, manifest, scratch, type Scratch } from './helpers';

function problems(text: string, maxDepth?: number): { kind: string; path: string }[] {
  const r = parseStrictJson(text, { maxDepth });
  if (!r.ok) throw new Error(`syntax error: ${r.syntax.message}`);
  return r.problems.map(({ kind, path }) => ({ kind, path }));
}

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads, for any JSON value without duplicates', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        const r = parseStrictJson(text, { maxDepth: 1000 });
        const forbidden = /"(__proto__|constructor|prototype)":/.test(text);
        expect(r.ok).toBe(true);
        if (r.ok && !forbidden && r.problems.length === 0) expect(r.value).toEqual(JSON.parse(text));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('reports a duplicate key at any depth with its path, compared after unescaping', () => {
    expect(problems('{"a":1,"a":2}')).toEqual([{ kind: 'duplicate-key', path: '$.a' }]);
    expect(problems('{"aws_lambda":[{"name":"x","n\\u0061me":"y"}]}')).toEqual([
      { kind: 'duplicate-key', path: '$.aws_lambda[0].name' },
    ]);
    expect(problems('{"x":{"a b":{"k":1,"k":1}}}')).toEqual([
      { kind: 'duplicate-key', path: '$.x["a b"].k' },
    ]);
    // equal keys in different objects are fine
    expect(problems('{"a":{"k":1},"b":{"k":1}}')).toEqual([]);
  });

  it('reports nesting deeper than the limit once per subtree, and reads 200,000 levels without recursion', () => {
    expect(problems('[[[1]]]', 3)).toEqual([]);
    expect(problems('[[[[1]]]]', 3)).toEqual([{ kind: 'too-deep', path: '$[0][0][0]' }]);
    expect(problems('{"a":{"b":{}}}', 2)).toEqual([{ kind: 'too-deep', path: '$.a.b' }]);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const r = parseStrictJson(deep);
    expect(r.ok && r.problems.map((p) => p.kind)).toEqual(['too-deep']);
  });

  it('reports __proto__, constructor and prototype anywhere and never assigns them', () => {
    const r = parseStrictJson('{"__proto__":{"polluted":1},"a":[{"constructor":{"prototype":1}}]}');
    expect(r.ok && r.problems.map(({ kind, path }) => ({ kind, path }))).toEqual([
      { kind: 'forbidden-key', path: '$.__proto__' },
      { kind: 'forbidden-key', path: '$.a[0].constructor' },
      { kind: 'forbidden-key', path: '$.a[0].constructor.prototype' },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (!r.ok) throw new Error('unexpected');
    const v = r.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['a']);
    expect(Object.keys((v.a as Record<string, unknown>[])[0] as object)).toEqual([]);
  });

  it('reports lone surrogate escapes in values and keys; pairs are fine', () => {
    expect(problems('{"a":"x\\ud800","\\udc00":1,"ok":"\\ud83d\\ude00"}')).toEqual([
      { kind: 'lone-surrogate', path: '$.a' },
      { kind: 'lone-surrogate', path: '$["\\udc00"]' },
    ]);
    const r = parseStrictJson('"\\ud83d\\ude00"');
    expect(r.ok && r.value).toBe('😀');
  });

  it('accepts numbers a float holds exactly, however written, and reports the others', () => {
    expect(
      problems('[0, -0, 0.1, 1.10, 1E2, 100e-2, 9007199254740991, 1.7976931348623157e308, 5e-324]'),
    ).toEqual([]);
    expect(problems('[1e400, 12345678901234567890, 1e-400, 0.12345678901234567890123]')).toEqual([
      { kind: 'inexact-number', path: '$[0]' },
      { kind: 'inexact-number', path: '$[1]' },
      { kind: 'inexact-number', path: '$[2]' },
      { kind: 'inexact-number', path: '$[3]' },
    ]);
    const zero = parseStrictJson('-0');
    expect(zero.ok && Object.is(zero.value, 0)).toBe(true); // stored as JSON.stringify writes it
    expect(decimalKey('1.50e1')).toBe('15e0');
    expect(decimalKey('-0.000')).toBe('0');
  });

  it('caps each kind of problem and counts the rest', () => {
    const members = Array.from({ length: MAX_PROBLEMS_PER_KIND + 5 }, () => '"k":1').join(',');
    const r = parseStrictJson(`{${members}}`);
    expect(r.ok && r.problems.length).toBe(MAX_PROBLEMS_PER_KIND);
    expect(r.ok && r.omitted).toEqual({ 'duplicate-key': 4 });
  });

  it.each([
    ['', 1, 1],
    ['{"a":1,}', 1, 8],
    ['[1,]', 1, 4],
    ['{"a" 1}', 1, 6],
    ['{\n  "a": 01\n}', 2, 9],
    ['{"a":"b\nc"}', 1, 8],
    ['"\\x"', 1, 3],
    ['"\\u12g4"', 1, 4],
    ['{"a":1} x', 1, 9],
    ['NaN', 1, 1],
    ['\ufeff{}', 1, 1],
  ])('rejects the syntax of %j at line %i, column %i', (text, line, column) => {
    const r = parseStrictJson(text);
    expect(r.ok ? 'accepted' : { line: r.syntax.line, column: r.syntax.column }).toEqual({ line, column });
  });
});

describe('parseManifestText', () => {
  it('turns every problem into an issue with its code and path, all at once', () => {
    const issues = new IssueList();
    const text =
      '{"app_id":"a","app_id":"b","x":{"__proto__":1},"n":1e999,"s":"\\ud800","aws_lambda":[{"name":"f","name":"g"}]}';
    const value = parseManifestText(text, issues);
    expect(value).toBeDefined();
    expect(issues.items.map(({ code, path }) => ({ code, path }))).toEqual([
      { code: 'MANIFEST_DUPLICATE_KEY', path: '$.app_id' },
      { code: 'MANIFEST_FORBIDDEN_KEY', path: '$.x.__proto__' },
      { code: 'MANIFEST_INEXACT_NUMBER', path: '$.n' },
      { code: 'MANIFEST_LONE_SURROGATE', path: '$.s' },
      { code: 'MANIFEST_DUPLICATE_KEY', path: '$.aws_lambda[0].name' },
    ]);
    expect(issues.items.every((i) => i.severity === 'error')).toBe(true);
  });

  it('gives no value for a manifest nested deeper than 64 levels (64 is fine)', () => {
    const nest = (levels: number): string => `{"app_id":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const ok = new IssueList();
    expect(parseManifestText(nest(64), ok)).toBeDefined();
    expect(ok.items).toEqual([]);
    const deep = new IssueList();
    expect(parseManifestText(nest(65), deep)).toBeUndefined();
    expect(deep.items.map((i) => i.code)).toEqual(['MANIFEST_TOO_DEEP']);
  });
});

describe('validateBundle with strict manifest parsing', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  const bundleWith = async (name: string, text: string | Buffer): Promise<string> =>
    s.bundle(name, { manifest: text, functions: { 'fn.zip': await functionZip() } });

  it('rejects a duplicate function name key and a duplicate app_id, naming both paths, with schema issues', async () => {
    const text = JSON.stringify(manifest({ display_name: 7 })).replace(
      '"app_id":"com.example.hello"',
      '"app_id":"com.example.hello","app_id":"com.example.other"',
    );
    const result = await validateBundle(await bundleWith('dup.zip', text), { now: TEST_NOW });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.map(({ code, path }) => `${code} ${path}`);
    expect(errors).toEqual(['MANIFEST_DUPLICATE_KEY $.app_id', 'MANIFEST_SCHEMA $.display_name']);
  });

  it('rejects forbidden keys in unknown fields, and a BOM stays a warning', async () => {
    const text = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(manifest({ extra: { deep: [{ prototype: true }] } }))),
    ]);
    const result = await validateBundle(await bundleWith('proto.zip', text), { now: TEST_NOW });
    expect(result.ok ? [] : result.errors.map((i) => `${i.code} ${i.path}`)).toEqual([
      'MANIFEST_FORBIDDEN_KEY $.extra.deep[0].prototype',
    ]);
    expect(result.warnings.map((i) => i.code)).toContain('MANIFEST_BOM');
  });

  it('names the line and column of a syntax error', async () => {
    const result = await validateBundle(await bundleWith('syntax.zip', '{\n  "app_id": "x",\n}'), {
      now: TEST_NOW,
    });
    expect(result.ok ? [] : result.errors.map((i) => i.message)).toEqual([
      'manifest.json is not valid JSON: expected a string key in double quotes, found "}" at line 3, column 1',
    ]);
  });
});
