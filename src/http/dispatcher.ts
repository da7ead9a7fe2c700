import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import type { PemSource } from '../inputs/parse.ts';
import type { TransportConfig } from '../inputs/transport.ts';
import { ConfigError } from '../domain/errors.ts';
import { proxyFor } from './proxy.ts';

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

export interface Connection {
  dispatcher: Dispatcher;
  /** Where requests go through, for the log: `host:port` of the proxy, or empty. */
  proxy: string;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** TLS material: PEM text as given, or read from the file the input names. */
export function loadTls(config: TransportConfig): TlsOptions {
  if (Boolean(config.clientCert) !== Boolean(config.clientKey)) {
    const missing = config.clientCert ? 'client-key' : 'client-certificate';
    throw new ConfigError(
      `${missing}: required when ${missing === 'client-key' ? 'client-certificate' : 'client-key'} is set; mTLS needs both`,
    );
  }
  const tls: TlsOptions = { rejectUnauthorized: !config.skipVerify };
  if (config.ca) tls.ca = readPem(config.ca, 'CERTIFICATE');
  if (config.clientCert) tls.cert = readPem(config.clientCert, 'CERTIFICATE');
  if (config.clientKey) tls.key = readPem(config.clientKey, 'PRIVATE KEY');
  return tls;
}

function readPem(source: PemSource, kind: string): string {
  const inline = source.value.includes('-----BEGIN');
  let text = source.value;
  if (!inline) {
    try {
      text = readFileSync(source.value, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(
        `${source.input}: "${source.value}" is neither PEM text nor a readable file (${reason})`,
      );
    }
  }
  if (!text.includes(kind)) {
    const what = inline ? 'the PEM text given' : `"${source.value}"`;
    throw new ConfigError(`${source.input}: ${what} holds no ${kind} PEM block`);
  }
  // Parsed now, so a damaged blob stops the run here even when the server is reached over plain http.
  try {
    if (kind === 'CERTIFICATE') new X509Certificate(text);
    else createPrivateKey(text);
  } catch {
    const what = inline ? 'the PEM text given' : `"${source.value}"`;
    throw new ConfigError(`${source.input}: ${what} is not a readable ${kind}`);
  }
  return text;
}

export function openConnection(
  address: string,
  tls: TlsOptions,
  env: Readonly<Record<string, string | undefined>>,
): Connection {
  const proxy = proxyFor(new URL(address), env);
  const timeouts = { headersTimeout: 30_000, bodyTimeout: 30_000 };
  if (!proxy) {
    return {
      dispatcher: new Agent({ ...timeouts, connect: { ...tls, timeout: CONNECT_TIMEOUT_MS } }),
      proxy: '',
    };
  }
  let proxyUrl: URL;
  try {
    proxyUrl = new URL(proxy);
  } catch {
    throw new ConfigError('HTTPS_PROXY/HTTP_PROXY: the proxy address is not a URL');
  }
  return {
    dispatcher: new ProxyAgent({
      ...timeouts,
      uri: proxyUrl.href,
      requestTls: { ...tls, timeout: CONNECT_TIMEOUT_MS },
    }),
    proxy: proxyUrl.host,
  };
}
