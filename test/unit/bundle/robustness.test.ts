/** validateBundle never throws for bad content and never hangs: random corruption of a valid bundle. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import yazl from 'yazl';
import { validateBundle } from '../../../src/bundle';
import { bundleBuffer, bundleEntries, upstreamLikeSpec } from '../../support/bundle-builder';
import { TEST_NOW, scratch, type Scratch } from './helpers';

describe('robustness', () => {
  let s: Scratch;
  let valid: Buffer;
  beforeAll(async () => {
    s = await scratch();
    valid = await bundleBuffer(await upstreamLikeSpec());
  });
  afterAll(() => s.cleanup());

  it('reads zip64 bundles', async () => {
    const zip = new yazl.ZipFile();
    for (const e of bundleEntries(await upstreamLikeSpec())) {
      zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, {
        forceZip64Format: true,
      });
    }
    zip.end({ forceZip64Format: true, comment: '' });
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream) chunks.push(c as Buffer);
    const file = path.join(s.dir, 'zip64.zip');
    await writeFile(file, Buffer.concat(chunks));
    const result = await validateBundle(file, { now: TEST_NOW, tmpDir: s.dir });
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.ok && result.bundle.functions).toHaveLength(4);
  });

  it('property: corrupted or truncated bundles are rejected (or still valid), never thrown on', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant('flip' as const),
            at: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
            byte: fc.integer({ min: 0, max: 255 }),
          }),
          fc.record({
            kind: fc.constant('cut' as const),
            at: fc.array(fc.nat(), { minLength: 1, maxLength: 1 }),
            byte: fc.constant(0),
          }),
        ),
        async ({ kind, at, byte }) => {
          const bytes = Buffer.from(valid);
          let data = bytes;
          if (kind === 'flip') for (const a of at) bytes[a % bytes.length] = byte;
          else data = bytes.subarray(0, (at[0] as number) % bytes.length);
          const file = path.join(s.dir, `fuzz-${n++}.zip`);
          await writeFile(file, data);
          const result = await validateBundle(file, { now: TEST_NOW, tmpDir: s.dir });
          if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150) },
    );
  }, 60_000);
});
