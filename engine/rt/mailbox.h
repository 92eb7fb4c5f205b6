/*
 * mailbox.h -- a bounded FIFO of messages that grows lazily to its bound.
 *
 *   head chunk                     tail chunk
 *   +---+---+---+---+---+...+     +---+---+---+...+
 *   |   | m | m | m | m |   | --> | m | m |   |   |
 *   +---+---+---+---+---+...+     +---+---+---+...+
 *         ^head_i                         ^tail_i
 *
 * Messages are copied into chunks of SL_MCHUNK slots taken from a pool the
 * engine owns.  An idle actor holds no chunk at all (a mailbox is 32 bytes), a
 * busy one holds ceil(count / SL_MCHUNK) of them, and the ring benchmark's
 * one-message-in-flight pattern reuses the same chunk from the pool's free
 * list, so a send never calls malloc in the steady state.  The bound is
 * enforced on count, independently of chunking.
 *
 * The pool carves chunks out of arenas that double in size, from 64 chunks
 * (30 KB, enough for a small swarm) up to about 2 MB, which are allocated as
 * transparent huge pages, populated at once: a burst of a million queued
 * messages then costs a few dozen system calls instead of tens of thousands
 * of page faults.  An arena whose chunks
 * are all free goes back to the system once the pool holds more than
 * max_free free chunks, so a burst's memory does not stay forever.
 */
#ifndef SL_MAILBOX_H
#define SL_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define SL_MCHUNK 8

typedef struct sl_marena sl_marena;

typedef struct sl_mchunk {
  struct sl_mchunk *next;
  sl_marena *arena;
  sl_msg msg[SL_MCHUNK];
} sl_mchunk;

/* Free chunks shared by every mailbox of one engine (one thread). */
typedef struct sl_mpool {
  sl_marena *arenas; /* every arena */
  sl_marena *avail;  /* arenas with at least one free chunk */
  size_t nfree;      /* free chunks, all arenas */
  size_t max_free;   /* free chunks kept before empty arenas are released */
  size_t allocated;  /* chunks in existence (free or in use) */
  uint32_t next_arena; /* chunks in the next arena */
} sl_mpool;

typedef struct sl_mailbox {
  sl_mchunk *head, *tail;
  uint16_t head_i, tail_i;
  uint32_t count;
  uint32_t bound;
} sl_mailbox;

void sl_mpool_init(sl_mpool *p, size_t max_free);
/* Frees every arena.  Chunks still held by mailboxes go with them: clear
 * every mailbox first. */
void sl_mpool_close(sl_mpool *p);

/* An empty mailbox holding at most `bound` messages (bound >= 1). */
void sl_mailbox_init(sl_mailbox *mb, uint32_t bound);

/* Copies *m in at the tail.  Returns 0, SL_EFULL when count == bound, or
 * SL_ENOMEM.  On failure nothing is copied and the caller still owns the
 * message's payload. */
int sl_mailbox_push(sl_mailbox *mb, sl_mpool *p, const sl_msg *m);

/* Moves the head message into *out.  Returns 1, or 0 when empty.  A chunk
 * that empties goes back to the pool. */
int sl_mailbox_pop(sl_mailbox *mb, sl_mpool *p, sl_msg *out);

static inline uint32_t sl_mailbox_count(const sl_mailbox *mb) {
  return mb->count;
}

#endif
