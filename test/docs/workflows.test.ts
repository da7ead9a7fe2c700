import { access, constants } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionMetadata } from '../../lab/action-metadata.ts';
import {
  ACTIONLINT,
  asWorkflow,
  lintWorkflows,
  yamlExamples,
  type Example,
} from '../../lab/workflow-examples.ts';

// Every YAML example of the documentation, as a reader would paste it into
// a workflow, is checked by actionlint against this repository's action.yml:
// an input the action does not have, a required one left out, an output it
// does not set, or a workflow actionlint rejects fails here.

const required = actionMetadata()
  .inputs.filter((i) => i.required)
  .map((i) => i.name);

function lint(examples: readonly Example[]) {
  return lintWorkflows(
    examples.map((e) => ({ source: e.source, text: asWorkflow(e.text, required) })),
  );
}

beforeAll(async () => {
  await access(ACTIONLINT, constants.X_OK);
});

describe('the YAML examples of README.md and docs/', () => {
  it('all pass actionlint against action.yml', async () => {
    const examples = yamlExamples();
    expect(examples.length).toBeGreaterThanOrEqual(15);
    expect(await lint(examples)).toEqual([]);
  });
});

describe('the example check', () => {
  const broken = (text: string): Example => ({ source: 'broken example', text });

  it('fails on an input the action does not have', async () => {
    const errors = await lint([
      broken(`
- uses: acme/vault-plugin-rollout@v1
  with:
    plugin-name: acme-secrets
    artifact: acme-secrets_{version}_{os}_{arch}.zip
    mount: acme`),
      broken(`
artifact: acme_{version}_{os}_{arch}.zip
sha-256: 3e110ede3a23641c36f512b0af427369135918697ae3639978dca5bdb0d803b2`),
    ]);
    expect(errors.map((e) => e.message.replace(/\. available inputs are .*/, ''))).toEqual([
      'input "mount" is not defined in action "Vault Plugin Rollout" defined at "./"',
      'input "sha-256" is not defined in action "Vault Plugin Rollout" defined at "./"',
    ]);
  });

  it('fails on a required input left out', async () => {
    const errors = await lint([
      broken(`
- uses: acme/vault-plugin-rollout@v1
  with:
    artifact: acme-secrets_{version}_{os}_{arch}.zip
    mounts: acme`),
    ]);
    expect(errors.map((e) => e.message.replace(/\. all required inputs are .*/, ''))).toEqual([
      'missing input "plugin-name" which is required by action "Vault Plugin Rollout" defined at "./"',
    ]);
  });

  it('fails on an output the action does not set', async () => {
    const errors = await lint([
      broken(`
- id: rollout
  uses: acme/vault-plugin-rollout@v1
  with: { … }
- run: echo "\${{ steps.rollout.outputs.results }}"`),
    ]);
    expect(errors.map((e) => e.message.replace(/ in object type .*/, ''))).toEqual([
      'property "results" is not defined',
    ]);
  });

  it('accepts a revert-to-builtin step, which takes no artifact', async () => {
    expect(
      await lint([
        broken(`
- uses: acme/vault-plugin-rollout@v1
  with:
    plugin-name: totp
    revert-to-builtin: true
    mounts: totp`),
      ]),
    ).toEqual([]);
  });
});
