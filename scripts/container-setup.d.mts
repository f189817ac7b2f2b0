// Types for container-setup.mjs, which stays plain JavaScript so it runs by hand and in .ci/run
// before anything is built.
import type { Readable } from 'node:stream';

export const root: string;
export const paths: Readonly<{ cache: string; dataRoot: string; run: string; execRoot: string; socket: string; pidfile: string; log: string }>;
export const dockerHost: string;
export const dockerBin: string;
export const testLabel: string;
export const images: Readonly<{ example: string; fixtures: string; webstack: string }>;

export interface Base { tarball: string; tag: string }
export interface Daemon { pid: number | null; startedHere: boolean }
export interface DockerResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function missing(): string[];
export function missingMessage(problems: string[]): string;
export function ensureBase(): Base;
export function ping(timeoutMs?: number): Promise<boolean>;
export function startDaemon(options?: { tiedToCaller?: boolean }): Promise<Daemon>;
export function stopDaemon(pid: number | null): Promise<void>;
export function docker(args: string[], options?: { input?: Readable; timeoutMs?: number }): Promise<DockerResult>;
export function dockerEnv(): Record<string, string>;
export function importBase(base: Base): Promise<void>;
export function buildImages(base: Base): Promise<void>;
export function lock(options?: { boundMs?: number }): Promise<() => void>;
export function prepare(options?: { tiedToCaller?: boolean }): Promise<{ base: Base; daemon: Daemon }>;
