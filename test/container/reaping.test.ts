// Zombies in a real container (image built from Dockerfile.example): a program that leaks
// orphans, as shell scripts and servers that double-fork do, leaves no zombie behind, seen from
// inside the container the way `ps` sees it (/proc/*/stat: no process in state Z).
import t from 'tap';
import { asBuilt, lockedDown, processesIn, useDocker, type ProcessEntry } from '../helpers/container.js';
import { timeline } from '../helpers/init.js';

const docker = await useDocker(t);
const ORPHANS = 200;
// Each `(sleep 0.0N &)` is a subshell that starts sleep in the background and exits at once: the
// sleep is orphaned, adopted by PID 1 and becomes a zombie when it exits, unless PID 1 reaps it.
// `tail -f /dev/null` is one more orphan that stays, to show whose child orphans become.
const leaker = `for i in $(seq ${ORPHANS}); do (sleep 0.0$((i % 10)) &); done; (tail -f /dev/null &); echo "leaked ${ORPHANS} orphans"; exec sleep 600`;

const listing = (ps: ProcessEntry[]) => ps.map((p) => `${p.pid} ${p.state} ppid=${p.ppid} ${p.comm}`).join('\n');

for (const mode of [asBuilt('node'), lockedDown]) {
  t.test(`a program that leaks ${ORPHANS} orphans leaves no zombie in the container: lastcall adopts and reaps each one [${mode.label}]`, async (t) => {
    const c = await docker.run(t, docker.images.example, {
      args: mode.args,
      env: { LASTCALL_WARN_ON_REAP: '1', LASTCALL_LOG_FORMAT: 'json' },
      cmd: ['bash', '-c', leaker],
    });
    await c.out.waitFor(/^leaked \d+ orphans$/, { timeoutMs: 60_000 });
    // The last orphans sleep 90 ms; a PID 1 that does not reap keeps all of them as zombies forever.
    let ps: ProcessEntry[] = [];
    const deadline = Date.now() + 15_000;
    do ps = await processesIn(c);
    while (ps.some((p) => p.state === 'Z') && Date.now() < deadline);
    t.same(ps.filter((p) => p.state === 'Z'), [], 'no process in state Z inside the container', { processes: listing(ps) });
    const init = (await c.exec(['cat', '/proc/1/cmdline'])).stdout.split('\0');
    t.match(init.slice(0, 2), ['node', '/usr/local/bin/lastcall'], 'PID 1 is lastcall');
    t.match(ps.find((p) => p.comm === 'tail'), { ppid: 1 }, 'an orphan\'s parent is PID 1: orphans were adopted by lastcall', { processes: listing(ps) });

    await c.stop(10);
    const reaped = timeline((await c.logs()).stderr).filter((e) => e.event === 'orphan-reaped');
    t.ok(reaped.length >= ORPHANS, `docker logs: lastcall reaped ${reaped.length} orphans (-w logs each), at least the ${ORPHANS} sleeps`);
    t.equal((await c.state()).ExitCode, 143, 'docker stop: the program (sleep) dies of SIGTERM, so 128 + 15');
    if (!t.passing()) t.comment(c.transcript());
  });
}
