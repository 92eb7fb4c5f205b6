/*
 * lsl_event.c -- swarm:on and swarm:events: the event bus, seen from Lua.
 *
 * Both subscribe a receiver to the swarm's bus (a broadcast channel).
 * swarm:on(pattern, fn) drains its receiver from the run queue and runs
 * fn(event) as a task for each matching event, in publication order, at the
 * instant of publication -- so handlers of a tick's events run before the
 * tick ends.  swarm:events(pattern) is a queue: next(timeout) waits for the
 * next matching event, drain() takes what is buffered, `lagged` counts what
 * was lost because the subscriber fell more than the bus capacity behind.
 * A pattern is an event type or "*" (the filter language comes with the Lua
 * layer issue and compiles to the same matcher).
 */
#include <stdlib.h>
#include <string.h>

#include "lsl.h"
#include "stream/pred.h"
#include "swarm/event.h"

typedef struct lsl_onh lsl_onh;

typedef struct lsl_evsub {
  lsl_swarm *S;
  sl_bcast_rx *rx; /* queues: their own receiver */
  lsl_onh *handler; /* swarm:on: its place in the dispatch list */
  int type; /* -1: every type */
  sl_pred *pred; /* and a filter, or NULL */
  int fn_ref, self_ref;
  lsl_task *waiter; /* events: the task in next() */
  sl_chan_waiter *w;
  int64_t deadline; /* of that next(), or -1 */
  int is_queue;
} lsl_evsub;

void lsl_push_event(lua_State *L, const sl_event *ev) {
  unsigned f = sl_event_fields[ev->type];
  lua_createtable(L, 0, 6);
  lua_pushstring(L, sl_event_names[ev->type]);
  lua_setfield(L, -2, "type");
  lua_pushnumber(L, lsl_seconds(ev->t));
  lua_setfield(L, -2, "t");
  if ((f & SL_EF_DRONE) && ev->drone >= 0) {
    lua_pushinteger(L, ev->drone);
    lua_setfield(L, -2, "drone");
  }
  if ((f & SL_EF_REASON) && ev->reason) {
    lua_pushstring(L, ev->reason);
    lua_setfield(L, -2, "reason");
  }
  if (f & SL_EF_STATE) {
    lua_pushstring(L, sl_state_names[ev->state]);
    lua_setfield(L, -2, "state");
  }
  if (f & SL_EF_BATTERY) {
    lua_pushinteger(L, ev->battery);
    lua_setfield(L, -2, "battery");
  }
  if ((f & SL_EF_MISSION) && ev->mission) {
    lua_pushstring(L, ev->mission);
    lua_setfield(L, -2, "mission");
  }
  if (f & SL_EF_TARGET) {
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, ev->target);
    lua_setfield(L, -2, "id");
    lua_createtable(L, 0, 3);
    lua_pushnumber(L, ev->x);
    lua_setfield(L, -2, "x");
    lua_pushnumber(L, ev->y);
    lua_setfield(L, -2, "y");
    lua_pushnumber(L, ev->z);
    lua_setfield(L, -2, "z");
    lua_setfield(L, -2, "position");
    lua_pushstring(L, sl_threat_names[ev->threat]);
    lua_setfield(L, -2, "threat");
    lua_setfield(L, -2, "target");
  }
  if (f & SL_EF_LEVEL) {
    lua_pushstring(L, sl_level_names[ev->level]);
    lua_setfield(L, -2, "level");
  }
  if (f & SL_EF_FORMATION) {
    lua_pushinteger(L, ev->formation);
    lua_setfield(L, -2, "formation");
  }
  if ((f & SL_EF_NAME) && ev->name) {
    lua_pushstring(L, ev->name);
    lua_setfield(L, -2, "name");
  }
}

int lsl_publish(lsl_swarm *S, sl_event *ev) {
  if (!S->bus_ready) {
    sl_event_free(ev);
    return SL_ECLOSED;
  }
  return sl_bus_publish(&S->sw.bus, ev);
}

static int matches(const lsl_evsub *s, const sl_event *ev) {
  return (s->type < 0 || s->type == ev->type) &&
         (s->pred == NULL || sl_pred_event(s->pred, ev));
}

/* A pattern: an event type, "*", or a compiled pattern (filter.lua makes
 * them from "TYPE where ..." strings).  Sets *pred (retained) or NULL. */
