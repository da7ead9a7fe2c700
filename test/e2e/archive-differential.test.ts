// The archives plugin authors publish are written by a handful of tools; the
// people who check a release unpack it with GNU tar or unzip. This test makes
// archives with each tool, unpacks them with tar -x / unzip and with the
// action's own artifact stage, and holds the two to the same bytes: every
// file, and the binary the action would register. Where tar or unzip refuse
// an archive, the action must refuse it too.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  symlink,
  link,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackArchive } from '../../src/artifact/archives/unpack.ts';
import { fetchArtifact } from '../../src/artifact/fetch.ts';
import { detectFormat, fileMembers } from '../../src/artifact/archives/members.ts';
import { ArtifactError } from '../../src/domain/errors.ts';

const run = promisify(execFile);
const TOOL_ENV = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' };
// Past ustar's 100-byte name field, yet splittable into its 155-byte prefix.
const LONG_DIR = `release-${'d'.repeat(80)}/${'s'.repeat(80)}`;
const UNICODE_DIR = 'plügïns-ñ/二进制';

let work = '';
let goWriter = '';
let binary: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'archive-differential-'));
  goWriter = join(work, 'archive-writer');
  await run('go', ['build', '-o', goWriter, '.'], {
    cwd: new URL('../../lab/archive-writer/', import.meta.url).pathname,
  });
  binary = fakeElf(300_001);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** An x86-64 ELF header and random bytes: the platform check's view of a Linux plugin. */
function fakeElf(size: number): Buffer {
  const bytes = randomBytes(size);
  bytes.fill(0, 0, 64);
  bytes.writeUInt32BE(0x7f454c46, 0);
  bytes[4] = 2;
  bytes[5] = 1;
  bytes[6] = 1;
  bytes.writeUInt16LE(2, 16);
  bytes.writeUInt16LE(62, 18);
  return bytes;
}

type Tree = 'plain' | 'long' | 'unicode';

/** The files each tool packs; `plain` has a hard link and a symbolic link as well. */
async function makeTree(kind: Tree): Promise<{ dir: string; names: string[] }> {
  const dir = await mkdtemp(join(work, `tree-${kind}-`));
  const place = kind === 'long' ? LONG_DIR : kind === 'unicode' ? UNICODE_DIR : '';
  const acme = place ? `${place}/acme` : 'acme';
  await mkdir(join(dir, place, 'docs'), { recursive: true });
  await writeFile(join(dir, acme), binary, { mode: 0o755 });
  await writeFile(join(dir, 'LICENSE'), 'MIT\n', { mode: 0o644 });
  const readme =
    kind === 'unicode' ? `${place}/docs/LÉAME-ü.md` : `${place ? `${place}/` : ''}docs/README.md`;
  await writeFile(join(dir, readme), '# acme\n'.repeat(300), { mode: 0o644 });
  const names = [acme, 'LICENSE', place ? `${place}/docs` : 'docs'];
  if (kind === 'plain') {
    await mkdir(join(dir, 'bin'));
    await link(join(dir, 'acme'), join(dir, 'bin', 'plugin'));
    await symlink('acme', join(dir, 'current'));
    names.push('bin', 'current');
  }
  return {
    dir,
    names: names.map((n) => n.split('/')[0] ?? n).filter((n, i, all) => all.indexOf(n) === i),
  };
}

let made = 0;
function outPath(extension: string): string {
  return join(work, `archive-${++made}.${extension}`);
}

async function gnuTar(format: string, kind: Tree, extra: string[] = []): Promise<string> {
  const { dir, names } = await makeTree(kind);
  const out = outPath('tar.gz');
  await run('tar', [`--format=${format}`, ...extra, '-czf', out, '-C', dir, ...names], {
    env: TOOL_ENV,
  });
  return out;
}

async function bsdtar(format: string, kind: Tree): Promise<string> {
  const { dir, names } = await makeTree(kind);
  const zip = format === 'zip';
  const out = outPath(zip ? 'zip' : 'tar.gz');
  await run(
    'bsdtar',
    ['-c', ...(zip ? [] : ['-z']), '--format', format, '-f', out, '-C', dir, ...names],
    {
      env: TOOL_ENV,
    },
  );
  return out;
}

async function infoZip(kind: Tree, flags: string[]): Promise<string> {
  const { dir, names } = await makeTree(kind);
  const out = outPath('zip');
  await run('zip', ['-q', '-r', ...flags, out, ...names], { cwd: dir, env: TOOL_ENV });
  return out;
}

