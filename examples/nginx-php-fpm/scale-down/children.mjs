// Every process scale-down starts, and the one way each of them ends: any way out of the
// harness (the end, Ctrl-C, an error, even a SIGKILL) leaves nothing running.
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Children still running. */
export const children = new Set();

/**
 * Starts argv in its own process group (a terminal's ^C reaches only the harness, which then
 * cleans up in order) under `setpriv --pdeathsig KILL`, so that a harness killed outright takes
 * its children along. Output goes to logFile.
 */
export function startChild(argv, logFile) {
  const log = openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const entry = { child, exited, logFile, alive: true };
  exited.then(() => {
    entry.alive = false;
    children.delete(entry);
  });
  children.add(entry);
  return entry;
}

/** SIGKILL to the child's process group; for unshare, --kill-child takes the namespace along. */
export function killNow(entry) {
  if (!entry.alive) return;
  try {
    process.kill(-entry.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** `signal` to `pid` (default: the child itself); SIGKILL to its group if it is not gone in time. */
export async function stopChild(entry, signal, timeoutMs, pid = entry.child.pid) {
  if (!entry.alive) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const done = await Promise.race([entry.exited, sleep(timeoutMs).then(() => null)]);
  if (!done) killNow(entry);
  await entry.exited;
}

/** SIGKILL to everything left, waiting at most timeoutMs for the exits to be seen. */
export async function killAll(timeoutMs = 3000) {
  const left = [...children];
  for (const entry of left) killNow(entry);
  await Promise.race([Promise.all(left.map((entry) => entry.exited)), sleep(timeoutMs)]);
}

/** Scratch directories of runs in progress (configs, sockets, logs), removed on any way out. */
export const scratchDirs = new Set();

export function removeScratch(dir, keep) {
  scratchDirs.delete(dir);
  if (keep) process.stderr.write(`scale-down: kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}

process.on('exit', () => {
  for (const entry of children) killNow(entry);
});
