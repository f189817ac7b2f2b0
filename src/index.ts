// The bundle's entry: what bin/lastcall.js loads once its signal listeners are in place.
export { main } from './cli/main.js';
declare const LASTCALL_VERSION: string;
export const version: string = LASTCALL_VERSION;
