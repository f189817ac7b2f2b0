import { existsSync } from 'node:fs';

// posix_spawn cannot change user, and Node cannot fork; util-linux's setpriv (in every Debian
// and Ubuntu image, Essential) drops ids and execs in place, so the program keeps its pid.
const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'];

export function findSetpriv(): string | undefined {
  return SETPRIV_PATHS.find((path) => existsSync(path));
}