static int parse_pattern(lua_State *L, int idx, sl_pred **pred) {
  *pred = NULL;
  lsl_pattern *pat = luaL_testudata(L, idx, LSL_PATTERN);
  if (pat != NULL) {
    if ((*pred = pat->pred) != NULL)
      sl_pred_retain(*pred);
    return pat->type;
  }
  const char *p = luaL_checkstring(L, idx);
  if (strcmp(p, "*") == 0)
    return -1;
  int type = sl_event_type(p);
  if (type < 0)
    luaL_error(L, "unknown event type '%s'", p);
  return type;
}

/* --- swarm:on ------------------------------------------------------------- */

/* All swarm:on handlers share one receiver and one dispatch: each event goes
 * to every matching handler in registration order before the next event, so
 * handlers run in publication order across subscriptions.  A handler added
 * during a dispatch starts with the events published after it; one cancelled
 * during a dispatch is unlinked when the dispatch ends. */
struct lsl_onh {
  lsl_onh *next;
  lsl_evsub *sub; /* NULL once cancelled */
  int type;
  sl_pred *pred;
  int fn_ref;
  uint64_t from_seq; /* first event it may see */
  uint64_t lag_base; /* the dispatcher's losses before it existed */
};

static void free_handlers(lsl_swarm *S, int all) {
  lsl_onh **p = &S->on_handlers;
  while (*p != NULL) {
    lsl_onh *h = *p;
    if (all || h->sub == NULL) {
      *p = h->next;
      /* A subscription still pointing here has not been collected (its
       * __gc clears h->sub), so its memory is live: cut its link, or its
       * __gc, cancel or lagged would reach this freed record. */
      if (h->sub != NULL)
        h->sub->handler = NULL;
      if (!S->finalizing && S->engine.data != NULL)
        lsl_unref(S, h->fn_ref);
      sl_pred_release(h->pred);
      free(h);
    } else {
      p = &h->next;
    }
  }
  if (S->on_handlers == NULL)
    S->on_tail = NULL;
  else
    for (lsl_onh *h = S->on_handlers; h; h = h->next)
      S->on_tail = h;
}

static int dispatch_protected(lua_State *L) {
  lsl_swarm *S = lua_touserdata(L, 1);
  sl_event ev;
  S->dispatching++;
  while (S->on_rx != NULL && sl_bcast_try_recv(S->on_rx, &ev) == 0) {
    uint64_t seq = S->on_rx->next_seq - 1;
    for (lsl_onh *h = S->on_handlers; h != NULL; h = h->next) {
      if (h->sub == NULL || seq < h->from_seq ||
          (h->type >= 0 && h->type != ev.type) ||
          (h->pred != NULL && !sl_pred_event(h->pred, &ev)))
        continue;
      lsl_pushref(S, L, h->fn_ref);
      lsl_push_event(L, &ev);
      lsl_task_run(S, L, 1);
    }
  }
  S->dispatching--;
  return 0;
}

static void on_dispatch(sl_engine *e, void *ud) {
  (void)e;
  lsl_swarm *S = ud;
  lsl_protect(S, dispatch_protected, S);
  if (S->dispatching == 0)
    free_handlers(S, 0);
}

void lsl_event_free_handlers(lsl_swarm *S) {
  free_handlers(S, 1);
  if (S->on_rx != NULL) {
    sl_bcast_unsubscribe(S->on_rx);
    S->on_rx = NULL;
  }
}

static lsl_evsub *new_sub(lua_State *L, lsl_swarm *S, int type) {
  if (!S->bus_ready)
    luaL_error(L, "the swarm has shut down");
  lsl_evsub *s = lua_newuserdatauv(L, sizeof(*s), 1);
  memset(s, 0, sizeof(*s));
  s->S = S;
  s->type = type;
  s->fn_ref = s->self_ref = LUA_NOREF;
  luaL_setmetatable(L, LSL_EVSUB);
  lsl_push_swarm(S, L);
  lua_setiuservalue(L, -2, 1);
  return s;
}

