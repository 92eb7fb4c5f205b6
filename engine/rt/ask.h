/*
 * ask.h -- request/reply with a timeout.
 *
 * sl_actor_ask sends a message carrying a reply token; the receiver answers
 * with sl_actor_reply (or sl_reply with a token it kept, to answer later).
 * The answer travels through a oneshot channel that the reply fills and the
 * timeout (or the request being dropped) closes.
 * The asker's callback runs exactly once, from the run queue: with the reply,
 * with SL_ETIMEOUT, or with SL_ESTOPPED when the receiver stopped before
 * answering.  A reply that comes after the ask ended is dropped and its
 * payload freed: the token names a generational slot, so a late or duplicate
 * reply can never reach another ask.
 */
#ifndef SL_ASK_H
#define SL_ASK_H

#include "actor.h"
#include "chan/oneshot.h"

/* status 0: *reply is the answer; the callback may take reply->payload (set
 * it to NULL), otherwise it is freed after the callback.  status < 0: reply
 * is NULL. */
typedef void (*sl_reply_cb)(sl_engine *e, void *ud, int status,
                            sl_msg *reply);

typedef struct sl_ask {
  sl_slot slot;
  sl_engine *engine;
  sl_reply_cb cb;
  void *ud;
  sl_timer timer;
  sl_oneshot answer; /* filled by the reply, closed by timeout or drop */
  sl_msg reply;      /* the oneshot's storage */
  uint8_t state;     /* see ask.c */
} sl_ask;

/* Sends *msg to `to` as a request (waiting for mailbox room if need be) and
 * arranges for cb.  timeout_us < 0 waits forever.  Returns 0 (cb will be
 * called once), or SL_ESTOPPED / SL_ENOMEM (msg freed, cb not called). */
int sl_actor_ask(sl_engine *e, sl_id to, const sl_msg *msg,
                 int64_t timeout_us, sl_reply_cb cb, void *ud);

/* Answers the request `req` (inside its handler) and clears its token, so a
 * handler may call it at most once per request.  The reply's payload passes
 * to the asker, or is freed if the ask is over.  Returns 0, SL_ETIMEOUT when
 * the ask already ended, or SL_EINVAL when req was not an ask. */
int sl_actor_reply(sl_engine *e, sl_msg *req, const sl_msg *reply);

/* The same with a token saved from a request (msg->reply), for answering
 * after the handler returned. */
int sl_reply(sl_engine *e, uint64_t token, const sl_msg *reply);

/* Internal: ends an ask with an error (its request was dropped). */
void sl__ask_fail(sl_engine *e, uint64_t token, int err);
/* Internal: fails every ask still waiting (shutdown). */
void sl__ask_fail_all(sl_engine *e, int err);

#endif
