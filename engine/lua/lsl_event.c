/*
 * lsl_event.c -- swarm:on and swarm:events: the event bus, seen from Lua.
 *
 *   bus (swarm/bus.h) --match--> queue A's FIFO  (event_capacity)  q:next/drain
 *                     --match--> queue B's FIFO
 *                     --any handler matches--> dispatch FIFO --run queue-->
 *                          for each event: each matching handler, in
 *                          registration order, runs fn(event) as a task
 *
 * A pattern (an event type, "*", or a compiled filter) is applied by the bus
 * as the event is published, so a subscription buffers and counts as lost
 * only what it matches, and its `lagged` is current at any moment.
 *
 * swarm:events(pattern) is a queue: a FIFO of its own holding up to
 * event_capacity events between reads; next(timeout) waits for one, drain()
 * takes them all.  swarm:on(pattern, fn) handlers share one dispatcher so
 * that they run in publication order across subscriptions, at the instant
 * of publication (before the tick ends).  The dispatcher reads everything
 * each time it runs, so it is never behind: its FIFO only has to hold one
 * engine turn's burst (spawn_fleet(100000) is 100,000 events), and its
 * bound is a safety limit, DISPATCH_MAX, not event_capacity.  If a burst
 * ever exceeds it, each handler the dropped events match counts them in its
 * own `lagged`.
 */
#include <stdlib.h>
#include <string.h>

#include "lsl.h"
#include "stream/pred.h"
#include "swarm/event.h"

typedef struct lsl_onh lsl_onh;

/* The dispatcher's bound: the most events one engine turn may publish for
 * swarm:on handlers before they lose any (about 100 MB of events). */
enum { DISPATCH_MAX = 1 << 20 };

