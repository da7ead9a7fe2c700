import { build } from 'esbuild';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHIPPED_BUILD } from '../scripts/shipped-build.ts';
import { sha256sums } from '../lab/archives.ts';
import { startReleaseServer } from '../lab/release-server.ts';
import { BENCH_DIR, pluginZip } from './artifacts.ts';
import {
  fmtSeconds,
  median,
  MiB,
  mustRun,
  pairedRounds,
  type BenchOptions,
  type Row,
} from './lib.ts';

const CHILD_SOURCE = new URL('./fetch-child.ts', import.meta.url).pathname;
const CHILD = join(BENCH_DIR, 'fetch-child.mjs');

/** The child is bundled as the action is, so its memory and speed are the shipped code's, not the type stripper's. */
async function bundleChild(): Promise<void> {
  await build({
    entryPoints: [CHILD_SOURCE],
    outfile: CHILD,
    ...SHIPPED_BUILD,
  });
}
const ASSET = 'acme_1.0.1_linux_amd64.zip';

/**
 * Goal 2 (time of the artifact stage against curl + unzip -p + openssl) and
 * goal 3 (peak RSS of the same stage on a 1 GiB artifact). Both read the
 * release from a loopback server in this process; the action's side runs in
 * a child process of its own, like the shell pipeline.
 */
export async function benchDownload(options: BenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  await bundleChild();
  const github = await startReleaseServer();
  const work = await mkdtemp(join(tmpdir(), 'bench-download-'));
  try {
    const zipSize = options.smoke ? 4 * MiB : 100 * MiB;
    // A Go binary deflates to about 40 % of its size; this one does too.
    const zip = await pluginZip(Math.round(zipSize * 2.5), 'binary');
    options.log(
      `zip of ${(zip.size / MiB).toFixed(0)} MiB holding a ${(zip.binarySize / MiB).toFixed(0)} MiB binary`,
    );
    publish(github, 'v1.0.1', await readFile(zip.path));
    const url = github.fileUrl(ASSET);
    const file = join(work, 'asset.zip');
    const pipeline =
      'curl -sSfo "$1" "$2" && openssl dgst -sha256 "$1" >/dev/null && unzip -p "$1" acme | openssl dgst -sha256 >/dev/null';
    const {
      ours: a,
      theirs: b,
      ratio,
    } = await pairedRounds(
      options.smoke ? 1 : 7,
      async () => {
        const child = await mustRun(process.execPath, [
          CHILD,
          github.apiUrl,
          'v1.0.1',
          ASSET,
          String(2048 * MiB),
        ]);
        const result = JSON.parse(child.stdout) as { seconds: number; checksums: boolean };
        if (!result.checksums) throw new Error('the bench release must carry checksums to verify');
        return result.seconds;
      },
      async () => {
        const took = (await mustRun('sh', ['-c', pipeline, 'sh', file, url])).seconds;
        await rm(file, { force: true });
        return took;
      },
    );
    rows.push({
      what: `locate + download + verify + unpack + hash, ${(zip.size / MiB).toFixed(0)} MiB zip (vs curl, unzip -p, openssl dgst)`,
      ours: fmtSeconds(a),
      baseline: fmtSeconds(b),
      ratio,
      ratioText: `${ratio.toFixed(2)}× the time`,
      goal: '≤ 1.2× the time',
      met: ratio <= 1.2,
    });

    const bigSize = options.smoke ? 8 * MiB : 1024 * MiB;
    const big = await pluginZip(bigSize, 'random');
    options.log(`zip of ${(big.size / MiB).toFixed(0)} MiB for the memory bench`);
    publish(github, 'v1.0.2', await readFile(big.path));
    const peaks: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < (options.smoke ? 1 : 3); i++) {
      const timed = await mustRun('/usr/bin/time', [
        '-f',
        '%M',
        process.execPath,
        CHILD,
        github.apiUrl,
        'v1.0.2',
        'acme_1.0.2_linux_amd64.zip',
        String(2048 * MiB),
      ]);
      peaks.push(Number(timed.stderr.trim().split('\n').pop()) / 1024);
      const idle = await mustRun('/usr/bin/time', ['-f', '%M', process.execPath, '-e', '0']);
      bare.push(Number(idle.stderr.trim().split('\n').pop()) / 1024);
    }
    const peak = median(peaks);
    rows.push({
      what: `peak RSS of the same stage on a ${(big.size / MiB).toFixed(0)} MiB zip (vs a bare \`node -e 0\`)`,
      ours: `${peak.toFixed(0)} MiB`,
      baseline: `${median(bare).toFixed(0)} MiB`,
      ratio: peak / median(bare),
      ratioText: `${(peak / median(bare)).toFixed(2)}× bare Node`,
      goal: '≤ 160 MiB',
      met: peak <= 160,
    });
  } finally {
    await github.close();
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}

function publish(
  github: Awaited<ReturnType<typeof startReleaseServer>>,
  tag: string,
  data: Buffer,
): void {
  const asset = { name: `acme_${tag.slice(1)}_linux_amd64.zip`, data };
  github.publish({
    owner: 'acme',
    repo: 'acme-plugin',
    tag,
    assets: [asset, { name: `acme_${tag.slice(1)}_SHA256SUMS`, data: sha256sums([asset]) }],
  });
}
