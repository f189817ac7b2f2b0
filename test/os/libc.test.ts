import t from 'tap';
import * as libc from '../../src/os/libc.js';

t.test('koffi\'s native module is loaded directly, not through its slower entry point', async (t) => {
  // If a koffi upgrade moves its native module, lastcall still works (entry point) but starts ~7 ms slower.
  t.equal(libc.koffiLoadedFrom, 'native-module');
});

t.test('misuse of the native layer throws instead of crossing into C', async (t) => {
  t.throws(() => libc.sendSignal(1.5, 15), TypeError);
  t.throws(() => libc.sendSignal(2 ** 40, 15), TypeError);
  t.throws(() => libc.spawn({ file: 'sh', argv: ['sh', 'a\0b'], env: [], takeTerminal: false, keepFds: [] }), TypeError);
  t.throws(() => libc.ignoreSignal(Number.NaN), TypeError);
});

t.test('errors come back as errno values', async (t) => {
  t.equal(libc.sendSignal(2 ** 30, 0), libc.ERRNO.ESRCH, 'no such process');
  t.throws(() => libc.spawn({ file: '/nonexistent/x', argv: ['/nonexistent/x'], env: [], takeTerminal: false, keepFds: [] }), { name: 'NativeError', errno: libc.ERRNO.ENOENT });
});
