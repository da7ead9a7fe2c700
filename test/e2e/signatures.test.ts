import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeZip, sha256sums } from '../../lab/archives.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { makeSigningKey, type SigningKey } from '../../lab/gpg.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { enableMount, installPlugin } from '../../lab/seed.ts';

const SERVER = serverUnderTest();

const DAY = 24 * 60 * 60 * 1000;
const ZIP = 'acme_1.1.0_linux_amd64.zip';
const SUMS = 'acme_1.1.0_SHA256SUMS';

let bao: LabServer;
let github: ReleaseServer;
let work: string;
let zip: Buffer;
let sums: Buffer;
const keys: SigningKey[] = [];

function key(uid: string, options?: Parameters<typeof makeSigningKey>[1]): SigningKey {
  const made = makeSigningKey(uid, options);
  keys.push(made);
  return made;
}

/** A release whose checksums file carries this signature. */
function publish(repo: string, signature: Buffer): void {
  github.publish({
    owner: 'acme',
    repo,
    tag: 'v1.1.0',
    assets: [
      { name: ZIP, data: zip },
      { name: SUMS, data: sums },
      { name: `${SUMS}.sig`, data: signature },
    ],
  });
}

beforeAll(async () => {
  [bao, github] = await Promise.all([startServer(SERVER), startReleaseServer()]);
  work = await mkdtemp(join(tmpdir(), 'lab-signatures-'));
  // The head of a real build: enough for every check of the artifact stage.
  const binary = (await readFile(fixtureBinary(SERVER, 'secrets', 'v1.1.0'))).subarray(
    0,
    64 * 1024,
  );
  zip = makeZip([{ name: 'acme', data: binary, mode: 0o755 }]);
  sums = sha256sums([{ name: ZIP, data: zip }]);
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(bao, 'secret', 'acme', 'acme', 'v1.0.0');
}, 60_000);

afterAll(async () => {
  for (const k of keys) k.close();
  await Promise.all([bao.stop(), github.close()]);
  await rm(work, { recursive: true, force: true });
});

function rollout(repo: string, publicKey: string, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    ref: 'refs/tags/v1.1.0',
    apiUrl: github.apiUrl,
    repository: `acme/${repo}`,
    ...extra,
    inputs: {
      url: bao.address,
      token: bao.token,
      'github-token': 'ghs_signaturestoken0123',
      'plugin-name': 'acme',
      artifact: 'acme_{version}_{os}_{arch}.zip',
      'gpg-public-key': publicKey,
      mounts: 'acme',
      'dry-run': 'true',
    },
  };
}

/** A gpg that imports the keys signatures carry, as a runner's gpg configured so would. */
async function autoImportingGpg(): Promise<string> {
  const real = execFileSync('sh', ['-c', 'command -v gpg']).toString().trim();
  const dir = await mkdtemp(join(work, 'gpg-'));
  await writeFile(join(dir, 'gpg'), `#!/bin/sh\nexec '${real}' --auto-key-import "$@"\n`);
  await chmod(join(dir, 'gpg'), 0o755);
  return dir;
}

async function expectRefused(options: RunOptions, message: string): Promise<void> {
  const mark = await bao.auditMark();
  const run = await runAction(options);
  expect(run.exitCode, run.stdout).toBe(1);
  expect(run.errors).toEqual([message]);
  expect(run.stdout).toContain(
    `::error title=Artifact check failed — nothing written::${message}\n`,
  );
  expect(await bao.writesSince(mark)).toEqual([]);
}

describe('a signature gpg calls valid is still refused', () => {
  it('when the key that made it is revoked', async () => {
    const author = key('Revoked Author <revoked@example.test>');
    publish('revoked-key', author.sign(sums));
    const revoked = author.revoke();

    await expectRefused(
      rollout('revoked-key', revoked),
      `gpg-public-key: key ${author.fingerprint} made ${SUMS}.sig, but the key is revoked; a revoked key vouches for nothing, so ask the author which key signs their releases now`,
    );
  });

  it('when the key that made it has expired', async () => {
    const author = key('Expired Author <expired@example.test>', {
      madeAt: new Date(Date.now() - 3 * DAY),
      expires: '1d',
    });
    publish('expired-key', author.sign(sums, { at: new Date(Date.now() - 2.5 * DAY) }));

    await expectRefused(
      rollout('expired-key', author.publicKey),
      `gpg-public-key: key ${author.fingerprint} made ${SUMS}.sig, but the key has expired; give the author's current key, with its expiry renewed`,
    );
  });

  it('when the signature itself has expired', async () => {
    const author = key('Old Author <old@example.test>', { madeAt: new Date(Date.now() - 3 * DAY) });
    const madeAt = new Date(Date.now() - 2 * DAY);
    publish('expired-signature', author.sign(sums, { at: madeAt, expires: '1d' }));
    const until = new Date(Math.floor(madeAt.getTime() / 1000) * 1000 + DAY);

    await expectRefused(
      rollout('expired-signature', author.publicKey),
      `signature: ${SUMS}.sig expired on ${until.toISOString().slice(0, 10)}; the author must sign ${SUMS} again`,
    );
  });

  it('when a gpg that imports keys from signatures verified it with a key nobody gave', async () => {
    const author = key('Plugin Author <author@example.test>');
    const stranger = key('Someone Else <else@example.test>');
    publish('carried-key', stranger.sign(sums, { includeKey: true }));
    const gpgDir = await autoImportingGpg();

    await expectRefused(
      rollout('carried-key', author.publicKey, {
        env: { PATH: `${gpgDir}:${process.env.PATH ?? ''}` },
      }),
      `signature: ${SUMS}.sig was made by key ${stranger.fingerprint}, which is not in gpg-public-key`,
    );
  });
});

describe('the keyring that judges a signature', () => {
  it('holds only gpg-public-key: a key the runner’s own keyring trusts vouches for nothing', async () => {
    const author = key('Plugin Author <author2@example.test>');
    const stranger = key('Runner Key <runner@example.test>');
    publish('runner-keyring', stranger.sign(sums));

    await expectRefused(
      rollout('runner-keyring', author.publicKey, { env: { GNUPGHOME: stranger.home } }),
      `signature: ${SUMS}.sig is not a valid signature of ${SUMS} by the key in gpg-public-key`,
    );
  });

  it('accepts a good signature made by a signing subkey of the key given', async () => {
    const author = key('Subkey Author <subkey@example.test>', { signingSubkey: true });
    publish('signing-subkey', author.sign(sums));

    const run = await runAction(rollout('signing-subkey', author.publicKey));
    expect(run.exitCode, run.stdout).toBe(0);
    const provenance = JSON.parse(run.outputs.provenance ?? '{}') as Record<string, unknown>;
    expect(provenance).toMatchObject({ signature: `${SUMS}.sig` });
    expect(provenance.signing_key).toMatch(/^[0-9A-F]{40}$/);
    expect(provenance.signing_key).not.toBe(author.fingerprint);
  });
});
