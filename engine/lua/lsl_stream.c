/*
 * lsl_stream.c -- running a Lua stream description as a C pipeline.
 *
 * lua/starling/stream.lua keeps what a stream *is* (a source and a list of
 * operators); a sink (each or collect) calls in here to build the C pipeline
 * (engine/stream), attach it to the source and turn what comes out into Lua
 * values.  Each sink gets its own pipeline and, for broadcast and watch
 * channels, its own receiver, so two sinks never share window state.
 *
 * Items from a channel are VALUE items holding a store reference; their
 * fields (for aggregate) are read from the Lua table by path, raw, without
 * metamethods.  Lua filter and map functions and each() handlers run as swarm
 * tasks started at once, so the instruction budget applies; a filter or map
 * that waits or fails drops the item and counts as a handler error.  An
 * each() handler that waits holds its stream until it ends (API.md's v2
 * amendments: one item at a time), so items queue in the sink's bounded
 * buffer and past it are dropped and counted in lagged.
 * Subscriptions are pinned in the store until cancelled: dropping the handle
 * does not stop the flow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chan/broadcast.h"
#include "chan/mpsc.h"
#include "chan/watch.h"
#include "lsl.h"
#include "stream/pred.h"
#include "stream/stream.h"

enum { K_MPSC, K_BCAST, K_WATCH, K_ONESHOT }; /* as lsl_chan.c */
enum { K_TELEMETRY = 10 };                     /* the swarm's samples */

typedef struct lsl_sub {
  lsl_swarm *S;
  sl_stream *pipe;
  int kind;  /* the source's kind */
  void *src; /* the sl_mpsc, or the receiver subscribed for this sink */
  int self_ref, fn_ref, acc_ref;
  lsl_task *collector; /* collect(): the waiting task */
  int want, have;
  sl_timer timer; /* collect(): its timeout */
  int done;
  uint64_t lagged; /* kept once cancelled */
  int lua_ops;     /* the pipeline calls Lua (filter, map) */
  lsl_task *handler; /* each(): the handler call that waits, if any */
} lsl_sub;

/* --- Lua values as stream items ----------------------------------------- */

static void v_release(void *ctx, uint64_t v) { lsl_unref(ctx, (int)v); }

static uint64_t v_dup(void *ctx, uint64_t v) {
  lsl_swarm *S = ctx;
  lsl_pushref(S, S->L, (int)v);
  return (uint64_t)(int64_t)lsl_ref(S, S->L);
}

/* Pushes the value's field at a dotted path; 0 (nothing pushed) if absent. */
static int push_path(lsl_swarm *S, lua_State *L, int ref, const char *path) {
  lsl_pushref(S, L, ref);
  const char *p = path;
  while (*p) {
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      return 0;
    }
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    lua_pushlstring(L, p, n);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    p += n + (dot != NULL);
  }
  return 1;
}

static int v_num(void *ctx, uint64_t v, const char *path, double *out) {
  lsl_swarm *S = ctx;
  if (!push_path(S, S->L, (int)v, path))
    return -1;
  int ok = lua_type(S->L, -1) == LUA_TNUMBER;
  if (ok)
    *out = lua_tonumber(S->L, -1);
  lua_pop(S->L, 1);
  return ok ? 0 : -1;
}

static int v_str(void *ctx, uint64_t v, const char *path, const char **out) {
  lsl_swarm *S = ctx;
  if (!push_path(S, S->L, (int)v, path))
    return -1;
  int ok = lua_type(S->L, -1) == LUA_TSTRING;
  if (ok) /* the table the item references keeps the string alive */
    *out = lua_tostring(S->L, -1);
  lua_pop(S->L, 1);
  return ok ? 0 : -1;
}

void lsl_value_ops_init(lsl_swarm *S) {
  S->vops = (sl_value_ops){v_release, v_dup, v_num, v_str, S};
}

/* --- items as Lua values -------------------------------------------------- */

static void set_path(lua_State *L, int tbl, const char *path) {
  /* value on top; sets tbl[a][b]... = value, making subtables */
  const char *dot = strchr(path, '.');
  if (dot == NULL) {
    lua_setfield(L, tbl, path);
    return;
  }
  lua_pushlstring(L, path, (size_t)(dot - path));
  if (lua_rawget(L, tbl) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushlstring(L, path, (size_t)(dot - path));
    lua_pushvalue(L, -2);
    lua_rawset(L, tbl);
  }
  lua_insert(L, -2); /* [sub value] */
  set_path(L, lua_absindex(L, -2), dot + 1);
  lua_pop(L, 1);
}

