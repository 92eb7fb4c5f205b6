/*
 * stream.c -- the operator chain, the stateless operators and the sink
 * buffer (window and aggregate are in window.c).
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "rt/error.h"

sl_stream *sl_stream_new(sl_engine *e) {
  sl_stream *s = calloc(1, sizeof(*s));
  if (s != NULL)
    s->e = e;
  return s;
}

static void really_free(sl_stream *s) {
  sl_op *op = s->head;
  while (op != NULL) {
    sl_op *next = op->next;
    op->free(op);
    op = next;
  }
  for (uint32_t i = 0; i < s->len; i++)
    sl_item_release(&s->buf[(s->start + i) % s->cap]);
  free(s->buf);
  sl_notify_free(s->notify);
  free(s);
}

void sl_stream_free(sl_stream *s) {
  if (s == NULL)
    return;
  if (s->draining || s->busy) { /* from inside its sink, a filter or map:
                                  * free when it returns */
    s->dead = 1;
    return;
  }
  really_free(s);
}

int sl__stream_add(sl_stream *s, sl_op *op) {
  op->s = s;
  op->next = NULL;
  if (s->tail)
    s->tail->next = op;
  else
    s->head = op;
  s->tail = op;
  return 0;
}

static void sink_put(sl_stream *s, sl_item *it) {
  if (s->sink == NULL || s->dead)
    return;
  if (s->len == s->cap) {
    s->lagged++; /* the consumer is behind: drop, never wait */
    return;
  }
  sl_item_move(&s->buf[(s->start + s->len) % s->cap], it);
  s->len++;
  sl_notify_kick(s->notify);
}

void sl__stream_emit(sl_op *op, sl_item *it) {
  if (op->next != NULL)
    op->next->push(op->next, it);
  else
    sink_put(op->s, it);
}

void sl_stream_push(sl_stream *s, sl_item *it) {
  if (!s->ended && !s->dead) {
    s->received++;
    s->busy++;
    if (s->head != NULL)
      s->head->push(s->head, it);
    else
      sink_put(s, it);
    s->busy--;
  }
  sl_item_release(it);
  if (s->dead && !s->busy && !s->draining)
    really_free(s);
}

void sl_stream_end(sl_stream *s) {
  if (s->ended)
    return;
  s->ended = 1;
  s->busy++;
  for (sl_op *op = s->head; op != NULL; op = op->next)
    if (op->flush)
      op->flush(op);
  s->busy--;
  if (s->sink != NULL) { /* the sink learns of the end after the rest */
    s->end_pending = 1;
    sl_notify_kick(s->notify);
  }
  if (s->dead && !s->busy && !s->draining)
    really_free(s);
}

static void drain(sl_engine *e, void *ud) {
  sl_stream *s = ud;
  s->draining = 1;
  while (s->len > 0 && !s->dead && !s->held) {
    sl_item it;
    sl_item_move(&it, &s->buf[s->start]);
    s->start = (s->start + 1) % s->cap;
    s->len--;
    s->sink(e, s->sink_ud, &it);
    sl_item_release(&it);
  }
  if (s->end_pending && !s->dead && !s->held) {
    s->end_pending = 0;
    sl_item end;
    memset(&end, 0, sizeof(end));
    end.kind = SL_ITEM_NONE;
    end.t = sl_engine_now(e);
    s->sink(e, s->sink_ud, &end);
  }
  s->draining = 0;
  if (s->dead && !s->busy)
    really_free(s);
}

void sl_stream_hold(sl_stream *s, int on) {
  int was = s->held;
  s->held = on != 0;
  if (was && !s->held && s->notify != NULL && (s->len > 0 || s->end_pending))
    sl_notify_kick(s->notify);
}

int sl_stream_sink(sl_stream *s, sl_sink_fn fn, void *ud, uint32_t capacity) {
  if (fn == NULL || capacity == 0 || s->sink != NULL)
    return SL_EINVAL;
  s->buf = calloc(capacity, sizeof(*s->buf));
  s->notify = sl_notify_new(s->e, drain, s);
  if (s->buf == NULL || s->notify == NULL) {
    free(s->buf);
    sl_notify_free(s->notify);
    s->buf = NULL;
    s->notify = NULL;
    return SL_ENOMEM;
  }
  s->sink = fn;
  s->sink_ud = ud;
  s->cap = capacity;
  return 0;
}

/* --- filter / where / map ----------------------------------------------- */

typedef struct fn_op {
  sl_op op;
  void *fn;
  void *ud;
  void (*free_ud)(void *);
} fn_op;

static void fn_free(sl_op *op) {
  fn_op *f = (fn_op *)op;
  if (f->free_ud)
    f->free_ud(f->ud);
  free(f);
}

static void filter_push(sl_op *op, sl_item *it) {
  fn_op *f = (fn_op *)op;
  if (((sl_pred_fn)f->fn)(f->ud, it))
    sl__stream_emit(op, it);
}

static void map_push(sl_op *op, sl_item *it) {
  fn_op *f = (fn_op *)op;
  sl_item out;
  memset(&out, 0, sizeof(out));
  if (((sl_map_fn)f->fn)(f->ud, it, &out) == 0) {
    sl__stream_emit(op, &out);
    sl_item_release(&out);
  }
}

static int add_fn(sl_stream *s, void (*push)(sl_op *, sl_item *), void *fn,
                  void *ud, void (*free_ud)(void *)) {
  if (fn == NULL)
    return SL_EINVAL;
  fn_op *f = calloc(1, sizeof(*f));
  if (f == NULL)
    return SL_ENOMEM;
  f->op.push = push;
  f->op.free = fn_free;
  f->fn = fn;
  f->ud = ud;
  f->free_ud = free_ud;
  return sl__stream_add(s, &f->op);
}

int sl_stream_filter(sl_stream *s, sl_pred_fn fn, void *ud,
                     void (*free_ud)(void *)) {
  return add_fn(s, filter_push, (void *)fn, ud, free_ud);
}

int sl_stream_where(sl_stream *s, sl_pred_fn fn, void *ud,
                    void (*free_ud)(void *)) {
  return add_fn(s, filter_push, (void *)fn, ud, free_ud);
}

int sl_stream_map(sl_stream *s, sl_map_fn fn, void *ud,
                  void (*free_ud)(void *)) {
  return add_fn(s, map_push, (void *)fn, ud, free_ud);
}

/* --- throttle ------------------------------------------------------------ */

typedef struct throttle_op {
  sl_op op;
  int64_t every, last;
  int passed;
} throttle_op;

static void throttle_push(sl_op *op, sl_item *it) {
  throttle_op *t = (throttle_op *)op;
  int64_t now = it->t; /* the item's time, as window_push */
  if (t->passed && now - t->last < t->every)
    return;
  t->passed = 1;
  t->last = now;
  sl__stream_emit(op, it);
}

static void plain_free(sl_op *op) { free(op); }

int sl_stream_throttle(sl_stream *s, int64_t seconds_us) {
  if (seconds_us <= 0)
    return SL_EINVAL;
  throttle_op *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return SL_ENOMEM;
  t->op.push = throttle_push;
  t->op.free = plain_free;
  t->every = seconds_us;
  return sl__stream_add(s, &t->op);
}
