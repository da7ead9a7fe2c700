import type { PluginType } from '../domain/plugin.ts';
import type { ServerFeatures } from '../vault/identity.ts';

/** A pin's move: from the version it held to the one it is left at; `to` is empty when it is removed. */
export interface PinMove {
  from: string;
  to: string;
}

/** What the pin's move depends on: the plugin, the target version, the pin found and whether it may move. */
export interface PinInput {
  pluginType: PluginType;
  pluginName: string;
  version: string;
  /** The version a pin holds the plugin at (Vault 1.16+), or `null`. */
  pin: string | null;
  movePin: boolean;
  server: Pick<ServerFeatures, 'name' | 'pins'>;
}

/**
 * The pin the rollout must write, or `null`. While a pin is in effect the
 * server refuses every version tune, so a rollout that tunes lifts the pin
 * and sets it again even when it already holds the target; and every reload
 * starts the pinned version, so a pin at another version must move. Both
 * are writes to a setting that covers every mount of the plugin, so they
 * need `pin: true`.
 */
export function pinMove(
  input: PinInput,
  tunes: boolean,
  builtinTarget: boolean,
  problems: string[],
): PinMove | null {
  const what = `${input.pluginType} plugin ${input.pluginName}`;
  if (input.movePin && !input.server.pins) {
    problems.push(
      `pin: true, but ${input.server.name} has no plugin pins (Vault 1.16 and later have them); remove the input`,
    );
    return null;
  }
  const pinned = input.pin;
  if (pinned === null) return null;
  // A builtin cannot be pinned: going back to it removes the pin.
  const to = builtinTarget ? '' : input.version;
  if (pinned === to && !tunes) return null;
  if (!input.movePin) {
    problems.push(
      pinned !== to
        ? `a pin holds ${what} at ${pinned}, and every reload starts the pinned version whatever the mounts say; set pin: true to ${to ? `move the pin to ${to}` : 'remove the pin (a builtin cannot be pinned)'}, or delete the pin`
        : `a pin holds ${what} at ${pinned}, and the server refuses to tune a mount's version while a pin is in effect; set pin: true to lift the pin for the tunes and set it again, or delete the pin`,
    );
    return null;
  }
  return { from: pinned, to };
}
