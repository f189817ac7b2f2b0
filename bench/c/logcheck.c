/* Verifies loggen's lines wherever they arrive, raw or wrapped (a "name | " prefix, a JSON
 * object): each line must hold "~NNNNNNNNN~" followed by the exact filler. Counts lines good,
 * lost, duplicated, out of order, corrupt (marker with a wrong filler) and other (no marker:
 * e.g. the init's own lines). Notes when the last numbered line arrived and when stdin ended.
 * Prints "good=G lost=L dup=D reordered=R corrupt=C other=O bytes=B last_ns=T eof_ns=E".
 * Usage: logcheck LINES < stream */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILLER "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz"
#define FILLER_LEN 88

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long lines, good, dups, reordered, corrupt, other, expected_next;
static int64_t last_ns = -1;
static unsigned char *seen;

static void check(const char *l, size_t len) {
  /* the first "~" followed by 9 digits and "~" is the marker; a line without one is "other" */
  const char *m = l, *end = l + len;
  long n = -1;
  while ((m = memchr(m, '~', end - m)) && end - m >= 11) {
    if (m[10] == '~') {
      n = 0;
      for (int i = 1; i <= 9 && n >= 0; i++) n = (m[i] >= '0' && m[i] <= '9') ? n * 10 + (m[i] - '0') : -1;
      if (n >= 0) break;
    }
    m++;
  }
  if (n < 0) { other++; return; }
  if (n >= lines || end - m < 11 + FILLER_LEN || memcmp(m + 11, FILLER, FILLER_LEN) != 0) { corrupt++; return; }
  if (seen[n]) { dups++; return; }
  seen[n] = 1;
  good++;
  if (n != expected_next) reordered++;
  expected_next = n + 1;
  if (n == lines - 1) last_ns = now_ns();
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: logcheck LINES\n"); return 2; }
  lines = atol(argv[1]);
  /* The bench opens a FIFO's read end with O_NONBLOCK (so the open does not wait for a writer). */
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
  seen = calloc(lines, 1);
  size_t cap = 1 << 20, have = 0;
  char *buf = malloc(cap);
  long long bytes = 0;
  for (;;) {
    if (have == cap) { cap *= 2; buf = realloc(buf, cap); } /* one line longer than the buffer */
    ssize_t r = read(0, buf + have, cap - have);
    if (r <= 0) break;
    bytes += r;
    have += r;
    char *start = buf, *end = buf + have, *nl;
    while ((nl = memchr(start, '\n', end - start))) {
      check(start, nl - start);
      start = nl + 1;
    }
    have = end - start;
    memmove(buf, start, have);
  }
  int64_t eof_ns = now_ns();
  if (have > 0) check(buf, have); /* an unterminated last line */
  printf("good=%ld lost=%ld dup=%ld reordered=%ld corrupt=%ld other=%ld bytes=%lld last_ns=%lld eof_ns=%lld\n",
         good, lines - good, dups, reordered, corrupt, other, bytes, (long long)last_ns, (long long)eof_ns);
  return 0;
}
