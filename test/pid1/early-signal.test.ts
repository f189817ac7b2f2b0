import t from 'tap';
import { fixture } from '../helpers/fixtures.js';
import { hostPidOfInit, sleep, startPid1, watch } from '../helpers/init.js';

const sigrecord = fixture('sigrecord');

// The kernel drops a signal sent to a PID 1 that has no handler for it. A Node init needs ~25 ms
// just to start; a SIGTERM from an orchestrator that changes its mind quickly must still count.
for (const delayMs of [100, 150]) {
  t.test(`a SIGTERM ${delayMs} ms after the init was started is not lost`, async (t) => {
    const run = watch(startPid1([sigrecord, '--exit-on', '15'], { timeout: 20_000 }));
    const initPid = await hostPidOfInit(run.child.pid!);
    await sleep(delayMs);
    process.kill(initPid, 'SIGTERM');
    const result = await run.child;
    t.equal(result.timedOut, false, 'the init did not hang waiting for a signal it dropped');
    t.match(result.stdout, /^signal 15 from 1 /m, 'the program got the SIGTERM');
    t.equal(result.exitCode, 0);
  });
}
