import { sha256File } from '../src/artifact/hash.ts';
import { randomFile } from './artifacts.ts';
import {
  fmtRate,
  median,
  MiB,
  mustRun,
  pairedRounds,
  seconds,
  type BenchOptions,
  type Row,
} from './lib.ts';

/**
 * Goal 1: our streaming SHA-256 against `openssl dgst -sha256` on the same
 * file, in paired rounds (see pairedRounds), the file already in the page
 * cache. Ours is timed inside this process; OpenSSL's wall time includes its
 * start, a few ms.
 */
export async function benchHash(options: BenchOptions): Promise<Row[]> {
  const size = options.smoke ? 16 * MiB : 512 * MiB;
  const path = await randomFile(size);
  await sha256File(path);
  const coreutils: number[] = [];
  const {
    ours: a,
    theirs: b,
    ratio,
  } = await pairedRounds(
    options.smoke ? 1 : 7,
    async () => {
      const start = process.hrtime.bigint();
      await sha256File(path);
      return size / seconds(start);
    },
    async () => {
      const openssl = size / (await mustRun('openssl', ['dgst', '-sha256', path])).seconds;
      coreutils.push(size / (await mustRun('sha256sum', [path])).seconds);
      return openssl;
    },
  );
  const c = median(coreutils);
  return [
    {
      what: `SHA-256 of a ${size / MiB} MiB file (vs \`openssl dgst -sha256\`)`,
      ours: fmtRate(a),
      baseline: fmtRate(b),
      ratio,
      ratioText: `${ratio.toFixed(2)}× the throughput`,
      goal: '≥ 0.95× the throughput',
      met: ratio >= 0.95,
      note: `\`sha256sum\`: ${fmtRate(c)} (ours is ${(a / c).toFixed(1)}× that)`,
    },
  ];
}
