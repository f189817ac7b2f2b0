// As Kubernetes and Docker often run it: not root, root filesystem read-only, a tmpfs on /tmp.
import { execa } from 'execa';
import t from 'tap';
import { fixture, root } from '../helpers/fixtures.js';
import { cleanEnvArgv, initArgv } from '../helpers/init.js';

const sigrecord = fixture('sigrecord');
const CHECKOUT = '/run/lastcall-checkout';

t.test('as nobody on a read-only root filesystem: readiness, ready file, drain and exit status all work', async (t) => {
  // A private mount namespace: the checkout bound at /run/lastcall-checkout (so uid 65534 can reach
  // it wherever it was cloned), a tmpfs on /tmp, then / remounted read-only, then drop to uid 65534.
  const inside = (arg: string) => arg.split(root).join(CHECKOUT);
  const init = [...cleanEnvArgv(), ...initArgv().map(inside), '-v', '--ready-file', '/tmp/ready', '--drain', '300ms', '--stop-signal', 'QUIT', '--grace', '5s', '--', 'sh', '-c',
    `id -u; touch /probe 2>/dev/null && echo root-writable || echo root-read-only; ls /tmp; kill -TERM 1; exec ${inside(sigrecord)} --exit-on 3`];
  const quoted = init.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `mkdir -p ${CHECKOUT} && mount --bind ${root} ${CHECKOUT} && mount -t tmpfs tmpfs /tmp && chmod 1777 /tmp && mount -o remount,bind,ro / && exec setpriv --reuid=65534 --regid=65534 --clear-groups ${quoted}`;
  const result = await execa('unshare', ['--pid', '--fork', '--mount-proc', '--mount', '--kill-child=SIGKILL', '--', 'sh', '-c', script], { reject: false, timeout: 30_000 });
  const [uid, writable, ready] = result.stdout.split('\n');
  t.equal(uid, '65534', 'the program runs as nobody');
  t.equal(writable, 'root-read-only');
  t.equal(ready, 'ready', 'the ready file was created on the tmpfs before the program ran');
  t.match(result.stdout, /^signal 3 from 1 /m, 'after the drain the program got its stop signal');
  t.match(result.stderr, /drain ended after/);
  t.equal(result.exitCode, 0);
});
