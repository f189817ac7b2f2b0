// Node modules that only some configs need, loaded on first use rather than with the services:
// http (http checks and stop hooks) and child_process (ready and stop commands). Once noIdleGc()
// has changed a V8 flag, V8 no longer takes Node's code cache for modules loaded after it and
// compiles them: http cost a multi-program start a few ms for nothing. (child_process is loaded
// anyway when the control socket listens: net's listen() loads cluster, which needs it.)
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const childProcess = (): typeof import('node:child_process') => load('node:child_process');
export const http = (): typeof import('node:http') => load('node:http');
