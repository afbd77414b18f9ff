#!/usr/bin/env node
// Writes profiles/podman-default.normalized.json: podman's profile (profiles/podman-default.json,
// kept verbatim) as validateProfile returns it. defaultProfile() returns that, unvalidated: it is
// our own data, and validating it on every start cost the CLI about 1.2 ms (compiling the
// validator). test/default-profile.test.ts fails when the two drift apart. Run after a build, then format:
//   node scripts/normalize-default.mjs && npx biome format --write profiles
import { readFileSync, writeFileSync } from 'node:fs';
import { validateProfile } from '../dist/index.js';

const dir = new URL('../profiles/', import.meta.url);
const raw = JSON.parse(readFileSync(new URL('podman-default.json', dir), 'utf8'));
const normalized = validateProfile(raw, 'podman-default.json');
writeFileSync(
  new URL('podman-default.normalized.json', dir),
  `${JSON.stringify(normalized, null, 2)}\n`,
);