static int swarm_on(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  if (!S->bus_ready)
    return luaL_error(L, "the swarm has shut down");
  sl_pred *pred;
  int type = parse_pattern(L, 2, &pred);
  if (S->on_rx == NULL) {
    S->on_rx = sl_bcast_subscribe(&S->sw.bus.ch);
    if (S->on_rx == NULL ||
        sl_bcast_rx_set_notify(S->on_rx, on_dispatch, S) != 0) {
      sl_pred_release(pred);
      return luaL_error(L, "out of memory");
    }
  }
  lsl_evsub *s = new_sub(L, S, type);
  lsl_onh *h = calloc(1, sizeof(*h));
  if (h == NULL) {
    sl_pred_release(pred);
    return luaL_error(L, "out of memory");
  }
  h->sub = s;
  h->type = type;
  h->pred = pred; /* the handler owns the reference */
  h->from_seq = S->sw.bus.ch.tail;
  h->lag_base = S->on_rx->lagged;
  lua_pushvalue(L, 3);
  h->fn_ref = lsl_ref(S, L);
  if (S->on_tail)
    S->on_tail->next = h;
  else
    S->on_handlers = h;
  S->on_tail = h;
  s->handler = h;
  lua_pushvalue(L, -1);
  s->self_ref = lsl_ref(S, L); /* lives until cancelled */
  return 1;
}

/* --- swarm:events --------------------------------------------------------- */

static int swarm_events(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  if (!S->bus_ready)
    return luaL_error(L, "the swarm has shut down");
  sl_pred *pred;
  int type = parse_pattern(L, 2, &pred);
  lsl_evsub *s = new_sub(L, S, type);
  s->pred = pred; /* the queue owns the reference */
  s->is_queue = 1;
  s->rx = sl_bcast_subscribe(&S->sw.bus.ch);
  if (s->rx == NULL)
    return luaL_error(L, "out of memory");
  return 1;
}

static lsl_evsub *checksub(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  if (s->S->engine.data == NULL)
    luaL_error(L, "swarm is closed");
  s->S->L = L;
  return s;
}

static int next_match(lsl_evsub *s, sl_event *ev) {
  int rc;
  while ((rc = sl_bcast_try_recv(s->rx, ev)) == 0)
    if (matches(s, ev))
      return 0;
  return rc;
}

static int on_wake(sl_engine *e, void *ud, int status, void *elem);

typedef struct wctx {
  lsl_evsub *s;
  int status;
  sl_event *ev;
} wctx;

static int wake_protected(lua_State *L) {
  wctx *c = lua_touserdata(L, 1);
  lsl_task *t = c->s->waiter;
  c->s->waiter = NULL;
  c->s->w = NULL;
  int n = 1;
  if (c->status == 0) {
    lsl_push_event(L, c->ev);
  } else {
    lua_pushnil(L);
    lua_pushstring(L, sl_strerror(c->status));
    n = 2;
  }
  lua_xmove(L, t->co, n);
  t->on_cancel = NULL;
  lsl_task_resume(t, n);
  lsl_task_unpin(t);
  return 0;
}

static int on_wake(sl_engine *e, void *ud, int status, void *elem) {
  (void)e;
  lsl_evsub *s = ud;
  lsl_task *t = s->waiter;
  if (t == NULL)
    return 0;
  sl_event ev;
  if (status == 0 && !matches(s, elem)) {
    /* Not ours: look further, or wait again. */
    status = next_match(s, &ev);
    if (status == SL_EEMPTY) { /* wait again, for what is left of the time */
      int64_t left = -1;
      if (s->deadline >= 0) {
        left = s->deadline - sl_engine_now(&s->S->engine);
        if (left < 0)
          left = 0;
      }
      int rc = left == 0 ? SL_ETIMEOUT
                         : sl_bcast_recv(s->rx, left, on_wake, s, &s->w);
      if (rc == SL_WAIT)
        return 0;
      status = rc;
    }
    elem = &ev;
  }
  if (t->status == LSL_RUNNING && t->wait == LSL_W_OTHER) {
    wctx c = {s, status, elem};
    lsl_protect(s->S, wake_protected, &c);
  } else {
    s->waiter = NULL;
    lsl_task_unpin(t);
  }
  return 0;
}

static void next_cancelled(lsl_task *t) {
  lsl_evsub *s = t->wait_ud;
  if (s->w != NULL)
    sl_chan_waiter_cancel(s->w);
  s->w = NULL;
  s->waiter = NULL;
  lsl_task_unpin(t);
}

