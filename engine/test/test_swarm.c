/* Tests for the swarm domain in C: grid, area, registry, a small flight
 * (engine/swarm).  Behaviour in depth is in the busted specs. */
#include "swarm/flight.h"
#include "swarm/swarm.h"
#include "t.h"

typedef struct found {
  uint32_t items[64];
  int n;
} found;

static int collect(void *ud, uint32_t item, double d) {
  found *f = ud;
  f->items[f->n++] = item;
  return 0;
}

static int any(void *ud, uint32_t item) { return 1; }
static int odd_only(void *ud, uint32_t item) { return item % 2 == 1; }

TEST(grid_within_finds_exactly_the_items_in_range) {
  sl_grid g;
  REQUIRE(sl_grid_init(&g, 10) == 0);
  sl_grid_set(&g, 0, 0, 0);
  sl_grid_set(&g, 1, 5, 0);
  sl_grid_set(&g, 2, 25, 0);   /* 25 away */
  sl_grid_set(&g, 3, -3, -4);  /* 5 away, negative cells */
  sl_grid_set(&g, 4, 100, 100);
  found f = {{0}, 0};
  sl_grid_within(&g, 0, 0, 5, collect, &f);
  CHECK_INT(f.n, 3); /* 0, 1 and 3 (exactly 5 counts) */
  int seen = 0;
  for (int i = 0; i < f.n; i++)
    seen |= 1 << f.items[i];
  CHECK_INT(seen, 0xb);
  sl_grid_free(&g);
}

TEST(grid_nearest_breaks_ties_by_index_and_honours_the_predicate) {
  sl_grid g;
  sl_grid_init(&g, 10);
  sl_grid_set(&g, 5, 50, 0);
  sl_grid_set(&g, 2, -50, 0); /* same distance as 5, lower index */
  sl_grid_set(&g, 7, 0, 200);
  CHECK_INT(sl_grid_nearest(&g, 0, 0, any, NULL), 2);
  CHECK_INT(sl_grid_nearest(&g, 0, 0, odd_only, NULL), 5);
  CHECK_INT(sl_grid_nearest(&g, 0, 190, any, NULL), 7);
  sl_grid_remove(&g, 2);
  sl_grid_remove(&g, 5);
  CHECK_INT(sl_grid_nearest(&g, 0, 0, any, NULL), 7);
  sl_grid_remove(&g, 7);
  CHECK_INT(sl_grid_nearest(&g, 0, 0, any, NULL), -1);
  sl_grid_free(&g);
}

TEST(grid_nearest_looks_only_near_in_a_big_fleet) {
  sl_grid g;
  sl_grid_init(&g, 100);
  enum { SIDE = 300 }; /* 90,000 items on a 50 m lattice */
  for (uint32_t i = 0; i < SIDE * SIDE; i++)
    CHECK_INT(sl_grid_set(&g, i, (i % SIDE) * 50.0, (i / SIDE) * 50.0), 0);
  g.visited = 0;
  uint32_t want = 150 * SIDE + 150; /* at (7500, 7500) */
  CHECK_INT(sl_grid_nearest(&g, 7510, 7490, any, NULL), want);
  CHECK(g.visited < 200); /* a few cells, not the fleet */
  /* Moving an item updates its cell. */
  sl_grid_set(&g, 0, 7511, 7491);
  CHECK_INT(sl_grid_nearest(&g, 7510, 7490, any, NULL), 0);
  sl_grid_free(&g);
}

static int none(void *ud, uint32_t item) { return 0; }

/* Two items 300 km apart on 100 m cells: rings out to the far one would be
 * 3,000 cells wide (36 million lookups).  A search that finds nothing
 * acceptable costs at most two passes over the table. */
TEST(grid_nearest_is_bounded_when_items_are_far_apart) {
  sl_grid g;
  sl_grid_init(&g, 100);
  sl_grid_set(&g, 0, 0, 0);
  sl_grid_set(&g, 1, 300000, 0);
  g.probed = 0;
  CHECK_INT(sl_grid_nearest(&g, 0, 0, none, NULL), -1);
  CHECK(g.probed <= 2 * (uint64_t)g.cap);
  CHECK_INT(g.visited, 3); /* item 0 in ring 0, then both in the pass */
  g.probed = 0;
  CHECK_INT(sl_grid_nearest(&g, 10, 0, odd_only, NULL), 1); /* far, found */
  CHECK(g.probed <= 2 * (uint64_t)g.cap);
  CHECK_INT(sl_grid_nearest(&g, 299000, 0, any, NULL), 1);
  CHECK_INT(sl_grid_nearest(&g, 149999, 0, any, NULL), 0);
  CHECK_INT(sl_grid_nearest(&g, 150000, 0, any, NULL), 0); /* tie: lower */
  sl_grid_free(&g);
}

