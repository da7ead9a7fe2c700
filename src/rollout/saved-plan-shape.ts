import { ConfigError } from '../domain/errors.ts';
import type { PluginType } from '../domain/plugin.ts';
import type { TargetAction } from './plan.ts';

// The saved plan as JSON: the `plan` output of a dry run, and the `plan`
// input that applies it. Field names are the output's; within a format
// version fields may be added, none renamed or removed.

/** An input value as the plan records it: lists as arrays, `all` as the string. */
export type InputValue = string | number | boolean | null | string[];

/** The inputs that decide what a plan writes, under their input names. */
export type PlanInputs = Record<string, InputValue>;

export interface SavedTarget {
  /** The mount, or for database plugins the connection. */
  mount: string;
  /** The configured version when the plan was made. */
  from: string;
  to: string;
  action: TargetAction;
  running_version: string;
  running_sha256: string;
}

export interface SavedServer {
  url: string;
  /** The same on every node of a cluster; what tells one server from another. */
  cluster_id: string;
  cluster_name: string;
  /** e.g. `OpenBao 2.7.2`. */
  product: string;
  namespace: string;
}

export interface SavedPlan {
  format_version: number;
  /** `sha256:` and the hash of the canonical JSON of every other field. */
  digest: string;
  type: PluginType;
  name: string;
  version: string;
  sha256: string;
  command: string;
  plugin_file: 'copy' | 'present' | 'unmanaged';
  catalog: 'register' | 'present';
  discovered: string[] | null;
  mounts: SavedTarget[];
  batches: string[][];
  canary: boolean;
  pin: { from: string; to: string } | null;
  prune: string[];
  changes: boolean;
  /** The version a pin held the plugin at, or `null`. */
  pinned: string | null;
  /** The catalog's entry for `version`, or `null` when it was not registered. */
  catalog_entry: { sha256: string; command: string; builtin: boolean } | null;
  server: SavedServer;
  /** The `provenance` output of the run that made the plan; `null` for a revert to the builtin. */
  artifact: Record<string, unknown> | null;
  inputs: PlanInputs;
  /** The workflow run that made the plan, when it ran in one. */
  made_by: { run_url: string } | null;
}

type Check<T> = (value: unknown, where: string) => T;

function wrong(where: string, what: string): ConfigError {
  return new ConfigError(`plan: ${where} is not ${what}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every string is shown in messages and the summary: one line, of a sane length. */
const text: Check<string> = (value, where) => {
  if (typeof value === 'string' && value.length <= 1024 && !/\p{Cc}/u.test(value)) return value;
  throw wrong(where, 'text on one line');
};

const sha256: Check<string> = (value, where) => {
  if (typeof value === 'string' && /^(?:[0-9a-f]{64})?$/.test(value)) return value;
  throw wrong(where, 'a SHA-256 (64 lowercase hex digits)');
};

const flag: Check<boolean> = (value, where) => {
  if (typeof value === 'boolean') return value;
  throw wrong(where, 'true or false');
};

const wholeNumber: Check<number> = (value, where) => {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw wrong(where, 'a whole number');
};

function oneOf<T extends string>(...valid: T[]): Check<T> {
  return (value, where) => {
    if ((valid as unknown[]).includes(value)) return value as T;
    throw wrong(where, `one of ${valid.join(', ')}`);
  };
}

function list<T>(item: Check<T>): Check<T[]> {
  return (value, where) => {
    if (!Array.isArray(value)) throw wrong(where, 'a list');
    return value.map((v, i) => item(v, `${where}[${String(i)}]`));
  };
}

function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, where) => (value === null ? null : check(value, where));
}

/** An object with (at least) these fields; fields a later release added are left out. */
function object<T>(fields: { [K in keyof T]: Check<T[K]> }): Check<T> {
  return (value, where) => {
    if (!isRecord(value)) throw wrong(where, 'an object');
    const read: Partial<T> = {};
    for (const key of Object.keys(fields) as (keyof T & string)[]) {
      read[key] = fields[key](value[key], where ? `${where}.${key}` : key);
    }
    return read as T;
  };
}

const inputValue: Check<InputValue> = (value, where) => {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return wholeNumber(value, where);
  if (Array.isArray(value)) return list(text)(value, where);
  return text(value, where);
};

const inputs: Check<PlanInputs> = (value, where) => {
  if (!isRecord(value)) throw wrong(where, 'an object');
  return Object.fromEntries(
    Object.entries(value).map(([name, v]) => [
      text(name, where),
      inputValue(v, `${where}.${name}`),
    ]),
  );
};

const provenance: Check<Record<string, unknown>> = (value, where) => {
  if (isRecord(value)) return value;
  throw wrong(where, 'an object');
};

/** Shown as a link in the summary: a workflow run's page, and nothing that could be anything else. */
export function isRunUrl(value: unknown): value is string {
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : null;
  return (
    url !== null &&
    url.href === value &&
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    /^\/[\w.-]+\/[\w.-]+\/actions\/runs\/\d+$/.test(url.pathname)
  );
}

const runUrl: Check<string> = (value, where) => {
  if (isRunUrl(value)) return value;
  throw wrong(where, 'the address of a workflow run');
};

const savedPlan = object<SavedPlan>({
  format_version: wholeNumber,
  digest: text,
  type: oneOf('secret', 'auth', 'database'),
  name: text,
  version: text,
  sha256,
  command: text,
  plugin_file: oneOf('copy', 'present', 'unmanaged'),
  catalog: oneOf('register', 'present'),
  discovered: nullable(list(text)),
  mounts: list(
    object<SavedTarget>({
      mount: text,
      from: text,
      to: text,
      action: oneOf('tune', 'reload', 'none'),
      running_version: text,
      running_sha256: sha256,
    }),
  ),
  batches: list(list(text)),
  canary: flag,
  pin: nullable(object({ from: text, to: text })),
  prune: list(text),
  changes: flag,
  pinned: nullable(text),
  catalog_entry: nullable(object({ sha256, command: text, builtin: flag })),
  server: object<SavedServer>({
    url: text,
    cluster_id: text,
    cluster_name: text,
    product: text,
    namespace: text,
  }),
  artifact: nullable(provenance),
  inputs,
  made_by: nullable(object({ run_url: runUrl })),
});

/** The plan's fields, each checked for its kind; the first that is not says so in one line. */
export function readSavedPlan(value: unknown): SavedPlan {
  return savedPlan(value, '');
}
