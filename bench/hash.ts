import { sha256File } from '../src/artifact/hash.ts';
import { randomFile } from './artifacts.ts';
import { fmtRate, median, MiB, mustRun, seconds, type BenchOptions, type Row } from './lib.ts';

/**
 * Goal 1: our streaming SHA-256 against `openssl dgst -sha256` on the same
 * file, interleaved, the file already in the page cache. Ours is timed
 * inside this process; OpenSSL's wall time includes its start, a few ms.
 */
export async function benchHash(options: BenchOptions): Promise<Row[]> {
  const size = options.smoke ? 16 * MiB : 512 * MiB;
  const path = await randomFile(size);
  await sha256File(path);
  const ours: number[] = [];
  const openssl: number[] = [];
  const coreutils: number[] = [];
  for (let i = 0; i < (options.smoke ? 1 : 5); i++) {
    const start = process.hrtime.bigint();
    await sha256File(path);
    ours.push(size / seconds(start));
    openssl.push(size / (await mustRun('openssl', ['dgst', '-sha256', path])).seconds);
    coreutils.push(size / (await mustRun('sha256sum', [path])).seconds);
  }
  const [a, b, c] = [median(ours), median(openssl), median(coreutils)];
  return [
    {
      what: `SHA-256 of a ${size / MiB} MiB file (vs \`openssl dgst -sha256\`)`,
      ours: fmtRate(a),
      baseline: fmtRate(b),
      ratio: a / b,
      ratioText: `${(a / b).toFixed(2)}× the throughput`,
      goal: '≥ 0.95× the throughput',
      met: a / b >= 0.95,
      note: `\`sha256sum\`: ${fmtRate(c)} (ours is ${(a / c).toFixed(1)}× that)`,
    },
  ];
}
