/* Signal receiver: the SIGUSR1 handler reads CLOCK_MONOTONIC first, then appends it (8 bytes,
 * native endian, ns) to FILE with one write(2), which is async-signal-safe. FILE is created only
 * once the handler is installed: its existence means "ready". Waits until killed (TERM kills it).
 * Usage: usr1rec FILE */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int out = -1;

static void on_usr1(int signo) {
  (void)signo;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
  (void)!write(out, &ns, sizeof ns);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: usr1rec FILE\n"); return 2; }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
  out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (out < 0) { perror(tmp); return 2; }
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (rename(tmp, argv[1]) < 0) { perror("rename"); return 2; }
  for (;;) pause();
}
