// Multi-program mode as Kubernetes often runs it: not root, root filesystem read-only, a tmpfs on
// /tmp. The control socket falls back to /tmp, `user:` naming the user lastcall already is needs
// no switch, relayed logs, ready checks and the ordered stop all work.
import { execa } from 'execa';
import t from 'tap';
import { root } from '../helpers/fixtures.js';
import { cleanEnvArgv, initArgv } from '../helpers/init.js';

const CHECKOUT = '/run/lastcall-checkout';

t.test('as nobody on a read-only root: ctl over the /tmp socket, ready checks, prefixed logs, clean stop', async (t) => {
  const inside = (arg: string) => arg.split(root).join(CHECKOUT);
  const lastcall = initArgv().map(inside);
  const config = [
    'grace: 5s',
    'programs:',
    '  web: { command: [sh, -c, "touch /tmp/web-up; echo serving; exec sleep 100"], user: nobody, ready: { file: /tmp/web-up, interval: 50ms }, logs: prefix }',
    `  operator: { type: oneshot, depends_on: [web], logs: prefix, command: [sh, -c, "${lastcall.join(' ')} ctl status; kill -TERM 1"] }`,
  ].join('\n');
  const init = [...cleanEnvArgv(), ...lastcall, '--config', '/tmp/lastcall.yaml', '-v'];
  const quoted = init.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `mkdir -p ${CHECKOUT} && mount --bind ${root} ${CHECKOUT} && mount -t tmpfs tmpfs /tmp && chmod 1777 /tmp && mount -o remount,bind,ro / && printf '%s\\n' '${config.replace(/'/g, `'\\''`)}' >/tmp/lastcall.yaml && exec setpriv --reuid=65534 --regid=65534 --clear-groups ${quoted}`;
  const result = await execa('unshare', ['--pid', '--fork', '--mount-proc', '--mount', '--kill-child=SIGKILL', '--', 'sh', '-c', script], { reject: false, timeout: 30_000 });
  t.equal(result.exitCode, 0, result.stderr);
  t.match(result.stdout, /^web +\| serving$/m, 'the program ran as nobody (no user switch needed) with its output prefixed');
  t.match(result.stdout, /^operator \| phase running, ready/m, 'ctl reached lastcall through the /tmp fallback socket');
  t.match(result.stdout, /^operator \| web +running +\d+/m);
  t.match(result.stderr, /web is ready/);
  t.match(result.stderr, /sent SIGTERM to pid \d+ \(web\)/);
});
