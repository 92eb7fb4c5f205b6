/*
 * lua_event_subs.c -- publishing to many subscriptions, from Lua's side.
 *
 * The cost of an event when a swarm has 100 subscriptions, as a busy
 * operator's session or a large mission has: 100,000 events published from
 * C in batches of 512, the engine running after each batch (which runs the
 * handlers), every queue drained after each batch.  Three shapes:
 *
 *   filtered  100 handlers `drone_state where drone == i` (i < 100): one
 *             event in ten reaches one handler
 *   typed     100 queues, one per type in turn (5 per type): each
 *             mission_assigned (a mission id string) goes to 5 of them
 *   star      100 queues on "*": each mission_assigned goes to all 100
 *
 * The figure is events published per second (wall time, best of 3); the
 * check is that every handler and queue received exactly what it matched.
 * Since each subscription has a FIFO of its own (engine/swarm/bus.c), an
 * event matched by n subscriptions is copied n - 1 times (its strings
 * too): "star" is the shape where that shows.
 */
#include <stdio.h>

#include <uv.h>

#include "lua/lsl.h"
#include "lua_host.h"

enum { EVENTS = 100000, BATCH = 512, SUBS = 100 };

static const char *const setup[] = {
    /* filtered */
    "subs = {} n = 0\n"
    "for i = 0, 99 do subs[#subs + 1] = swarm:on('drone_state where drone "
    "== ' .. i, function(ev) n = n + 1 end) end\n"
    "function drain() end\n",
    /* typed (types: the engine's event names, set by run) */
    "subs = {} n = 0\n"
    "for i = 1, 100 do subs[i] = swarm:events(types[(i - 1) % #types + 1]) "
    "end\n"
    "function drain() for i = 1, #subs do n = n + #subs[i]:drain() end end\n",
    /* star */
    "subs = {} n = 0\n"
    "for i = 1, 100 do subs[i] = swarm:events('*') end\n"
    "function drain() for i = 1, #subs do n = n + #subs[i]:drain() end end\n",
};
static const char *const names[] = {"filtered", "typed", "star"};

static double run(int shape, long *seen, long *expected) {
  lua_State *L = open_lua();
  if (L == NULL)
    return -1;
  lua_createtable(L, SL_EV_COUNT, 0);
  for (int i = 0; i < SL_EV_COUNT; i++) {
    lua_pushstring(L, sl_event_names[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "types");
  if (luaL_dostring(L, "local starling = require 'starling'\n"
                       "swarm = starling.swarm{}\n") != LUA_OK ||
      luaL_dostring(L, setup[shape]) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return -1;
  }
  lua_getglobal(L, "swarm");
  lsl_swarm *S = lsl_swarm_enter(L, -1);
  lua_pop(L, 1);
  *expected = 0;
  uint64_t t0 = uv_hrtime();
  for (long i = 0; i < EVENTS; i += BATCH) {
    for (long k = i; k < i + BATCH && k < EVENTS; k++) {
      sl_event ev;
      if (shape == 0) {
        sl_event_init(&ev, SL_EV_DRONE_STATE, sl_engine_now(&S->engine));
        ev.drone = (int32_t)(k % 1000);
        ev.state = 1;
        *expected += ev.drone < 100;
      } else {
        sl_event_init(&ev, SL_EV_MISSION_ASSIGNED, sl_engine_now(&S->engine));
        ev.drone = (int32_t)(k % 1000);
        sl_event_set(&ev.mission, "b3f2af6d-0fc7-40c5-853b-559647364cea");
        *expected += shape == 1 ? SUBS / SL_EV_COUNT : SUBS;
      }
      lsl_publish(S, &ev);
    }
    sl_engine_run_for(&S->engine, 0);
    lua_getglobal(L, "drain");
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
      fprintf(stderr, "%s\n", lua_tostring(L, -1));
      return -1;
    }
  }
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  lua_getglobal(L, "n");
  *seen = (long)lua_tointeger(L, -1);
  lua_settop(L, 0);
  lua_close(L);
  return secs;
}

int main(void) {
  int ok = 1;
  for (int shape = 0; shape < 3; shape++) {
    double best = 1e30;
    long seen = 0, expected = 0;
    for (int r = 0; r < 3; r++) {
      double s = run(shape, &seen, &expected);
      if (s < 0 || seen != expected)
        ok = 0;
      best = s < best ? s : best;
    }
    printf("# lua_event_subs %s: %d events, %ld deliveries in %.3f s%s\n",
           names[shape], EVENTS, expected, best,
           seen == expected ? "" : " (WRONG COUNT)");
    printf("bench lua_event_subs_%s %.0f events/s\n", names[shape],
           EVENTS / best);
  }
  return ok ? 0 : 1;
}
