import { codeBlocks, codeSpans, sectionsHeaded, tablesIn, type Table } from './docs.ts';

/**
 * What the documentation says about the action's inputs and outputs: the
 * tables of its "Inputs" and "Outputs" sections, and the JSON shapes shown
 * there, read the way a user reads them.
 */

/** A table in a section with this heading whose first column is headed `column`. */
export function documentedTable(heading: string, column: string): Table {
  const tables = sectionsHeaded(heading)
    .flatMap(tablesIn)
    .filter((t) => t.header[0] === column);
  if (tables.length !== 1) {
    throw new Error(
      `expected one table headed "${column}" under "${heading}", found ${tables.length}`,
    );
  }
  return tables[0] as Table;
}

export interface DocumentedInput {
  name: string;
  defaultCell: string;
}

/** One row per name in the first column: `role-id`, `secret-id` share a row. */
export function documentedInputs(): DocumentedInput[] {
  return documentedTable('Inputs', 'Input').rows.flatMap(([names = '', defaultCell = '']) =>
    codeSpans(names).map((name) => ({ name, defaultCell })),
  );
}

export function documentedOutputs(): { name: string; cell: string }[] {
  return documentedTable('Outputs', 'Output').rows.flatMap(([names = '', cell = '']) =>
    codeSpans(names).map((name) => ({ name, cell })),
  );
}

/** The JSON example that follows a line reading `` `<output>`: `` in the Outputs section. */
export function documentedShape(output: string): unknown {
  const blocks = codeBlocks().filter((b) => b.heading === 'Outputs' && b.language === 'json');
  const shapes = sectionsHeaded('Outputs').flatMap((section) =>
    section.body.flatMap((line, i) => {
      if (line.trim() !== `\`${output}\`:`) return [];
      const introduced = section.line + 1 + i;
      const next = blocks.find((b) => b.file === section.file && b.line > introduced);
      return next ? [next] : [];
    }),
  );
  if (shapes.length !== 1 || !shapes[0]) {
    throw new Error(
      `expected one JSON example of ${output} under "Outputs", found ${shapes.length}`,
    );
  }
  return JSON.parse(shapes[0].text);
}

/** The field names an output row lists in backticks, leaving out the values given in parentheses. */
export function fieldsInCell(cell: string): string[] {
  return codeSpans(cell.replace(/\([^()]*\)/g, ''));
}

/** Every key of a JSON value as a path: `mount`, `nodes[].node`; arrays of objects are merged. */
export function jsonPaths(value: unknown, prefix = ''): string[] {
  const paths = new Set<string>();
  const visit = (v: unknown, at: string): void => {
    if (Array.isArray(v)) {
      for (const item of v) visit(item, `${at}[]`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [key, child] of Object.entries(v)) {
      const path = at ? `${at}.${key}` : key;
      paths.add(path);
      visit(child, path);
    }
  };
  visit(value, prefix);
  return [...paths].map((p) => p.replace(/^\[\]\./, '')).sort();
}

/** The last segment of each path: what a field list in prose can name. */
export function fieldNames(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => p.replace(/^.*[.]/, '')))].sort();
}