static int below(void *ud, uint32_t item) { return item < *(uint32_t *)ud; }

/* Rings or the whole table, the answer is the brute-force one: the lowest
 * (distance, index) among the accepted items. */
TEST(grid_nearest_agrees_with_brute_force) {
  uint64_t s = 12345;
  for (int round = 0; round < 300; round++) {
    sl_grid g;
    sl_grid_init(&g, 50);
    uint32_t n = 1 + round % 40;
    double px[40], py[40];
    for (uint32_t i = 0; i < n; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      int far = (s >> 60) == 0; /* one in sixteen far out */
      double span = far ? 2000000 : 600;
      px[i] = (double)(int64_t)((s >> 20) % 13 - 6) * span / 6;
      py[i] = (double)(int64_t)((s >> 40) % 13 - 6) * span / 6;
      sl_grid_set(&g, i, px[i], py[i]);
    }
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double qx = (double)(int64_t)((s >> 20) % 13 - 6) * 100;
    double qy = (double)(int64_t)((s >> 40) % 13 - 6) * 100;
    uint32_t limit = (uint32_t)(s >> 58) % (n + 1);
    int64_t want = -1;
    double wd = INFINITY;
    for (uint32_t i = 0; i < limit; i++) {
      double dx = px[i] - qx, dy = py[i] - qy;
      double d = sqrt(dx * dx + dy * dy);
      if (d < wd) {
        want = i;
        wd = d;
      }
    }
    CHECK_INT(sl_grid_nearest(&g, qx, qy, below, &limit), want);
    sl_grid_free(&g);
  }
}

TEST(area_waypoints_follow_the_lawnmower_rule) {
  sl_area a = {0, 0, 100, 300, 30};
  sl_vec3 *w;
  uint32_t n;
  REQUIRE(sl_area_waypoints(&a, 100, &w, &n) == 0);
  REQUIRE(n == 6); /* rows at y = 50, 150, 250 */
  CHECK_DBL(w[0].x, 0, 0);
  CHECK_DBL(w[0].y, 50, 0);
  CHECK_DBL(w[1].x, 100, 0);
  CHECK_DBL(w[2].x, 100, 0); /* row 1 runs back */
  CHECK_DBL(w[2].y, 150, 0);
  CHECK_DBL(w[3].x, 0, 0);
  CHECK_DBL(w[5].y, 250, 0);
  CHECK_DBL(w[5].z, 30, 0);
  free(w);
  sl_area thin = {0, 0, 100, 40, 10}; /* no row fits: one in the middle */
  REQUIRE(sl_area_waypoints(&thin, 100, &w, &n) == 0);
  CHECK_INT(n, 2);
  CHECK_DBL(w[0].y, 20, 0);
  free(w);
  CHECK_INT(sl_area_waypoints(&a, 0, &w, &n), SL_EINVAL);
  /* Rows at y = 0.5, 1.5, ...: 100,000 fit under 99,999.5, not 100,001. */
  sl_area tall = {0, 0, 10, 99999.5, 30};
  REQUIRE(sl_area_waypoints(&tall, 1, &w, &n) == 0);
  CHECK_INT(n, 2 * SL_AREA_MAX_ROWS);
  CHECK_DBL(w[n - 1].y, 99999.5, 0);
  free(w);
  tall.maxy = 100000.5;
  CHECK_INT(sl_area_waypoints(&tall, 1, &w, &n), SL_ETOOBIG);
  CHECK(w == NULL);
  CHECK_INT(n, 0);
}

typedef struct evlog {
  int types[64];
  int n;
} evlog;

static void on_events(sl_engine *e, void *ud) {
  void **u = ud;
  sl_bus_sub *rx = u[0];
  evlog *log = u[1];
  sl_event ev;
  while (sl_bus_sub_next(rx, &ev, NULL) == 0) {
    if (log->n < 64)
      log->types[log->n++] = ev.type;
    sl_event_free(&ev);
  }
}

