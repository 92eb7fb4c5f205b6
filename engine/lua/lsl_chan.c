/*
 * lsl_chan.c -- swarm:channel{kind, capacity}: channels for Lua tasks.
 *
 * Elements are references into the swarm's store (an int each), dropped by
 * unreferencing, so any Lua value can travel.  recv(timeout) returns at once
 * when a value is there and waits only when it must (inside a task);
 * try_recv never waits.  mpsc send waits for room inside a task (try_send
 * never waits); broadcast, watch and oneshot sends never wait.  Broadcast
 * and watch channels carry a receiver of their own, so ch:recv() and
 * ch.lagged work on them; ch:subscribe() makes more receivers.
 */
#include <string.h>

#include "chan/broadcast.h"
#include "chan/mpsc.h"
#include "chan/oneshot.h"
#include "chan/watch.h"
#include "lsl.h"

enum { K_MPSC, K_BCAST, K_WATCH, K_ONESHOT };
static const char *const kinds[] = {"mpsc", "broadcast", "watch", "oneshot",
                                    NULL};

typedef struct lsl_chan {
  lsl_swarm *S;
  int kind;
  uint32_t capacity;
  sl_elem_ops ops;
  union {
    sl_mpsc mpsc;
    sl_bcast bcast;
    sl_watch watch;
    sl_oneshot one;
  } u;
  int one_storage;
  void *rx; /* the channel's own receiver (broadcast, watch) */
  int freed;
} lsl_chan;

typedef struct lsl_rx {
  lsl_chan *ch;
  void *rx;
} lsl_rx;

static void drop_ref(void *ctx, void *elem) {
  lsl_unref(ctx, *(int *)elem);
}

static lsl_chan *checkchan(lua_State *L, int idx) {
  lsl_chan *c = luaL_checkudata(L, idx, LSL_CHANNEL);
  if (c->freed || c->S->engine.data == NULL)
    luaL_error(L, "channel: its swarm is closed");
  c->S->L = L;
  return c;
}

/* --- the receiving end, whatever the kind ------------------------------- */

static int try_recv_on(lsl_chan *c, void *rx, int *elem) {
  switch (c->kind) {
  case K_MPSC:
    return sl_mpsc_try_recv(&c->u.mpsc, elem);
  case K_BCAST:
    return sl_bcast_try_recv(rx, elem);
  case K_WATCH:
    return sl_watch_try_recv(rx, elem);
  default:
    return sl_oneshot_try_recv(&c->u.one, elem);
  }
}

static int moved(const lsl_chan *c) {
  return c->kind == K_MPSC || c->kind == K_ONESHOT;
}

typedef struct rctx {
  lsl_task *t;
  int status;
  int *elem;
} rctx;

static int resume_recv(lua_State *L) {
  rctx *r = lua_touserdata(L, 1);
  lsl_task *t = r->t;
  int n = 1;
  if (r->status == 0) {
    lsl_pushref(t->S, L, *r->elem);
  } else {
    lua_pushnil(L);
    lua_pushstring(L, sl_strerror(r->status));
    n = 2;
  }
  lua_xmove(L, t->co, n);
  lsl_task_resume(t, n);
  return 0;
}

static int on_recv(sl_engine *e, void *ud, int status, void *elem) {
  (void)e;
  lsl_task *t = ud;
  if (t->status == LSL_RUNNING && t->wait == LSL_W_OTHER) {
    t->on_cancel = NULL;
    t->wait_ud = NULL;
    rctx r = {t, status, elem};
    lsl_protect(t->S, resume_recv, &r);
  }
  lsl_task_unpin(t);
  return 0; /* moved values are dropped now that the task holds them */
}

static void cancel_recv(lsl_task *t) {
  sl_chan_waiter_cancel(t->wait_ud);
  t->wait_ud = NULL;
  lsl_task_unpin(t);
}

static int recv_common(lua_State *L, lsl_chan *c, void *rx, int targ) {
  int elem;
  int rc = try_recv_on(c, rx, &elem);
  if (rc == 0) {
    lsl_pushref(c->S, L, elem);
    if (moved(c))
      drop_ref(c->S, &elem);
    return 1;
  }
  if (rc != SL_EEMPTY)
    return lsl_fail(L, rc);
  int64_t timeout = -1;
  if (!lua_isnoneornil(L, targ))
    timeout = lsl_check_seconds(L, targ, "recv");
  lsl_task *t = lsl_task_current(c->S, L, "channel:recv");
  sl_chan_waiter *w = NULL;
  switch (c->kind) {
  case K_MPSC:
    rc = sl_mpsc_recv(&c->u.mpsc, timeout, on_recv, t, &w);
    break;
  case K_BCAST:
    rc = sl_bcast_recv(rx, timeout, on_recv, t, &w);
    break;
  case K_WATCH:
    rc = sl_watch_recv(rx, timeout, on_recv, t, &w);
    break;
  default:
    rc = sl_oneshot_recv(&c->u.one, timeout, on_recv, t, &w);
  }
  if (rc != SL_WAIT)
    return lsl_fail(L, rc);
  lsl_task_pin(t);
  t->wait = LSL_W_OTHER;
  t->wait_ud = w;
  t->on_cancel = cancel_recv;
  return lua_yield(L, 0);
}

