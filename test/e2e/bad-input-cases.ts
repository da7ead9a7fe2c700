/** One malformed input (or pair) and the exact one-line error the step must fail with. */
export interface BadInput {
  inputs: Record<string, string>;
  error: string;
}

const PEM_NOT_BASE64 = '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----';

export const BAD_INPUTS: BadInput[] = [
  {
    inputs: { version: 'one.two' },
    error:
      'version: "one.two" is not a semantic version; use vMAJOR.MINOR.PATCH such as v1.4.0 (a pre-release like v1.4.0-rc.1 is fine)',
  },
  {
    inputs: { version: 'v1.2.3+builtin' },
    error:
      'version: "v1.2.3+builtin" uses "+builtin" metadata, which the server reserves for its builtin plugins',
  },
  {
    inputs: { version: '1.2.3.4' },
    error:
      'version: "1.2.3.4" is not a semantic version; use vMAJOR.MINOR.PATCH such as v1.4.0 (a pre-release like v1.4.0-rc.1 is fine)',
  },
  {
    inputs: { version: 'v01.2.3' },
    error:
      'version: "v01.2.3" is not a semantic version; use vMAJOR.MINOR.PATCH such as v1.4.0 (a pre-release like v1.4.0-rc.1 is fine)',
  },
  {
    inputs: { mounts: 'team/../acme' },
    error:
      'mounts: "team/../acme" is not a mount path; use paths like acme or team-a/acme, one a line',
  },
  {
    inputs: { mounts: 'a b' },
    error: 'mounts: "a b" is not a mount path; use paths like acme or team-a/acme, one a line',
  },
  { inputs: { mounts: 'm1\nm1' }, error: 'mounts: "m1" is listed twice' },
  {
    inputs: { mounts: '# only a comment' },
    error: 'mounts: required, but lists no mount (write all to roll every mount of the plugin)',
  },
  {
    inputs: { mounts: 'acme?x=1' },
    error: 'mounts: "acme?x=1" is not a mount path; use paths like acme or team-a/acme, one a line',
  },
  {
    inputs: { url: 'vault.acme.internal:8200' },
    error: 'url: "vault.acme.internal:8200" must start with https:// or http://',
  },
  {
    inputs: { url: 'ftp://vault.acme.internal' },
    error: 'url: "ftp://vault.acme.internal" must start with https:// or http://',
  },
  {
    inputs: { url: 'https://vault.acme.internal:99999' },
    error:
      'url: "https://vault.acme.internal:99999" is not a URL; use e.g. https://vault.example.com:8200',
  },
  {
    inputs: { url: 'https://user:pass@vault.acme.internal' },
    error:
      'url: "https://***@vault.acme.internal" must be a plain server address, without credentials, query or fragment',
  },
  {
    inputs: { sha256: 'abc123' },
    error: 'sha256: "abc123" is not a SHA-256; give the plugin binary\'s hash as 64 hex digits',
  },
  {
    inputs: { sha256: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' },
    error:
      'sha256: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" is not a SHA-256; give the plugin binary\'s hash as 64 hex digits',
  },
  {
    inputs: { artifact: 'acme_{versoin}_{os}_{arch}.zip' },
    error:
      'artifact: unknown placeholder {versoin} in "acme_{versoin}_{os}_{arch}.zip"; valid: {version}, {os}, {arch}',
  },
  {
    inputs: { artifact: 'acme_{version_{os}.zip' },
    error:
      'artifact: unknown placeholder {version_{os} in "acme_{version_{os}.zip"; valid: {version}, {os}, {arch}',
  },
  { inputs: { artifact: '' }, error: 'artifact: required, but empty' },
  {
    inputs: { checksums: 'SUMS_{flavour}' },
    error:
      'checksums: unknown placeholder {flavour} in "SUMS_{flavour}"; valid: {version}, {os}, {arch}',
  },
  { inputs: { 'dry-run': 'yes' }, error: 'dry-run: "yes" is not a boolean; use true or false' },
  {
    inputs: { 'rollback-on-failure': 'maybe' },
    error: 'rollback-on-failure: "maybe" is not a boolean; use true or false',
  },
  { inputs: { 'allow-draft': '1' }, error: 'allow-draft: "1" is not a boolean; use true or false' },
  { inputs: { pin: 'on' }, error: 'pin: "on" is not a boolean; use true or false' },
  {
    inputs: { 'tls-skip-verify': 'perhaps' },
    error: 'tls-skip-verify: "perhaps" is not a boolean; use true or false',
  },
  {
    inputs: { 'tls-skip-verify': 'yes' },
    error: 'tls-skip-verify: "yes" is not a boolean; use true or false',
  },
  {
    inputs: { 'revert-to-builtin': 'ja' },
    error: 'revert-to-builtin: "ja" is not a boolean; use true or false',
  },
  {
    inputs: { 'batch-size': '-1' },
    error: 'batch-size: "-1" is not a whole number from 0 to 10000',
  },
  {
    inputs: { 'batch-size': '1.5' },
    error: 'batch-size: "1.5" is not a whole number from 0 to 10000',
  },
  { inputs: { concurrency: '0' }, error: 'concurrency: "0" is not a whole number from 1 to 64' },
  {
    inputs: { timeout: '0' },
    error: 'timeout: "0" is not a whole number of seconds from 1 to 3600',
  },
  {
    inputs: { timeout: '10s' },
    error: 'timeout: "10s" is not a whole number of seconds from 1 to 3600',
  },
  {
    inputs: { 'verify-timeout': 'soon' },
    error: 'verify-timeout: "soon" is not a whole number from 1 to 3600',
  },
  {
    inputs: { namespace: 'team-a\nteam-b\nteam-a' },
    error: 'namespace: "team-a" is listed twice',
  },
  {
    inputs: { namespace: 'team-a\nteam b' },
    error: 'namespace: "team b" is not a namespace path such as team-a or team-a/prod',
  },
  {
    inputs: { namespace: 'team-a\nteam-b', pin: 'true' },
    error:
      'pin: a pin holds the plugin in every namespace at once, so it cannot move namespace by namespace; roll team-a, team-b one a run to pin',
  },
  {
    inputs: { namespace: 'team-a\nteam-b', 'keep-versions': '2' },
    error:
      "keep-versions: the plugin catalog is shared by every namespace, but a run in namespace team-a, team-b sees only each one's own mounts; prune from a run without a namespace",
  },
  {
    inputs: { namespace: 'team-a\nteam-b', 'revert-to-builtin': 'true' },
    error:
      'revert-to-builtin: it deregisters the versions no mount of its namespace runs, which another namespace may still run; roll team-a, team-b one a run to revert',
  },
  {
    inputs: { namespace: 'team-a\n/' },
    error:
      'namespace: "/" is the root namespace, which is rolled in a run of its own, not with other namespaces',
  },
  {
    inputs: { namespace: 'team-a\nteam-b', 'run-timeout': '300' },
    error:
      'run-timeout: 300 s leaves no time for a rollback; give more than timeout + verify-timeout, for each of the 2 namespaces (360 s)',
  },
  {
    inputs: { namespace: 'team-a\nteam-b', plan: '{}' },
    error:
      'plan: a saved plan holds one namespace, but namespace lists 2; apply it with the namespace it was made in',
  },
  {
    inputs: { 'keep-versions': 'x' },
    error: 'keep-versions: "x" is not a whole number from 1 to 1000',
  },
  {
    inputs: { 'max-size': '12 parsecs' },
    error: 'max-size: "12 parsecs" is not a size; use bytes or a unit, e.g. 512MiB, 200MB, 1GiB',
  },
  {
    inputs: { 'ca-certificate': PEM_NOT_BASE64 },
    error: 'ca-certificate: the PEM text given is not a readable CERTIFICATE',
  },
  {
    inputs: { 'ca-certificate': 'certs/missing-ca.pem' },
    error:
      'ca-certificate: "certs/missing-ca.pem" is neither PEM text nor a readable file (ENOENT)',
  },
  {
    inputs: { 'client-certificate': PEM_NOT_BASE64 },
    error: 'client-key: required when client-certificate is set; mTLS needs both',
  },
  {
    inputs: { 'client-key': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
    error: 'client-certificate: required when client-key is set; mTLS needs both',
  },
  {
    inputs: { 'client-certificate': PEM_NOT_BASE64, 'client-key': PEM_NOT_BASE64 },
    error: 'client-certificate: the PEM text given is not a readable CERTIFICATE',
  },
  {
    inputs: { 'gpg-public-key': 'not a key' },
    error:
      'gpg-public-key: not an armored public key; paste the block starting with -----BEGIN PGP PUBLIC KEY BLOCK-----',
  },
  {
    inputs: { 'plugin-directory': 'relative/plugins' },
    error: 'plugin-directory: "relative/plugins" is not a directory this runner can reach',
  },
  {
    inputs: { 'plugin-type': 'kv' },
    error: 'plugin-type: "kv" is not one of secret, auth, database',
  },
  {
    inputs: { method: 'ldap' },
    error: 'method: "ldap" is not one of token, approle, jwt, kubernetes',
  },
  {
    inputs: { platform: 'linux' },
    error:
      'platform: "linux" is not OS/ARCH; valid OS: linux, darwin, windows, freebsd; valid ARCH: amd64, arm64, 386, arm',
  },
  {
    inputs: { 'release-repository': 'acme' },
    error:
      'release-repository: "acme" is not OWNER/REPO; set release-repository or run inside a repository',
  },
  {
    inputs: { canary: '../x' },
    error: 'canary: "../x" is not a mount path; use paths like acme or team-a/acme, one a line',
  },
  {
    inputs: { exclude: 'm2' },
    error: 'exclude: "m2" only applies with mounts: all; remove it or leave those out of the list',
  },
  {
    inputs: { 'auth-path': 'a b', method: 'approle', 'role-id': 'r', 'secret-id': 's' },
    error:
      'auth-path: "a b" is not an auth mount path; use e.g. jwt, github-actions or auth/approle',
  },
  {
    inputs: { command: '../evil' },
    error:
      'command: "../evil" is not a file name in the plugin directory; use letters, digits, ".", "_", "+" and "-" with no "/"',
  },
  {
    inputs: { 'reload-scope': 'everywhere' },
    error: 'reload-scope: "everywhere" is not one of global, local',
  },
  {
    inputs: { 'plugin-name': 'acme/../x' },
    error: 'plugin-name: "acme/../x" is not a plugin name; use letters, digits, ".", "_" and "-"',
  },
  { inputs: { 'plugin-name': '' }, error: 'plugin-name: required, but empty' },
  {
    inputs: { binary: '../acme' },
    error:
      'binary: "../acme" is not a path inside the archive; give the member\'s name, e.g. acme or bin/acme',
  },
];