static void push_record(lua_State *L, const sl_item *it) {
  const sl_schema *s = it->u.rec.schema;
  lua_createtable(L, 0, (int)s->nfields);
  int tbl = lua_gettop(L);
  for (uint32_t i = 0; i < s->nfields; i++) {
    const sl_field *f = &s->fields[i];
    double x;
    if (f->type == SL_F_CAT) {
      const char *name = sl_record_cat(it, f);
      if (name == NULL)
        continue;
      lua_pushstring(L, name);
    } else if (f->type == SL_F_INT) {
      int64_t v;
      memcpy(&v, it->u.rec.data + f->offset, sizeof(v));
      lua_pushinteger(L, v);
    } else if (sl_record_num(it, f, &x) == 0) {
      lua_pushnumber(L, x);
    } else {
      continue;
    }
    set_path(L, tbl, f->path);
  }
}

/* t[prefix .. name .. suffix] = the value on top (popped). */
static void set_named(lua_State *L, int t, const char *prefix,
                      const char *name, const char *suffix) {
  lua_pushfstring(L, "%s%s%s", prefix, name, suffix);
  lua_insert(L, -2);
  lua_rawset(L, t);
}

static void push_agg(lua_State *L, const sl_agg *g) {
  lua_createtable(L, 0, 8);
  int t = lua_gettop(L);
  lua_pushnumber(L, lsl_seconds(g->t));
  lua_setfield(L, t, "t");
  lua_pushinteger(L, (lua_Integer)g->samples);
  lua_setfield(L, t, "samples");
  if (g->source) { /* distinct sources: drone -> drones */
    lua_pushinteger(L, (lua_Integer)g->distinct);
    set_named(L, t, "", g->source, "s");
  }
  if (g->value && g->valued > 0) {
    lua_pushnumber(L, g->sum / (double)g->valued);
    set_named(L, t, "avg_", g->value, "");
    lua_pushnumber(L, g->min);
    set_named(L, t, "min_", g->value, "");
    lua_pushnumber(L, g->max);
    set_named(L, t, "max_", g->value, "");
  }
  if (g->category) {
    lua_createtable(L, 0, (int)g->ncats);
    for (uint32_t i = 0; i < g->ncats; i++) {
      lua_pushinteger(L, (lua_Integer)g->cats[i].count);
      lua_setfield(L, -2, g->cats[i].name);
    }
    set_named(L, t, "by_", g->category, "");
  }
}

void lsl_push_item(lsl_swarm *S, lua_State *L, const sl_item *it) {
  luaL_checkstack(L, 8, "stream item");
  switch (it->kind) {
  case SL_ITEM_RECORD:
    push_record(L, it);
    break;
  case SL_ITEM_VALUE:
    lsl_pushref(S, L, (int)it->u.val.v);
    break;
  case SL_ITEM_BATCH:
    lua_createtable(L, (int)it->u.batch->n, 0);
    for (uint32_t i = 0; i < it->u.batch->n; i++) {
      lsl_push_item(S, L, &it->u.batch->items[i]);
      lua_rawseti(L, -2, i + 1);
    }
    break;
  case SL_ITEM_AGG:
    push_agg(L, it->u.agg);
    break;
  default:
    lua_pushnil(L);
  }
}

/* --- Lua filter and map -------------------------------------------------- */

typedef struct lfn {
  lsl_swarm *S;
  int ref;
} lfn;

static void lfn_free(void *ud) {
  lfn *f = ud;
  lsl_unref(f->S, f->ref);
  free(f);
}

/* Runs f(item) as a task that must finish at once; pushes its first result
 * and returns 1, or returns 0 (error or waiting: counted, item dropped). */
static int call_now(lfn *f, const sl_item *it, const char *what) {
  lsl_swarm *S = f->S;
  lua_State *L = S->L;
  lsl_pushref(S, L, f->ref);
  lsl_push_item(S, L, it);
  lsl_task *t = lsl_task_new(S, L, 1, 1);
  if (t->status == LSL_RUNNING) { /* it waits: not allowed here */
    lsl_task_cancel(t);
    S->handler_errors++;
    lsl_log_error(S, what, "must not wait (it is called for each item)");
    lua_pop(L, 1);
    return 0;
  }
  if (t->status != LSL_DONE) {
    lua_pop(L, 1);
    return 0;
  }
  int n = lsl_task_push_results_at(L, -1);
  if (n == 0)
    lua_pushnil(L);
  else if (n > 1)
    lua_pop(L, n - 1);
  lua_remove(L, -2); /* the task */
  return 1;
}

