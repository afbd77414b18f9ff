import { ImageError } from './errors.js';

/** An image platform, as manifest lists and image configs name it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * The platform this process runs on, as docker and podman default to it: linux/amd64 on x64,
 * linux/arm64/v8 on arm64, linux/arm/vN with N read from Node's build on 32-bit arm.
 */
export function hostPlatform(): Platform {
  const arch = NODE_ARCH[process.arch] ?? process.arch;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  if (arch === 'arm64') return { os, architecture: arch, variant: 'v8' };
  if (arch === 'arm') {
    const v = (process.config.variables as { arm_version?: string }).arm_version;
    return { os, architecture: arch, variant: `v${v ?? '7'}` };
  }
  return { os, architecture: arch };
}

/** Parses `os/arch[/variant]` (the `--platform` option). */
export function parsePlatform(spec: string): Platform {
  const parts = spec.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new ImageError(
      'ERR_BAD_PLATFORM',
      `${JSON.stringify(spec)}: a platform is os/arch[/variant]`,
    );
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  const p: Platform = { os: os.toLowerCase(), architecture: architecture.toLowerCase() };
  if (variant !== undefined) p.variant = variant.toLowerCase();
  return p;
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * containerd's normalisation, which docker and podman share: architecture aliases
 * (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7 …) and default variants (arm64 v8 is the
 * same as no variant, bare arm is v7, amd64 v1 is no variant).
 */
export function normalizePlatform(p: Platform): {
  os: string;
  architecture: string;
  variant: string;
} {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      else if (variant === '9' || variant === '9.0' || variant === 'v9.0') variant = 'v9';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
      break;
  }
  return { os, architecture: arch, variant };
}

/**
 * How well an entry of a manifest list suits the wanted platform: undefined when it cannot run
 * there, otherwise a rank where lower is better (an exact variant beats an older arm variant
 * the CPU also runs, as in containerd's matcher).
 */
export function platformRank(wanted: Platform, candidate: Platform): number | undefined {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return undefined;
  if (w.variant === c.variant) return 0;
  if (w.architecture === 'arm') {
    const wv = Number(w.variant.slice(1));
    const cv = Number(c.variant.slice(1));
    if (Number.isInteger(wv) && Number.isInteger(cv) && cv >= 5 && cv < wv) return wv - cv;
  }
  return undefined;
}

/** Picks the best entry for a platform, or undefined when none fits. */
export function selectPlatform<T extends { platform?: Platform }>(
  entries: readonly T[],
  wanted: Platform,
): T | undefined {
  let best: T | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const e of entries) {
    if (!e.platform) continue;
    const r = platformRank(wanted, e.platform);
    if (r !== undefined && r < bestRank) {
      best = e;
      bestRank = r;
    }
  }
  return best;
}
