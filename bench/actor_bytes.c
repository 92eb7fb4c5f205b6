/*
 * actor_bytes.c -- resident memory per idle actor, 100,000 actors.
 *
 * Reads the resident set from /proc/self/statm (with read(2) into a stack
 * buffer, so the reading itself allocates nothing), spawns 100,000 actors
 * each with a tiny state (16 bytes, as the drone's own state would be) and
 * an empty mailbox, reads it again, and divides the growth by 100,000.  The
 * engine is initialised and the first statm read done before the baseline,
 * and nothing is printed until after the second read, so only the spawns and
 * the states are counted.  The state array is allocated after the baseline
 * and written by the spawn loop, so the figure *includes* the states; a `#`
 * line gives their share and the runtime's alone (the target in DESIGN.md is
 * per actor "plus the drone's own state").  Page granularity makes the
 * figure exact to within 4096 / 100,000 bytes.
 *
 * Prints `bench actor_bytes <bytes> bytes`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt/actor.h"

#define ACTORS 100000

typedef struct drone_state {
  double x, y;
} drone_state;

static int idle_handle(sl_actor *self, sl_msg *m) {
  return 0;
}
static const sl_behaviour idle_beh = {"idle", NULL, idle_handle, NULL};

/* Resident set size in bytes, or -1. */
static long rss_bytes(void) {
  char buf[128];
  int fd = open("/proc/self/statm", O_RDONLY);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  long size, resident;
  if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
    return -1;
  return resident * sysconf(_SC_PAGESIZE);
}

int main(void) {
  sl_engine e;
  sl_engine_opts opts = {SL_CLOCK_VIRTUAL, 1, 0, 0, 1.0};
  if (sl_engine_init(&e, &opts) != 0)
    return 1;
  (void)rss_bytes(); /* fault in whatever the first call needs */

  long before = rss_bytes();
  drone_state *states = malloc(ACTORS * sizeof(*states));
  if (states == NULL)
    return 1;
  int failures = 0;
  for (int i = 0; i < ACTORS; i++) {
    states[i].x = i;
    states[i].y = -i;
    sl_id id;
    if (sl_actor_spawn(&e, &idle_beh, &states[i], NULL, &id) != 0)
      failures++;
  }
  long after = rss_bytes();

  if (before < 0 || after < 0 || failures != 0 ||
      sl_actor_count(&e) != ACTORS) {
    fprintf(stderr, "actor_bytes: rss %ld -> %ld, %d spawn failures\n", before,
            after, failures);
    return 1;
  }
  double per = (double)(after - before) / ACTORS;
  double state = (double)sizeof(drone_state);
  printf("# actor_bytes: RSS %ld -> %ld KiB for %d actors; includes the "
         "%.0f-byte state each: runtime alone %.1f bytes (sizeof(sl_actor) "
         "%zu)\n",
         before / 1024, after / 1024, ACTORS, state, per - state,
         sizeof(sl_actor));
  printf("bench actor_bytes %.1f bytes\n", per);
  sl_engine_close(&e);
  free(states);
  return 0;
}
