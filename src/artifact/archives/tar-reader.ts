import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ArtifactError } from '../../domain/errors.ts';
import { tooBig, type MemberKind, type Unpacking } from './unpacking.ts';
import { decompressRange, INFLATED_CHUNK } from './decompress.ts';

/**
 * A PAX header or GNU long name is held whole while it is read; real ones
 * are a few hundred bytes. node-tar skips larger ones, so they are refused.
 */
const MAX_EXTENDED_HEADER = 64 * 1024;

/** Headers, padding and extended headers add to the members' sizes; this much a member is allowed. */
const OVERHEAD_PER_MEMBER = 4 * 1024;

/**
 * The archive is gunzipped here, with a bounded chunk size and back
 * pressure, and the tar stream parsed by node-tar: PAX records (path,
 * linkpath, size), GNU long names and base-256 numbers, header checksums
 * (strict mode refuses a bad one instead of skipping to the next block).
 * node-tar skips what it does not understand; each such case is refused
 * here, because GNU tar would unpack something else in its place.
 */
export async function readTarGz(archivePath: string, unpacking: Unpacking): Promise<void> {
  const handle = await open(archivePath);
  try {
    await decompressRange(handle, 0, Infinity, createGunzip({ chunkSize: INFLATED_CHUNK }), (tar) =>
      readTar(tar, unpacking),
    );
  } finally {
    await handle.close();
  }
}

type ParserEvent =
  | { kind: 'entry' | 'ignoredEntry'; entry: ReadEntry }
  | { kind: 'meta'; text: string }
  | { kind: 'error'; error: unknown }
  | { kind: 'end' };

/**
 * Members are read one at a time, in the order the parser reports them,
 * which is the archive's: `entry` for each member; `ignoredEntry` for one it
 * skips; `meta` with the text of each extended header; `nullBlock` at the
 * first zero block, where GNU tar stops reading members.
 */
async function readTar(tar: Readable, unpacking: Unpacking): Promise<void> {
  const parser = new Parser({
    strict: true,
    zstd: false,
    maxMetaEntrySize: MAX_EXTENDED_HEADER,
  });
  const next = orderedEvents(parser);
  const tarEnded = new AbortController();
  const feeding = feed(tar, parser, unpacking, tarEnded.signal);
  // A failed feed leaves the member being read waiting for bytes that never come.
  const feedFailed = new Promise<never>((_resolve, reject) => {
    feeding.catch(reject);
  });
  let current: ReadEntry | null = null;
  try {
    for (;;) {
      const event = await Promise.race([next(), feedFailed]);
      if (event.kind === 'end') break;
      if (event.kind === 'error') throw parserError(event.error);
      if (event.kind === 'ignoredEntry') throw skipped(event.entry);
      if (event.kind === 'meta') {
        const problem = extendedHeaderProblem(event.text);
        if (problem) throw problem;
        continue;
      }
      current = event.entry;
      await Promise.race([readMember(current, unpacking), feedFailed]);
      current = null;
    }
    // The rest of the gzip stream is still read, so a damaged one is refused as GNU tar refuses it.
    tarEnded.abort();
    await feeding;
  } catch (error) {
    tarEnded.abort();
    current?.destroy();
    throw error;
  }
}

function orderedEvents(parser: Parser): () => Promise<ParserEvent> {
  const queue: ParserEvent[] = [];
  let wake: (() => void) | null = null;
  const push = (event: ParserEvent): void => {
    queue.push(event);
    wake?.();
    wake = null;
  };
  parser.on('entry', (entry: ReadEntry) => push({ kind: 'entry', entry }));
  parser.on('ignoredEntry', (entry: ReadEntry) => push({ kind: 'ignoredEntry', entry }));
  parser.on('meta', (text: string) => push({ kind: 'meta', text }));
  parser.on('error', (error: unknown) => push({ kind: 'error', error }));
  parser.on('nullBlock', () => push({ kind: 'end' }));
  parser.on('end', () => push({ kind: 'end' }));
  return async () => {
    for (;;) {
      const event = queue.shift();
      if (event) return event;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

/**
 * Writes the tar stream into the parser as fast as the members are
 * consumed; once the tar has ended, the rest is only inflated and counted.
 */
async function feed(
  tar: Readable,
  parser: Parser,
  unpacking: Unpacking,
  tarEnded: AbortSignal,
): Promise<void> {
  const limit = unpacking.maxBytes + unpacking.maxMembers * OVERHEAD_PER_MEMBER;
  let fed = 0;
  try {
    for await (const chunk of tar) {
      const bytes = chunk as Buffer;
      // node-tar would gunzip a second layer on its own; GNU tar takes one.
      if (fed === 0 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
        throw damaged('it holds another gzip stream, not a tar archive');
      }
      fed += bytes.length;
      if (fed > limit) throw tooBig(unpacking.maxBytes);
      if (!tarEnded.aborted && !parser.write(bytes)) await drained(parser, tarEnded);
    }
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    throw damaged('it does not gunzip');
  }
  if (!tarEnded.aborted) parser.end();
}

function drained(parser: Parser, tarEnded: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      parser.off('drain', done);
      tarEnded.removeEventListener('abort', done);
      resolve();
    };
    parser.once('drain', done);
    tarEnded.addEventListener('abort', done, { once: true });
  });
}

