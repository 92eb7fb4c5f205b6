/*
 * swarm.c -- the swarm benchmark: a fleet flying on the real or the virtual
 * clock.
 *
 *   build/bench/swarm --drones N --seconds T --clock real|virtual
 *
 * The scenario (issue 4): N drones with bases on the spawn_fleet grid
 * (i % 10 * 50, i / 10 * 50); every second drone patrols the strip from
 * (x0, y0 + 50, 30) to (x0 + 100, y0 + 50, 30) beside its base (x0, y0);
 * 20 targets scattered by the seeded generator over 0..1000 x 0..1000;
 * telemetry aggregated every second (a stream with aggregate(1 s) on the
 * swarm's samples); statuses published every telemetry_interval (0.1 s).
 * Prints what it did (ticks, events, telemetry windows), CPU and wall time,
 * the process's RSS, and on the real clock whether it kept up: the worst
 * lateness of a tick.  With --bench it also prints `bench NAME VALUE UNIT`
 * lines for the figures this run can give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "swarm/swarm.h"

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != NULL) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * 4; /* 4 KiB pages */
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

typedef struct counts {
  uint64_t events, windows, samples_in_windows;
  sl_bus_sub *rx;
} counts;

static void on_events(sl_engine *e, void *ud) {
  counts *c = ud;
  sl_event ev;
  while (sl_bus_sub_next(c->rx, &ev, NULL) == 0) {
    c->events++;
    sl_event_free(&ev);
  }
}

static void on_window(sl_engine *e, void *ud, sl_item *it) {
  counts *c = ud;
  if (it->kind != SL_ITEM_AGG)
    return;
  c->windows++;
  c->samples_in_windows += it->u.agg->samples;
}

static void push_sample(void *ud, sl_item *it) { sl_stream_push(ud, it); }

int main(int argc, char **argv) {
  long drones = 1000;
  double seconds = 10;
  int real = 0, bench = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--drones") == 0 && i + 1 < argc)
      drones = atol(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (strcmp(argv[i], "--clock") == 0 && i + 1 < argc)
      real = strcmp(argv[++i], "real") == 0;
    else if (strcmp(argv[i], "--bench") == 0)
      bench = 1;
    else {
      fprintf(stderr, "usage: swarm --drones N --seconds T "
                      "--clock real|virtual [--bench]\n");
      return 2;
    }
  }
  long rss0 = rss_kb();
  sl_engine e;
  sl_engine_opts eo = {real ? SL_CLOCK_REAL : SL_CLOCK_VIRTUAL, 1, 0, 0, 1.0};
  if (sl_engine_init(&e, &eo) != 0)
    return 1;
  sl_swarm sw;
  if (sl_swarm_init(&sw, &e, NULL) != 0)
    return 1;
  sl_area field = {0, 0, 1000, 1000, 0};
  sl_swarm_scatter_targets(&sw, 20, &field);
  counts c = {0, 0, 0, sl_bus_subscribe(&sw.bus, -1, NULL, 0)};
  sl_bus_sub_set_notify(c.rx, on_events, &c);
  sl_stream *agg = sl_stream_new(&e);
  sl_stream_aggregate(agg, 1000000, "drone", "battery", "state");
  sl_stream_sink(agg, on_window, &c, 64);
  sl_swarm_telemetry_add(&sw, push_sample, agg);

  double t_spawn = (double)uv_hrtime() / 1e9;
  for (long i = 0; i < drones; i++) {
    double x0 = (double)(i % 10) * 50, y0 = (double)(i / 10) * 50;
    uint32_t id;
    if (sl_swarm_spawn_drone(&sw, sl_v3(x0, y0, 0), 100, NULL, &id) != 0)
      return 1;
    if (i % 2 == 1) {
      sl_vec3 strip[2] = {sl_v3(x0, y0 + 50, 30), sl_v3(x0 + 100, y0 + 50, 30)};
      sl_drone_patrol(&sw, id, strip, 2);
    }
  }
  t_spawn = (double)uv_hrtime() / 1e9 - t_spawn;
  long rss_spawned = rss_kb();

  double cpu0 = cpu_seconds();
  uint64_t w0 = uv_hrtime();
  sl_engine_run_for(&e, (int64_t)(seconds * 1e6));
  double wall = (double)(uv_hrtime() - w0) / 1e9;
  double cpu = cpu_seconds() - cpu0;
  long rss_end = rss_kb();
  uint64_t want_ticks = (uint64_t)(seconds * 10 + 1e-9);

  printf("# swarm: %ld drones, %s clock, %.1f s simulated in %.3f s wall, "
         "%.3f s CPU (spawned in %.3f s)\n",
         drones, real ? "real" : "virtual", seconds, wall, cpu, t_spawn);
  printf("# swarm: %llu ticks of %llu, %llu events, %llu telemetry windows "
         "(%llu samples), %llu targets detected\n",
         (unsigned long long)sw.ticks, (unsigned long long)want_ticks,
         (unsigned long long)c.events, (unsigned long long)c.windows,
         (unsigned long long)c.samples_in_windows,
         (unsigned long long)sw.targets_detected);
  printf("# swarm: RSS %ld KiB at start, %ld KiB with the fleet, %ld KiB at "
         "the end\n",
         rss0, rss_spawned, rss_end);
  printf("# swarm: per drone: the runtime's share is its actor (%zu bytes) "
         "and its monitor (%zu); the drone's own state is its record (%zu), "
         "its published status (%zu, allocated) and its grid entry (%zu), "
         "plus patrol waypoints for the patrollers\n",
         sizeof(sl_actor), sl__monitor_size(), sizeof(sl_drone),
         sizeof(sl_drone_status), sizeof(sl_grid_pos));
  int kept_up = 1;
  if (real) {
    kept_up = sw.worst_late_us < sw.o.tick_us && sw.ticks + 1 >= want_ticks;
    printf("# swarm: worst tick lateness %.3f ms: %s\n",
           (double)sw.worst_late_us / 1e3,
           kept_up ? "kept up with real time" : "FELL BEHIND");
  } else {
    printf("# swarm: %.0f virtual seconds per wall second\n", seconds / wall);
  }
  if (bench) {
    if (real)
      printf("bench swarm_cpu_%ldk %.3f s\n", drones / 1000, cpu);
    else
      printf("bench swarm_virtual_speedup_%ld %.0f x\n", drones,
             seconds / wall);
    printf("bench swarm_rss_%ld %.2f MB\n", drones, (double)rss_end / 1024);
    printf("bench drone_bytes_%ld %.0f bytes\n", drones,
           (double)(rss_spawned - rss0) * 1024 / (double)drones);
  }
  sl_swarm_shutdown(&sw, 0);
  sl_swarm_telemetry_remove(&sw, agg);
  sl_stream_free(agg);
  sl_bus_unsubscribe(c.rx);
  sl_engine_close(&e);
  sl_swarm_free(&sw);
  return kept_up ? 0 : 3;
}
