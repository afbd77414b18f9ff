import { describe, expect, it } from 'vitest';
import {
  familiarReference,
  formatReference,
  ImageError,
  parseReference,
  registryTarget,
  withDefaultTag,
} from '../src/index.js';

const HEX = 'f'.repeat(64);
const D = `sha256:${HEX}`;

/** Cases after the distribution project's reference and normalize tests. */
describe('parseReference: accepted', () => {
  const cases: [string, string, Partial<ReturnType<typeof parseReference>>][] = [
    ['alpine', 'docker.io/library/alpine:latest', { domain: 'docker.io', path: 'library/alpine' }],
    ['test_com', 'docker.io/library/test_com:latest', {}],
    ['test.com:tag', 'docker.io/library/test.com:tag', { tag: 'tag' }],
    ['test.com:5000', 'docker.io/library/test.com:5000', { tag: '5000' }],
    ['test.com/repo:tag', 'test.com/repo:tag', { domain: 'test.com', path: 'repo' }],
    ['test:5000/repo', 'test:5000/repo:latest', { domain: 'test:5000' }],
    ['test:5000/repo:tag', 'test:5000/repo:tag', { tag: 'tag' }],
    [`test:5000/repo@${D}`, `test:5000/repo@${D}`, { digest: D }],
    [`test:5000/repo:tag@${D}`, `test:5000/repo:tag@${D}`, { tag: 'tag', digest: D }],
    ['lowercase:Uppercase', 'docker.io/library/lowercase:Uppercase', {}],
    ['sub-dom1.foo.com/bar/baz/quux', 'sub-dom1.foo.com/bar/baz/quux:latest', {}],
    ['a/a/a/a', 'docker.io/a/a/a/a:latest', {}],
    ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080', {}],
    ['foo/foo_bar.com:8080', 'docker.io/foo/foo_bar.com:8080', {}],
    ['user/repo', 'docker.io/user/repo:latest', {}],
    ['docker.io/library/alpine:3.20', 'docker.io/library/alpine:3.20', {}],
    ['docker.io/alpine', 'docker.io/library/alpine:latest', {}],
    ['index.docker.io/alpine', 'docker.io/library/alpine:latest', { domain: 'docker.io' }],
    ['localhost/x', 'localhost/x:latest', { domain: 'localhost', path: 'x' }],
    ['localhost:5000/x', 'localhost:5000/x:latest', { domain: 'localhost:5000' }],
    ['127.0.0.1:5000/a/b:tag', '127.0.0.1:5000/a/b:tag', { domain: '127.0.0.1:5000', path: 'a/b' }],
    ['192.168.1.1/foo', '192.168.1.1/foo:latest', {}],
    ['[2001:db8::1]/foo', '[2001:db8::1]/foo:latest', { domain: '[2001:db8::1]' }],
    ['[2001:db8::1]:5000/foo:bar', '[2001:db8::1]:5000/foo:bar', { domain: '[2001:db8::1]:5000' }],
    ['foo__bar', 'docker.io/library/foo__bar:latest', {}],
    ['foo---bar/a.b_c', 'docker.io/foo---bar/a.b_c:latest', {}],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, {}],
    [`x@sha512:${'a'.repeat(128)}`, `docker.io/library/x@sha512:${'a'.repeat(128)}`, {}],
    [`a:${'t'.repeat(128)}`, `docker.io/library/a:${'t'.repeat(128)}`, {}],
  ];
  for (const [input, canonical, fields] of cases) {
    it(input.length > 60 ? `${input.slice(0, 60)}…` : input, () => {
      const ref = parseReference(input);
      expect(formatReference(withDefaultTag(ref))).toBe(canonical);
      expect(ref).toMatchObject(fields);
    });
  }
});

describe('parseReference: refused', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    [':justtag', /missing repository name|invalid/],
    [`@${D}`, /missing repository name|invalid/],
    [`repo@sha256:${'f'.repeat(65)}`, /64 lowercase hex/],
    [`repo@sha256:${'F'.repeat(64)}`, /64 lowercase hex/],
    [`validname@invaliddigest:${HEX}`, /unsupported digest algorithm/],
    ['Uppercase:tag', /must be lowercase/],
    ['test:5000/Uppercase/lowercase:tag', /must be lowercase/],
    ['docker.io/Library/alpine', /must be lowercase/],
    ['aa/asdf$$^/aa', /invalid/],
    ['foo..bar', /invalid repository name/],
    ['foo___bar', /invalid repository name/],
    ['-foo', /invalid repository name/],
    ['foo-', /invalid repository name/],
    ['foo/', /missing repository name|invalid/],
    ['a//b', /invalid/],
    [`${'a'.repeat(250)}/bcdef`, /longer than 255/],
    [HEX, /image id/],
    ['repo:-tag', /invalid tag/],
    [`repo:${'t'.repeat(129)}`, /invalid tag/],
    ['repo:tag:tag', /invalid/],
    ['[fe80::1%eth0]:5000/foo', /invalid/],
    ['-host.com/foo', /invalid registry host/],
  ];
  for (const [input, why] of cases) {
    it(JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input), () => {
      let err: unknown;
      try {
        parseReference(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImageError);
      expect((err as ImageError).code).toBe('ERR_BAD_REFERENCE');
      expect((err as ImageError).message).toMatch(why);
    });
  }
});

describe('display and registry addressing', () => {
  it('familiar forms drop docker.io and library/', () => {
    expect(familiarReference(withDefaultTag(parseReference('alpine')))).toBe('alpine:latest');
    expect(familiarReference(parseReference('user/repo:1'))).toBe('user/repo:1');
    expect(familiarReference(parseReference('127.0.0.1:5000/a/b:t'))).toBe('127.0.0.1:5000/a/b:t');
  });

  it('docker.io is served by registry-1.docker.io, a digest wins over a tag', () => {
    expect(registryTarget(parseReference('alpine'))).toEqual({
      host: 'registry-1.docker.io',
      repository: 'library/alpine',
      selector: 'latest',
    });
    expect(registryTarget(parseReference(`localhost:5000/x:t@${D}`))).toEqual({
      host: 'localhost:5000',
      repository: 'x',
      selector: D,
    });
  });
});