async function readMember(entry: ReadEntry, unpacking: Unpacking): Promise<void> {
  const kind = memberKind(entry.type);
  if (!kind) {
    throw new ArtifactError(
      `archive member "${entry.path}" is a device, FIFO or other special file (tar type ${entry.type})`,
    );
  }
  const path = unpacking.begin(entry.path, kind);
  const mode = (entry.mode ?? 0) & 0o777;
  if (path === null || kind === 'directory') {
    if (path !== null) unpacking.addDirectory(path, mode);
    entry.resume();
    return;
  }
  if (kind === 'symlink' || kind === 'hardlink') {
    unpacking.addLink(path, kind, mode, entry.linkpath ?? '');
    entry.resume();
    return;
  }
  const file = await unpacking.addFile(
    path,
    mode,
    entry.size,
    () => damaged(`${path} is longer than it declares`),
    async (sink) => {
      for await (const chunk of entry) await sink.write(chunk);
    },
  );
  if (file.size !== entry.size) throw damaged('a member is cut short');
}

function memberKind(type: ReadEntry['type']): MemberKind | null {
  switch (type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
    case 'GNUDumpDir':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    default:
      return null;
  }
}

/**
 * node-tar drops PAX records it does not know and splits records at line
 * breaks; GNU tar reads GNU sparse records (the bytes stored are then not
 * the file) and values holding line breaks. Either way the two would
 * unpack different files, so such headers are refused. A GNU long name
 * has no records and ends in a NUL, not a line break.
 */
function extendedHeaderProblem(text: string): ArtifactError | null {
  if (!text.endsWith('\n')) return null;
  const bytes = Buffer.from(text);
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const length = Number(bytes.toString('latin1', at, space));
    const end = at + length;
    if (space < 0 || !Number.isInteger(length) || end <= space || end > bytes.length) {
      return damaged('a PAX extended header is malformed');
    }
    const record = bytes.toString('utf8', space + 1, end - 1);
    if (bytes[end - 1] !== 0x0a || record.indexOf('=') <= 0) {
      return damaged('a PAX extended header is malformed');
    }
    if (record.startsWith('GNU.sparse.')) {
      return new ArtifactError(
        'the tar.gz archive stores a sparse file, which is not supported; archive the plugin as a plain file',
      );
    }
    if (record.includes('\n')) return damaged('a PAX record holds a line break');
    at = end;
  }
  return null;
}

function skipped(entry: ReadEntry): ArtifactError {
  if (entry.meta) {
    return damaged(`an extended header is larger than ${MAX_EXTENDED_HEADER} bytes`);
  }
  return new ArtifactError(
    `archive member "${entry.path}" has tar type ${entry.type}, which is not supported`,
  );
}

/** In strict mode every warning of node-tar's is an error with a code; these are the ones archives meet. */
function parserError(error: unknown): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { tarCode?: string }).tarCode ?? '';
  if (/checksum/i.test(message)) return damaged('a header fails its checksum');
  if (/truncated/i.test(message)) return damaged('a member is cut short');
  if (code === 'TAR_BAD_ARCHIVE') return damaged('it is not a tar archive');
  return damaged(message.replace(/^TAR_[A-Z_]+: /, ''));
}

function damaged(what: string): ArtifactError {
  return new ArtifactError(`the tar.gz archive is damaged: ${what}`);
}
