// The init as PID 1 on a terminal: the program gets its own process group, that group is the
// terminal's foreground group, so keys from the terminal reach the program once, straight from
// the kernel, and an interactive shell has job control.
// Runs against the init chosen by LASTCALL_TEST_INIT (see test/helpers/init.ts), in two setups:
//  - the init leads the terminal's session, as runc starts it for `docker run -it`;
//  - the init is a foreground job in someone else's session (unshare's, outside the namespace),
//    as when it is started from an interactive shell. Its own group is then invisible in its
//    namespace (pgrp 0), and an init that makes a new session cannot take the terminal.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/fixtures.js';
import { hostPidOfInit, startPid1, watch } from '../helpers/init.js';
import { explain, key, promptPattern, runInTerminal, type Step, type TerminalOptions } from '../helpers/pty.js';

const setups = [
  { label: 'init leads the session, as with docker run -it', sessionLeader: true },
  { label: 'init is a foreground job of another session', sessionLeader: false },
] as const;

const bash = ['bash', '--norc', '--noprofile', '-i'];
const noJobControl = /no job control|cannot set terminal process group/;

/** sigrecord's lines; not anchored, since the terminal echoes ^C just before the line. */
function signalsFrom(text: string): { signo: number; from: number }[] {
  return [...text.matchAll(/signal (\d+) from (-?\d+)/g)].map((m) => ({ signo: Number(m[1]), from: Number(m[2]) }));
}

/** /proc/PID/stat fields after the command name: pid, pgrp, session, tty_nr, tpgid. */
function statFields(line: string): { pid: number; pgrp: number; session: number; tty: number; tpgid: number } {
  const match = /^(\d+) \(.*\) \S+ -?\d+ (-?\d+) (-?\d+) (-?\d+) (-?\d+)/.exec(line);
  if (!match) throw new Error(`not a /proc/PID/stat line: ${line}`);
  const [pid, pgrp, session, tty, tpgid] = match.slice(1).map(Number) as [number, number, number, number, number];
  return { pid, pgrp, session, tty, tpgid };
}

/** A subtest's `t`, as tap types it. */
type Subtest = Parameters<Parameters<typeof t.test>[0]>[0];

/** Runs the script; on any failed assertion, the test's output gets the whole terminal session. */
async function play(t: Subtest, program: string[], steps: Step[], options: TerminalOptions) {
  const run = await runInTerminal(program, steps, options);
  t.ok(run.ok, 'the script ran to the end', { error: run.error });
  return { run, explainIfFailed: () => void (t.passing() || t.comment(explain(run))) };
}