static int lua_pred(void *ud, const sl_item *it) {
  lfn *f = ud;
  if (!call_now(f, it, "stream filter"))
    return 0;
  int keep = lua_toboolean(f->S->L, -1);
  lua_pop(f->S->L, 1);
  return keep;
}

static int lua_map(void *ud, const sl_item *in, sl_item *out) {
  lfn *f = ud;
  lsl_swarm *S = f->S;
  if (!call_now(f, in, "stream map"))
    return 1;
  if (lua_isnil(S->L, -1)) { /* mapped to nothing: dropped */
    lua_pop(S->L, 1);
    return 1;
  }
  out->kind = SL_ITEM_VALUE;
  out->t = in->t;
  out->u.val.ops = &S->vops;
  out->u.val.v = (uint64_t)(int64_t)lsl_ref(S, S->L);
  return 0;
}

/* --- building a pipeline from a description ------------------------------ */

static int opt_seconds(lua_State *L, int idx, const char *k, int64_t *us) {
  lua_getfield(L, idx, k);
  lua_Number s = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (!(s > 0) || !isfinite(s))
    return 0;
  *us = llround(s * 1e6);
  return *us > 0;
}

static const char *opt_str(lua_State *L, int idx, const char *k) {
  lua_getfield(L, idx, k);
  const char *s = lua_tostring(L, -1); /* kept alive by the ops table */
  lua_pop(L, 1);
  return s;
}

/* ops: the array of operator tables at `idx` (validated by stream.lua). */
static sl_stream *build(lsl_swarm *S, lua_State *L, int idx, int *lua_ops) {
  sl_stream *p = sl_stream_new(&S->engine);
  if (p == NULL)
    luaL_error(L, "stream: out of memory");
  int n = (int)luaL_len(L, idx);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, idx, i);
    int op = lua_gettop(L);
    const char *kind = opt_str(L, op, "op");
    int64_t us = 0;
    int rc = SL_EINVAL;
    if (strcmp(kind, "filter") == 0 || strcmp(kind, "map") == 0) {
      *lua_ops = 1;
      lfn *f = malloc(sizeof(*f));
      if (f != NULL) {
        f->S = S;
        lua_getfield(L, op, "fn");
        f->ref = lsl_ref(S, L);
        rc = kind[0] == 'f' ? sl_stream_filter(p, lua_pred, f, lfn_free)
                            : sl_stream_map(p, lua_map, f, lfn_free);
        if (rc != 0)
          lfn_free(f);
      }
    } else if (strcmp(kind, "window") == 0 && opt_seconds(L, op, "seconds",
                                                          &us)) {
      lua_getfield(L, op, "max_count");
      lua_Integer max = luaL_optinteger(L, -1, UINT32_MAX);
      lua_pop(L, 1);
      rc = sl_stream_window(p, us, (uint32_t)max);
    } else if (strcmp(kind, "aggregate") == 0 &&
               opt_seconds(L, op, "seconds", &us)) {
      rc = sl_stream_aggregate(p, us, opt_str(L, op, "source"),
                               opt_str(L, op, "value"),
                               opt_str(L, op, "category"));
    } else if (strcmp(kind, "where") == 0) {
      lua_getfield(L, op, "pred");
      sl_pred *pr = lsl_checkpred(L, -1);
      lua_pop(L, 1);
      sl_pred_retain(pr); /* the pipeline holds it */
      rc = sl_stream_where(p, sl_pred_item, pr,
                           (void (*)(void *))sl_pred_release);
      if (rc != 0)
        sl_pred_release(pr);
    } else if (strcmp(kind, "throttle") == 0 &&
               opt_seconds(L, op, "seconds", &us)) {
      rc = sl_stream_throttle(p, us);
    }
    lua_pop(L, 1);
    if (rc != 0) {
      sl_stream_free(p);
      luaL_error(L, "stream: cannot build operator %d (%s): %s", i, kind,
                 sl_strerror(rc));
    }
  }
  return p;
}

/* --- sources --------------------------------------------------------------- */

