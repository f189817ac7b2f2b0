// `docker run -it IMAGE bash` on a real pseudo-terminal, image built from Dockerfile.example:
// lastcall is PID 1 and leads the session runc makes for the container's terminal; bash must get
// a terminal with job control, ^C must reach the foreground job alone, and bash's exit status
// must come out of `docker run`.
import t from 'tap';
import { asBuilt, lockedDown, runInDockerTerminal, useDocker } from '../helpers/container.js';
import { explain, key, PROMPT, promptPattern } from '../helpers/pty.js';

const docker = await useDocker(t);
const noJobControl = /no job control|cannot set terminal process group/;
// The job prints its marker once it runs (bash gives it the terminal before exec, so a key
// cannot arrive early); the marker is computed, so the echo of the typed line cannot match it.
// The driver matches the terminal's raw output, where lines end in \r\n.
const nl = '\\r\\n';
const job = `perl -e '$| = 1; print "sleeping-", 6 * 7, "\\n"; sleep 100'`;

for (const mode of [asBuilt('node'), lockedDown]) {
  t.test(`docker run -it … bash: job control, one ^C interrupts the foreground job and not the shell, ^Z stops it, \`exit 3\` gives 3 [${mode.label}]`, async (t) => {
    const run = await runInDockerTerminal(docker.images.example, ['bash', '--norc', '--noprofile', '-i'], [
      { expect: promptPattern, timeout: 30 },
      // A background job, listed by `jobs`: bash runs with job control.
      { send: 'sleep 100 &\r' },
      { expect: `^\\[1\\] \\d+${nl}${promptPattern}` },
      { send: 'jobs\r' },
      { expect: `^\\[1\\]\\+ +Running +sleep 100 &${nl}${promptPattern}` },
      // One ^C: the foreground job dies of it (status 130), the shell and the background job live on.
      { send: `${job}\r` },
      { expect: '^sleeping-42' },
      { send: key.ctrlC },
      { expect: promptPattern },
      { send: 'echo "after-$((40 + 2)) status=$?"; jobs\r' },
      { expect: `^after-42 status=130${nl}\\[1\\]\\+ +Running +sleep 100 &${nl}${promptPattern}` },
      // ^Z stops a foreground job and bash takes the terminal back.
      { send: 'kill %1\r' },
      { expect: promptPattern },
      { send: `${job}\r` },
      { expect: '^sleeping-42' },
      { send: key.ctrlZ },
      { expect: '\\[\\d\\]\\+ +Stopped +perl' },
      { expect: promptPattern },
      // `fg` waits for the killed job (see test/pid1/terminal.test.ts), then bash exits 3.
      { send: 'kill %%; fg; exit 3\r' },
      { exit: 30 },
    ], { args: mode.args, env: { TERM: 'dumb', PS1: PROMPT, HISTFILE: '/dev/null' } });
    t.ok(run.ok, 'the script ran to the end', { error: run.error });
    t.notMatch(run.text, noJobControl, 'bash did not complain about the terminal');
    t.same(run.exit, { code: 3 }, 'docker run exits with bash\'s status, 3');
    if (!t.passing()) t.comment(explain(run));
  });
}