typedef struct lsl_evsub {
  lsl_swarm *S;
  sl_bus_sub *q;    /* queues: their FIFO on the bus (owned) */
  lsl_onh *handler; /* swarm:on: its record in the dispatch list */
  uint64_t lagged;  /* what it had lost when it ended */
  int type;         /* -1: every type (for __tostring) */
  int self_ref;     /* swarm:on: keeps it alive while subscribed */
  lsl_task *waiter; /* events: the task in next() */
  sl_chan_waiter *w;
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

/* All swarm:on handlers share one dispatcher: each event goes to every
 * matching handler in registration order before the next event, so
 * handlers run in publication order across subscriptions.  A handler added
 * during a dispatch starts with the events published after it (`from`, a
 * place in the dispatcher's stream); one cancelled during a dispatch is
 * unlinked when the dispatch ends. */
struct lsl_onh {
  lsl_onh *next;
  lsl_evsub *sub; /* NULL once cancelled or collected */
  int type;
  sl_pred *pred;
  int fn_ref;
  uint64_t from;   /* first event (dispatcher seq) it may see */
  uint64_t lagged; /* its events the dispatcher had to drop */
};

static int handler_wants(const lsl_onh *h, const sl_event *ev) {
  return h->sub != NULL && sl_event_matches(h->type, h->pred, ev);
}

/* The dispatcher's pattern: the union of its live handlers'. */
static int any_handler(void *ud, const sl_event *ev) {
  lsl_swarm *S = ud;
  for (lsl_onh *h = S->on_handlers; h != NULL; h = h->next)
    if (handler_wants(h, ev))
      return 1;
  return 0;
}

/* A burst beyond DISPATCH_MAX: the handlers it was for each count it. */
static void handlers_lost(void *ud, const sl_event *ev, uint64_t seq) {
  lsl_swarm *S = ud;
  for (lsl_onh *h = S->on_handlers; h != NULL; h = h->next)
    if (seq >= h->from && handler_wants(h, ev))
      h->lagged++;
}

static void free_handlers(lsl_swarm *S, int all) {
  int lua_ok = !S->finalizing && S->engine.data != NULL;
  lsl_onh **p = &S->on_handlers;
  while (*p != NULL) {
    lsl_onh *h = *p;
    if (all || h->sub == NULL) {
      *p = h->next;
      /* A subscription still pointing here has not been collected (its
       * __gc clears h->sub), so its memory is live: it keeps its lag and
       * lets go of the record, or its __gc, cancel or lagged would reach
       * freed memory. */
      if (h->sub != NULL) {
        lsl_evsub *s = h->sub;
        s->lagged = h->lagged;
        s->handler = NULL;
        if (lua_ok) {
          lsl_unref(S, s->self_ref);
          s->self_ref = LUA_NOREF;
        }
      }
      if (lua_ok)
        lsl_unref(S, h->fn_ref);
      sl_pred_release(h->pred);
      free(h);
    } else {
      p = &h->next;
    }
  }
  S->on_tail = NULL;
  for (lsl_onh *h = S->on_handlers; h; h = h->next)
    S->on_tail = h;
}

typedef struct dispatch_ctx {
  lsl_swarm *S;
  sl_event ev; /* the event in hand, freed even if Lua raises */
  int holding;
} dispatch_ctx;

static int dispatch_protected(lua_State *L) {
  dispatch_ctx *c = lua_touserdata(L, 1);
  lsl_swarm *S = c->S;
  uint64_t seq;
  while (S->on_sub != NULL && sl_bus_sub_next(S->on_sub, &c->ev, &seq) == 0) {
    c->holding = 1;
    for (lsl_onh *h = S->on_handlers; h != NULL; h = h->next) {
      if (seq < h->from || !handler_wants(h, &c->ev))
        continue;
      lsl_pushref(S, L, h->fn_ref);
      lsl_push_event(L, &c->ev);
      lsl_task_run(S, L, 1);
    }
    c->holding = 0;
    sl_event_free(&c->ev);
  }
  return 0;
}

static void on_dispatch(sl_engine *e, void *ud) {
  (void)e;
  lsl_swarm *S = ud;
  dispatch_ctx c = {S, {0}, 0};
  S->dispatching++;
  lsl_protect(S, dispatch_protected, &c);
  if (c.holding)
    sl_event_free(&c.ev);
  if (--S->dispatching == 0)
    free_handlers(S, 0);
}

void lsl_event_free_handlers(lsl_swarm *S) {
  free_handlers(S, 1);
  sl_bus_unsubscribe(S->on_sub);
  S->on_sub = NULL;
}

static lsl_evsub *new_sub(lua_State *L, lsl_swarm *S, int type) {
  lsl_evsub *s = lua_newuserdatauv(L, sizeof(*s), 1);
  memset(s, 0, sizeof(*s));
  s->S = S;
  s->type = type;
  s->self_ref = LUA_NOREF;
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
  lsl_evsub *s = new_sub(L, S, -1);
  sl_pred *pred; /* retained: from here on, raise only after releasing */
  s->type = parse_pattern(L, 2, &pred);
  lsl_onh *h = calloc(1, sizeof(*h));
  if (h == NULL) {
    sl_pred_release(pred);
    return luaL_error(L, "out of memory");
  }
  h->type = s->type;
  h->pred = pred; /* the record owns the reference */
  h->fn_ref = LUA_NOREF;
  if (S->on_sub == NULL) {
    uint32_t max = S->sw.o.event_capacity > DISPATCH_MAX
                       ? S->sw.o.event_capacity
                       : DISPATCH_MAX;
    S->on_sub = sl_bus_subscribe(&S->sw.bus, -1, NULL, max);
    if (S->on_sub == NULL ||
        sl_bus_sub_set_notify(S->on_sub, on_dispatch, S) != 0) {
      sl_bus_unsubscribe(S->on_sub);
      S->on_sub = NULL;
      sl_pred_release(pred);
      free(h);
      return luaL_error(L, "out of memory");
    }
    sl_bus_sub_hooks(S->on_sub, any_handler, handlers_lost, S);
  }
  h->from = S->on_sub->pushed;
  /* Linked before the refs (which may raise), but inert until h->sub is
   * set: a record left without one is freed like a cancelled one. */
  if (S->on_tail)
    S->on_tail->next = h;
  else
    S->on_handlers = h;
  S->on_tail = h;
  lua_pushvalue(L, 3);
  h->fn_ref = lsl_ref(S, L);
  lua_pushvalue(L, -1);
  s->self_ref = lsl_ref(S, L); /* lives until cancelled */
  h->sub = s;
  s->handler = h;
  return 1;
}

/* --- swarm:events --------------------------------------------------------- */

static int swarm_events(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  if (!S->bus_ready)
    return luaL_error(L, "the swarm has shut down");
  lsl_evsub *s = new_sub(L, S, -1);
  sl_pred *pred;
  s->type = parse_pattern(L, 2, &pred);
  s->is_queue = 1;
  s->q = sl_bus_subscribe(&S->sw.bus, s->type, pred, 0);
  sl_pred_release(pred); /* the subscription holds its own */
  if (s->q == NULL)
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

/* The queue's FIFO had an event for next() (moved into elem: ours to
 * free), or the wait ended with status. */
static int on_wake(sl_engine *e, void *ud, int status, void *elem) {
  (void)e;
  lsl_evsub *s = ud;
  s->w = NULL; /* the waiter is done with once this returns */
  lsl_task *t = s->waiter;
  if (t != NULL && !s->S->finalizing) {
    if (t->status == LSL_RUNNING && t->wait == LSL_W_OTHER) {
      wctx c = {s, status, elem};
      lsl_protect(s->S, wake_protected, &c);
    } else {
      s->waiter = NULL;
      lsl_task_unpin(t);
    }
  }
  if (elem != NULL)
    sl_event_free(elem);
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

/* Pushes ev as a table and frees it (we took it from the FIFO). */
static int push_taken(lua_State *L, sl_event *ev) {
  lsl_push_event(L, ev);
  sl_event_free(ev);
  return 1;
}

static int q_next(lua_State *L) {
  lsl_evsub *s = checksub(L);
  if (!s->is_queue)
    return luaL_error(L, "next is for swarm:events queues");
  if (s->q == NULL)
    return lsl_fail(L, SL_ECLOSED);
  int64_t timeout = -1;
  if (!lua_isnoneornil(L, 2))
    timeout = lsl_check_seconds(L, 2, "next");
  sl_event ev;
  int rc = sl_bus_sub_next(s->q, &ev, NULL);
  if (rc == 0)
    return push_taken(L, &ev);
  if (rc != SL_EEMPTY)
    return lsl_fail(L, rc);
  lsl_task *t = lsl_task_current(s->S, L, "events:next");
  if (s->waiter != NULL)
    return luaL_error(L, "events:next: another task is already waiting on "
                         "this queue");
  rc = sl_bus_sub_recv(s->q, timeout, on_wake, s, &s->w);
  if (rc != SL_WAIT)
    return lsl_fail(L, rc);
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
  if (s->q == NULL)
    return 1;
  sl_event ev;
  lua_Integer n = 0;
  while (sl_bus_sub_next(s->q, &ev, NULL) == 0) {
    push_taken(L, &ev);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* Open: subscribed, and the swarm not closed (closing ends them all). */
static int sub_open(const lsl_evsub *s) {
  return (s->q != NULL && s->q->bus != NULL) || s->handler != NULL;
}

/* Ends a queue: its FIFO and what it holds are freed, its lag kept. */
static void queue_end(lsl_evsub *s) {
  if (s->w != NULL)
    sl_chan_waiter_cancel(s->w);
  s->w = NULL;
  s->lagged = s->q->lagged;
  sl_bus_unsubscribe(s->q);
  s->q = NULL;
}

static void sub_close(lsl_evsub *s) {
  if (s->handler != NULL) { /* swarm:on: leave the dispatch list */
    s->lagged = s->handler->lagged;
    s->handler->sub = NULL;
    s->handler = NULL;
    if (s->S->dispatching == 0)
      free_handlers(s->S, 0);
    int self = s->self_ref;
    s->self_ref = LUA_NOREF;
    lsl_unref(s->S, self);
    return;
  }
  if (s->q != NULL)
    queue_end(s);
}

static int sub_cancel(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  int was = sub_open(s);
  if (was && s->S->engine.data != NULL) {
    s->S->L = L;
    lsl_task *t = s->waiter;
    sub_close(s);
    if (t != NULL && t->status == LSL_RUNNING) { /* it gets nil, "closed" */
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
  if (s->q == NULL)
    return 0;
  /* A queue is collected with no task waiting on it (the task would hold
   * it), so ending it calls nothing back; the FIFO is ours even when the
   * bus is gone. */
  queue_end(s);
  return 0;
}

static int sub_index(lua_State *L) {
  lsl_evsub *s = luaL_checkudata(L, 1, LSL_EVSUB);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "lagged") == 0) {
    uint64_t n = s->lagged;
    if (s->q != NULL)
      n = s->q->lagged;
    else if (s->handler != NULL)
      n = s->handler->lagged;
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

int lsl_swarm_on(lua_State *L) {
  return swarm_on(L);
}
int lsl_swarm_events(lua_State *L) {
  return swarm_events(L);
}
