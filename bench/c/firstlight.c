/* A child that says when it began: the first statement of main reads CLOCK_MONOTONIC, then
 * "child NS PID\n" is appended to FILE. Built static, so almost nothing runs before main.
 * Then it exits 0, or with --stay waits for signals with default dispositions (TERM kills it);
 * --ignore-stop ignores SIGTERM and SIGINT as well (a program that never stops when asked;
 * SIGINT because pm2 asks with it).
 * Usage: firstlight FILE [--stay] [--ignore-stop] */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (argc < 2) { fprintf(stderr, "usage: firstlight FILE [--stay] [--ignore-stop]\n"); return 2; }
  int stay = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--stay")) stay = 1;
    else if (!strcmp(argv[i], "--ignore-stop")) { signal(SIGTERM, SIG_IGN); signal(SIGINT, SIG_IGN); stay = 1; }
  }
  char line[80];
  int n = snprintf(line, sizeof line, "child %lld %d\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid());
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0 || write(fd, line, n) != n) { perror(argv[1]); return 2; }
  close(fd);
  if (!stay) return 0;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL); /* some inits start their child with signals blocked */
  for (;;) pause();
}
