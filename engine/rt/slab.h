/*
 * slab.h -- a table of fixed-size items addressed by generational ids.
 *
 * Actors and pending asks live here.  Items sit in pages that never move, so
 * a pointer to an item stays valid for the item's life and the engine can keep
 * intrusive links in it.  Every item starts with an sl_slot header; freeing an
 * item bumps its generation, so the ids handed out for it go stale and
 * sl_slab_get() answers NULL for them instead of reaching the slot's next
 * occupant.  Free slots are reused last-in first-out, which keeps the working
 * set warm.
 */
#ifndef SL_SLAB_H
#define SL_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define SL_SLAB_PAGE_SHIFT 10
#define SL_SLAB_PAGE (1u << SL_SLAB_PAGE_SHIFT)

typedef struct sl_slot {
  uint32_t gen;  /* odd while the item is live, even while free */
  uint32_t link; /* live: the slot's own index; free: the next free slot */
} sl_slot;

typedef struct sl_slab {
  char **pages;
  uint32_t npages;
  uint32_t item_size;
  uint32_t used; /* slots ever handed out (the high-water mark) */
  uint32_t live; /* slots live now */
  uint32_t free_head;
} sl_slab;

/* Prepares an empty slab of items of `item_size` bytes (at least
 * sizeof(sl_slot); the header is the item's first member). */
void sl_slab_init(sl_slab *s, size_t item_size);

/* Frees every page.  Items still live are not visited: free them first. */
void sl_slab_close(sl_slab *s);

/* Takes a free slot, zeroes it apart from its header and returns it; its id
 * goes to *id.  Returns NULL when memory runs out. */
void *sl_slab_alloc(sl_slab *s, sl_id *id);

/* Returns the live item `id` names, or NULL when the id is stale, was never
 * handed out, or is SL_ID_NONE. */
void *sl_slab_get(const sl_slab *s, sl_id id);

/* Returns the item at slot `index` whether live or not (for iteration:
 * check sl_slab_is_live).  index must be below s->used. */
static inline void *sl_slab_at(const sl_slab *s, uint32_t index) {
  return s->pages[index >> SL_SLAB_PAGE_SHIFT] +
         (size_t)(index & (SL_SLAB_PAGE - 1)) * s->item_size;
}

static inline int sl_slab_is_live(const void *item) {
  return (((const sl_slot *)item)->gen & 1u) != 0;
}

/* Returns the id of a live item. */
static inline sl_id sl_slab_id(const void *item) {
  const sl_slot *slot = item;
  return sl_id_make(slot->link, slot->gen);
}

/* Releases a live item; every id naming it goes stale. */
void sl_slab_free(sl_slab *s, void *item);

#endif
