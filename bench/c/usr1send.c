/* Signal sender: COUNT times SIGUSR1 to PID, INTERVAL_US apart (measured from the previous send,
 * so that a sender delayed by the machine never catches up with a burst that would coalesce).
 * The send time (CLOCK_MONOTONIC, the clock the receiver reads) is taken just before kill(2);
 * all of them are written to FILE at the end (8 bytes each, ns). Prints how many kill() failed.
 * Usage: usr1send PID COUNT INTERVAL_US FILE */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: usr1send PID COUNT INTERVAL_US FILE\n"); return 2; }
  pid_t pid = atoi(argv[1]);
  int count = atoi(argv[2]);
  long interval = atol(argv[3]) * 1000;
  int64_t *sent = calloc(count, sizeof *sent);
  int failed = 0;
  int64_t last = now_ns();
  for (int i = 0; i < count; i++) {
    int64_t due = last + interval;
    struct timespec next = { .tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
    last = sent[i] = now_ns();
    if (kill(pid, SIGUSR1) < 0) { failed++; sent[i] = -1; }
  }
  int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, sent, count * sizeof *sent) != (ssize_t)(count * sizeof *sent)) { perror(argv[4]); return 2; }
  printf("failed=%d\n", failed);
  return 0;
}
