/*
 * msg.h -- actor ids and the fixed-size message every mailbox carries.
 *
 * A message is a small struct copied by value into the receiver's mailbox, so
 * sending never allocates.  Two inline words carry small payloads (an int, a
 * double, a pointer the receiver does not own).  A larger payload travels as
 * an owned pointer with a free function: whoever ends the message's life --
 * delivery, a drop because the mailbox was full, the receiver stopping, the
 * engine shutting down -- calls sl_msg_release() exactly once, which calls
 * free_fn if payload is set.  A handler that wants to keep the payload sets
 * msg->payload to NULL before it returns.
 *
 * An id is 64 bits: the low 32 are a slot index, the high 32 the slot's
 * generation, so an id whose actor has stopped never reaches the slot's next
 * occupant.  0 is never a valid id.
 */
#ifndef SL_MSG_H
#define SL_MSG_H

#include <stdint.h>

typedef uint64_t sl_id;
#define SL_ID_NONE ((sl_id)0)
#define sl_id_index(id) ((uint32_t)((id) & 0xffffffffu))
#define sl_id_gen(id) ((uint32_t)((id) >> 32))
#define sl_id_make(index, gen) (((sl_id)(gen) << 32) | (sl_id)(index))

typedef union sl_word {
  int64_t i;
  double d;
  void *p;
} sl_word;

typedef struct sl_msg sl_msg;
struct sl_msg {
  uint32_t type;  /* the sender's and receiver's business */
  uint32_t flags; /* reserved for the runtime; zero it */
  sl_id from;     /* sender's id, or SL_ID_NONE */
  uint64_t reply; /* ask token (set by sl_actor_ask), 0 when none */
  sl_word a, b;   /* inline payload */
  void *payload;  /* owned payload, or NULL */
  void (*free_fn)(sl_msg *m); /* frees payload; gets the whole message */
};

/* Frees the message's owned payload, if any, and clears it.  Safe to call
 * twice. */
static inline void sl_msg_release(sl_msg *m) {
  if (m->payload != NULL && m->free_fn != NULL)
    m->free_fn(m);
  m->payload = NULL;
  m->free_fn = NULL;
}

/* A free_fn for payloads that came from malloc. */
void sl_msg_free_payload(sl_msg *m);

#endif
