/**
 * A layer run alone on a fresh clone says in one line what is missing: the checks its globalSetup runs,
 * on a temporary tree with and without helm and the build.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MissingPrerequisite, missingBuild, missingHelm } from '../../support/prerequisites';

describe('test layer prerequisites', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'prereq-'));
    mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
    writeFileSync(path.join(root, 'src', 'cli', 'main.ts'), '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the helm install script when .helm-bin/helm is missing, and nothing once it is there', () => {
    expect(missingHelm(root)).toMatch(
      /^the chart tests need helm at .*: run `bash scripts\/install-helm.sh`/,
    );
    mkdirSync(path.join(root, '.helm-bin'));
    writeFileSync(path.join(root, '.helm-bin', 'helm'), '');
    expect(missingHelm(root)).toBeUndefined();
  });

  it('asks for `npm run build` when dist/ is missing or older than src/', () => {
    expect(missingBuild(root)).toMatch(/main\.js is missing: run `npm run build`$/);
    mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
    const cli = path.join(root, 'dist', 'cli', 'main.js');
    writeFileSync(cli, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(cli, old, old);
    expect(missingBuild(root)).toMatch(/dist\/ is older than src\/: run `npm run build`$/);
    const now = new Date();
    utimesSync(cli, now, now);
    expect(missingBuild(root)).toBeUndefined();
  });

  it('reports a missing prerequisite in one line, without a stack trace', () => {
    const err = new MissingPrerequisite('x is missing: run y');
    expect(err.stack).toBe('MissingPrerequisite: x is missing: run y');
  });
});
