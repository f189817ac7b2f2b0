/* Sends SIGNO to TARGET and times how long until TARGET, and each WATCH pid, has exited: pidfds
 * polled from just before kill(2). Prints one number per pid, TARGET first: microseconds from the
 * kill until it was gone, or -1 if still there after TIMEOUT_MS.
 * Usage: killwait SIGNO TARGET TIMEOUT_MS [WATCH...] */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: killwait SIGNO TARGET TIMEOUT_MS [WATCH...]\n"); return 2; }
  int signo = atoi(argv[1]);
  int64_t timeout = atoll(argv[3]) * 1000000LL;
  int n = argc - 3;
  pid_t pids[64];
  struct pollfd fds[64];
  int64_t gone[64];
  pids[0] = atoi(argv[2]);
  for (int i = 1; i < n && i < 64; i++) pids[i] = atoi(argv[3 + i]);
  for (int i = 0; i < n; i++) {
    int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
    if (fd < 0) { fprintf(stderr, "killwait: pidfd_open %d: ", (int)pids[i]); perror(""); return 2; }
    fds[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
    gone[i] = -1;
  }
  int64_t sent = now_ns();
  if (kill(pids[0], signo) < 0) { perror("kill"); return 2; }
  int left = n;
  while (left > 0) {
    int64_t remaining = timeout - (now_ns() - sent);
    if (remaining <= 0) break;
    int r = poll(fds, n, (int)(remaining / 1000000) + 1);
    int64_t t = now_ns();
    if (r <= 0) continue;
    for (int i = 0; i < n; i++) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
        gone[i] = t - sent;
        fds[i].fd = -fds[i].fd - 1; /* poll ignores negative fds */
        left--;
      }
    }
  }
  for (int i = 0; i < n; i++) printf("%s%lld", i ? " " : "", (long long)(gone[i] < 0 ? -1 : gone[i] / 1000));
  printf("\n");
  return 0;
}