static int drain_protected(lua_State *L) {
  lsl_sub *s = lua_touserdata(L, 1);
  lsl_pushref(s->S, L, s->self_ref); /* anchored while Lua filters run */
  int elem;
  for (;;) {
    if (s->done)
      return 0;
    int rc;
    if (s->kind == K_MPSC)
      rc = sl_mpsc_try_recv(s->src, &elem);
    else if (s->kind == K_BCAST)
      rc = sl_bcast_try_recv(s->src, &elem);
    else
      rc = sl_watch_try_recv(s->src, &elem);
    if (rc == SL_ECLOSED) {
      sl_stream_end(s->pipe);
      return 0;
    }
    if (rc != 0 || s->done)
      return 0;
    sl_item it;
    it.kind = SL_ITEM_VALUE;
    it.t = sl_engine_now(&s->S->engine);
    it.u.val.ops = &s->S->vops;
    /* a moved value's reference passes to the item; a borrowed one is
     * referenced again */
    it.u.val.v = s->kind == K_MPSC ? (uint64_t)(int64_t)elem
                                   : v_dup(s->S, (uint64_t)(int64_t)elem);
    sl_stream_push(s->pipe, &it);
  }
}

static void on_source(sl_engine *e, void *ud) {
  lsl_sub *s = ud;
  (void)e;
  if (!s->done)
    lsl_protect(s->S, drain_protected, s);
}

/* Telemetry samples arrive from the swarm's timer: straight into the
 * pipeline, or through a protected call when the pipeline runs Lua. */
typedef struct tctx {
  struct lsl_sub *s;
  sl_item *it;
} tctx;

static int tele_protected(lua_State *L) {
  tctx *c = lua_touserdata(L, 1);
  sl_stream_push(c->s->pipe, c->it);
  return 0;
}

static void on_sample(void *ud, sl_item *it) {
  lsl_sub *s = ud;
  if (s->done || s->pipe == NULL) {
    sl_item_release(it);
    return;
  }
  if (!s->lua_ops) {
    sl_stream_push(s->pipe, it);
    return;
  }
  lsl_pushref(s->S, s->S->L, s->self_ref); /* it may cancel itself */
  tctx c = {s, it};
  if (lsl_protect(s->S, tele_protected, &c) != 0)
    sl_item_release(it);
  lua_pop(s->S->L, 1);
}

static int attach(lsl_sub *s, lua_State *L, int src_idx) {
  void *chan;
  int kind;
  lsl_swarm *sw = luaL_testudata(L, src_idx, LSL_SWARM);
  if (sw != NULL) {
    s->kind = K_TELEMETRY;
    s->src = sw;
    return sl_swarm_telemetry_add(&sw->sw, on_sample, s) == 0
               ? 0
               : luaL_error(L, "stream: out of memory");
  }
  if (!lsl_chan_info(L, src_idx, &chan, &kind))
    return luaL_error(L, "stream: the source must be a channel or the "
                         "swarm's telemetry");
  s->kind = kind;
  int rc;
  switch (kind) {
  case K_MPSC:
    if (((sl_mpsc *)chan)->notify != NULL)
      return luaL_error(L, "stream: an mpsc channel feeds one stream at a "
                           "time (use a broadcast channel to fan out)");
    s->src = chan;
    rc = sl_mpsc_set_notify(chan, on_source, s);
    break;
  case K_BCAST:
    s->src = sl_bcast_subscribe(chan);
    rc = s->src ? sl_bcast_rx_set_notify(s->src, on_source, s) : SL_ENOMEM;
    break;
  case K_WATCH:
    s->src = sl_watch_subscribe(chan);
    rc = s->src ? sl_watch_rx_set_notify(s->src, on_source, s) : SL_ENOMEM;
    break;
  default:
    return luaL_error(L, "stream: a oneshot channel cannot be a stream "
                         "source");
  }
  return rc == 0 ? 0 : luaL_error(L, "stream: %s", sl_strerror(rc));
}

/* What this sink lost: at its buffer, and before that at the broadcast
 * receiver it reads (values overwritten before it got to them). */
static uint64_t sub_lagged(const lsl_sub *s) {
  if (s->done)
    return s->lagged;
  uint64_t n = s->pipe ? s->pipe->lagged : 0;
  if (s->kind == K_BCAST && s->src != NULL)
    n += ((sl_bcast_rx *)s->src)->lagged;
  return n;
}