static int try_recv_common(lua_State *L, lsl_chan *c, void *rx) {
  int elem;
  int rc = try_recv_on(c, rx, &elem);
  if (rc != 0)
    return lsl_fail(L, rc);
  lsl_pushref(c->S, L, elem);
  if (moved(c))
    drop_ref(c->S, &elem);
  return 1;
}

/* --- channel methods ---------------------------------------------------- */

static int chan_recv(lua_State *L) {
  lsl_chan *c = checkchan(L, 1);
  return recv_common(L, c, c->rx, 2);
}

static int chan_try_recv(lua_State *L) {
  lsl_chan *c = checkchan(L, 1);
  return try_recv_common(L, c, c->rx);
}

static int resume_sent(lua_State *L) {
  rctx *r = lua_touserdata(L, 1);
  int n = 1;
  if (r->status == 0) {
    lua_pushboolean(L, 1);
  } else {
    lua_pushnil(L);
    lua_pushstring(L, sl_strerror(r->status));
    n = 2;
  }
  lua_xmove(L, r->t->co, n);
  lsl_task_resume(r->t, n);
  return 0;
}

static void on_sent(sl_engine *e, void *ud, int status) {
  (void)e;
  lsl_task *t = ud;
  if (t->status == LSL_RUNNING && t->wait == LSL_W_OTHER) {
    rctx r = {t, status, NULL};
    lsl_protect(t->S, resume_sent, &r);
  }
  lsl_task_unpin(t);
}

static int chan_send_impl(lua_State *L, int may_wait) {
  lsl_chan *c = checkchan(L, 1);
  lua_settop(L, 2);
  int rc;
  if (c->kind == K_MPSC && may_wait &&
      (c->u.mpsc.len == c->u.mpsc.cap || c->u.mpsc.senders != NULL) &&
      !c->u.mpsc.closed) {
    lsl_task *t = lsl_task_current(c->S, L, "channel:send (on a full channel)");
    int ref = lsl_ref(c->S, L);
    rc = sl_mpsc_send(&c->u.mpsc, &ref, on_sent, t);
    if (rc != SL_WAIT)
      return rc == 0 ? (lua_pushboolean(L, 1), 1) : lsl_fail(L, rc);
    lsl_task_pin(t);
    t->wait = LSL_W_OTHER;
    t->wait_ud = NULL;
    t->on_cancel = NULL; /* the value stays queued; it is sent later */
    return lua_yield(L, 0);
  }
  int ref = lsl_ref(c->S, L);
  switch (c->kind) {
  case K_MPSC:
    rc = sl_mpsc_try_send(&c->u.mpsc, &ref);
    break;
  case K_BCAST:
    rc = sl_bcast_publish(&c->u.bcast, &ref);
    break;
  case K_WATCH:
    rc = sl_watch_send(&c->u.watch, &ref);
    break;
  default:
    rc = sl_oneshot_send(&c->u.one, &ref);
  }
  if (rc != 0)
    return lsl_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int chan_send(lua_State *L) { return chan_send_impl(L, 1); }
static int chan_try_send(lua_State *L) { return chan_send_impl(L, 0); }

static int chan_close(lua_State *L) {
  lsl_chan *c = checkchan(L, 1);
  switch (c->kind) {
  case K_MPSC:
    sl_mpsc_close(&c->u.mpsc);
    break;
  case K_BCAST:
    sl_bcast_close(&c->u.bcast);
    break;
  case K_WATCH:
    sl_watch_close(&c->u.watch);
    break;
  default:
    sl_oneshot_close(&c->u.one, SL_ECLOSED);
  }
  return 0;
}

static int chan_swarm(lua_State *L) {
  luaL_checkudata(L, 1, LSL_CHANNEL);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

/* <close>: the channel closes (its streams end, its waiters wake). */
static int chan_close_tbc(lua_State *L) {
  lsl_chan *c = luaL_checkudata(L, 1, LSL_CHANNEL);
  if (!c->freed && c->S->engine.data != NULL)
    chan_close(L);
  return 0;
}

static int chan_get(lua_State *L) {
  lsl_chan *c = checkchan(L, 1);
  if (c->kind != K_WATCH)
    return luaL_error(L, "channel:get is for watch channels (this is %s)",
                      kinds[c->kind]);
  const int *v = sl_watch_borrow(&c->u.watch);
  if (v == NULL)
    return 0;
  lsl_pushref(c->S, L, *v);
  return 1;
}

static int chan_subscribe(lua_State *L) {
  lsl_chan *c = checkchan(L, 1);
  void *rx = NULL;
  if (c->kind == K_BCAST)
    rx = sl_bcast_subscribe(&c->u.bcast);
  else if (c->kind == K_WATCH)
    rx = sl_watch_subscribe(&c->u.watch);
  else
    return luaL_error(L, "channel:subscribe is for broadcast and watch "
                         "channels (this is %s)",
                      kinds[c->kind]);
  if (rx == NULL)
    return luaL_error(L, "channel:subscribe: out of memory");
  lsl_rx *r = lua_newuserdatauv(L, sizeof(*r), 1);
  r->ch = c;
  r->rx = rx;
  luaL_setmetatable(L, LSL_RECEIVER);
  lua_pushvalue(L, 1); /* the receiver keeps its channel alive */
  lua_setiuservalue(L, -2, 1);
  return 1;
}

static uint64_t lagged_of(const lsl_chan *c, void *rx) {
  if (rx == NULL)
    return 0;
  return c->kind == K_BCAST ? ((sl_bcast_rx *)rx)->lagged : 0;
}

static int chan_index(lua_State *L) {
  lsl_chan *c = luaL_checkudata(L, 1, LSL_CHANNEL);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "kind") == 0) {
    lua_pushstring(L, kinds[c->kind]);
  } else if (strcmp(k, "lagged") == 0) {
    lua_pushinteger(L, (lua_Integer)lagged_of(c, c->rx));
  } else if (strcmp(k, "capacity") == 0) {
    lua_pushinteger(L, c->capacity);
  } else {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, k);
  }
  return 1;
}

