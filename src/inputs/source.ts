/**
 * Where the inputs and the runner's context come from, as the readers in this
 * folder see them: main.ts gives the runner's, tests give their own.
 */

/** Where inputs come from; `secret` must mask the value before returning it. */
export interface InputSource {
  get(name: string): string;
  secret(name: string): string;
}

/** The parts of the runner's environment that shape defaults. */
export interface RunContext {
  env: Readonly<Record<string, string | undefined>>;
  eventName: string;
  eventInputs: Readonly<Record<string, unknown>>;
  ref: string;
  repository: string;
  apiUrl: string;
  nodePlatform: string;
  nodeArch: string;
  /** Masks a secret that came from the environment rather than an input. */
  mask(value: string): void;
}
