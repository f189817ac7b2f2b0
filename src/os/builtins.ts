// Node modules that only some configs need, loaded on first use rather than with the services:
// http (http checks and stop hooks), child_process (ready and stop commands) and net (relayed
// logs, tcp checks, the control socket). Once noIdleGc() has changed a V8 flag, V8 no longer takes
// Node's code cache for modules loaded after it and compiles them: net alone cost every
// multi-program start ~7-10 ms before its first spawn, http a few ms, for configs that use neither.
// (child_process is loaded anyway when the control socket listens: net's listen() loads cluster,
// which needs it; the socket comes up after the spawns.)
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => load('node:child_process');
export const http = (): typeof import('node:http') => load('node:http');
export const net = (): typeof import('node:net') => load('node:net');
