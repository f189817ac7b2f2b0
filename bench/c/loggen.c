/* Log flood: LINES numbered lines of exactly 100 bytes, "~NNNNNNNNN~" + a fixed filler + "\n",
 * written to stdout in 64 KiB writes. Appends to STAMP "start NS" (CLOCK_MONOTONIC, read just
 * before the first write) and, once every write has returned, "end NS". logcheck.c verifies them.
 * Usage: loggen LINES STAMP */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE 100
#define FILLER "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz"

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: loggen LINES STAMP\n"); return 2; }
  long lines = atol(argv[1]);
  static char buf[65536 / LINE * LINE];
  const int per = sizeof buf / LINE;
  for (int i = 0; i < per; i++) {
    char *l = buf + i * LINE;
    l[0] = '~';
    l[10] = '~';
    memcpy(l + 11, FILLER, LINE - 12);
    l[LINE - 1] = '\n';
  }
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char stamp[40];
  int sn = snprintf(stamp, sizeof stamp, "start %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  int fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0 || write(fd, stamp, sn) != sn) { perror(argv[2]); return 2; }
  for (long n = 0; n < lines;) {
    int k = 0;
    for (; k < per && n < lines; k++, n++) {
      char *d = buf + k * LINE + 9;
      long v = n;
      for (int j = 0; j < 9; j++, v /= 10) *d-- = '0' + v % 10;
    }
    size_t len = (size_t)k * LINE, off = 0;
    while (off < len) {
      ssize_t w = write(1, buf + off, len - off);
      if (w < 0) { perror("loggen: write"); return 3; }
      off += w;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &ts);
  sn = snprintf(stamp, sizeof stamp, "end %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  if (write(fd, stamp, sn) != sn) { perror(argv[2]); return 2; }
  return 0;
}
