import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { pluginRelease } from '../../lab/releases.ts';
import { runAction } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { workflowCommands } from '../../lab/workflow-commands.ts';

const SERVER = serverUnderTest();

const USER = 'lab-user-7f3a';
// Percent-encoded in the URL; the decoded form must stay hidden too.
const PASSWORD = 's3cret%409d2c';
const SIGNATURE = 'sig-5e1b0c77';
const TOKEN = 'tok-8a4f19d2';
const HIDDEN = [USER, PASSWORD, decodeURIComponent(PASSWORD), SIGNATURE, TOKEN];

let bao: LabServer;
let files: ReleaseServer;

beforeAll(async () => {
  [bao, files] = await Promise.all([startServer(SERVER), startReleaseServer()]);
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(bao, 'secret', 'acme', 'acme', 'v1.0.0');
  files.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([bao.stop(), files.close()]);
});

/** A file of the lab server behind credentials and a signed query, as storage links are. */
function signedUrl(name: string): string {
  const url = new URL(files.fileUrl(name));
  return `${url.protocol}//${USER}:${PASSWORD}@${url.host}${url.pathname}?X-Amz-Signature=${SIGNATURE}&token=${TOKEN}`;
}

describe('an artifact URL with credentials and a signed query', () => {
  it('downloads and rolls out, and the credentials appear in no log, summary or output', async () => {
    const run = await runAction({
      inputs: {
        url: bao.address,
        token: bao.token,
        'plugin-name': 'acme',
        version: 'v1.0.1',
        artifact: signedUrl('acme_1.0.1_linux_amd64.zip'),
        checksums: signedUrl('acme_1.0.1_SHA256SUMS'),
        'plugin-directory': bao.pluginDir,
        mounts: 'acme',
      },
    });

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(bao, 'secret', 'acme')).toMatchObject({
      runningSha256: await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
    });
    const masked = workflowCommands(run.stdout)
      .filter((c) => c.name === 'add-mask')
      .map((c) => c.value);
    expect(masked).toEqual(expect.arrayContaining([PASSWORD, decodeURIComponent(PASSWORD)]));
    for (const text of [run.log, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
      for (const secret of HIDDEN) expect(text).not.toContain(secret);
    }
    const shown = `http://***@${new URL(files.apiUrl).host}${new URL(files.fileUrl('acme_1.0.1_linux_amd64.zip')).pathname}?…`;
    expect(run.log).toContain(`downloading ${shown}`);
    expect(run.summary).toContain(`- Downloaded from \`${shown}\` (zip)`);
    expect(JSON.parse(run.outputs.provenance ?? '{}')).toMatchObject({ source: 'url', url: shown });
  });
});
