/**
 * The hostile corpus: every bundle is rejected with the expected code, a message showing the entry
 * (escaped) or naming the problem, nothing raw on a terminal, and no temp file left behind.
 * DESIGN.md "One reading of every byte".
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateBundle, type Issue } from '../../../../src/bundle';
import { TEST_NOW } from '../helpers';
import { HOSTILE_CASES } from './corpus';
import {
  bundleAround,
  bundleWith,
  hasRawControl,
  innerZip,
  shownForms,
  unquoted,
  type HostileCase,
} from './kit';

function describeIssues(issues: Issue[]): string[] {
  return issues.map((i) => `${i.code} ${JSON.stringify(i.path)}: ${JSON.stringify(i.message)}`);
}

function matches(issue: Issue, c: HostileCase): boolean {
  const text = unquoted(issue.message);
  const shown = (name: string | Buffer): boolean => shownForms(name).some((f) => text.includes(f));
  const names = c.names ?? [];
  const named = names.length === 0 || (c.anyName ? names.some(shown) : names.every(shown));
  return named && (c.words ?? []).every((w) => w.test(issue.message));
}

describe('hostile bundles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-hostile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the corpus has at least 40 cases, a dozen of them inside function zips', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(40);
    expect(
      HOSTILE_CASES.filter((c) => c.name.startsWith('inside a function zip')).length,
    ).toBeGreaterThanOrEqual(12);
    expect(new Set(HOSTILE_CASES.map((c) => c.name)).size).toBe(HOSTILE_CASES.length);
  });

  it('the bundles the corpus changes are valid as they are', async () => {
    for (const [i, zip] of [await bundleWith(), await bundleAround(innerZip())].entries()) {
      const file = path.join(dir, `base-${i}.zip`);
      await writeFile(file, zip);
      const result = await validateBundle(file, { now: TEST_NOW, tmpDir: dir });
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });

  it.each(HOSTILE_CASES.map((c, i) => [c.name, c, i] as const))(
    'rejects %s',
    async (_name, c, i) => {
      const file = path.join(dir, `case-${i}.zip`);
      await writeFile(file, await c.build());
      const tmpDir = await mkdtemp(path.join(dir, `tmp-${i}-`));
      const result = await validateBundle(file, { now: TEST_NOW, limits: c.limits, tmpDir });
      expect(await readdir(tmpDir)).toEqual([]);
      const codes = typeof c.code === 'string' ? [c.code] : c.code;
      expect({ ok: result.ok }).toEqual({ ok: false });
      if (result.ok) return;
      const found = result.errors.filter((e) => codes.includes(e.code));
      expect({ expected: codes, errors: describeIssues(result.errors) }).toEqual({
        expected: codes,
        errors: expect.arrayContaining([
          expect.stringMatching(new RegExp(`^(${codes.join('|')}) `)),
        ]) as unknown,
      });
      const good = found.filter((e) => matches(e, c));
      const shown = {
        names: (c.names ?? []).map((n) => shownForms(n)),
        words: (c.words ?? []).map(String),
        found: describeIssues(found),
      };
      // the diff shows what the message had to say and what it said
      expect({ ...shown, messageNamesIt: good.length > 0 }).toEqual({ ...shown, messageNamesIt: true });
      for (const issue of [...result.errors, ...result.warnings]) {
        const raw = hasRawControl(issue.message) || hasRawControl(issue.path);
        expect({ rawControlCharacters: raw, issue }).toEqual({ rawControlCharacters: false, issue });
      }
    },
    60_000,
  );
});
