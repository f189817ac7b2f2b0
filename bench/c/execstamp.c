/* The init's exec, timestamped: appends "exec NS\n" (CLOCK_MONOTONIC, ns) to FILE, then execs
 * PROGRAM in place, so PROGRAM keeps this pid (PID 1 in the bench's namespace). The clock is read
 * as late as possible: after this only a short write and the execve itself.
 * Usage: execstamp FILE /ABSOLUTE/PROGRAM [ARGS...] */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: execstamp FILE PROGRAM [ARGS...]\n"); return 2; }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) { perror(argv[1]); return 2; }
  char line[64];
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int n = snprintf(line, sizeof line, "exec %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  if (write(fd, line, n) != n) { perror("write"); return 2; }
  execv(argv[2], argv + 2);
  perror(argv[2]);
  return 127;
}
