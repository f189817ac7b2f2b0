// GET /readyz and /livez for the orchestrator's probes, and /metrics for Prometheus: a thin
// adapter over one boolean and, when the caller gives one, a status snapshot.
import { createServer, type Server } from 'node:http';
import { UsageError } from '../config/errors.js';
import type { StatusSnapshot } from '../supervisor/status.js';
import { renderMetrics } from './metrics.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

export interface Health {
  setReady(ready: boolean): void;
  close(): void;
}

export interface HealthOptions {
  /** Enables GET /metrics; called on every scrape, so it should be cheap. */
  readonly snapshot?: () => StatusSnapshot;
}

/** The content type Prometheus expects for text format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Listens before the program is spawned, so a port in use is reported as a usage error with
 * nothing started. /readyz: 200 while the program runs and no shutdown has begun, else 503.
 * /livez: 200 for as long as lastcall runs. /metrics: see docs/control.md.
 */
export async function startHealth(address: { host: string; port: number }, options: HealthOptions = {}): Promise<Health> {
  let ready = false;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const [status, body, type] =
      path === '/livez' ? [200, 'alive\n']
      : path === '/readyz' ? (ready ? [200, 'ready\n'] : [503, 'not ready\n'])
      : path === '/metrics' ? metrics(options.snapshot)
      : [404, options.snapshot ? 'try /readyz, /livez or /metrics\n' : 'try /readyz or /livez\n'];
    response.writeHead(status, { 'content-type': type ?? 'text/plain', 'content-length': Buffer.byteLength(body), connection: 'close' });
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

/** A snapshot provider that throws must cost one failed scrape, not PID 1. */
function metrics(snapshot: (() => StatusSnapshot) | undefined): [number, string, string?] {
  if (snapshot === undefined) return [404, 'metrics are not enabled in this lastcall; try /readyz or /livez\n'];
  try {
    return [200, renderMetrics(snapshot()), METRICS_CONTENT_TYPE];
  } catch (error) {
    return [500, `cannot render metrics: ${error instanceof Error ? error.message : String(error)}\n`];
  }
}