/* Stops the flow: detaches from the source, frees the pipeline, unpins. */
static void sub_stop(lsl_sub *s) {
  if (s->done)
    return;
  s->lagged = sub_lagged(s); /* while the receiver still exists */
  s->done = 1;
  sl_timer_stop(&s->timer);
  if (s->handler != NULL) { /* it runs on, to its end, without us */
    lsl_task *t = s->handler;
    s->handler = NULL;
    t->on_done = NULL;
    t->done_ud = NULL;
    lsl_task_unpin(t);
  }
  if (s->src != NULL) {
    if (s->kind == K_TELEMETRY)
      sl_swarm_telemetry_remove(&((lsl_swarm *)s->src)->sw, s);
    else if (s->kind == K_MPSC)
      sl_mpsc_set_notify(s->src, NULL, NULL);
    else if (s->kind == K_BCAST)
      sl_bcast_unsubscribe(s->src);
    else
      sl_watch_unsubscribe(s->src);
    s->src = NULL;
  }
  if (s->pipe != NULL) {
    sl_stream_free(s->pipe);
    s->pipe = NULL;
  }
  lsl_unref(s->S, s->fn_ref);
  lsl_unref(s->S, s->acc_ref);
  s->fn_ref = s->acc_ref = LUA_NOREF;
  int self = s->self_ref;
  s->self_ref = LUA_NOREF;
  lsl_unref(s->S, self); /* last: may let the userdata go */
}

/* --- sinks ----------------------------------------------------------------- */

typedef struct sctx {
  lsl_sub *s;
  sl_item *it;
} sctx;

/* The handler that held the stream has ended: the next item may come. */
static void each_done(lsl_task *t, void *ud) {
  lsl_sub *s = ud;
  s->handler = NULL;
  t->on_done = NULL;
  t->done_ud = NULL;
  lsl_task_unpin(t);
  if (!s->done && s->pipe != NULL)
    sl_stream_hold(s->pipe, 0);
}

static int each_protected(lua_State *L) {
  sctx *c = lua_touserdata(L, 1);
  lsl_sub *s = c->s;
  lsl_pushref(s->S, L, s->fn_ref);
  lsl_push_item(s->S, L, c->it);
  lsl_task *t = lsl_task_new(s->S, L, 1, 1);
  if (t->status == LSL_RUNNING && !s->done) { /* it waits: hold the rest */
    lsl_task_pin(t);
    t->on_done = each_done;
    t->done_ud = s;
    s->handler = t;
    sl_stream_hold(s->pipe, 1);
  }
  lua_pop(L, 1);
  return 0;
}

static void each_sink(sl_engine *e, void *ud, sl_item *it) {
  (void)e;
  lsl_sub *s = ud;
  if (it->kind == SL_ITEM_NONE) { /* the source ended: so does this */
    sub_stop(s);
    return;
  }
  sctx c = {s, it};
  lsl_protect(s->S, each_protected, &c);
}

/* Ends a collect: the stream is stopped and the collector, if it still
 * waits, resumes -- with the array already moved onto its stack (err 0),
 * or with nil and the error's name. */
static void collect_done(lsl_sub *s, int err) {
  lsl_task *t = s->collector;
  s->collector = NULL;
  sub_stop(s);
  if (t->status == LSL_RUNNING && t->wait == LSL_W_OTHER) {
    t->on_cancel = NULL;
    if (err != 0) {
      lua_pushnil(t->co);
      lua_pushstring(t->co, sl_strerror(err));
    }
    lsl_task_resume(t, err != 0 ? 2 : 1);
  }
  lsl_task_unpin(t);
}

static int collect_protected(lua_State *L) {
  sctx *c = lua_touserdata(L, 1);
  lsl_sub *s = c->s;
  if (c->it->kind == SL_ITEM_NONE) { /* ended before n items came */
    collect_done(s, SL_ECLOSED);
    return 0;
  }
  lsl_pushref(s->S, L, s->acc_ref);
  lsl_push_item(s->S, L, c->it);
  lua_rawseti(L, -2, ++s->have);
  lua_pop(L, 1);
  if (s->have < s->want)
    return 0;
  lsl_pushref(s->S, L, s->acc_ref);
  lua_xmove(L, s->collector->co, 1);
  collect_done(s, 0);
  return 0;
}

static void collect_sink(sl_engine *e, void *ud, sl_item *it) {
  (void)e;
  lsl_sub *s = ud;
  if (s->done || s->collector == NULL)
    return;
  sctx c = {s, it};
  lsl_protect(s->S, collect_protected, &c);
}

static int timeout_protected(lua_State *L) {
  collect_done(lua_touserdata(L, 1), SL_ETIMEOUT);
  return 0;
}

static void collect_timeout(sl_timer *tm) {
  lsl_sub *s = tm->data;
  if (!s->done && s->collector != NULL)
    lsl_protect(s->S, timeout_protected, s);
}

