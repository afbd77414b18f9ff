#!/usr/bin/env node
// Checks every public workspace package as npm users will get it:
//  1. packs it (`npm pack`), as `npm publish` would;
//  2. lints the package with publint and its types with @arethetypeswrong/cli (attw);
//  3. compares the bare imports of its built code with its `dependencies` (none unused, none
//     missing), and checks that its built code is ASCII only;
//  4. installs all tarballs into an empty project outside the monorepo, and runs the first
//     ```js or ```ts example of each README there — as the unprivileged test user when run as
//     root (CI), since the examples create namespaces as an ordinary user would.
//  0. before all that, checks the package.json metadata npm shows (repository with directory,
//     homepage, bugs, keywords, license, os, cpu, engines, LICENSE in `files`) and LICENSE.
// Usage: node tools/check-packages.mjs   (from anywhere; builds first; the test user must exist,
// see tools/setup-host.sh; installing koffi needs the npm registry).
//        node tools/check-packages.mjs --fix-metadata   adds what is missing from step 0 (for a
// package made without tools/new-package.sh), then checks.
// Packages are discovered (packages/*, apps/*); private ones are skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const require = createRequire(join(repo, 'package.json'));
const failures = [];
const fail = (pkg, what) => {
  failures.push(`${pkg}: ${what}`);
  console.error(`check-packages: ${pkg}: ${what}`);
};
const run = (cmd, args, opts = {}) =>
  spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', timeout: 300_000, ...opts });

/** The public workspace packages: { name, dir, folder, json }. */
export function discover() {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const base = join(repo, group);
    if (!existsSync(base)) continue;
    for (const folder of readdirSync(base).sort()) {
      const file = join(base, folder, 'package.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8'));
      if (json.private) continue;
      out.push({ name: json.name, dir: join(base, folder), folder: `${group}/${folder}`, json });
    }
  }
  return out;
}

/** The first ```js / ```ts block of a README, and its language. */
export function firstExample(readme) {
  const m = readme.match(/^```(js|javascript|ts|typescript)\n([\s\S]*?)^```/m);
  return m ? { lang: m[1].startsWith('t') ? 'ts' : 'js', code: m[2] } : undefined;
}

/** Bare package names imported or required by built JavaScript (node: and builtins left out). */
export function importedPackages(code) {
  const names = new Set();
  const re =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\w*\s*\(\s*)["']([^"'./][^"']*)["']/g;
  for (const m of code.matchAll(re)) {
    const spec = m[1];
    if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return names;
}

function builtFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(c|m)?js$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function checkDependencies(pkg) {
  const dist = join(pkg.dir, 'dist');
  if (!existsSync(dist)) return fail(pkg.name, 'no dist/: the build did not run');
  const used = new Set();
  for (const f of builtFiles(dist))
    for (const n of importedPackages(readFileSync(f, 'utf8'))) used.add(n);
  used.delete(pkg.name);
  const declared = new Set([
    ...Object.keys(pkg.json.dependencies ?? {}),
    ...Object.keys(pkg.json.peerDependencies ?? {}),
  ]);
  for (const d of declared)
    if (!used.has(d)) fail(pkg.name, `dependency ${d} is never imported by dist/`);
  for (const u of used)
    if (!declared.has(u)) fail(pkg.name, `dist/ imports ${u}, which is not a dependency`);
}

/**
 * Built code in ASCII only. V8 keeps a loaded file's source as a string for as long as its
 * functions live, at one byte per character only while every character is Latin-1: one
 * typographic character in a comment doubles the memory of the whole file's source.
 */
export function nonAsciiLines(code) {
  const out = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length && out.length < 3; i++) {
    const m = /[^\x00-\x7f]/.exec(lines[i]);
    if (m) out.push(`line ${i + 1}: ${JSON.stringify(m[0])} in ${lines[i].trim().slice(0, 60)}`);
  }
  return out;
}

function checkAscii(pkg) {
  const dist = join(pkg.dir, 'dist');
  if (!existsSync(dist)) return;
  for (const f of builtFiles(dist)) {
    const found = nonAsciiLines(readFileSync(f, 'utf8'));
    if (found.length > 0)
      fail(pkg.name, `${f.slice(pkg.dir.length + 1)} is not ASCII (${found.join('; ')})`);
  }
}

const REPO_URL = 'git+https://github.com/rootless-ts/rootless-ts.git';

/** The metadata every public package.json carries, for the package in `folder`. */
export function expectedMetadata(folder) {
  return {
    homepage: `https://github.com/rootless-ts/rootless-ts/tree/main/${folder}#readme`,
    bugs: { url: 'https://github.com/rootless-ts/rootless-ts/issues' },
    repository: { type: 'git', url: REPO_URL, directory: folder },
    license: 'MIT',
    os: ['linux'],
    cpu: ['x64', 'arm64'],
    engines: { node: '>=20.16' },
  };
}