/** Info-ZIP writing to a pipe: sizes follow each member in data descriptors. */
async function infoZipStreamed(kind: Tree): Promise<string> {
  const { dir, names } = await makeTree(kind);
  const out = outPath('zip');
  await run('sh', ['-c', `zip -q -r - "$@" > "${out}"`, 'sh', ...names], {
    cwd: dir,
    env: TOOL_ENV,
  });
  return out;
}

const PYTHON_TAR = `
import sys, tarfile
out, root, fmt, *names = sys.argv[1:]
with tarfile.open(out, 'w:gz', format=getattr(tarfile, fmt)) as archive:
    for name in names:
        archive.add(root + '/' + name, arcname=name)
`;

const PYTHON_ZIP = `
import os, sys, zipfile
out, root, method, *names = sys.argv[1:]
with zipfile.ZipFile(out, 'w', getattr(zipfile, method)) as archive:
    for name in names:
        path = root + '/' + name
        archive.write(path, name)
        for base, dirs, files in os.walk(path):
            for entry in sorted(dirs + files):
                full = os.path.join(base, entry)
                archive.write(full, os.path.relpath(full, root))
`;

async function python(
  script: string,
  kind: Tree,
  option: string,
  extension: string,
): Promise<string> {
  const { dir, names } = await makeTree(kind);
  const out = outPath(extension);
  await run('python3', ['-c', script, out, dir, option, ...names], { env: TOOL_ENV });
  return out;
}

async function goArchive(format: string, kind: Tree): Promise<string> {
  const { dir } = await makeTree(kind);
  const out = outPath(format.startsWith('zip') ? 'zip' : 'tar.gz');
  await run(goWriter, [format, out, dir], { env: TOOL_ENV });
  return out;
}

/** A tar made by GNU tar, changed by `edit` and gzipped again. */
async function editedGnuTar(
  files: { name: string; data: Buffer; mode?: number }[],
  edit: (tar: Buffer) => Buffer,
  format = 'gnu',
): Promise<string> {
  const dir = await mkdtemp(join(work, 'edited-'));
  for (const file of files)
    await writeFile(join(dir, file.name), file.data, { mode: file.mode ?? 0o644 });
  const tar = outPath('tar');
  await run('tar', [`--format=${format}`, '-cf', tar, '-C', dir, ...files.map((f) => f.name)], {
    env: TOOL_ENV,
  });
  const out = outPath('tar.gz');
  await writeFile(out, gzipSync(edit(await readFile(tar))));
  return out;
}

function reseal(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
}

const ACME = (): { name: string; data: Buffer; mode: number } => ({
  name: 'acme',
  data: binary,
  mode: 0o755,
});
const LICENSE = { name: 'LICENSE', data: Buffer.from('MIT\n') };

/** GNU tar writes base-256 sizes past 8 GiB; GNU tar reads them at any size, so a small one is rewritten so. */
async function base256Size(): Promise<string> {
  return editedGnuTar([ACME(), LICENSE], (tar) => {
    const header = tar.subarray(0, 512);
    const field = Buffer.alloc(12);
    field[0] = 0x80;
    field.writeBigUInt64BE(BigInt(binary.length), 4);
    field.copy(header, 124);
    reseal(header);
    return tar;
  });
}

/**
 * The PAX `size` record says how many bytes follow, whatever the ustar field
 * says: here the ustar size covers the first 1000 bytes of the binary, and
 * the PAX size those, the padding, and the LICENSE member's header and data.
 */
async function paxSizeDisagrees(): Promise<string> {
  const out = outPath('tar.gz');
  const script = `
import io, sys, tarfile
out, data = sys.argv[1], open(sys.argv[2], 'rb').read()[:1000]
licence = b'MIT\\n'
spanned = len(data) + (-len(data) % 512) + 512 + len(licence)
with tarfile.open(out, 'w:gz', format=tarfile.PAX_FORMAT) as archive:
    member = tarfile.TarInfo('acme')
    member.size, member.mode = len(data), 0o755
    member.pax_headers = {'size': str(spanned)}
    archive.addfile(member, io.BytesIO(data))
    member = tarfile.TarInfo('LICENSE')
    member.size = len(licence)
    archive.addfile(member, io.BytesIO(licence))
`;
  const source = join(work, 'binary-for-pax');
  await writeFile(source, binary);
  await run('python3', ['-c', script, out, source], { env: TOOL_ENV });
  return out;
}

