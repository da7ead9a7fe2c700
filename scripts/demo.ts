// Runs the demo rollout (lab/demo.ts) and prints both job summaries.
import { runDemo } from '../lab/demo.ts';
import type { RunResult } from '../lab/runner.ts';

const { release, rollback } = await runDemo();
const show = (title: string, run: RunResult): void => {
  console.log(`\n===== ${title}: exit ${String(run.exitCode)} =====\n`);
  console.log(run.summary);
};
show('release v1.0.1 (push: tags: v1.0.1)', release);
show('rollback to v1.0.0 (workflow_dispatch)', rollback);
process.exitCode = release.exitCode === 0 && rollback.exitCode === 0 ? 0 : 1;
