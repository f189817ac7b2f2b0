import { readdirSync, readlinkSync } from 'node:fs';

// Node marks fds 0-15 close-on-exec at start-up (libuv's uv_disable_stdio_inheritance), so an
// fd handed to lastcall for its program (socket activation, a log pipe) would silently not reach
// it. Above 15 Node leaves inherited fds alone and its own are opened close-on-exec.
const NODE_CLOEXEC_MAX = 15;

/**
 * The fds in 3..15 that lastcall inherited, as opposed to those Node opened for itself.
 * Node's own are event-loop plumbing: anonymous inodes (epoll, eventfd) and pipes whose both ends
 * it holds. Anything else (sockets, files, ttys, one end of a pipe) came from our parent.
 */
export function inheritedFds(): number[] {
  const targets = new Map<number, string>();
  for (const entry of readdirSync('/proc/self/fd')) {
    const fd = Number(entry);
    if (fd < 3 || fd > NODE_CLOEXEC_MAX) continue;
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory listing's own fd, closed by now
    }
  }
  const count = new Map<string, number>();
  for (const target of targets.values()) count.set(target, (count.get(target) ?? 0) + 1);
  const inherited: number[] = [];
  for (const [fd, target] of targets) {
    if (target.startsWith('anon_inode:')) continue;
    if (target.startsWith('pipe:') && (count.get(target) ?? 0) > 1) continue;
    if (/^\/proc\/(self|\d+)\/fd$/.test(target)) continue;
    inherited.push(fd);
  }
  return inherited.sort((a, b) => a - b);
}
