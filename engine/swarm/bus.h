/*
 * bus.h -- the swarm's event bus: each event goes, as it is published, to
 * the subscriptions whose pattern it matches, each one a FIFO of its own.
 *
 *   publish(ev) --> subscription 1: matches? --> [ ev ev ev ...... ]  lagged
 *               \-> subscription 2: matches? --> [ ev ]               lagged
 *               \-> subscription 3: no       --> (never sees it)
 *
 * The pattern applies before buffering, so traffic a subscriber did not ask
 * for cannot push out what it did: a FIFO holds only matching events, up to
 * its bound.  A full FIFO drops its oldest event and counts it in that
 * subscription's `lagged` at once -- lag is per subscription and always
 * current.  Publishing never waits.  The last matching subscription takes
 * the event itself, the others a copy, so one subscriber costs no copy.
 *
 * A subscription's bound is what it may hold between reads: a queue that a
 * script drains now and then is bounded by event_capacity; a consumer that
 * reads everything whenever it runs (the dispatcher of swarm:on handlers)
 * asks for a bound sized for the largest burst one engine turn publishes.
 * FIFOs grow on demand up to the bound, and shrink back when emptied, so an
 * idle subscription costs a few bytes.  Subscriptions are allocated by the
 * bus and outlive it (detached, they answer SL_ECLOSED once read out), so a
 * binding may free them in any order against the bus.
 */
#ifndef SL_BUS_H
#define SL_BUS_H

#include "chan/chan.h"
#include "chan/notify.h"
#include "event.h"

struct sl_pred;
typedef struct sl_bus_sub sl_bus_sub;

typedef struct sl_bus {
  sl_engine *e;
  uint32_t capacity; /* the default bound: the swarm's event_capacity */
  int closed;
  uint64_t published;
  sl_bus_sub *subs, *subs_tail; /* in subscription order */
  uint32_t nsubs;
} sl_bus;

/* A pattern of one's own instead of a type and a predicate (the swarm:on
 * dispatcher matches the union of its handlers'). */
typedef int (*sl_bus_match_fn)(void *ud, const sl_event *ev);
/* Told of an event dropped from a full FIFO, before it is freed; `seq` is
 * its place in the subscription's stream (see sl_bus_sub_next). */
typedef void (*sl_bus_drop_fn)(void *ud, const sl_event *ev, uint64_t seq);

struct sl_bus_sub {
  sl_bus *bus; /* NULL once the bus was freed */
  sl_bus_sub *next, *prev;
  int type;             /* -1: every type */
  struct sl_pred *pred; /* retained, or NULL */
  sl_bus_match_fn match;
  sl_bus_drop_fn dropped;
  void *ud;
  sl_event *ring; /* cap slots (a power of two), len held from head */
  uint32_t head, len, cap, max; /* max: the most it may hold */
  uint64_t pushed; /* events ever queued here: the next one's seq */
  uint64_t lagged; /* matching events dropped because the FIFO was full */
  sl_waiter_list waiters;
  sl_notify *notify;
};

/* A bus whose subscriptions hold up to `capacity` events by default.
 * 0 or SL_EINVAL (capacity 0).  Allocates nothing. */
int sl_bus_init(sl_bus *b, sl_engine *e, uint32_t capacity);
/* Detaches every subscription (each keeps what it holds, then answers
 * SL_ECLOSED; free each with sl_bus_unsubscribe). */
void sl_bus_free(sl_bus *b);
/* Publishes *ev to every matching subscription; the bus takes its strings
 * (freed at once when nobody matches).  0, or SL_ECLOSED (ev freed). */
int sl_bus_publish(sl_bus *b, sl_event *ev);

/* A subscription to the events published from now on of `type` (-1: any)
 * that also pass `pred` (NULL: all; retained), holding up to `max` (0: the
 * bus's capacity).  NULL when out of memory or the bus was freed. */
sl_bus_sub *sl_bus_subscribe(sl_bus *b, int type, struct sl_pred *pred,
                             uint32_t max);
/* Replaces type and predicate by match(ud, ev), and has dropped(ud, ev,
 * seq) told of each event the full FIFO drops; either may be NULL. */
void sl_bus_sub_hooks(sl_bus_sub *s, sl_bus_match_fn match,
                      sl_bus_drop_fn dropped, void *ud);
/* Frees a subscription and what it holds (its waiters end with
 * SL_ECLOSED); fine before or after the bus is freed.  NULL is a no-op. */
void sl_bus_unsubscribe(sl_bus_sub *s);

/* Whether the subscription's own pattern (type and predicate) matches. */
int sl_bus_sub_matches(const sl_bus_sub *s, const sl_event *ev);
/* Moves the oldest held event to *out (the caller frees it with
 * sl_event_free) and, if seq is not NULL, sets *seq to its place in this
 * subscription's stream (0 for the first event ever queued; dropped ones
 * leave gaps).  0, SL_EEMPTY, or SL_ECLOSED once detached and empty. */
int sl_bus_sub_next(sl_bus_sub *s, sl_event *out, uint64_t *seq);
/* Waits for the next event: SL_WAIT with *w set (cb gets the event moved
 * into elem and must free it), or SL_ECLOSED / SL_ENOMEM. */
int sl_bus_sub_recv(sl_bus_sub *s, int64_t timeout_us, sl_recv_cb cb, void *ud,
                    sl_chan_waiter **w);
/* A persistent consumer: fn(e, ud) runs from the run queue after events
 * arrive (once for any number); it reads with sl_bus_sub_next.  0 or
 * SL_ENOMEM; fn NULL removes it. */
int sl_bus_sub_set_notify(sl_bus_sub *s, void (*fn)(sl_engine *, void *),
                          void *ud);

#endif
