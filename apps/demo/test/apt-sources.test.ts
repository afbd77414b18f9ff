import { describe, expect, it } from 'vitest';
import {
  findMirror,
  hostCodename,
  parseDeb822,
  parseOneLine,
  readAptSources,
} from '../src/apt-sources.js';

describe('apt sources', () => {
  it('parses the one-line format, options and comments included', () => {
    expect(
      parseOneLine(
        '# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib # x\ndeb-src http://m.example/debian bookworm main\n',
      ),
    ).toEqual([
      { uri: 'http://m.example/debian', suites: ['bookworm'], components: ['main', 'contrib'] },
    ]);
  });

  it('parses deb822 stanzas, skipping disabled ones and deb-src', () => {
    const text = `Types: deb
# a comment
URIs: http://a.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
Enabled: no
URIs: http://off.example/debian
Suites: bookworm
Components: main
`;
    expect(parseDeb822(text)).toEqual([
      {
        uri: 'http://a.example/debian',
        suites: ['bookworm', 'bookworm-updates'],
        components: ['main'],
      },
    ]);
  });

  it('finds the mirror of a suite, never the security archive', () => {
    const sources = [
      {
        uri: 'http://sec.example/debian-security',
        suites: ['bookworm-security'],
        components: ['main'],
      },
      { uri: 'https://pkgs.example/apt', suites: ['nodistro'], components: ['main'] },
      {
        uri: 'http://m.example/debian',
        suites: ['bookworm', 'bookworm-updates'],
        components: ['main'],
      },
    ];
    expect(findMirror('bookworm', sources)).toBe('http://m.example/debian');
    expect(findMirror('trixie', sources)).toBeUndefined();
  });

  it('finds this machine’s Debian mirror (what the debootstrap test uses)', () => {
    const codename = hostCodename();
    expect(codename).toMatch(/^[a-z]+$/);
    expect(findMirror(codename!, readAptSources())).toMatch(/^https?:\/\/\S+$/);
  });
});
