/**
 * The CLI launched as its bin is (main.js executed, as by `npx apps-deployer`, the image's entrypoint
 * and the e2e tests): its first line's V8 heap flags apply, so the heap is sized the same on every
 * host (src/cli/main.ts; BENCHMARKS.md, "Memory against the number of bundles").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../support/bundle-builder';
import { CLI, ROOT, assertBuilt, cli } from '../reconcile/support';

jest.setTimeout(60_000);
beforeAll(() => assertBuilt());

const SHEBANG = /^#!\/usr\/bin\/env -S node --max-old-space-size=(\d+)$/;

describe('the CLI as its bin runs it', () => {
  it('the built main.js carries the source first line, heap flags included', () => {
    const first = (file: string) => readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
    expect(first(CLI)).toBe(first(path.join(ROOT, 'src', 'cli', 'main.ts')));
    expect(first(CLI)).toMatch(SHEBANG);
  });

  it("executed, V8's heap is the one the first line asks for, not the host's", async () => {
    const [, oldMb] = SHEBANG.exec(readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '') ?? [];
    const { dir, cleanup } = await tempDir('launch-test-');
    try {
      // a preload reports the heap V8 was configured with
      const out = path.join(dir, 'heap.json');
      const preload = path.join(dir, 'report-heap.js');
      writeFileSync(
        preload,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)},
           JSON.stringify({ limit: require('node:v8').getHeapStatistics().heap_size_limit })));`,
      );
      const r = await cli(['--version'], { NODE_OPTIONS: `-r ${preload}` });
      expect(r.code).toBe(0);
      const heap = JSON.parse(readFileSync(out, 'utf8')) as { limit: number };
      // heap_size_limit = the old space asked for plus the young generation (3 × 16 MB at most); the
      // host's default here is several GB
      const mb = heap.limit / 2 ** 20;
      expect(mb).toBeGreaterThanOrEqual(Number(oldMb));
      expect(mb).toBeLessThanOrEqual(Number(oldMb) + 64);
    } finally {
      await cleanup();
    }
  });
});
