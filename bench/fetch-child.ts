// Runs the artifact stage alone — locate, download, verify, unpack, hash — in
// its own process, as the action does, and prints how long it took once
// loaded, so the figure leaves Node's start-up out.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchArtifact } from '../src/artifact/fetch.ts';
import { seconds } from './lib.ts';

const [apiUrl, tag, asset, maxBytes] = process.argv.slice(2);
const work = await mkdtemp(join(tmpdir(), 'bench-fetch-'));
try {
  const start = process.hrtime.bigint();
  const facts = await fetchArtifact(
    {
      kind: 'release',
      apiUrl: apiUrl ?? '',
      owner: 'acme',
      repo: 'acme-plugin',
      tags: [tag ?? ''],
      asset: asset ?? '',
      githubToken: 'bench-token',
    },
    {
      binary: '',
      checksums: '',
      sha256: '',
      gpgPublicKey: '',
      maxBytes: Number(maxBytes),
      allowDraft: false,
      allowUnverified: false,
      attestation: 'off',
      attestationSigner: null,
      attestationTrustedRoot: '',
    },
    {
      pluginName: 'acme',
      version: tag ?? '',
      platform: { os: 'linux', arch: 'amd64' },
      workDirectory: work,
      workspace: work,
      toolCache: '',
      githubApiUrl: apiUrl ?? '',
      log: () => undefined,
      mask: () => undefined,
    },
  );
  const elapsed = seconds(start);
  console.log(
    JSON.stringify({ seconds: elapsed, sha256: facts.sha256, checksums: facts.checksums !== null }),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
