import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `deb` source: where a suite of a distribution lives. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** Sources in the one-line format (sources.list(5)): `deb [options] URI SUITE COMPONENT…`. */
export function parseOneLine(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) continue;
    const rest = line
      .slice(4)
      .trim()
      .replace(/^\[[^\]]*\]\s*/, '');
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (uri && suite) out.push({ uri, suites: [suite], components });
  }
  return out;
}

/** Sources in the deb822 format (`*.sources`): stanzas of Types, URIs, Suites, Components, Enabled. */
export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const m = line.match(/^([\w-]+):\s*(.*)$/);
      if (m) {
        last = m[1]!.toLowerCase();
        fields.set(last, m[2]!.trim());
      }
    }
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter((w) => w !== '');
    if (!words('types').includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    for (const uri of words('uris')) {
      out.push({ uri, suites: words('suites'), components: words('components') });
    }
  }
  return out;
}

/**
 * The mirror holding `suite` (e.g. bookworm) with its `main` component, from the machine's apt
 * sources: `/etc/apt/sources.list`, then `sources.list.d/*.list` and `*.sources`, in order.
 * Never a hard-coded host: whatever this machine uses (a proxy, a local mirror) is used.
 */
export function findMirror(suite: string, sources: AptSource[]): string | undefined {
  const s = sources.find(
    (x) => x.suites.includes(suite) && x.components.includes('main') && /^https?:\/\//.test(x.uri),
  );
  return s?.uri;
}

/** Every apt source of this machine. */
export function readAptSources(etc = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  out.push(...parseOneLine(read(join(etc, 'sources.list'))));
  let names: string[] = [];
  try {
    names = readdirSync(join(etc, 'sources.list.d')).sort();
  } catch {
    // none
  }
  for (const n of names) {
    if (n.endsWith('.list')) out.push(...parseOneLine(read(join(etc, 'sources.list.d', n))));
    else if (n.endsWith('.sources')) out.push(...parseDeb822(read(join(etc, 'sources.list.d', n))));
  }
  return out;
}

/** This machine's Debian codename (VERSION_CODENAME in /etc/os-release). */
export function hostCodename(osRelease = '/etc/os-release'): string | undefined {
  const m = readFileSync(osRelease, 'utf8').match(/^VERSION_CODENAME=["']?([^"'\n]+)/m);
  return m?.[1];
}