TEST(a_small_flight_in_c) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_swarm sw;
  REQUIRE(sl_swarm_init(&sw, &e, NULL) == 0);
  evlog log = {{0}, 0};
  sl_bus_sub *rx = sl_bus_subscribe(&sw.bus, -1, NULL, 0);
  void *ud[2] = {rx, &log};
  sl_bus_sub_set_notify(rx, on_events, ud);
  uint32_t id;
  REQUIRE(sl_swarm_spawn_drone(&sw, sl_v3(0, 0, 0), 100, NULL, &id) == 0);
  CHECK_INT(id, 0);
  CHECK_INT(sl_drone_move_to(&sw, id, sl_v3(0, 0, 10)), 0);
  sl_engine_run_for(&e, 1000000);
  sl_drone *d = sl_swarm_drone(&sw, id);
  REQUIRE(d != NULL);
  CHECK_DBL(d->pos.z, 10, 0);
  CHECK_INT(d->state, SL_DS_IDLE);
  REQUIRE(log.n >= 3);
  CHECK_INT(log.types[0], SL_EV_DRONE_REGISTERED);
  CHECK_INT(log.types[1], SL_EV_DRONE_STATE); /* moving */
  CHECK_INT(log.types[2], SL_EV_DRONE_STATE); /* idle, arrived */
  /* A second registration under a taken id is refused. */
  sl_drone dup;
  memset(&dup, 0, sizeof(dup));
  dup.id = 0;
  CHECK_INT(sl_swarm_register(&sw, &dup), SL_EEXIST);
  CHECK_INT(sw.live, 1);
  CHECK_INT(sl_drone_move_to(&sw, 9, sl_v3(1, 1, 1)), SL_ESTOPPED);
  sl_swarm_shutdown(&sw, 0);
  CHECK(sl_swarm_drone(&sw, id) == NULL);
  sl_bus_unsubscribe(rx);
  CHECK_INT(sl_engine_close(&e), 0);
  sl_swarm_free(&sw);
}

/* The alert level comes from counts of detected targets by threat, kept as
 * targets are detected and lost, not from a pass over every target. */
TEST(alert_level_from_counts_by_threat) {
  sl_engine e;
  sl_engine_init(&e, NULL);
  sl_swarm sw;
  REQUIRE(sl_swarm_init(&sw, &e, NULL) == 0);
  uint32_t drone, t[5];
  REQUIRE(sl_swarm_spawn_drone(&sw, sl_v3(0, 0, 0), 100, NULL, &drone) == 0);
  const int threat[5] = {SL_THREAT_LOW, SL_THREAT_CRITICAL, SL_THREAT_CRITICAL,
                         SL_THREAT_HIGH, SL_THREAT_MEDIUM};
  for (int i = 0; i < 5; i++)
    REQUIRE(sl_swarm_add_target(&sw, sl_v3(1000 + i, 1000, 0), threat[i],
                                sl_v3(0, 0, 0), &t[i]) == 0);
  for (int i = 0; i < 4; i++) /* t[4] is never seen */
    sl__coord_tell(&sw, SL_COORD_DETECT, drone, t[i]);
  sl__coord_tell(&sw, SL_COORD_DETECT, drone, t[1]); /* twice: once counts */
  sl_engine_run_for(&e, 0);
  CHECK_INT(sw.threats[SL_THREAT_LOW], 1);
  CHECK_INT(sw.threats[SL_THREAT_MEDIUM], 0);
  CHECK_INT(sw.threats[SL_THREAT_HIGH], 1);
  CHECK_INT(sw.threats[SL_THREAT_CRITICAL], 2);
  CHECK_INT(sw.alert, SL_THREAT_CRITICAL);
  CHECK_INT(sl_swarm_remove_target(&sw, t[1]), 0);
  CHECK_INT(sw.threats[SL_THREAT_CRITICAL], 1);
  CHECK_INT(sw.alert, SL_THREAT_CRITICAL);
  CHECK_INT(sl_swarm_remove_target(&sw, t[4]), 0); /* undetected */
  CHECK_INT(sw.threats[SL_THREAT_MEDIUM], 0);
  CHECK_INT(sl_swarm_remove_target(&sw, t[2]), 0);
  CHECK_INT(sw.alert, SL_THREAT_HIGH);
  CHECK_INT(sl_swarm_remove_target(&sw, t[3]), 0);
  CHECK_INT(sw.alert, 0); /* only low left: normal */
  CHECK_INT(sw.threats[SL_THREAT_LOW], 1);
  CHECK_INT(sl_swarm_remove_target(&sw, t[3]), SL_ENOTFOUND);
  CHECK_INT(sw.threats[SL_THREAT_HIGH], 0);
  sl_swarm_shutdown(&sw, 0);
  CHECK_INT(sl_engine_close(&e), 0);
  sl_swarm_free(&sw);
}

