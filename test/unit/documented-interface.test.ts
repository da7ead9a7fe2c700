import { describe, expect, it } from 'vitest';
import { actionMetadata, describedFields } from '../../lab/action-metadata.ts';
import {
  documentedInputs,
  documentedOutputs,
  documentedShape,
  fieldNames,
  fieldsInCell,
  jsonPaths,
} from '../../lab/documented-outputs.ts';

// The README's tables of inputs and outputs against action.yml, which is what
// the runner and actionlint read: a name in one and not the other, a default
// that differs, or an output field one of them leaves out fails here.

const metadata = actionMetadata();

describe('the documented inputs', () => {
  it('are exactly the inputs of action.yml', () => {
    expect(metadata.inputs.length).toBeGreaterThan(40);
    expect(
      documentedInputs()
        .map((i) => i.name)
        .sort(),
    ).toEqual(metadata.inputs.map((i) => i.name).sort());
  });

  it('say "(required)" for the inputs action.yml requires, and only for those', () => {
    const documented = documentedInputs();
    const required = (name: string): boolean =>
      documented.find((i) => i.name === name)?.defaultCell.includes('(required)') ?? false;
    expect(metadata.inputs.filter((i) => required(i.name)).map((i) => i.name)).toEqual(
      metadata.inputs.filter((i) => i.required).map((i) => i.name),
    );
  });

  it("give action.yml's default for every input that has one", () => {
    const documented = new Map(documentedInputs().map((i) => [i.name, i.defaultCell]));
    const differing = metadata.inputs
      .filter((i) => i.default !== '')
      .map((i) => ({ name: i.name, default: i.default.replace(/^\$\{\{\s*(.*?)\s*\}\}$/, '$1') }))
      .filter((i) => !(documented.get(i.name) ?? '').includes(`\`${i.default}\``));
    expect(differing).toEqual([]);
  });
});

describe('the documented outputs', () => {
  it('are exactly the outputs of action.yml', () => {
    expect(
      documentedOutputs()
        .map((o) => o.name)
        .sort(),
    ).toEqual(metadata.outputs.map((o) => o.name).sort());
  });

  const described = (name: string): string[] =>
    describedFields(metadata.outputs.find((o) => o.name === name)?.description ?? '').sort();

  it.each(['result', 'plan'])(
    "%s: the README's example holds the fields action.yml describes",
    (name) => {
      expect(described(name).length).toBeGreaterThan(8);
      expect(fieldNames(jsonPaths(documentedShape(name)))).toEqual(described(name));
    },
  );

  it("provenance: the README's row names the fields action.yml describes", () => {
    const cell = documentedOutputs().find((o) => o.name === 'provenance')?.cell ?? '';
    expect(described('provenance').length).toBeGreaterThan(15);
    expect(fieldsInCell(cell).sort()).toEqual(described('provenance'));
  });
});
