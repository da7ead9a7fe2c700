import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

export const ACTION_YML = join(ROOT, 'action.yml');

export interface MetadataEntry {
  name: string;
  description: string;
  required: boolean;
  /** As written, quotes removed; '' when there is none. */
  default: string;
}

export interface ActionMetadata {
  inputs: MetadataEntry[];
  outputs: MetadataEntry[];
}

/**
 * The inputs and outputs of this repository's action.yml. It reads the
 * layout that file keeps — two-space keys under `inputs:` and `outputs:`,
 * their properties four spaces in, a description plain or folded with
 * `>-` — and throws on any line it does not expect, so a change of layout
 * fails loudly instead of hiding an input.
 */
export function actionMetadata(text = readFileSync(ACTION_YML, 'utf8')): ActionMetadata {
  const metadata: ActionMetadata = { inputs: [], outputs: [] };
  let list: MetadataEntry[] | null = null;
  let entry: MetadataEntry | null = null;
  let folding = false;
  for (const [index, line] of text.split('\n').entries()) {
    const unexpected = (): Error => new Error(`action.yml:${index + 1}: unexpected line: ${line}`);
    if (!line.trim()) continue;
    const top = /^([a-z-]+):/.exec(line);
    if (top) {
      list = top[1] === 'inputs' || top[1] === 'outputs' ? metadata[top[1]] : null;
      entry = null;
      folding = false;
      continue;
    }
    if (!list) continue;
    const name = /^ {2}([a-z][a-z0-9-]*):\s*$/.exec(line);
    if (name?.[1]) {
      entry = { name: name[1], description: '', required: false, default: '' };
      list.push(entry);
      folding = false;
      continue;
    }
    if (!entry) throw unexpected();
    if (folding && line.startsWith('      ')) {
      entry.description = `${entry.description} ${line.trim()}`.trim();
      continue;
    }
    folding = false;
    const property = /^ {4}(description|required|default):\s*(.*)$/.exec(line);
    if (!property?.[1]) throw unexpected();
    const value = property[2] ?? '';
    if (property[1] === 'description') {
      folding = value === '>-';
      entry.description = folding ? '' : value;
    } else if (property[1] === 'required') {
      if (value !== 'true' && value !== 'false') throw unexpected();
      entry.required = value === 'true';
    } else {
      entry.default = value.replace(/^'(.*)'$/, '$1');
    }
  }
  return metadata;
}

/** The field names an output's description gives in backticks, e.g. `running_sha256`. */
export function describedFields(description: string): string[] {
  return [...new Set([...description.matchAll(/`([a-z][a-z0-9_-]*)`/g)].map((m) => m[1] ?? ''))];
}