static int q_next(lua_State *L) {
  lsl_evsub *s = checksub(L);
  if (!s->is_queue)
    return luaL_error(L, "next is for swarm:events queues");
  if (s->rx == NULL)
    return lsl_fail(L, SL_ECLOSED);
  sl_event ev;
  int rc = next_match(s, &ev);
  if (rc == 0) {
    lsl_push_event(L, &ev);
    return 1;
  }
  if (rc != SL_EEMPTY)
    return lsl_fail(L, rc);
  int64_t timeout = -1;
  if (!lua_isnoneornil(L, 2))
    timeout = lsl_check_seconds(L, 2, "next");
  lsl_task *t = lsl_task_current(s->S, L, "events:next");
  if (s->waiter != NULL)
    return luaL_error(L, "events:next: another task is already waiting on "
                         "this queue");
  rc = sl_bcast_recv(s->rx, timeout, on_wake, s, &s->w);
  if (rc != SL_WAIT)
    return lsl_fail(L, rc);
  s->deadline = timeout < 0 ? -1 : sl_engine_now(&s->S->engine) + timeout;
  s->waiter = t;
  lsl_task_pin(t);
  t->wait = LSL_W_OTHER;
  t->wait_ud = s;
  t->on_cancel = next_cancelled;
  return lua_yield(L, 0);
}

static int q_drain(lua_State *L) {
  lsl_evsub *s = checksub(L);
  lua_newtable(L);
  if (s->rx == NULL)
    return 1;
  sl_event ev;
  int n = 0;
  while (next_match(s, &ev) == 0) {
    lsl_push_event(L, &ev);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* Open: subscribed, and the swarm not closed (closing ends them all). */
static int sub_open(const lsl_evsub *s) {
  return (s->rx != NULL && s->rx->ch != NULL) || s->handler != NULL;
}

static void sub_close(lsl_evsub *s) {
  if (s->handler != NULL) { /* swarm:on: leave the dispatch list */
    s->handler->sub = NULL;
    s->handler = NULL;
    if (s->S->dispatching == 0)
      free_handlers(s->S, 0);
    int self = s->self_ref;
    s->self_ref = LUA_NOREF;
    lsl_unref(s->S, self);
    return;
  }
  if (s->rx == NULL)
    return;
  if (s->waiter != NULL) { /* its task gets nil, "closed" */
    if (s->w != NULL)
      sl_chan_waiter_cancel(s->w);
    s->w = NULL;
  }
  sl_bcast_unsubscribe(s->rx);
  s->rx = NULL;
  sl_pred_release(s->pred);
  s->pred = NULL;
  lsl_unref(s->S, s->fn_ref);
  s->fn_ref = LUA_NOREF;
  int self = s->self_ref;
  s->self_ref = LUA_NOREF;
  lsl_unref(s->S, self);
}

static int sub_cancel(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  int was = sub_open(s);
  if (was && s->S->engine.data != NULL) {
    s->S->L = L;
    lsl_task *t = s->waiter;
    sub_close(s);
    if (t != NULL && t->status == LSL_RUNNING) {
      s->waiter = NULL;
      lua_pushnil(t->co);
      lua_pushstring(t->co, sl_strerror(SL_ECLOSED));
      t->on_cancel = NULL;
      lsl_task_resume(t, 2);
      lsl_task_unpin(t);
    }
  }
  lua_pushboolean(L, was);
  return 1;
}

static int sub_gc(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  if (s->handler != NULL) { /* collected means cancelled, or the swarm goes */
    s->handler->sub = NULL;
    s->handler = NULL;
    return 0;
  }
  if (s->rx == NULL)
    return 0;
  if (!s->S->finalizing && s->S->engine.data != NULL) {
    s->S->L = L;
    sub_close(s);
  } else { /* the swarm is gone: its store goes with it, the receiver is ours */
    sl_bcast_unsubscribe(s->rx);
    s->rx = NULL;
    sl_pred_release(s->pred);
    s->pred = NULL;
  }
  return 0;
}

static int sub_index(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "lagged") == 0) {
    uint64_t n = 0;
    if (s->rx != NULL)
      n = s->rx->lagged;
    else if (s->handler != NULL && s->S->on_rx != NULL)
      n = s->S->on_rx->lagged - s->handler->lag_base;
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

static int sub_tostring(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  lua_pushfstring(L, "starling.%s (%s%s): %p",
                  s->is_queue ? "events" : "subscription",
                  s->type < 0 ? "*" : sl_event_names[s->type],
                  sub_open(s) ? "" : ", closed", (void *)s);
  return 1;
}

void lsl_event_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"cancel", sub_cancel},
                                     {"close", sub_cancel},
                                     {"next", q_next},
                                     {"drain", q_drain},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__index", sub_index},
                                  {"__gc", sub_gc},
                                  {"__close", sub_cancel},
                                  {"__tostring", sub_tostring},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_EVSUB);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
}

int lsl_swarm_on(lua_State *L) { return swarm_on(L); }
int lsl_swarm_events(lua_State *L) { return swarm_events(L); }
