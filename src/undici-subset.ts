// The action's HTTP client: the parts of undici it uses, loaded one by one.
// undici's own entry also loads fetch, WebSocket, EventSource, its caches and
// its mocks, which nothing here uses and which cost about a fifth of the
// action's start-up. The build also points dependencies' bare `undici`
// imports here, and fails if one imports a name missing here.
import type { Dispatcher } from 'undici';
import api from 'undici/lib/api/index.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';

// As undici's entry does: every dispatcher gets request(), connect() and the
// rest, and ProxyAgent opens its tunnels with connect().
Object.assign(DispatcherClass.prototype, api);

export { Agent, ProxyAgent };

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  dispatcher: Dispatcher;
};

/**
 * undici's `request(url, options)`. A dispatcher is required: undici's global
 * one is, under Node 24, Node's own built-in copy of undici, which would be
 * loaded and compiled a second time just for it.
 */
export function request(
  url: string | URL,
  options: RequestOptions,
): Promise<Dispatcher.ResponseData> {
  const target = new URL(url);
  const { dispatcher, ...rest } = options;
  return dispatcher.request({
    ...rest,
    origin: target.origin,
    path: `${target.pathname}${target.search}`,
    method: rest.method ?? (rest.body === undefined || rest.body === null ? 'GET' : 'PUT'),
  });
}