/** GNU tar stops at the first zero block (a lone one draws a warning); a member after it is not unpacked. */
async function loneZeroBlock(): Promise<string> {
  return editedGnuTar(
    [LICENSE, ACME()],
    (tar) => {
      const licenceEnd = 1024;
      return Buffer.concat([
        tar.subarray(0, licenceEnd),
        Buffer.alloc(512),
        tar.subarray(licenceEnd),
      ]);
    },
    'ustar',
  );
}

async function badChecksum(): Promise<string> {
  return editedGnuTar([ACME(), LICENSE], (tar) => {
    const second = 512 + Math.ceil(binary.length / 512) * 512;
    tar[second] = 'X'.charCodeAt(0);
    return tar;
  });
}

async function truncated(): Promise<string> {
  return editedGnuTar([ACME(), LICENSE], (tar) => tar.subarray(0, 512 + 100_000));
}

async function gzippedTwice(): Promise<string> {
  const out = await gnuTar('gnu', 'plain');
  await writeFile(out, gzipSync(await readFile(out)));
  return out;
}

async function gzipCrcDamaged(): Promise<string> {
  const out = await gnuTar('gnu', 'plain');
  const data = await readFile(out);
  data[data.length - 8] = (data[data.length - 8] ?? 0) ^ 0xff;
  await writeFile(out, data);
  return out;
}

async function gzipTrailingGarbage(): Promise<string> {
  const out = await gnuTar('gnu', 'plain');
  await writeFile(
    out,
    Buffer.concat([await readFile(out), Buffer.from('\u001f\u008bnot gzip at all', 'latin1')]),
  );
  return out;
}

/** `tar -C dir .`: members named `./`, `./acme` … */
async function dotRoot(): Promise<string> {
  const { dir } = await makeTree('plain');
  const out = outPath('tar.gz');
  await run('tar', ['-czf', out, '-C', dir, '.'], { env: TOOL_ENV });
  return out;
}

/** A sparse file: GNU tar stores its data without the holes. */
async function sparse(format: string): Promise<string> {
  const dir = await mkdtemp(join(work, 'sparse-'));
  await writeFile(join(dir, 'acme'), binary.subarray(0, 8192), { mode: 0o755 });
  await run('truncate', ['-s', '4M', join(dir, 'acme')]);
  const out = outPath('tar.gz');
  await run('tar', [`--format=${format}`, '--sparse', '-czf', out, '-C', dir, 'acme'], {
    env: TOOL_ENV,
  });
  return out;
}

/** `tar -r` appends a second `acme`; GNU tar unpacks the last one over the first. */
async function appendedTwice(): Promise<string> {
  const dir = await mkdtemp(join(work, 'twice-'));
  const tar = outPath('tar');
  await writeFile(join(dir, 'acme'), binary, { mode: 0o755 });
  await run('tar', ['-cf', tar, '-C', dir, 'acme'], { env: TOOL_ENV });
  await writeFile(join(dir, 'acme'), fakeElf(5000), { mode: 0o755 });
  await run('tar', ['-rf', tar, '-C', dir, 'acme'], { env: TOOL_ENV });
  const out = outPath('tar.gz');
  await writeFile(out, gzipSync(await readFile(tar)));
  return out;
}

interface Case {
  title: string;
  make: () => Promise<string>;
  /** What the action says where it refuses on purpose an archive that tar unpacks. */
  refusedOnPurpose?: RegExp;
}

