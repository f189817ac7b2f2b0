// Types for load.mjs, which stays plain JavaScript so the example runs without a TypeScript toolchain.
export type ErrorKind = 'reset' | 'refused' | 'timeout' | 'other';
export type HttpResult =
  | { kind: 'response'; status: number; ms: number }
  | { kind: 'error'; error: ErrorKind; detail: string; ms: number };
export interface LoadSample {
  /** Date.now() when the request was started and when it settled. */
  startedAt: number;
  endedAt: number;
  result: HttpResult;
}
export function freePort(): Promise<number>;
export function httpGet(url: string, options?: { timeoutMs?: number }): Promise<HttpResult>;
export function describe(result: HttpResult | undefined): string;
export function steadyLoad(options: {
  url: (i: number) => string;
  concurrency: number;
  ratePerSecond: number;
  durationMs: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<{ samples: LoadSample[]; skipped: number }>;
export function failureKinds(samples: LoadSample[]): Record<string, number>;
