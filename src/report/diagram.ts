import { describeTarget } from '../domain/plugin.ts';
import type { TargetResult } from '../rollout/verify.ts';
import { seconds } from './markdown.ts';
import { type RunReport, type Stage } from '../rollout/run-report.ts';
import { STAGE_LABEL } from './stages.ts';

type Look = 'ok' | 'failed' | 'back' | 'idle';

const RESULT_LOOK: Record<TargetResult, Look> = {
  updated: 'ok',
  unchanged: 'ok',
  failed: 'failed',
  'rolled-back': 'back',
  'not-started': 'idle',
  unknown: 'failed',
};

const STAGES_BEFORE_ROLLOUT: readonly Stage[] = ['config', 'artifact', 'preflight'];

/**
 * Mermaid's label syntax has its own escapes (`#<code>;`); anything outside a
 * small safe set is written that way, so a mount path or server text can never
 * end a label, start a directive or leave the code block.
 */
export function mermaidText(text: string): string {
  return text.replace(/[^\w .,/:@+=-]/g, (c) => `#${c.codePointAt(0) ?? 0};`);
}

/**
 * The rollout as a left-to-right flowchart: the stages that ran, then the
 * canary and each batch with its mounts inside a box for the server, then
 * pruning. Colours carry each mount's result; a failed stage is red and the
 * rollback hangs off the stage that failed. Stages the run never reached are
 * dashed. With `nodes`, a box per node shows what that node itself runs.
 */
export function rolloutDiagram(report: RunReport): string {
  const lines = ['flowchart LR'];
  const looks = new Map<string, Look>();
  const ran = new Map(report.timings.map((t) => [t.stage, t.ms]));
  const failedAt = report.error?.stage ?? null;
  const stageNode = (stage: Stage): string => {
    const ms = ran.get(stage);
    const mark = stage === failedAt ? ' ✗' : ms === undefined ? '' : ' ✓';
    const time = ms === undefined ? '' : `<br/>${seconds(ms)}`;
    lines.push(`  ${stage}["${STAGE_LABEL[stage]}${mark}${time}"]`);
    looks.set(stage, stage === failedAt ? 'failed' : ms === undefined ? 'idle' : 'ok');
    return stage;
  };

  const chain: string[] = STAGES_BEFORE_ROLLOUT.filter(
    (stage) => stage !== 'artifact' || ran.has('artifact') || report.artifact,
  ).map(stageNode);
  const plan = report.plan;
  const rollout = plan ? batchesOf(report, lines, looks) : [];
  if (rollout.length > 0) chain.push('server');
  else if (plan) chain.push(stageNode('rollout'));
  if (plan && plan.prune.length > 0) chain.push(stageNode('prune'));
  lines.push(`  ${chain.join(' --> ')}`);

  if (report.rollback) {
    const held = !report.rollback.error;
    lines.push(`  rollback["${STAGE_LABEL.rollback}${held ? ' ✓' : ' ✗'}"]`);
    looks.set('rollback', held ? 'back' : 'failed');
    const from = failedAt === 'rollout' && rollout.length > 0 ? 'server' : (failedAt ?? 'server');
    lines.push(`  ${from} -.-> rollback`);
  }

  lines.push(
    '  classDef ok fill:#dafbe1,stroke:#1a7f37,color:#0d3a1c',
    '  classDef failed fill:#ffebe9,stroke:#cf222e,color:#5a0a0f,stroke-width:2px',
    '  classDef back fill:#fff8c5,stroke:#9a6700,color:#3b2900',
    '  classDef idle fill:#f6f8fa,stroke:#8c959f,color:#57606a,stroke-dasharray:4 3',
  );
  if (rollout.length > 0) {
    lines.push('  style server fill:#f6f8fa,stroke:#d1d9e0');
    for (const id of rollout) lines.push(`  style ${id} fill:#ffffff,stroke:#d1d9e0`);
  }
  for (const look of ['ok', 'failed', 'back', 'idle'] as const) {
    const ids = [...looks].filter(([, l]) => l === look).map(([id]) => id);
    if (ids.length > 0) lines.push(`  class ${ids.join(',')} ${look}`);
  }
  return lines.join('\n');
}

/** Adds the server box with one box per batch; returns the batch ids in order. */
function batchesOf(report: RunReport, lines: string[], looks: Map<string, Look>): string[] {
  const plan = report.plan;
  if (!plan || plan.batches.length === 0) return [];
  const outcome = new Map(report.targets.map((m) => [m.path, m]));
  const step = new Map(plan.targets.map((m) => [m.path, m]));
  const server = report.serverIdentity || report.server || 'server';
  lines.push(`  subgraph server["${mermaidText(server)}"]`, '    direction LR');
  const ids: string[] = [];
  let mountIndex = 0;
  plan.batches.forEach((batch, index) => {
    const id = `batch${String(index + 1)}`;
    const title = index === 0 && plan.canary ? 'canary' : `batch ${String(index + 1)}`;
    lines.push(`    subgraph ${id}["${title}"]`);
    for (const path of batch) {
      const mountId = `m${String(mountIndex++)}`;
      const planned = step.get(path);
      const move = planned ? `${planned.from || 'unversioned'} → ${planned.to}` : '';
      const result = outcome.get(path)?.result;
      const label = [describeTarget(plan.pluginType, path), move, result ?? '']
        .filter(Boolean)
        .map(mermaidText)
        .join('<br/>');
      lines.push(`      ${mountId}["${label}"]`);
      looks.set(mountId, report.dryRun || !result ? 'idle' : RESULT_LOOK[result]);
    }
    lines.push('    end');
    ids.push(id);
  });
  const nodes = nodesOf(report, lines, looks);
  if (nodes) ids.push(nodes);
  if (ids.length > 1) lines.push(`    ${ids.join(' --> ')}`);
  lines.push('  end');
  return ids;
}

/** One box per listed node, green when every mount on it runs what it should, as that node itself answered. */
function nodesOf(report: RunReport, lines: string[], looks: Map<string, Look>): string | null {
  const addresses = [...new Set(report.targets.flatMap((m) => m.nodes.map((n) => n.node)))];
  if (addresses.length === 0) return null;
  lines.push('    subgraph nodes["each node, read through its own address"]');
  addresses.forEach((address, index) => {
    const views = report.targets.flatMap((m) => m.nodes.filter((n) => n.node === address));
    const good = views.filter((v) => !v.problem).length;
    const id = `node${String(index + 1)}`;
    const mark = good === views.length ? '✓' : '✗';
    lines.push(
      `      ${id}["${mermaidText(address)} ${mark}<br/>${String(good)}/${String(views.length)} mounts"]`,
    );
    looks.set(id, good !== views.length ? 'failed' : report.rollback ? 'back' : 'ok');
  });
  lines.push('    end');
  return 'nodes';
}
