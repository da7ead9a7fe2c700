// Passes one request on to a registry behind a loopback front, as it came:
// its Host header too, so the URLs the registry answers with (upload
// locations) name the front.
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * Sends `req` on to `upstream` and the answer back; `alter`, when it returns
 * true, has taken the answer over and sends it itself.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: URL,
  alter: (answer: IncomingMessage, res: ServerResponse) => boolean = () => false,
): void {
  const forwarded = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    (answer) => {
      if (alter(answer, res)) return;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forwarded.on('error', () => res.writeHead(502).end());
  req.pipe(forwarded);
}
