import { describeTarget } from '../domain/plugin.ts';
import type { Plan } from '../rollout/plan.ts';
import { code, table } from './markdown.ts';

/** Every write the plan makes, step by step, then the order the mounts move in. */
export function planTable(plan: Plan): string {
  const rows = [
    [
      'plugin file',
      plan.pluginFile === 'copy'
        ? `copy to ${code(plan.command)}`
        : plan.pluginFile === 'present'
          ? 'already in place'
          : 'managed outside this action',
    ],
    [
      'catalog',
      plan.catalog === 'register' ? `register ${code(plan.version)}` : 'already registered',
    ],
    ...(plan.pin
      ? [
          [
            'pin',
            `move ${code(plan.pin.from)} → ${code(plan.pin.to)} (rolled back with the mounts)`,
          ],
        ]
      : []),
    ...(plan.prune.length > 0
      ? [['prune', `after every mount is verified, deregister ${plan.prune.map(code).join(', ')}`]]
      : []),
    ...plan.targets.map((m) => [
      code(describeTarget(plan.pluginType, m.path)),
      m.action === 'tune'
        ? `tune ${m.from ? code(m.from) : 'unversioned'} → ${code(m.to)}, reload`
        : m.action === 'reload'
          ? 'reload (configured, not yet running)'
          : 'nothing to do',
    ]),
  ];
  const batches = plan.batches.map((batch, index) => {
    const label = index === 0 && plan.canary ? 'canary' : `batch ${index + 1}`;
    return `${index + 1}. ${label}: ${batch.map((path) => code(describeTarget(plan.pluginType, path))).join(', ')}`;
  });
  const order =
    batches.length > 0
      ? `\n\nOrder, each step tuned, reloaded, verified before the next:\n\n${batches.join('\n')}`
      : '';
  const found = plan.discovered
    ? `\n\nFound on the server (mounts: all): ${plan.discovered.length} mount${plan.discovered.length === 1 ? '' : 's'}.`
    : '';
  return `${table(['Step', 'Action'], rows)}${order}${found}`;
}