static void collect_cancelled(lsl_task *t) {
  lsl_sub *s = t->wait_ud;
  s->collector = NULL;
  sub_stop(s);
  lsl_task_unpin(t);
}

/* core.stream_sink(swarm, source, ops, fn | n, capacity [, timeout]) */
static int stream_sink(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  luaL_checktype(L, 3, LUA_TTABLE);
  int collect = lua_type(L, 4) == LUA_TNUMBER;
  lua_Integer cap = luaL_checkinteger(L, 5);
  lsl_task *t = NULL;
  if (collect)
    t = lsl_task_current(S, L, "stream:collect");
  else
    luaL_checktype(L, 4, LUA_TFUNCTION);
  lsl_sub *s = lua_newuserdatauv(L, sizeof(*s), 1);
  memset(s, 0, sizeof(*s));
  s->S = S;
  s->self_ref = s->fn_ref = s->acc_ref = LUA_NOREF;
  sl_timer_init(&S->engine, &s->timer);
  s->timer.data = s;
  luaL_setmetatable(L, LSL_SUB);
  int ud = lua_gettop(L);
  lua_pushvalue(L, 2); /* the sink keeps its source alive */
  lua_setiuservalue(L, ud, 1);
  s->pipe = build(S, L, 3, &s->lua_ops);
  int rc = sl_stream_sink(s->pipe, collect ? collect_sink : each_sink, s,
                          (uint32_t)cap);
  if (rc != 0) {
    s->done = 1;
    sl_stream_free(s->pipe);
    s->pipe = NULL;
    return luaL_error(L, "stream: %s", sl_strerror(rc));
  }
  attach(s, L, 2);
  lua_pushvalue(L, ud);
  s->self_ref = lsl_ref(S, L);
  if (!collect) {
    lua_pushvalue(L, 4);
    s->fn_ref = lsl_ref(S, L);
    lua_pushvalue(L, ud);
    return 1;
  }
  s->want = (int)lua_tointeger(L, 4);
  lua_newtable(L);
  s->acc_ref = lsl_ref(S, L);
  if (!lua_isnoneornil(L, 6))
    sl_timer_start(&s->timer, collect_timeout,
                   lsl_check_seconds(L, 6, "collect"), 0);
  s->collector = t;
  lsl_task_pin(t);
  t->wait = LSL_W_OTHER;
  t->wait_ud = s;
  t->on_cancel = collect_cancelled;
  return lua_yield(L, 0);
}

static lsl_sub *checksub(lua_State *L, int idx) {
  return luaL_checkudata(L, idx, LSL_SUB);
}

static int sub_cancel(lua_State *L) {
  lsl_sub *s = checksub(L, 1);
  int was = !s->done;
  if (was && s->S->engine.data != NULL) {
    s->S->L = L;
    sub_stop(s);
  }
  lua_pushboolean(L, was);
  return 1;
}

static int sub_index(lua_State *L) {
  lsl_sub *s = checksub(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "lagged") == 0) {
    lua_pushinteger(L, (lua_Integer)sub_lagged(s));
    return 1;
  }
  if (strcmp(k, "active") == 0) {
    lua_pushboolean(L, !s->done);
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

static int sub_gc(lua_State *L) {
  lsl_sub *s = checksub(L, 1);
  /* Collected means cancelled (pinned otherwise) or the swarm is going. */
  if (!s->done && !s->S->finalizing && s->S->engine.data != NULL) {
    s->S->L = L;
    sub_stop(s);
  } else if (!s->done) { /* the swarm is gone: free what is ours */
    s->done = 1;
    sl_stream_free(s->pipe);
    s->pipe = NULL;
    if (s->kind == K_BCAST)
      sl_bcast_unsubscribe(s->src);
    else if (s->kind == K_WATCH)
      sl_watch_unsubscribe(s->src);
    s->src = NULL;
  }
  return 0;
}

static int sub_tostring(lua_State *L) {
  lsl_sub *s = checksub(L, 1);
  lua_pushfstring(L, "starling.subscription (%s): %p",
                  s->done ? "cancelled" : "active", (void *)s);
  return 1;
}

void lsl_stream_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"cancel", sub_cancel}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__index", sub_index},
                                  {"__gc", sub_gc},
                                  {"__close", sub_cancel},
                                  {"__tostring", sub_tostring},
                                  {NULL, NULL}};
  luaL_newmetatable(L, LSL_SUB);
  luaL_setfuncs(L, meta, 0);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
}

int lsl_core_stream_sink(lua_State *L) { return stream_sink(L); }