/* --- the energy arithmetic (issue 10, item 15) ---------------------------- */

TEST(flight_ticks_exact_values) {
  /* floor((dist - 1) / step) + 1, at least 1, 0 for no flight */
  CHECK_INT(sl__flight_ticks(0, 1), 0);
  CHECK_INT(sl__flight_ticks(0.5, 1), 1); /* within a step: onto it */
  CHECK_INT(sl__flight_ticks(1, 1), 1);
  CHECK_INT(sl__flight_ticks(1.5, 1), 1); /* 0.5 m left: arrived */
  CHECK_INT(sl__flight_ticks(2, 1), 2);   /* 1.0 m left is not arrival */
  CHECK_INT(sl__flight_ticks(58.309518948453004, 1), 58);
  CHECK_INT(sl__flight_ticks(104.40306508910551, 1), 104);
  CHECK_INT(sl__flight_ticks(124, 1), 124);
  CHECK_INT(sl__flight_ticks(10, 2.5), 4);  /* 7.5, 5, 2.5, onto it */
  CHECK_INT(sl__flight_ticks(3.4, 2.5), 1); /* 0.9 m left: arrived */
  CHECK_INT(sl__flight_ticks(3.5, 2.5), 2); /* 1.0 m left */
  CHECK(sl__flight_ticks(1e300, 1) > 0);    /* no overflow */
}

/* The arithmetic against the real thing: drones fly to goals at various
 * distances and speeds; the ticks each takes to arrive are the ticks
 * sl__flight_ticks says. */
TEST(flight_ticks_match_the_flights_drones_fly) {
  static const double speed[] = {10, 7, 25, 3.3};
  static const sl_vec3 goal[] = {
      {0, 0, 0.4},        {0, 0, 1},      {0, 0, 2}, {30, 40, 0}, {0, 50, 30},
      {17.3, -4.1, 9.99}, {100, 100, 30}, {3, 0, 0}, {2.5, 0, 0}};
  for (size_t si = 0; si < sizeof speed / sizeof *speed; si++) {
    for (size_t gi = 0; gi < sizeof goal / sizeof *goal; gi++) {
      sl_engine e;
      sl_engine_init(&e, NULL);
      sl_swarm sw;
      REQUIRE(sl_swarm_init(&sw, &e, NULL) == 0);
      sl_drone_opts o = sw.o.drone;
      o.speed = speed[si];
      o.drain = 0; /* the flight alone */
      uint32_t id;
      REQUIRE(sl_swarm_spawn_drone(&sw, sl_v3(0, 0, 0), 100, &o, &id) == 0);
      sl_engine_run_for(&e, 100000); /* idle after its first tick */
      CHECK_INT(sl_drone_move_to(&sw, id, goal[gi]), 0);
      sl_engine_run_for(&e, 0);
      sl_drone *d = sl_swarm_drone(&sw, id);
      int64_t ticks = 0;
      while (d->state != SL_DS_IDLE && ticks < 100000) {
        sl_engine_run_for(&e, 100000);
        ticks++;
      }
      double dist = sl_v3_dist(sl_v3(0, 0, 0), goal[gi]);
      int64_t want = sl__flight_ticks(dist, speed[si] * 0.1);
      if (ticks != want)
        T_FAIL("speed %g to (%g, %g, %g), %.6f m: flew %lld ticks, "
               "sl__flight_ticks says %lld",
               speed[si], goal[gi].x, goal[gi].y, goal[gi].z, dist,
               (long long)ticks, (long long)want);
      sl_swarm_shutdown(&sw, 0);
      CHECK_INT(sl_engine_close(&e), 0);
      sl_swarm_free(&sw);
    }
  }
}
