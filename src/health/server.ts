// GET /readyz and /livez for the orchestrator's probes: a thin adapter over one boolean.
import { createServer, type Server } from 'node:http';
import { UsageError } from '../config/errors.js';

export interface Health {
  setReady(ready: boolean): void;
  close(): void;
}

/**
 * Listens before the program is spawned, so a port in use is reported as a usage error with
 * nothing started. /readyz: 200 while the program runs and no shutdown has begun, else 503.
 * /livez: 200 for as long as lastcall runs.
 */
export async function startHealth(address: { host: string; port: number }): Promise<Health> {
  let ready = false;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const [status, body] =
      path === '/livez' ? [200, 'alive\n']
      : path === '/readyz' ? (ready ? [200, 'ready\n'] : [503, 'not ready\n'])
      : [404, 'try /readyz or /livez\n'];
    response.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new UsageError(`--health ${address.host}:${address.port}: cannot listen (${error.code ?? error.message}); pick a free port or address`));
    });
    server.listen(address.port, address.host, () => resolve());
  });
  return {
    setReady: (value) => {
      ready = value;
    },
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
