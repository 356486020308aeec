/**
 * fast-check generators of odd-but-valid app manifests (DESIGN.md "Manifest"): unicode strings, unknown
 * extra fields nested up to the 64-level limit, both aws_lambda shapes, calls as strings and objects,
 * handlers up to Lambda's 128 characters, app ids and versions up to their maximum length, long
 * function names (the hashed long Lambda name form). The app id is generated without its last
 * APP_ID_SUFFIX_LENGTH characters: the caller appends a unique suffix, since Lambda names are global
 * in the emulator.
 */
import fc from 'fast-check';
import { CALL_FIELDS } from '../../src/bundle/manifest';
import { RUNTIME_LIFECYCLE, judgeRuntime } from '../../src/bundle/runtimes';
import { MAX_MANIFEST_DEPTH } from '../../src/bundle/manifest-json';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const chars = (set: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...set), minLength, maxLength });

/** The runtimes LocalStack 4.14's CreateFunction accepts (its enum, as it answers): it predates some that
 * AWS has since added (e.g. ruby4.0), an emulator gap, so on that backend the generator draws from these. */
const LOCALSTACK_4_14_RUNTIMES = new Set([
  'nodejs20.x',
  'python3.14',
  'provided.al2023',
  'python3.12',
  'python3.13',
  'nodejs24.x',
  'nodejs22.x',
  'java25',
  'python3.10',
  'python3.11',
  'java21',
  'ruby3.3',
  'ruby3.4',
  'ruby3.2',
  'python3.8',
  'python3.9',
  'java17',
  'nodejs16.x',
  'dotnet10',
  'dotnet8',
  'java11',
  'dotnet6',
  'nodejs18.x',
  'provided.al2',
  'java8.al2',
]);

/** The runtimes test/integration/provision/pending.localstack.test.ts creates functions with. LocalStack
 * keeps a function Pending only while it prepares its runtime the first time, so no other test may use
 * them: a property run creating one first (the files run in parallel) made that test see Active. */
export const PENDING_TEST_RUNTIMES: readonly string[] = ['ruby3.4', 'python3.13'];

/** Runtimes AWS still lets us create functions with (supported or only deprecated), today — on LocalStack,
 * only those it knows, less the pending test's. */
export const CREATABLE_RUNTIMES = RUNTIME_LIFECYCLE.filter(
  (r) => !r.containerOnly && judgeRuntime(r.id).severity !== 'error',
)
  .map((r) => r.id)
  .filter(
    (id) =>
      process.env.DEPLOYER_TEST_BACKEND_NAME !== 'localstack' ||
      (LOCALSTACK_4_14_RUNTIMES.has(id) && !PENDING_TEST_RUNTIMES.includes(id)),
  );

/** Keys of unknown fields: any unicode, but never one the strict reader forbids. */
const key = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));

const leaf = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 2 });

/** A value nested exactly `levels` containers deep (objects and lists alternating at random). */
function nested(levels: number): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown> = fc.oneof(
    fc.string({ unit: 'grapheme' }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  for (let i = 0; i < levels; i += 1) {
    const inner = arb;
    arb = fc.oneof(
      fc.tuple(key, inner).map(([k, v]) => ({ [k]: v })),
      inner.map((v) => [v]),
    );
  }
  return arb;
}

/** Unknown extra fields: one deep chain, up to exactly the depth limit, and a few shallow ones. */
const extraFields = fc.record({
  // the manifest (depth 1) holds this record (depth 2), which holds the chain's containers
  deep: fc.integer({ min: 1, max: MAX_MANIFEST_DEPTH - 2 }).chain(nested),
  shallow: fc.dictionary(key, leaf, { maxKeys: 3 }),
});

const path = chars(`${ALNUM}/-_.~`, 0, 30).map((p) => `/${p}`);

const call = fc.oneof(
  path,
  fc.record(
    {
      path,
      expand: fc.dictionary(chars(ALNUM, 1, 10), fc.constantFrom('all', 'summary', 'id', 'none')),
      state: leaf,
    },
    { requiredKeys: ['path'] },
  ),
);

/** A function: names of [A-Za-z0-9 _-], short or long (the hashed form past 64 characters of Lambda
 * name), handlers short or up to Lambda's 128 characters. */
const fn = fc.record({
  path,
  name: fc.oneof(chars(`${ALNUM} _-`, 1, 20), chars(`${ALNUM} _-`, 50, 80)),
  handler: fc.oneof(chars(`${ALNUM}._-/$`, 1, 30), chars(`${ALNUM}._-/$`, 100, 128)),
  runtime: fc.constantFrom(...CREATABLE_RUNTIMES),
});

export interface GeneratedManifest {
  manifest: Record<string, unknown>;
  functionNames: string[];
}

/** Characters the caller appends to the generated app id (e.g. "-" and 6 hex digits). */
export const APP_ID_SUFFIX_LENGTH = 7;

/** A manifest whose app id still lacks its APP_ID_SUFFIX_LENGTH last characters. */
export function manifestArbitrary(): fc.Arbitrary<GeneratedManifest> {
  return fc
    .record({
      appIdBase: chars(`${ALNUM}._-`, 0, 32 - APP_ID_SUFFIX_LENGTH),
      version: chars(`${ALNUM}.-`, 1, 10),
      displayName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => `${s} x`),
      description: fc.string({ unit: 'grapheme', maxLength: 200 }),
      functions: fc.uniqueArray(fn, {
        minLength: 1,
        maxLength: 3,
        selector: (f) => f.name.replaceAll(' ', '-'),
      }),
      objectForm: fc.boolean(),
      calls: fc.dictionary(fc.constantFrom(...CALL_FIELDS), call),
      auth: fc.option(fc.constantFrom('none', 'secret', 'jwt'), { nil: undefined }),
      locations: fc.array(path, { maxLength: 3 }),
      extra: extraFields,
    })
    .map((g) => {
      const aws_lambda = g.objectForm ? { functions: g.functions } : g.functions;
      const manifest: Record<string, unknown> = {
        app_id: g.appIdBase,
        version: g.version,
        display_name: g.displayName,
        description: g.description,
        homepage_url: 'https://example.com/app?q=ü',
        app_type: 'aws_lambda',
        requested_permissions: ['act_as_bot'],
        requested_locations: g.locations,
        ...g.calls,
        ...(g.auth ? { remote_webhook_auth_type: g.auth } : {}),
        aws_lambda,
        'x-extra ✓': g.extra,
      };
      return { manifest, functionNames: g.functions.map((f) => f.name) };
    });
}
