import { ConfigError } from './errors.ts';

export interface Platform {
  os: 'linux' | 'darwin' | 'windows' | 'freebsd';
  arch: 'amd64' | 'arm64' | '386' | 'arm';
}

const OS_BY_NODE: Record<string, Platform['os']> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
};
const ARCH_BY_NODE: Record<string, Platform['arch']> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  arm: 'arm',
};
const OSES = new Set<string>(Object.values(OS_BY_NODE));
const ARCHES = new Set<string>(Object.values(ARCH_BY_NODE));

/** Release assets use Go's platform names, not Node's. */
export function runnerPlatform(nodePlatform: string, nodeArch: string): Platform {
  const os = OS_BY_NODE[nodePlatform];
  const arch = ARCH_BY_NODE[nodeArch];
  if (!os || !arch) {
    throw new ConfigError(
      `platform: this runner (${nodePlatform}/${nodeArch}) has no Go platform name; set platform, e.g. linux/amd64`,
    );
  }
  return { os, arch };
}

export function parsePlatform(raw: string): Platform {
  const [os = '', arch = '', extra] = raw.split('/');
  if (extra !== undefined || !OSES.has(os) || !ARCHES.has(arch)) {
    throw new ConfigError(
      `platform: "${raw}" is not OS/ARCH; valid OS: ${[...OSES].join(', ')}; valid ARCH: ${[...ARCHES].join(', ')}`,
    );
  }
  return { os: os as Platform['os'], arch: arch as Platform['arch'] };
}
