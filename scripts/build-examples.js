#!/usr/bin/env node
'use strict';
/**
 * Builds the example apps of examples/ into app bundles:
 *
 *   node scripts/build-examples.js <output dir> [example name...]
 *
 * For each example folder (one with a manifest.json), writes <output dir>/<folder>.zip holding
 *   manifest.json                  as is
 *   <function>.zip                 one per folder functions/<function>/ (its files at the zip's root)
 *   static/...                     the static/ tree
 * Builds are reproducible (sorted entries, fixed time stamps): the same sources give the same bytes,
 * so uploading a rebuilt bundle again is recognized as "already uploaded".
 */
const fs = require('node:fs');
const path = require('node:path');
const yazl = require('yazl');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

/** Relative paths of every file under `dir`, sorted, "/"-separated. */
function filesUnder(dir) {
  const out = [];
  const walk = (rel) => {
    const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}

/** Zips entries ({name, data}) into a Buffer. */
function zipBuffer(entries) {
  const zip = new yazl.ZipFile();
  for (const { name, data } of entries) {
    zip.addBuffer(data, name, { mtime: FIXED_MTIME, mode: 0o100644, compress: !name.endsWith('.zip') });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks = [];
    zip.outputStream.on('data', (c) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function buildExample(name, outDir) {
  const dir = path.join(EXAMPLES, name);
  const manifestFile = path.join(dir, 'manifest.json');
  const manifestData = fs.readFileSync(manifestFile);
  const manifest = JSON.parse(manifestData.toString('utf8'));
  const entries = [{ name: 'manifest.json', data: manifestData }];

  const functionsDir = path.join(dir, 'functions');
  const fnNames = fs.existsSync(functionsDir)
    ? fs
        .readdirSync(functionsDir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  for (const fn of fnNames) {
    const fnDir = path.join(functionsDir, fn);
    const code = await zipBuffer(
      filesUnder(fnDir).map((rel) => ({ name: rel, data: fs.readFileSync(path.join(fnDir, rel)) })),
    );
    entries.push({ name: `${fn}.zip`, data: code });
  }
  const staticDir = path.join(dir, 'static');
  for (const rel of filesUnder(staticDir))
    entries.push({ name: `static/${rel}`, data: fs.readFileSync(path.join(staticDir, rel)) });

  const file = path.join(outDir, `${name}.zip`);
  fs.writeFileSync(file, await zipBuffer(entries));
  return { name, file, appId: manifest.app_id, version: manifest.version, functions: fnNames };
}

async function main(argv) {
  const [outArg, ...only] = argv;
  if (!outArg) {
    console.error('usage: node scripts/build-examples.js <output dir> [example name...]');
    return 2;
  }
  const outDir = path.resolve(outArg);
  fs.mkdirSync(outDir, { recursive: true });
  const all = fs
    .readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(EXAMPLES, e.name, 'manifest.json')))
    .map((e) => e.name)
    .sort();
  const unknown = only.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown example(s): ${unknown.join(', ')} (known: ${all.join(', ')})`);
    return 2;
  }
  for (const name of only.length > 0 ? only : all) {
    const b = await buildExample(name, outDir);
    const shown = path.relative(process.cwd(), b.file);
    console.log(
      `built ${shown.startsWith('..') ? b.file : shown}  (${b.appId} ${b.version}; functions: ${b.functions.join(', ') || 'none'})`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`build-examples: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  },
);