const TOOL_MADE: Case[] = [
  ...(['gnu', 'oldgnu', 'pax', 'ustar', 'v7'] as const).flatMap((format) =>
    (['plain', 'long', 'unicode'] as const)
      .filter((kind) => !(format === 'v7' && kind !== 'plain'))
      .map((kind) => ({
        title: `GNU tar, ${format} format, ${kind} names`,
        make: () => gnuTar(format, kind),
      })),
  ),
  {
    title: 'GNU tar, gnu format, base-256 owner and time (uid 3000000, mtime 1901)',
    make: () => gnuTar('gnu', 'plain', ['--owner=acme:3000000', '--mtime=1901-06-01 00:00:00']),
  },
  {
    title: 'GNU tar, pax format, large owner and old time as PAX records',
    make: () => gnuTar('pax', 'unicode', ['--owner=acme:3000000', '--mtime=1901-06-01 00:00:00']),
  },
  { title: 'GNU tar of `-C dir .`, every name under ./', make: dotRoot },
  ...(['pax', 'ustar', 'gnutar'] as const).flatMap((format) =>
    (['plain', 'long', 'unicode'] as const)
      .filter((kind) => !(format === 'ustar' && kind === 'unicode'))
      .map((kind) => ({
        title: `bsdtar, ${format} format, ${kind} names`,
        make: () => bsdtar(format, kind),
      })),
  ),
  ...(['GNU_FORMAT', 'PAX_FORMAT', 'USTAR_FORMAT'] as const).flatMap((format) =>
    (['plain', 'long', 'unicode'] as const).map((kind) => ({
      title: `Python tarfile, ${format}, ${kind} names`,
      make: () => python(PYTHON_TAR, kind, format, 'tar.gz'),
    })),
  ),
  ...(['tar-pax', 'tar-gnu', 'tar-ustar'] as const).flatMap((format) =>
    (['plain', 'long', 'unicode'] as const)
      .filter((kind) => !(format === 'tar-ustar' && kind !== 'plain'))
      .map((kind) => ({
        title: `Go archive/tar, ${format}, ${kind} names`,
        make: () => goArchive(format, kind),
      })),
  ),
  ...(['plain', 'long', 'unicode'] as const).flatMap((kind) => [
    {
      title: `Info-ZIP zip, deflated, symbolic links kept, ${kind} names`,
      make: () => infoZip(kind, ['-y']),
    },
    { title: `Info-ZIP zip -0, stored, ${kind} names`, make: () => infoZip(kind, ['-0']) },
    {
      title: `Info-ZIP zip -fz, ZIP64 records on small files, ${kind} names`,
      make: () => infoZip(kind, ['-fz']),
    },
    {
      title: `Python zipfile, deflated, ${kind} names`,
      make: () => python(PYTHON_ZIP, kind, 'ZIP_DEFLATED', 'zip'),
    },
    {
      title: `Python zipfile, stored, ${kind} names`,
      make: () => python(PYTHON_ZIP, kind, 'ZIP_STORED', 'zip'),
    },
    {
      title: `Go archive/zip, deflated, ${kind} names`,
      make: () => goArchive('zip-deflate', kind),
    },
    { title: `Go archive/zip, stored, ${kind} names`, make: () => goArchive('zip-store', kind) },
    { title: `bsdtar, zip format, ${kind} names`, make: () => bsdtar('zip', kind) },
  ]),
  { title: 'Info-ZIP zip to a pipe, with data descriptors', make: () => infoZipStreamed('plain') },
  { title: 'Info-ZIP zip -fz to a pipe', make: () => infoZipStreamed('unicode') },
];

const EDITED: Case[] = [
  { title: 'GNU tar whose first member has a base-256 size field', make: base256Size },
  { title: 'a PAX size record that disagrees with the ustar size', make: paxSizeDisagrees },
  { title: 'a lone zero block before the binary', make: loneZeroBlock },
  { title: 'a header whose checksum is wrong', make: badChecksum },
  { title: 'a tar cut short inside the binary', make: truncated },
  { title: 'a tar.gz gzipped a second time', make: gzippedTwice },
  { title: 'a gzip stream that fails its CRC', make: gzipCrcDamaged },
  { title: 'bytes after the gzip stream', make: gzipTrailingGarbage },
  {
    title: 'a GNU sparse member (gnu format)',
    make: () => sparse('gnu'),
    refusedOnPurpose: /^archive member "acme" has tar type SparseFile, which is not supported$/,
  },
  {
    title: 'a GNU sparse member (pax format)',
    make: () => sparse('pax'),
    refusedOnPurpose: /^the tar\.gz archive stores a sparse file, which is not supported/,
  },
  {
    title: 'two members with one name (tar -r)',
    make: appendedTwice,
    refusedOnPurpose: /^archive member "acme" appears more than once$/,
  },
];

