/**
 * The variables Vault's and OpenBao's CLIs read (VAULT_*, else BAO_*), which
 * stand in for inputs left empty: a runner set up for the `vault` or `bao` CLI
 * means the same here. They are the environment, not inputs, so they are read
 * as those CLIs read them, not by the input parsers in parse.ts.
 */
import { ConfigError } from '../domain/errors.ts';
import type { RunContext } from './source.ts';

type Environment = RunContext['env'];
/** The settings taken as given; the token and SKIP_VERIFY have readers of their own. */
type Setting = 'ADDR' | 'NAMESPACE' | 'CACERT' | 'CLIENT_CERT' | 'CLIENT_KEY';

const PREFIXES = ['VAULT_', 'BAO_'];

/** The first of VAULT_<setting>, BAO_<setting> that is not empty, with its name. */
function variable(
  env: Environment,
  setting: Setting | 'TOKEN' | 'SKIP_VERIFY',
  read: (value: string) => string = (value) => value,
): { name: string; value: string } {
  for (const prefix of PREFIXES) {
    const value = read(env[prefix + setting] ?? '');
    if (value) return { name: prefix + setting, value };
  }
  return { name: '', value: '' };
}

/** A setting such as ADDR or CACERT, as given; empty when neither variable is set. */
export function cliSetting(env: Environment, setting: Setting): string {
  return variable(env, setting).value;
}

/** VAULT_TOKEN, else BAO_TOKEN, trimmed; masked as soon as it is read. */
export function cliToken(ctx: RunContext): string {
  const { value } = variable(ctx.env, 'TOKEN', (raw) => raw.trim());
  if (value) ctx.mask(value);
  return value;
}

const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/**
 * VAULT_SKIP_VERIFY (else BAO_SKIP_VERIFY) with Go's strconv.ParseBool, as
 * the CLIs read it: what the CLI takes is taken, what it refuses is refused.
 * So `1` is true here, though the tls-skip-verify input refuses it as every
 * boolean input does.
 */
export function cliSkipVerify(env: Environment): boolean {
  const { name, value } = variable(env, 'SKIP_VERIFY');
  if (value === '' || GO_FALSE.includes(value)) return false;
  if (GO_TRUE.includes(value)) return true;
  throw new ConfigError(
    `${name}: "${value}" is not a boolean as Vault reads it; use true or false (or 1, 0, t, f)`,
  );
}
