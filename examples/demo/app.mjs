// A stand-in for a real server: it works until SIGTERM, then finishes what it was doing and exits 0.
// It also leaves a zombie behind on purpose (a grandchild whose parent exits), as real programs do.
import { spawn } from 'node:child_process';

// The handler first, then the word "serving": a stop that follows the word must find it in place.
process.on('SIGTERM', () => {
  console.log('app: got SIGTERM, finishing the request in flight...');
  setTimeout(() => {
    clearInterval(work);
    console.log('app: done, exiting 0');
    process.exit(0);
  }, 300);
});

console.log(`app: serving (pid ${process.pid})`);
// A shell that starts a short-lived background job and exits: the job becomes an orphan, adopted and reaped by lastcall.
spawn('sh', ['-c', '(sleep 0.2; exit 3) &'], { stdio: 'ignore' });
const work = setInterval(() => {}, 1000);
