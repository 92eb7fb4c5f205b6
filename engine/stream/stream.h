/*
 * stream.h -- telemetry streams: a chain of operators run in C.
 *
 *   source --push--> [filter] --> [window] --> [aggregate] --> sink buffer
 *                                                               | run queue
 *                                                               v
 *                                                            sink fn
 *
 * A source (a channel receiver, the swarm's telemetry) pushes items; each
 * operator handles the item and emits zero or more items to the next one,
 * synchronously, in C.  The last operator feeds a bounded sink buffer that
 * is drained from the run queue: if the consumer has not caught up and the
 * buffer is full, new items are dropped and counted in `lagged`, so the
 * producer never waits on a slow consumer.  A consumer that is still busy
 * with an item when its sink call returns holds the stream (sl_stream_hold)
 * until it is done: it gets one item at a time.
 *
 * window(seconds, max_count) emits a batch when `seconds` have passed since
 * its first item or when it holds max_count items, as tokio's
 * chunks_timeout: an item arriving exactly `seconds` after the first starts
 * the next batch.  aggregate(seconds) is a window that keeps statistics
 * instead of items.  throttle(seconds) lets an item through when `seconds`
 * have passed since the last one it let through.
 */
#ifndef SL_STREAM_H
#define SL_STREAM_H

#include "chan/notify.h"
#include "item.h"
#include "rt/engine.h"

typedef struct sl_stream sl_stream;
typedef struct sl_op sl_op;

/* 1 keeps the item. */
typedef int (*sl_pred_fn)(void *ud, const sl_item *it);
/* 0 with *out set (owned by the stream from then on), or nonzero to drop
 * the item.  `in` stays the caller's. */
typedef int (*sl_map_fn)(void *ud, const sl_item *in, sl_item *out);
/* Gets each buffered item in order; may move it out (sl_item_move),
 * otherwise it is released after the call.  May free the stream.  Once the
 * stream has ended and everything before was delivered, it gets one last
 * call with an item of kind SL_ITEM_NONE: the end. */
typedef void (*sl_sink_fn)(sl_engine *e, void *ud, sl_item *it);

struct sl_op {
  sl_op *next;
  sl_stream *s;
  void (*push)(sl_op *op, sl_item *it); /* it is the caller's */
  void (*flush)(sl_op *op);             /* input ended: emit what is held */
  void (*free)(sl_op *op);
};

struct sl_stream {
  sl_engine *e;
  sl_op *head, *tail;
  sl_sink_fn sink;
  void *sink_ud;
  sl_item *buf;
  uint32_t cap, start, len;
  uint64_t lagged;   /* items dropped at the sink buffer */
  uint64_t received; /* items pushed in by the source */
  sl_notify *notify;
  int draining, dead, ended, end_pending;
  int held; /* the consumer is busy: items wait in the buffer */
  int busy; /* pushes and ends on the C stack */
};

/* An empty stream (items go straight to the sink), or NULL. */
sl_stream *sl_stream_new(sl_engine *e);
/* Frees the stream and what it holds; safe from inside its sink fn. */
void sl_stream_free(sl_stream *s);

/* Operators, appended in order.  Each returns 0, SL_EINVAL or SL_ENOMEM;
 * free_ud (may be NULL) releases ud when the stream is freed. */
int sl_stream_filter(sl_stream *s, sl_pred_fn fn, void *ud,
                     void (*free_ud)(void *));
/* A compiled predicate (the filter language of the Lua layer compiles to
 * one); same contract as filter. */
int sl_stream_where(sl_stream *s, sl_pred_fn fn, void *ud,
                    void (*free_ud)(void *));
int sl_stream_map(sl_stream *s, sl_map_fn fn, void *ud,
                  void (*free_ud)(void *));
int sl_stream_window(sl_stream *s, int64_t seconds_us, uint32_t max_count);
/* Per window of `seconds_us`: items, distinct values of `source`, count /
 * sum / min / max of the numeric `value`, counts by `category`.  Any of the
 * three paths may be NULL. */
int sl_stream_aggregate(sl_stream *s, int64_t seconds_us, const char *source,
                        const char *value, const char *category);
int sl_stream_throttle(sl_stream *s, int64_t seconds_us);

/* Sets the sink and its buffer capacity (items). */
int sl_stream_sink(sl_stream *s, sl_sink_fn fn, void *ud, uint32_t capacity);

/* Holds (on) or resumes (off) delivery to the sink: while held, items wait
 * in the sink buffer, and past its capacity they are dropped and counted
 * in `lagged`, as for a slow consumer.  A sink whose consumer works on an
 * item after its call returns (a handler that waits) holds the stream
 * from its call until that work is done, so items go one at a time. */
void sl_stream_hold(sl_stream *s, int on);

/* Feeds one item (the stream takes it: it is released or moved). */
void sl_stream_push(sl_stream *s, sl_item *it);
/* Input ended: operators emit what they hold; pushes are ignored after. */
void sl_stream_end(sl_stream *s);

/* For operators: hands an item to the next operator or the sink. */
void sl__stream_emit(sl_op *op, sl_item *it);
int sl__stream_add(sl_stream *s, sl_op *op);

#endif