type Unpacked = { files: Map<string, string> } | { refused: string };

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** tar -x or unzip into a fresh directory: every regular file and its hash, or the tool's refusal. */
async function unpackWithTool(archive: string, format: 'zip' | 'tar.gz'): Promise<Unpacked> {
  const into = await mkdtemp(join(work, 'tool-'));
  const [command, args] =
    format === 'zip'
      ? ['unzip', ['-q', archive, '-d', into]]
      : ['tar', ['-xf', archive, '-C', into, '--no-same-owner', '--no-same-permissions']];
  try {
    await run(command, args, { env: TOOL_ENV });
  } catch (error) {
    return { refused: String((error as { stderr?: string }).stderr ?? error) };
  }
  return { files: await regularFiles(into) };
}

async function regularFiles(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const visit = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const info = await lstat(path);
      if (info.isDirectory()) await visit(path);
      else if (info.isFile()) files.set(relative(root, path), sha256(await readFile(path)));
    }
  };
  await visit(root);
  return files;
}

async function unpackWithAction(archive: string, format: 'zip' | 'tar.gz'): Promise<Unpacked> {
  const into = await mkdtemp(join(work, 'ours-'));
  try {
    const members = fileMembers(await unpackArchive(archive, format, 64 * 1024 * 1024, into));
    return { files: new Map(members.map((m) => [m.path, m.file.sha256])) };
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    return { refused: error.message };
  }
}

/** The whole artifact stage, as the action runs it on a file: what it would register. */
async function register(
  archive: string,
): Promise<{ binaryName: string; binary: Buffer } | { refused: string }> {
  const into = await mkdtemp(join(work, 'stage-'));
  try {
    const facts = await fetchArtifact(
      { kind: 'file', path: archive, githubToken: '' },
      {
        binary: '',
        checksums: '',
        sha256: '',
        gpgPublicKey: '',
        maxBytes: 64 * 1024 * 1024,
        allowDraft: false,
        // What the archive yields is the point here; nothing vouches for these hand-made files.
        allowUnverified: true,
        attestation: 'off',
        attestationSigner: null,
        attestationTrustedRoot: '',
      },
      {
        pluginName: 'acme',
        version: 'v1.0.0',
        platform: { os: 'linux', arch: 'amd64' },
        workDirectory: into,
        workspace: into,
        toolCache: '',
        githubApiUrl: '',
        log: () => undefined,
        mask: () => undefined,
      },
    );
    return { binaryName: facts.binaryName, binary: await readFile(facts.binaryPath) };
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    return { refused: error.message };
  }
}

describe.each([
  ['archives as the tools write them', TOOL_MADE],
  ['archives edited to where readers disagree', EDITED],
])('%s', (_group, cases) => {
  it.each(cases.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const archive = await c.make();
    const format = detectFormat(await readFile(archive));
    if (format === 'raw') throw new Error(`${archive} is neither a zip nor a tar.gz`);
    const theirs = await unpackWithTool(archive, format);
    const ours = await unpackWithAction(archive, format);
    const registered = await register(archive);

    if (c.refusedOnPurpose) {
      expect('files' in theirs, 'the tool unpacks it').toBe(true);
      expect('refused' in ours && ours.refused).toMatch(c.refusedOnPurpose);
      expect('refused' in registered && registered.refused).toMatch(c.refusedOnPurpose);
      return;
    }
    if ('refused' in theirs) {
      expect(ours, `the tool refused: ${theirs.refused}`).toHaveProperty('refused');
      expect(registered).toHaveProperty('refused');
      return;
    }
    expect('files' in ours && ours.files, 'refused' in ours ? ours.refused : '').toEqual(
      theirs.files,
    );
    const acme = [...theirs.files.keys()].find((path) => path === 'acme' || path.endsWith('/acme'));
    if (!acme) {
      expect(registered).toHaveProperty('refused');
      return;
    }
    expect(
      'binaryName' in registered && registered.binaryName,
      'refused' in registered ? registered.refused : '',
    ).toBe(acme);
    const extracted = theirs.files.get(acme);
    expect('binary' in registered && sha256(registered.binary)).toBe(extracted);
  });
});

describe('the corpus itself', () => {
  it('holds what each case claims', async () => {
    const base256 = gunzipSync(await readFile(await base256Size()));
    expect(base256[124]).toBe(0x80);
    const pax = gunzipSync(await readFile(await paxSizeDisagrees())).toString('latin1');
    expect(pax).toMatch(/\d+ size=\d+\n/);
    const gnuUid = gunzipSync(
      await readFile(await gnuTar('gnu', 'plain', ['--owner=acme:3000000'])),
    );
    expect(gnuUid[108]).toBe(0x80);
  });
});
