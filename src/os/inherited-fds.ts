import { readdirSync, readlinkSync } from 'node:fs';

// Node marks fds 0-15 close-on-exec at start-up (libuv's uv_disable_stdio_inheritance), so an
// fd handed to lastcall for its program (socket activation, a log pipe) would silently not reach
// it. Above 15 Node leaves inherited fds alone and its own are opened close-on-exec.
const NODE_CLOEXEC_MAX = 15;

let inherited: readonly number[] | undefined;

/**
 * The fds in 3..15 that lastcall inherited, as opposed to those Node opened for itself. Found at
 * the first call and kept: main() calls it before lastcall opens anything of its own (a log pipe,
 * the control socket), which could otherwise land on a free number in 3..15 and be passed on to
 * every program as if inherited.
 */
export function inheritedFds(): readonly number[] {
  return (inherited ??= scanInherited());
}

/**
 * Node's own fds are event-loop plumbing: anonymous inodes (epoll, eventfd) and pipes whose both
 * ends it holds, one of them possibly above 15. Anything else (sockets, files, ttys, one end of a
 * pipe) came from our parent.
 */
function scanInherited(): number[] {
  const targets = new Map<number, string>();
  for (const entry of readdirSync('/proc/self/fd')) {
    const fd = Number(entry);
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory listing's own fd, closed by now
    }
  }
  const count = new Map<string, number>();
  for (const target of targets.values()) count.set(target, (count.get(target) ?? 0) + 1);
  const found: number[] = [];
  for (const [fd, target] of targets) {
    if (fd < 3 || fd > NODE_CLOEXEC_MAX) continue;
    if (target.startsWith('anon_inode:')) continue;
    if (target.startsWith('pipe:') && (count.get(target) ?? 0) > 1) continue;
    if (/^\/proc\/(self|\d+)\/fd$/.test(target)) continue;
    found.push(fd);
  }
  return found.sort((a, b) => a - b);
}
