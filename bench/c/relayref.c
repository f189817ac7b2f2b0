/* Reference relay in C: what a relay costs without Node. Reads stdin in 512 KiB reads (as
 * lastcall does), turns each line into lastcall's `logs: prefix` ("gen | " + line) or
 * `logs: json` form ({"time",...,"message":"..."}, the time read once per read), writes each
 * read's output with one write(2) (more for an output over 8 MiB). Grows both pipes to 1 MiB like lastcall. For the bench's
 * ASCII lines only: bytes >= 0x80 pass as they are (lastcall checks UTF-8), and a line longer
 * than 1 MiB is cut. The floor for logs.mjs's relayed paths, not something to ship.
 * `copy` writes each read as it came, unformatted: the floor of the I/O alone.
 * `json-vmsplice` is json without the copy into the output pipe: each read's output is lent to
 * the pipe with vmsplice(2) from a ring of regions, and a region is reused only once more pages
 * than the pipe has slots went in after it. That is safe only for a reader that read()s, as
 * logcheck does: one that splice()s or tee()s the pipe keeps references to the pages, and they
 * would change under it. Not a design for lastcall, which does not know its reader: the bound of
 * what any json relay could make on this machine (docs/performance.md).
 * Usage: relayref prefix|json|json-vmsplice|copy < in > out */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>

#define READ_SIZE (512 * 1024)
#define CARRY_MAX (1024 * 1024)
static char in[READ_SIZE];
static char carry[CARRY_MAX];
static size_t carried;
/* A line's output is at most its head, every byte escaped (\u00XX) and the tail: written out
 * before a line once OUT_FLUSH bytes are waiting, so a line always fits. */
#define OUT_FLUSH (8 * 1024 * 1024)
static char out[OUT_FLUSH + 6 * (CARRY_MAX + READ_SIZE) + 4096];
#define REGION (2u << 20)
#define REGIONS 4
#define PIPE_SLOTS 256 /* a 1 MiB pipe: 256 pages */
static char ring[REGIONS][REGION] __attribute__((aligned(4096)));
static unsigned long long pages_lent, lent_until[REGIONS];
static int region, region_used[REGIONS];
static char head[256];
static size_t head_len;
static int json;

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Any byte < 0x20, '"' or '\\' among these 8 (word-at-a-time zero-byte tests). */
static int needs_escape8(uint64_t x) {
  uint64_t quote = x ^ (ONES * '"'), backslash = x ^ (ONES * '\\');
  return (((x - ONES * 0x20) & ~x) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash)) & HIGHS;
}

static char *escaped(char *o, const unsigned char *l, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    memcpy(&x, l + i, 8);
    if (needs_escape8(x)) break;
  }
  memcpy(o, l, i);
  o += i;
  for (; i < n; i++) {
    unsigned char c = l[i];
    if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = c; }
    else if (c == '\n') { *o++ = '\\'; *o++ = 'n'; }
    else if (c == '\t') { *o++ = '\\'; *o++ = 't'; }
    else if (c < 0x20) o += sprintf(o, "\\u%04x", c);
    else *o++ = c;
  }
  return o;
}

static char *line_out(char *o, const char *l, size_t n) {
  memcpy(o, head, head_len);
  o += head_len;
  if (!json) {
    memcpy(o, l, n);
    o += n;
    *o++ = '\n';
    return o;
  }
  if (n > 0 && l[n - 1] == '\r') n--;
  o = escaped(o, (const unsigned char *)l, n);
  memcpy(o, "\"}\n", 3);
  return o + 3;
}

static void write_all(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0) { perror("relayref: write"); exit(3); }
    p += w;
    n -= w;
  }
}

/* vmsplice region's first n bytes into stdout: each page they touch becomes one pipe buffer. */
static void lend_region(size_t n) {
  char *p = ring[region];
  unsigned long long pages = ((uintptr_t)p + n - 1) / 4096 - (uintptr_t)p / 4096 + 1;
  while (n > 0) {
    struct iovec iov = { p, n };
    ssize_t w = vmsplice(1, &iov, 1, 0);
    if (w < 0) { perror("relayref: vmsplice"); exit(3); }
    p += w;
    n -= w;
  }
  pages_lent += pages;
  lent_until[region] = pages_lent;
  region_used[region] = 1;
}

static void read_clock(void) {
  if (!json) return;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  head_len = snprintf(head, sizeof head, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"program\":\"gen\",\"stream\":\"stdout\",\"message\":\"",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "prefix") != 0 && strcmp(argv[1], "json") != 0 && strcmp(argv[1], "json-vmsplice") != 0 && strcmp(argv[1], "copy") != 0)) {
    fprintf(stderr, "usage: relayref prefix|json|json-vmsplice|copy < in > out\n");
    return 2;
  }
  int copy = strcmp(argv[1], "copy") == 0;
  int vmsplice_out = strcmp(argv[1], "json-vmsplice") == 0;
  json = strncmp(argv[1], "json", 4) == 0;
  if (!json) head_len = (size_t)sprintf(head, "gen | ");
  fcntl(0, F_SETPIPE_SZ, 1 << 20);
  fcntl(1, F_SETPIPE_SZ, 1 << 20);
  for (;;) {
    ssize_t r = read(0, in, READ_SIZE);
    if (r < 0) { perror("relayref: read"); return 3; }
    if (r == 0) break;
    if (copy) {
      write_all(in, r);
      continue;
    }
    read_clock();
    /* Lend the next region if its pages have surely left the pipe (else copy, as json does). */
    region = (region + 1) % REGIONS;
    int lend = vmsplice_out && (!region_used[region] || pages_lent - lent_until[region] > PIPE_SLOTS);
    char *base = lend ? ring[region] : out;
    char *o = base, *p = in, *end = in + r;
    while (p < end) {
      if (!lend && o - out > OUT_FLUSH) {
        write_all(out, o - out);
        o = out;
      }
      char *nl = memchr(p, '\n', end - p);
      size_t n = (nl ? nl : end) - p;
      if (lend && (size_t)(o - base) + head_len + 3 + 6 * (carried + n) > REGION) { /* might not fit: lend what is there, copy the rest */
        if (o > base) lend_region(o - base);
        lend = 0;
        base = o = out;
      }
      if (carried + n > CARRY_MAX) { /* cut an over-long line */
        o = line_out(o, carry, carried);
        carried = 0;
      }
      if (!nl) {
        memcpy(carry + carried, p, n);
        carried += n;
        break;
      }
      if (carried > 0) {
        memcpy(carry + carried, p, n);
        o = line_out(o, carry, carried + n);
        carried = 0;
      } else {
        o = line_out(o, p, n);
      }
      p = nl + 1;
    }
    if (!lend) write_all(out, o - out);
    else if (o > base) lend_region(o - base);
  }
  if (carried > 0) {
    read_clock();
    write_all(out, line_out(out, carry, carried) - out);
  }
  return 0;
}
