// The registration a user makes by hand when they deliver the binary another
// way: the CLI command and OpenBao's declarative block.
import type { RunReport } from '../rollout/run-report.ts';
import { hclString, shellWord } from './quote.ts';

export interface Registration {
  pluginType: string;
  pluginName: string;
  version: string;
  command: string;
  sha256: string;
}

/** For users who deliver the binary another way and register it themselves. */
export function registerCommand(r: Registration): string {
  const words = [
    `-sha256=${r.sha256}`,
    `-command=${r.command}`,
    `-version=${r.version}`,
    r.pluginType,
    r.pluginName,
  ];
  return `vault plugin register ${words.map(shellWord).join(' ')}`;
}

/** OpenBao's declarative `plugin` block for a binary already in the plugin directory. */
export function openBaoPluginBlock(r: Registration): string {
  return [
    `plugin ${hclString(r.pluginType)} ${hclString(r.pluginName)} {`,
    `  command     = ${hclString(r.command)}`,
    `  version     = ${hclString(r.version)}`,
    `  binary_name = ${hclString(r.command)}`,
    `  sha256sum   = ${hclString(r.sha256)}`,
    '}',
  ].join('\n');
}

/** What to register, once the binary is known; the plan's command when there is one. */
export function registrationOf(report: RunReport): Registration | null {
  if (!report.artifact || !report.version) return null;
  return {
    pluginType: report.pluginType,
    pluginName: report.pluginName,
    version: report.version,
    command: report.plan?.command ?? `${report.pluginName}-${report.version}`,
    sha256: report.artifact.sha256,
  };
}
