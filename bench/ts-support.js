/**
 * Loads one of the test helpers written in TypeScript (test/support/*.ts, e.g. the fault proxy) from
 * a bench script: transpiled with the project's own `typescript` (no type check; the helpers are type
 * checked with the tests) into a temporary CommonJS file, then required. Only helpers whose imports
 * are Node's own modules can be loaded this way.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');
const { root } = require('./lib');

function requireTs(relPath) {
  const file = path.join(root, relPath);
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
    fileName: file,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ts-'));
  const js = path.join(dir, `${path.basename(file, '.ts')}.js`);
  fs.writeFileSync(js, out.outputText);
  try {
    return require(js);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { requireTs };
