import { ArtifactError } from '../../domain/errors.ts';
import type { Platform } from '../../domain/platform.ts';

export interface ExecutableKind {
  os: 'linux' | 'darwin' | 'windows' | 'unix';
  arch: Platform['arch'] | `machine ${string}`;
}

const ELF_MACHINES: Record<number, Platform['arch']> = {
  3: '386',
  40: 'arm',
  62: 'amd64',
  183: 'arm64',
};
const MACHO_CPUS: Record<number, Platform['arch']> = {
  7: '386',
  0x01000007: 'amd64',
  12: 'arm',
  0x0100000c: 'arm64',
};
const PE_MACHINES: Record<number, Platform['arch']> = {
  0x14c: '386',
  0x8664: 'amd64',
  0x1c0: 'arm',
  0x1c4: 'arm',
  0xaa64: 'arm64',
};

/**
 * Reads the executable header (ELF, Mach-O or PE) from the first bytes of a
 * file; null when the bytes are none of them. ELF does not say which Unix it
 * is for (Go leaves EI_OSABI at 0), so an ELF file counts as linux or freebsd.
 */
export function executableKind(head: Buffer): ExecutableKind | null {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const little = head[5] !== 2;
    const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
    return { os: 'unix', arch: ELF_MACHINES[machine] ?? `machine ${machine}` };
  }
  if (head.length >= 8) {
    const magic = head.readUInt32LE(0);
    if (magic === 0xfeedface || magic === 0xfeedfacf) {
      const cpu = head.readUInt32LE(4);
      return { os: 'darwin', arch: MACHO_CPUS[cpu] ?? `machine ${cpu}` };
    }
  }
  if (head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a) {
    const pe = head.readUInt32LE(60);
    if (pe + 6 <= head.length && head.readUInt32BE(pe) === 0x50450000) {
      const machine = head.readUInt16LE(pe + 4);
      return { os: 'windows', arch: PE_MACHINES[machine] ?? `machine ${machine}` };
    }
  }
  return null;
}

/** Bytes to read from the start of a file to find its executable header. */
export const EXECUTABLE_HEAD_BYTES = 4096;

/** A server cannot run a binary built for another platform; say so before it is registered. */
export function checkPlatform(name: string, head: Buffer, target: Platform): void {
  const want = `${target.os}/${target.arch}`;
  const kind = executableKind(head);
  if (!kind) {
    throw new ArtifactError(
      `${name} is not an executable (no ELF, Mach-O or PE header); the servers need a ${want} plugin binary`,
    );
  }
  const osMatches =
    kind.os === target.os ||
    (kind.os === 'unix' && (target.os === 'linux' || target.os === 'freebsd'));
  if (!osMatches || kind.arch !== target.arch) {
    const os = kind.os === 'unix' ? 'linux' : kind.os;
    throw new ArtifactError(
      `${name} is built for ${os}/${kind.arch}, but the servers are ${want}; pick the asset for ${want} or set platform`,
    );
  }
}
