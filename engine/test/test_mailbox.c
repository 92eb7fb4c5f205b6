/* Tests for the chunked bounded mailbox (engine/rt/mailbox.c). */
#include "rt/error.h"
#include "rt/mailbox.h"
#include "t.h"

static sl_msg msg(int v) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = 1;
  m.a.i = v;
  return m;
}

TEST(fifo_across_chunks) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 100);
  for (int i = 0; i < 50; i++) {
    sl_msg m = msg(i);
    CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  }
  CHECK_INT(sl_mailbox_count(&mb), 50);
  CHECK_INT(p.allocated, (50 + SL_MCHUNK - 1) / SL_MCHUNK);
  sl_msg out;
  int order_ok = 1;
  for (int i = 0; i < 50; i++) {
    REQUIRE(sl_mailbox_pop(&mb, &p, &out) == 1);
    if (out.a.i != i)
      order_ok = 0;
  }
  CHECK(order_ok);
  CHECK_INT(sl_mailbox_pop(&mb, &p, &out), 0);
  sl_mpool_close(&p);
  CHECK_INT(p.allocated, 0);
}

TEST(bound_is_enforced) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 3);
  sl_msg m = msg(0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), SL_EFULL);
  CHECK_INT(sl_mailbox_count(&mb), 3);
  sl_msg out;
  sl_mailbox_pop(&mb, &p, &out);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  while (sl_mailbox_pop(&mb, &p, &out))
    ;
  sl_mpool_close(&p);
}

TEST(idle_mailbox_holds_no_chunk) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 64);
  CHECK(mb.head == NULL);
  sl_msg m = msg(1), out;
  sl_mailbox_push(&mb, &p, &m);
  CHECK(mb.head != NULL);
  sl_mailbox_pop(&mb, &p, &out);
  CHECK(mb.head == NULL && mb.tail == NULL);
  CHECK_INT(p.nfree, 1); /* back in the pool for the next message */
  /* Ping-pong reuses the pooled chunk: no new allocation. */
  for (int i = 0; i < 1000; i++) {
    sl_mailbox_push(&mb, &p, &m);
    sl_mailbox_pop(&mb, &p, &out);
  }
  CHECK_INT(p.allocated, 1);
  sl_mpool_close(&p);
}

TEST(pool_keeps_at_most_max_free) {
  sl_mpool p;
  sl_mpool_init(&p, 2);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 64);
  sl_msg m = msg(1), out;
  for (int i = 0; i < 40; i++)
    sl_mailbox_push(&mb, &p, &m);
  CHECK_INT(p.allocated, 5);
  while (sl_mailbox_pop(&mb, &p, &out))
    ;
  CHECK_INT(p.nfree, 2);
  CHECK_INT(p.allocated, 2);
  sl_mpool_close(&p);
  CHECK_INT(p.allocated, 0);
}

TEST(wraps_after_partial_drain) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 20);
  int next_in = 0, next_out = 0, ok = 1;
  sl_msg out;
  for (int round = 0; round < 30; round++) {
    for (int i = 0; i < 13; i++) {
      sl_msg m = msg(next_in);
      if (sl_mailbox_push(&mb, &p, &m) == 0)
        next_in++;
    }
    for (int i = 0; i < 11; i++)
      if (sl_mailbox_pop(&mb, &p, &out) && out.a.i != next_out++)
        ok = 0;
  }
  CHECK(ok);
  CHECK(sl_mailbox_count(&mb) <= 20);
  while (sl_mailbox_pop(&mb, &p, &out))
    if (out.a.i != next_out++)
      ok = 0;
  CHECK(ok);
  CHECK_INT(next_out, next_in);
  sl_mpool_close(&p);
}
