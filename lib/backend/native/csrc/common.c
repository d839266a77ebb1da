/* Library identity and threading of the yolov9-ts native shim.
 *
 * Threads: every parallel region uses the OpenMP thread count set here. On a machine whose cores
 * are shared with other busy processes a parallel region waits for a descheduled thread (a
 * scheduler time slice, milliseconds) at every barrier, which makes two threads several times
 * slower than one. In adaptive mode the library therefore probes every 100 ms: the machine is busy
 * when any other process has a runnable thread (`procs_running` of /proc/stat minus this process's
 * threads in state R) or when an empty parallel region takes over 0.5 ms. One busy probe drops to
 * one thread, three quiet ones in a row go back to all. */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "yn.h"

/* ABI version checked by ffi.ts (NATIVE_ABI); bump with any signature change. */
YN_EXPORT int yn_version(void) { return 7; }

static int max_threads = 1, adaptive = 0, fast_streak = 0;
static double last_probe = -1.0;
static int32_t probes = 0, parallel_probes = 0;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Sets the thread count (n > 0) and the adaptive mode; returns the count in effect. */
YN_EXPORT int yn_set_threads(int n, int adapt) {
  if (n > 0) {
    max_threads = n;
    adaptive = adapt && n > 1;
    last_probe = -1.0;
    fast_streak = 0;
    omp_set_num_threads(n);
  }
  return omp_get_max_threads();
}

/* Runnable threads on the whole machine, or -1 when /proc/stat cannot be read. */
static int procs_running(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "procs_running %d", &n) == 1) break;
  fclose(f);
  return n;
}

/* This process's threads in state R (running or runnable), or 0 when /proc cannot be read. */
static int own_running(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  char path[64], buf[512];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    const char *s = strrchr(buf, ')'); /* the state follows the command name */
    if (s && s[1] == ' ' && s[2] == 'R') n++;
  }
  closedir(d);
  return n;
}

int yn_threads(void) {
  if (!adaptive) return max_threads;
  double t = now_s();
  if (t - last_probe < 0.1) return omp_get_max_threads();
  double worst = 0.0;
  for (int i = 0; i < 2; i++) {
    double t0 = now_s();
#pragma omp parallel num_threads(max_threads)
    { __asm__ volatile("" ::: "memory"); }
    double dt = now_s() - t0;
    worst = dt > worst ? dt : worst;
  }
  last_probe = now_s();
  const int total = procs_running();
  const int busy = worst > 5e-4 || (total >= 0 && total - own_running() > 0);
  fast_streak = busy ? 0 : fast_streak + 1;
  int n = fast_streak >= 3 ? max_threads : 1;
  probes++;
  parallel_probes += n > 1;
  omp_set_num_threads(n);
  return n;
}

/* Adaptive-mode statistics: {probes so far, probes that chose all threads}. */
YN_EXPORT int yn_thread_stats(int32_t *out) {
  out[0] = probes;
  out[1] = parallel_probes;
  return 0;
}

/* oneDNN's version as {major, minor, patch}. */
YN_EXPORT int yn_dnnl_version(int32_t *out) {
  const dnnl_version_t *v = dnnl_version();
  out[0] = v->major;
  out[1] = v->minor;
  out[2] = v->patch;
  return 0;
}
