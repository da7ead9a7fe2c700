/** How the action reaches the server: the TLS material and checks, and how long a call may take. */
import { cliSetting, cliSkipVerify } from './cli-environment.ts';
import { booleanInput, pem, wholeNumber, type PemSource } from './parse.ts';
import type { InputSource, RunContext } from './source.ts';

export interface TransportConfig {
  ca: PemSource | null;
  clientCert: PemSource | null;
  clientKey: PemSource | null;
  skipVerify: boolean;
  /** The longest one server call may take, its retries included. */
  timeoutSeconds: number;
}

export function readTransportConfig(inputs: InputSource, ctx: RunContext): TransportConfig {
  return {
    ca: pem('ca-certificate', inputs.get('ca-certificate') || cliSetting(ctx.env, 'CACERT')),
    clientCert: pem(
      'client-certificate',
      inputs.get('client-certificate') || cliSetting(ctx.env, 'CLIENT_CERT'),
    ),
    clientKey: pem(
      'client-key',
      inputs.secret('client-key') || cliSetting(ctx.env, 'CLIENT_KEY'),
      (line) => ctx.mask(line),
    ),
    skipVerify: booleanInput(
      'tls-skip-verify',
      inputs.get('tls-skip-verify'),
      cliSkipVerify(ctx.env),
    ),
    timeoutSeconds: wholeNumber('timeout', inputs.get('timeout') || '120', 1, 3600, 'seconds'),
  };
}
