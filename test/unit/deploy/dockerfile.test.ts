/**
 * The Dockerfile's structure (no Docker engine runs on our machines, so the image is not built here;
 * hadolint checks style: deploy/README.md "Checking"). Two stages, a
 * pinned base, the build in the first stage, only dist/, production node_modules and package.json in
 * the runtime, a numeric non-root user, the CLI as entrypoint, and no secret anywhere.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helm';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Joins continuation lines, drops comments and blank lines, splits into stages. */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending !== undefined && line.trimStart().startsWith('#')) return; // comment inside a continuation
    const chunk = line.endsWith('\\') ? line.slice(0, -1) : line;
    pending = pending
      ? { text: `${pending.text} ${chunk.trim()}`, line: pending.line }
      : { text: chunk, line: i + 1 };
    if (!line.endsWith('\\')) {
      const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(pending.text);
      if (!m) throw new Error(`Dockerfile line ${pending.line}: cannot parse "${pending.text}"`);
      instructions.push({
        keyword: (m[1] as string).toUpperCase(),
        args: (m[2] as string).trim(),
        line: pending.line,
      });
      pending = undefined;
    }
  });
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot parse FROM ${ins.args}`);
      stages.push({ from: m[1] as string, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
      args.push(ins);
    } else {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    }
  }
  return { args, stages };
}

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const { args: globalArgs, stages } = parseDockerfile(dockerfile);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  license: string;
  version: string;
  scripts: Record<string, string>;
};
const build = stages[0] as Stage;
const runtime = stages[stages.length - 1] as Stage;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const argDefault = (name: string) =>
  globalArgs.map((a) => new RegExp(`^${name}=(\\S+)$`).exec(a.args)?.[1]).find((v) => v !== undefined);

describe('Dockerfile', () => {
  it('has two stages, build then runtime, from the same pinned node 20 bookworm-slim image', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const nodeVersion = argDefault('NODE_VERSION');
    expect(nodeVersion).toMatch(/^20\.\d+\.\d+$/); // a full version, not a moving "20"
    for (const s of stages) expect(s.from).toBe('node:${NODE_VERSION}-bookworm-slim');
  });

  it('installs with npm ci, builds, then prunes dev dependencies in the build stage', () => {
    const runs = all(build, 'RUN').map((r) => r.args);
    const text = runs.join(' && ');
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((cmd) => text.indexOf(cmd));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // the lockfile is copied before npm ci, the sources after it (dependency layer cached)
    const copies = all(build, 'COPY').map((c) => c.args);
    expect(copies[0]).toBe('package.json package-lock.json ./');
    expect(pkg.scripts.build).toMatch(/^tsc -p tsconfig.build.json($| && )/);
    expect(copies).toContain('tsconfig.json tsconfig.build.json ./');
    expect(copies).toContain('src ./src');
  });

  it('gives the runtime only dist/, node_modules and package.json from the build stage', () => {
    const copies = all(runtime, 'COPY').map((c) => c.args);
    expect(copies).toHaveLength(3);
    for (const c of copies) expect(c).toMatch(/^--from=build /);
    const sources = copies.map((c) => c.split(/\s+/)[1]).sort();
    expect(sources).toEqual(['/src/dist', '/src/node_modules', '/src/package.json']);
    expect(all(runtime, 'ADD')).toEqual([]);
  });

  it('runs as the numeric non-root user 10001', () => {
    const users = all(runtime, 'USER');
    expect(users).toHaveLength(1);
    expect(users[0]?.args).toBe('10001:10001');
    // USER is the last instruction that could run anything as another user
    const last = runtime.instructions.indexOf(users[0] as Instruction);
    expect(runtime.instructions.slice(last).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('starts the CLI of package.json bin, reconcile by default, in production mode', () => {
    expect(pkg.bin['apps-deployer']).toBe('dist/cli/main.js');
    expect(all(runtime, 'WORKDIR').map((w) => w.args)).toEqual(['/app']);
    // main.js itself (not `node main.js`): its first line's heap flags apply, as for the bin
    expect(all(runtime, 'ENTRYPOINT').map((e) => JSON.parse(e.args) as string[])).toEqual([
      [`/app/${pkg.bin['apps-deployer']}`],
    ]);
    expect(all(runtime, 'CMD').map((e) => JSON.parse(e.args) as string[])).toEqual([['reconcile']]);
    const env = all(runtime, 'ENV')
      .map((e) => e.args)
      .join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    // the AWS SDK calls os.homedir(), which throws for a uid without passwd entry and no HOME
    expect(env).toMatch(/\bHOME=\/\S+/);
  });

  it('carries the OCI labels, consistent with package.json', () => {
    const labels = all(runtime, 'LABEL')
      .map((l) => l.args)
      .join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'licenses']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    expect(labels).toContain(`org.opencontainers.image.licenses="${pkg.license}"`);
    expect(all(runtime, 'ARG').map((a) => a.args)).toContain(`VERSION=${pkg.version}`);
  });

  it('bakes in no secret and fetches nothing from a URL', () => {
    for (const s of stages) {
      for (const i of s.instructions) {
        if (i.keyword === 'ENV' || i.keyword === 'ARG') {
          expect({ line: i.line, args: i.args }).not.toEqual(
            expect.objectContaining({
              args: expect.stringMatching(/SECRET|TOKEN|PASSWORD|ACCESS_KEY|CREDENTIAL/i),
            }),
          );
        }
        if (i.keyword === 'COPY' || i.keyword === 'ADD') {
          expect(i.args).not.toMatch(/\.env\b|\.aws|\.npmrc|\.pem|\.key\b/);
          expect(i.args).not.toMatch(/https?:\/\//);
        }
      }
    }
    expect(dockerfile).not.toMatch(/AKIA[0-9A-Z]{16}/);
  });

  it('.dockerignore is an allow-list that lets in exactly what the build stage copies', () => {
    const lines = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const copied = all(build, 'COPY').flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect(allowed.sort()).toEqual([...new Set(copied)].sort());
  });
});
