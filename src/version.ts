import { readFileSync } from 'node:fs';
import path from 'node:path';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, rel), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'apps-deployer' && pkg.version) return pkg.version;
    } catch {
      // try the next location (src/ when run by ts-jest, dist/ when built)
    }
  }
  return '0.0.0';
}

/** The deployer's version, recorded in manifests' metadata and run records. */
export const VERSION = readVersion();
