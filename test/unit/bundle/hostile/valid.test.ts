/**
 * Tricky but valid bundles: each accepted, with the expected functions, assets and warnings, and no
 * temp file left behind. DESIGN.md "One reading of every byte".
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateBundle } from '../../../../src/bundle';
import { TEST_NOW } from '../helpers';
import { VALID_CASES } from './corpus-valid';

describe('tricky but valid bundles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-valid-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the corpus has at least 8 cases', () => {
    expect(VALID_CASES.length).toBeGreaterThanOrEqual(8);
  });

  it.each(VALID_CASES.map((c, i) => [c.name, c, i] as const))(
    'accepts %s',
    async (_name, c, i) => {
      const file = path.join(dir, `valid-${i}.zip`);
      await writeFile(file, await c.build());
      const tmpDir = await mkdtemp(path.join(dir, `tmp-${i}-`));
      const result = await validateBundle(file, { now: TEST_NOW, tmpDir });
      expect(await readdir(tmpDir)).toEqual([]);
      expect(result.ok ? [] : result.errors).toEqual([]);
      if (!result.ok) return;
      const { bundle } = result;
      if (c.functions) expect(bundle.functions.map((f) => f.entry).sort()).toEqual([...c.functions].sort());
      if (c.assets) expect(bundle.assets.map((a) => a.entry).sort()).toEqual([...c.assets].sort());
      const warnings = result.warnings.map((w) => ({ code: w.code, path: w.path }));
      expect(warnings).toEqual(expect.arrayContaining(c.warnings ?? []));
      for (const w of result.warnings) expect(w.severity).toBe('warning');
    },
    60_000,
  );
});
