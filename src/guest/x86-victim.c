/*
 * vras real-guest victim for x86_64 guests: src/guest/victim.c with one more mode, `busy`, built
 * with the host's gcc -static. In `busy` mode the program reads its page in a tight user-mode
 * loop: a machine check delivered to the vCPU then hits user mode (CS & 3 == 3), which Linux's
 * severity grading needs for SRAR to kill the task instead of panicking (severity.c: a data load
 * error IN_KERNEL panics). shared/reference/x86-guest/victim.c did the same.
 *
 * It dirties and mlocks one anonymous page, reads the page's physical address from
 * /proc/self/pagemap (bit 63 present, bits 0..54 pfn), prints it, then touches the page every
 * 20 ms (late mode only). When memory_failure() takes the page it gets SIGBUS: BUS_MCEERR_AO (5) when it is an
 * early-kill task and the kernel signals it at once, BUS_MCEERR_AR (4) when the page was
 * unmapped and its next access faults (late kill). The handler prints the si_code and exits.
 *
 * usage: victim early|late|busy [seconds]
 * output (one line each, parsed by src/guest/console.ts):
 *   VICTIM: pid=N vaddr=0x... pagemap=0x... present=N pfn=0x... paddr=0x... mode=early|late
 *   VICTIM: got SIGBUS si_code=N addr=0x... lsb=N
 *   VICTIM: timeout
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_MCE_KILL
#define PR_MCE_KILL 33
#endif
#ifndef PR_MCE_KILL_SET
#define PR_MCE_KILL_SET 1
#endif
#ifndef PR_MCE_KILL_LATE
#define PR_MCE_KILL_LATE 0
#endif
#ifndef PR_MCE_KILL_EARLY
#define PR_MCE_KILL_EARLY 1
#endif

static void put(const char *s) {
  /* One write per line so kernel messages cannot split it. */
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void on_sigbus(int sig, siginfo_t *info, void *ctx) {
  (void)sig;
  (void)ctx;
  char line[160];
  snprintf(line, sizeof line, "VICTIM: got SIGBUS si_code=%d addr=%p lsb=%d\n", info->si_code,
           info->si_addr, (int)info->si_addr_lsb);
  put(line);
  _exit(0);
}

static volatile unsigned sum_busy;

int main(int argc, char **argv) {
  int early = argc > 1 && strcmp(argv[1], "early") == 0;
  int busy = argc > 1 && strcmp(argv[1], "busy") == 0;
  int seconds = argc > 2 ? atoi(argv[2]) : 60;
  long page = sysconf(_SC_PAGESIZE);
  char line[256];

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);

  if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, early ? PR_MCE_KILL_EARLY : PR_MCE_KILL_LATE, 0, 0) != 0) {
    put("VICTIM: prctl failed\n");
    return 1;
  }

  volatile unsigned char *p =
      mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    put("VICTIM: mmap failed\n");
    return 1;
  }
  for (long i = 0; i < page; i++) p[i] = (unsigned char)(i * 7 + 1);
  if (mlock((const void *)p, (size_t)page) != 0) put("VICTIM: mlock failed\n");

  uint64_t entry = 0;
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0 || pread(fd, &entry, sizeof entry, (off_t)((uintptr_t)p / (uintptr_t)page) * 8) != 8) {
    put("VICTIM: pagemap read failed\n");
    return 1;
  }
  close(fd);
  uint64_t pfn = entry & ((1ULL << 55) - 1);
  snprintf(line, sizeof line,
           "VICTIM: pid=%d vaddr=%p pagemap=0x%llx present=%d pfn=0x%llx paddr=0x%llx mode=%s\n",
           (int)getpid(), (const void *)p, (unsigned long long)entry, (int)(entry >> 63),
           (unsigned long long)pfn, (unsigned long long)(pfn * (uint64_t)page),
           early ? "early" : busy ? "busy" : "late");
  put(line);

  if (busy) {
    /* Reads the page without a system call until a signal ends the program or time runs out. */
    time_t end = time(NULL) + seconds;
    for (;;) {
      for (int round = 0; round < 100000; round++)
        for (long i = 0; i < page; i += 64) sum_busy += p[i];
      if (time(NULL) > end) break;
    }
    snprintf(line, sizeof line, "VICTIM: timeout sum=%u\n", sum_busy);
    put(line);
    return 2;
  }
  struct timespec tick = {0, 20 * 1000 * 1000};
  unsigned sum = 0;
  /* Early kill: stay off the page so only the kernel's advisory signal (AO) can arrive.
   * Late kill: touch it every 20 ms so the access after the unmap faults (AR). */
  for (long n = 0; n < (long)seconds * 50; n++) {
    if (!early)
      for (long i = 0; i < page; i += 64) sum += p[i];
    nanosleep(&tick, NULL);
  }
  snprintf(line, sizeof line, "VICTIM: timeout sum=%u\n", sum);
  put(line);
  return 2;
}