for (const setup of setups) {
  const options = { sessionLeader: setup.sessionLeader };

  t.test(`bash -i under the init has job control: no "no job control" message, a prompt, and \`exit 3\` gives 3 [${setup.label}]`, async (t) => {
    const { run, explainIfFailed } = await play(t, bash, [
      { expect: promptPattern, timeout: 15 },
      { send: 'exit 3\r' },
      { exit: 15 },
    ], options);
    t.notMatch(run.text, noJobControl, 'bash did not complain about the terminal');
    t.same(run.exit, { code: 3 }, 'the init exits with bash\'s exit code');
    explainIfFailed();
  });

  t.test(`one ^C delivers exactly one SIGINT to the program, from the kernel, not a second forwarded copy [${setup.label}]`, async (t) => {
    // sigrecord exits 5 on SIGQUIT, so ^\ (also from the terminal) ends the run.
    const { run, explainIfFailed } = await play(t, [fixture('sigrecord'), '--exit-on', '3', '--exit-code', '5'], [
      { expect: '^ready pid=', timeout: 15 },
      { send: key.ctrlC },
      { expect: 'signal 2 from -?\\d+.*\\n', timeout: 15 },
      // A forwarded copy would follow within milliseconds; this settling time is what is tested.
      { sleep: 0.5 },
      { send: key.ctrlBackslash },
      { expect: 'signal 3 from -?\\d+.*\\n', timeout: 15 },
      { exit: 15 },
    ], options);
    t.same(signalsFrom(run.text), [{ signo: 2, from: 0 }, { signo: 3, from: 0 }], 'one SIGINT then one SIGQUIT, both sent by the kernel');
    t.same(run.exit, { code: 5 }, 'the init exits with the program\'s exit code');
    explainIfFailed();
  });

  t.test(`Ctrl-Z stops a foreground job in bash -i: bash reports it Stopped and prompts again; then \`kill %1; fg; exit 3\` gives 3 [${setup.label}]`, async (t) => {
    // The job prints its marker only once it runs, and bash gives it the terminal before exec, so
    // ^Z cannot arrive early. One process (no exec after the marker), so ^Z stops exactly it. The
    // typed command line is echoed too; the marker is computed so the echo cannot match it.
    const job = `perl -e '$| = 1; print "sleeping-", 6 * 7, "\\n"; sleep 100'`;
    const { run, explainIfFailed } = await play(t, bash, [
      { expect: promptPattern, timeout: 15 },
      { send: `${job}\r` },
      { expect: '^sleeping-42', timeout: 15 },
      { send: key.ctrlZ },
      { expect: `^\\[1\\]\\+ +Stopped +perl.*\\n${promptPattern}`, timeout: 15 },
      // `fg` waits for the killed job to die. After a bare `kill %1` bash may still list the job
      // as stopped when `exit` runs, and refuse ("There are stopped jobs"); `wait %1` returns at
      // once for a job bash thinks is stopped.
      { send: 'kill %1; fg; exit 3\r' },
      { exit: 15 },
    ], options);
    t.notMatch(run.text, noJobControl, 'bash did not complain about the terminal');
    t.same(run.exit, { code: 3 }, 'the init exits with bash\'s exit code');
    explainIfFailed();
  });

  t.test(`the program is the terminal's foreground process group, and not in the init's group [${setup.label}]`, async (t) => {
    // A plain sh reports on itself and on PID 1: an interactive bash would take the terminal on
    // its own and hide what the init did.
    const script = 'read -r s < /proc/$$/stat; read -r i < /proc/1/stat; echo "PROGRAM $s"; echo "INIT $i"';
    const { run, explainIfFailed } = await play(t, ['sh', '-c', script], [
      { expect: '^INIT .*\\n', timeout: 15 },
      { exit: 15 },
    ], options);
    if (run.ok) {
      const program = statFields(/^PROGRAM (.*)$/m.exec(run.text)?.[1] ?? '');
      const init = statFields(/^INIT (.*)$/m.exec(run.text)?.[1] ?? '');
      if (setup.sessionLeader) t.same([init.session, init.pgrp], [1, 1], 'the init leads its session and group (the setup)');
      t.not(program.tty, 0, 'the program has the terminal as its controlling terminal');
      t.equal(program.pgrp, program.pid, 'the program leads its own process group');
      t.equal(program.tpgid, program.pgrp, 'the program\'s group is the terminal\'s foreground group');
      t.not(init.pgrp, program.pgrp, 'the init is in another group');
    }
    t.same(run.exit, { code: 0 }, 'the init exits with the program\'s exit code');
    explainIfFailed();
  });
}

t.test('with stdin not a terminal, the program still starts in its own process group', async (t) => {
  const { child, out } = watch(startPid1([fixture('sigrecord'), '--exit-on', '15'], { stdin: 'ignore', timeout: 60_000 }));
  let init = 0;
  let exited = false;
  try {
    init = await hostPidOfInit(child.pid!);
    const [ready] = await out.waitFor(/^ready pid=/);
    const pid = Number(/pid=(\d+)/.exec(ready!)?.[1]);
    const pgid = Number(/pgid=(\d+)/.exec(ready!)?.[1]);
    t.equal(pgid, pid, `the program leads its own process group (${ready})`);
    // End the program itself, so the test does not depend on how the init forwards signals.
    const programHostPid = Number(readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(' ')[0]);
    process.kill(programHostPid, 'SIGTERM');
    const result = await child;
    exited = true;
    t.equal(result.exitCode, 0, 'the init exits with the program\'s exit code');
  } finally {
    // Killing unshare alone would leave the namespace running; its init takes it all down.
    if (!exited && init > 0) process.kill(init, 'SIGKILL');
    child.kill('SIGKILL');
  }
});
