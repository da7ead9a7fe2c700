import type { InputSource, RunContext } from '../inputs/source.ts';
import type { WorkflowRun } from '../github/event.ts';

/** What the run needs from the runner it runs on: its inputs, its environment, its log. */
export interface Host {
  inputs: InputSource;
  context: RunContext;
  workflow: WorkflowRun;
  /** Runs one stage inside a collapsible log group. */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
  getIDToken: (audience?: string) => Promise<string>;
  /** Set when step debug logging is on. */
  debug: ((line: string) => void) | undefined;
  log: {
    info: (line: string) => void;
    warning: (line: string, title: string) => void;
  };
}
