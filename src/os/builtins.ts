// Node modules that only some configs need, loaded on first use rather than with the services:
// child_process (ready and stop commands; it also pulls in dgram) and http (http checks and stop
// hooks). Loading them at every multi-program start cost 7-15 ms: once noIdleGc() has changed a
// V8 flag, V8 no longer takes Node's code cache for modules loaded after it and compiles them.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => load('node:child_process');
export const http = (): typeof import('node:http') => load('node:http');