static void chan_free(lsl_chan *c) {
  if (c->freed)
    return;
  c->freed = 1;
  switch (c->kind) {
  case K_MPSC:
    sl_mpsc_free(&c->u.mpsc);
    break;
  case K_BCAST:
    sl_bcast_unsubscribe(c->rx);
    sl_bcast_free(&c->u.bcast);
    break;
  case K_WATCH:
    sl_watch_unsubscribe(c->rx);
    sl_watch_free(&c->u.watch);
    break;
  default:
    sl_oneshot_free(&c->u.one);
  }
}

static int chan_gc(lua_State *L) {
  lsl_chan *c = luaL_checkudata(L, 1, LSL_CHANNEL);
  if (!c->S->finalizing)
    c->S->L = L;
  chan_free(c);
  return 0;
}

static int chan_tostring(lua_State *L) {
  lsl_chan *c = luaL_checkudata(L, 1, LSL_CHANNEL);
  lua_pushfstring(L, "starling.channel (%s): %p", kinds[c->kind], (void *)c);
  return 1;
}

/* --- receivers ---------------------------------------------------------- */

static lsl_rx *rx_enter(lua_State *L) {
  lsl_rx *r = luaL_checkudata(L, 1, LSL_RECEIVER);
  if (r->rx == NULL)
    luaL_error(L, "receiver: closed");
  if (r->ch->freed || r->ch->S->engine.data == NULL)
    luaL_error(L, "receiver: its swarm is closed");
  r->ch->S->L = L;
  return r;
}

static int rx_recv(lua_State *L) {
  lsl_rx *r = rx_enter(L);
  return recv_common(L, r->ch, r->rx, 2);
}

static int rx_try_recv(lua_State *L) {
  lsl_rx *r = rx_enter(L);
  return try_recv_common(L, r->ch, r->rx);
}

static void rx_free(lsl_rx *r) {
  if (r->rx == NULL)
    return;
  if (r->ch->kind == K_BCAST)
    sl_bcast_unsubscribe(r->rx);
  else
    sl_watch_unsubscribe(r->rx);
  r->rx = NULL;
}

static int rx_close(lua_State *L) {
  lsl_rx *r = luaL_checkudata(L, 1, LSL_RECEIVER);
  if (r->rx != NULL && !r->ch->S->finalizing)
    r->ch->S->L = L;
  rx_free(r);
  return 0;
}

