/** Shared helpers of the bundle unit tests: a fixed clock, temp dirs, small valid apps. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { functionZip, tempDir, writeBundle, type BundleSpec } from '../../support/bundle-builder';
import { rawZip, type RawZipEntry, type RawZipOptions } from '../../support/raw-zip';
import type { Issue, ValidationResult } from '../../../src/bundle';

/** Runtimes are judged by date: tests judge them at a fixed one. */
export const TEST_NOW = new Date('2026-11-24T12:00:00Z');

export function manifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    app_id: 'com.example.hello',
    version: '1.0.0',
    display_name: 'Hello',
    homepage_url: 'https://example.com/hello',
    aws_lambda: [{ path: '/', name: 'fn', handler: 'index.handler', runtime: 'nodejs24.x' }],
    ...overrides,
  };
}

/** Entries of a valid one-function bundle, for the raw writer. */
export async function validEntries(m: Record<string, unknown> = manifest()): Promise<RawZipEntry[]> {
  return [
    { name: 'manifest.json', data: JSON.stringify(m), method: 8 },
    { name: 'fn.zip', data: await functionZip() },
    { name: 'static/a.txt', data: 'hello', method: 8 },
  ];
}

export interface Scratch {
  dir: string;
  /** writes raw bytes (or a raw zip) to a new file in the scratch dir */
  file(name: string, content: Buffer | RawZipEntry[], options?: RawZipOptions): Promise<string>;
  bundle(name: string, spec: BundleSpec): Promise<string>;
  cleanup(): Promise<void>;
}

export async function scratch(): Promise<Scratch> {
  const { dir, cleanup } = await tempDir('apps-deployer-bundle-test-');
  return {
    dir,
    async file(name, content, options) {
      const file = path.join(dir, name);
      await writeFile(file, Buffer.isBuffer(content) ? content : rawZip(content, options));
      return file;
    },
    bundle: (name, spec) => writeBundle(path.join(dir, name), spec),
    cleanup,
  };
}

export function issuesOf(result: ValidationResult): Issue[] {
  return result.ok ? result.warnings : [...result.errors, ...result.warnings];
}

export function codes(result: ValidationResult): string[] {
  return issuesOf(result).map((i) => i.code);
}
