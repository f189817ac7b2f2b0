/* Orphan storm: COUNT orphans, each the grandchild of a process that exits at once (so the init
 * adopts it), that exit at once themselves. Nothing happens until a byte arrives on GO (a FIFO):
 * the bench reads the init's CPU time first. Each orphan stores its exit time (CLOCK_MONOTONIC)
 * in shared memory just before _exit; the last exit is the latest of them. Then /proc (this
 * namespace's) is watched every 1 ms until no orphan is left or TIMEOUT_MS passed, and RESULT gets
 * "orphans=N made_ms=M left=Z lag_us=L" (lag: last orphan's exit -> /proc shows none left; -1 if
 * never). Then it waits to be killed, so the init is still there to be measured.
 * Usage: storm COUNT GO_FIFO RESULT TIMEOUT_MS */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Number of processes in this namespace: a getdents walk only, cheap even with 10 000 zombies. */
static int count_processes(void) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) if (e->d_name[0] >= '1' && e->d_name[0] <= '9') n++;
  closedir(d);
  return n;
}

/* Processes in state Z (read from each /proc/PID/stat): slower, used for the final count. */
static int count_zombies(void) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  char path[300], buf[512];
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char *p = strrchr(buf, ')');
    if (p && p[1] == ' ' && p[2] == 'Z') n++;
  }
  closedir(d);
  return n;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: storm COUNT GO_FIFO RESULT TIMEOUT_MS\n"); return 2; }
  int count = atoi(argv[1]);
  int64_t timeout = atoll(argv[4]) * 1000000LL;
  volatile int64_t *exited = mmap(NULL, count * sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (exited == MAP_FAILED) { perror("mmap"); return 2; }
  int go = open(argv[2], O_RDONLY);
  char byte;
  if (go < 0 || read(go, &byte, 1) != 1) { perror(argv[2]); return 2; }
  close(go);
  int baseline = count_processes(); /* the init, its helpers if any, and this program */

  int64_t start = now_ns();
  for (int made = 0; made < count;) {
    for (int i = 0; i < 100 && made < count; i++, made++) {
      pid_t mid = fork();
      if (mid < 0) { perror("fork"); return 2; }
      if (mid == 0) {
        if (fork() == 0) { exited[made] = now_ns(); _exit(made % 256); }
        _exit(0);
      }
      waitpid(mid, NULL, 0); /* our own child; its child now belongs to the init */
    }
    usleep(1000);
  }
  int64_t made_at = now_ns();
  int64_t last = 0;
  for (int i = 0; i < count; i++) {
    while (exited[i] == 0) {
      if (now_ns() - made_at > timeout) { fprintf(stderr, "storm: orphan %d never ran\n", i); return 2; }
      usleep(100);
    }
    if (exited[i] > last) last = exited[i];
  }
  int64_t clear = -1;
  for (;;) {
    int64_t t = now_ns();
    if (count_processes() <= baseline && count_zombies() == 0) { clear = t; break; }
    if (t - last > timeout) break;
    usleep(1000);
  }
  char line[200];
  int n = snprintf(line, sizeof line, "orphans=%d made_ms=%lld left=%d lag_us=%lld\n", count,
                   (long long)((made_at - start) / 1000000), count_zombies(),
                   (long long)(clear < 0 ? -1 : (clear - last) / 1000));
  int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, line, n) != n) { perror(argv[3]); return 2; }
  close(fd);
  for (;;) pause();
}