/** Problems with a package's metadata; with `fix`, writes package.json and LICENSE first. */
export function checkMetadata(pkg, fix) {
  const want = expectedMetadata(pkg.folder);
  const json = pkg.json;
  let changed = false;
  for (const [key, value] of Object.entries(want)) {
    if (JSON.stringify(json[key]) === JSON.stringify(value)) continue;
    if (!fix) {
      fail(pkg.name, `package.json "${key}" should be ${JSON.stringify(value)}`);
      continue;
    }
    json[key] = value;
    changed = true;
  }
  if (!Array.isArray(json.keywords) || json.keywords.length === 0) {
    if (fix) {
      json.keywords = ['linux', 'containers', 'rootless', pkg.folder.split('/').pop()];
      changed = true;
    } else fail(pkg.name, 'package.json has no "keywords"');
  }
  if (!json.files?.includes('LICENSE')) {
    if (fix) {
      json.files = [...(json.files ?? ['dist', 'README.md']), 'LICENSE'];
      changed = true;
    } else fail(pkg.name, 'package.json "files" lacks LICENSE');
  }
  if (changed) writeFileSync(join(pkg.dir, 'package.json'), `${JSON.stringify(json, null, 2)}\n`);
  const license = join(pkg.dir, 'LICENSE');
  const rootLicense = readFileSync(join(repo, 'LICENSE'), 'utf8');
  if (!existsSync(license) || readFileSync(license, 'utf8') !== rootLicense) {
    if (fix) writeFileSync(license, rootLicense);
    else fail(pkg.name, 'LICENSE is missing or differs from the root LICENSE');
  }
}

function main() {
  const user =
    process.getuid() === 0 ? (process.env.ROOTLESS_TEST_USER ?? 'rootless-test') : undefined;
  const pkgs = discover();
  if (pkgs.length === 0) throw new Error('no public package found under packages/ or apps/');
  console.log(`check-packages: ${pkgs.map((p) => p.name).join(', ')}`);
  for (const pkg of pkgs) checkMetadata(pkg, process.argv.includes('--fix-metadata'));

  const build = run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('the build failed');

  const tmp = mkdtempSync(join(tmpdir(), 'rootless-ts-packed-'));
  try {
    chmodSync(tmp, 0o755); // the test user runs the examples in there
    const packed = JSON.parse(
      execFileSync(
        'npm',
        ['pack', '--json', '--pack-destination', tmp, ...pkgs.flatMap((p) => ['-w', p.name])],
        {
          cwd: repo,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      ),
    );
    const tarball = new Map(packed.map((p) => [p.name, join(tmp, p.filename)]));

    for (const pkg of pkgs) {
      const files = packed.find((p) => p.name === pkg.name)?.files.map((f) => f.path) ?? [];
      for (const f of ['LICENSE', 'README.md', 'package.json']) {
        if (!files.includes(f)) fail(pkg.name, `the tarball has no ${f}`);
      }
      checkDependencies(pkg);
      checkAscii(pkg);
      const lint = run('npx', ['publint', '--strict', pkg.dir]);
      if (lint.status !== 0) fail(pkg.name, `publint:\n${lint.stdout}${lint.stderr}`);
      const types = run('npx', ['attw', '--format', 'ascii', tarball.get(pkg.name)]);
      if (types.status !== 0) fail(pkg.name, `attw:\n${types.stdout}${types.stderr}`);
    }

    // An empty project outside the monorepo that depends on the tarballs only; `overrides` makes
    // the packages' dependencies on each other resolve to the tarballs too, not to the registry.
    const project = join(tmp, 'project');
    mkdirSync(project);
    const deps = Object.fromEntries(pkgs.map((p) => [p.name, `file:${tarball.get(p.name)}`]));
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'packed-check', private: true, type: 'module', dependencies: deps, overrides: deps }, null, 2)}\n`,
    );
    const install = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
    });
    if (install.status !== 0)
      throw new Error(`npm install of the tarballs failed:\n${install.stderr}`);
    for (const pkg of pkgs) {
      const where = join(project, 'node_modules', pkg.name);
      if (existsSync(join(where, 'src')))
        fail(pkg.name, 'installed with its sources: not from the tarball');
    }

    const ts = require('typescript');
    for (const pkg of pkgs) {
      const example = firstExample(readFileSync(join(pkg.dir, 'README.md'), 'utf8'));
      if (!example) {
        fail(pkg.name, 'README.md has no ```js or ```ts example');
        continue;
      }
      const js =
        example.lang === 'ts'
          ? ts.transpileModule(example.code, {
              compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
            }).outputText
          : example.code;
      const file = join(project, `example-${pkg.folder.replace('/', '-')}.mjs`);
      writeFileSync(file, js);
      chmodSync(file, 0o644);
      const cmd = user
        ? ['runuser', ['-u', user, '--', process.execPath, file]]
        : [process.execPath, [file]];
      const r = run(cmd[0], cmd[1], { cwd: project, timeout: 60_000 });
      if (r.status !== 0) {
        fail(
          pkg.name,
          `the README example exited ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`,
        );
      } else {
        console.log(`check-packages: ${pkg.name}: README example ran${user ? ` as ${user}` : ''}:`);
        for (const line of r.stdout.trimEnd().split('\n').slice(0, 4)) console.log(`  | ${line}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`check-packages: ${failures.length} problem(s)`);
    process.exit(1);
  }
  console.log(
    `check-packages: ${pkgs.length} packages packed, linted, installed and their examples run`,
  );
}

if (process.argv[1] === import.meta.filename) main();