static int rx_index(lua_State *L) {
  lsl_rx *r = luaL_checkudata(L, 1, LSL_RECEIVER);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "lagged") == 0) {
    lua_pushinteger(L, (lua_Integer)lagged_of(r->ch, r->rx));
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

static int rx_tostring(lua_State *L) {
  lsl_rx *r = luaL_checkudata(L, 1, LSL_RECEIVER);
  lua_pushfstring(L, "starling.receiver (%s%s): %p", kinds[r->ch->kind],
                  r->rx ? "" : ", closed", (void *)r);
  return 1;
}

/* --- swarm:channel --------------------------------------------------------- */

int lsl_swarm_channel(lua_State *L) {
  const char *fn = "swarm:channel";
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  static const char *const opts[] = {"kind", "capacity", NULL};
  lsl_check_options(L, 2, fn, opts);
  int kind = lsl_opt_choice(L, 2, fn, "kind", "mpsc", kinds);
  lua_Integer cap = lsl_opt_integer(L, 2, fn, "capacity", 64);
  if (!lua_isnoneornil(L, 2) && (kind == K_WATCH || kind == K_ONESHOT)) {
    lua_getfield(L, 2, "capacity");
    if (!lua_isnil(L, -1))
      return luaL_error(L, "%s: option 'capacity' does not apply to %s "
                           "channels",
                        fn, kinds[kind]);
    lua_pop(L, 1);
  }
  if (cap < 1 || cap > 16777216)
    return luaL_error(L, "%s: option 'capacity' must be in 1..16777216", fn);
  lsl_chan *c = lua_newuserdatauv(L, sizeof(*c), 1);
  memset(c, 0, sizeof(*c));
  c->S = S;
  c->kind = kind;
  c->capacity = (kind == K_WATCH || kind == K_ONESHOT) ? 1 : (uint32_t)cap;
  c->ops = (sl_elem_ops){sizeof(int), drop_ref, S};
  int rc = 0;
  switch (kind) {
  case K_MPSC:
    rc = sl_mpsc_init(&c->u.mpsc, &S->engine, &c->ops, c->capacity);
    break;
  case K_BCAST:
    rc = sl_bcast_init(&c->u.bcast, &S->engine, &c->ops, c->capacity);
    if (rc == 0 && (c->rx = sl_bcast_subscribe(&c->u.bcast)) == NULL)
      rc = SL_ENOMEM;
    break;
  case K_WATCH:
    rc = sl_watch_init(&c->u.watch, &S->engine, &c->ops, NULL);
    if (rc == 0 && (c->rx = sl_watch_subscribe(&c->u.watch)) == NULL)
      rc = SL_ENOMEM;
    break;
  default:
    sl_oneshot_init(&c->u.one, &S->engine, &c->ops, &c->one_storage);
  }
  if (rc != 0) {
    c->freed = 1;
    return luaL_error(L, "%s: %s", fn, sl_strerror(rc));
  }
  luaL_setmetatable(L, LSL_CHANNEL);
  lsl_push_swarm(S, L);
  lua_setiuservalue(L, -2, 1);
  return 1;
}

/* For streams: the channel and receiver behind a Lua value, or NULL. */
int lsl_chan_info(lua_State *L, int idx, void **chan, int *kind) {
  lsl_chan *c = luaL_testudata(L, idx, LSL_CHANNEL);
  if (c == NULL)
    return 0;
  *chan = &c->u;
  *kind = c->kind;
  return 1;
}

void lsl_chan_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"send", chan_send},
                                     {"try_send", chan_try_send},
                                     {"recv", chan_recv},
                                     {"try_recv", chan_try_recv},
                                     {"close", chan_close},
                                     {"get", chan_get},
                                     {"subscribe", chan_subscribe},
                                     {"swarm", chan_swarm},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__index", chan_index},
                                  {"__gc", chan_gc},
                                  {"__close", chan_close_tbc},
                                  {"__tostring", chan_tostring},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_CHANNEL);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
  static const luaL_Reg rmethods[] = {{"recv", rx_recv},
                                      {"try_recv", rx_try_recv},
                                      {"close", rx_close},
                                      {NULL, NULL}};
  static const luaL_Reg rmeta[] = {{"__index", rx_index},
                                   {"__gc", rx_close},
                                   {"__close", rx_close},
                                   {"__tostring", rx_tostring},
                                   {NULL, NULL}};
  luaL_newmetatable(L, LSL_RECEIVER);
  luaL_setfuncs(L, rmeta, 0);
  luaL_newlib(L, rmethods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
}
