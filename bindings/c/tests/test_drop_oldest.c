/* drop_oldest through the C ABI, at the intake queue and at a sink's queue: the entries that
 * survive a full queue are the newest, and the evictions are counted under their reason.
 * A callback that waits at a gate holds the pipeline still, so which entries are where is
 * known exactly. Built with -Wall -Wextra -Werror and run under the sanitizers. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "check.h"

#define MAX_SEEN 64

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int open;
  int entered;
  size_t seen_len;
  uint64_t seen[MAX_SEEN];
} gate;

static void gate_init(gate *g) {
  memset(g, 0, sizeof *g);
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
}

/* Records each entry's "seq" field, then waits until the gate opens. */
static int32_t gated(void *userdata, const logcap_batch *b) {
  gate *g = userdata;
  size_t len = 0;
  if (logcap_batch_len(b, &len) != LOGCAP_RESULT_OK) return 1;
  pthread_mutex_lock(&g->mu);
  for (size_t i = 0; i < len; i++) {
    logcap_entry_view v;
    if (logcap_batch_entry(b, i, &v) != LOGCAP_RESULT_OK) return 1;
    for (size_t j = 0; j < v.field_count; j++) {
      logcap_str k;
      logcap_field_view f;
      if (logcap_batch_field(b, i, j, &k, &f) != LOGCAP_RESULT_OK) return 1;
      if (k.len == 3 && memcmp(k.ptr, "seq", 3) == 0 && f.kind == LOGCAP_VALUE_KIND_U64 && g->seen_len < MAX_SEEN)
        g->seen[g->seen_len++] = f.u64;
    }
  }
  g->entered++;
  pthread_cond_broadcast(&g->cv);
  while (!g->open) pthread_cond_wait(&g->cv, &g->mu);
  pthread_mutex_unlock(&g->mu);
  return 0;
}

static void gate_wait_entered(gate *g, int n) {
  pthread_mutex_lock(&g->mu);
  while (g->entered < n) pthread_cond_wait(&g->cv, &g->mu);
  pthread_mutex_unlock(&g->mu);
}

static void gate_open(gate *g) {
  pthread_mutex_lock(&g->mu);
  g->open = 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static void submit_seq(logcap_pipeline *p, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; i++) {
    logcap_entry *e = NULL;
    OK(logcap_acquire(p, &e));
    OK(logcap_entry_set_message(e, S("request completed")));
    OK(logcap_entry_set_field_u64(e, S("seq"), i));
    OK(logcap_submit(p, e));
  }
}

static void sleep_ms(long ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits (at most about 60 s) until sink 0 has received `received` entries, its queue holds
 * `queued_batches` batches and the intake queue holds `queued` entries. */
static int wait_for(logcap_pipeline *p, uint64_t received, uint64_t queued_batches, uint64_t queued) {
  for (int i = 0; i < 60000; i++) {
    logcap_stats st;
    logcap_sink_stats ss;
    if (logcap_pipeline_stats(p, &st) != LOGCAP_RESULT_OK) return 0;
    if (logcap_pipeline_sink_stats(p, 0, &ss) != LOGCAP_RESULT_OK) return 0;
    if (ss.received == received && ss.queued_batches == queued_batches && st.queued == queued) return 1;
    sleep_ms(1);
  }
  return 0;
}

static logcap_pipeline *open_gated(const uint8_t *cfg, size_t len, gate *g) {
  logcap_builder *b = NULL;
  logcap_pipeline *p = NULL;
  OK(logcap_builder_new(cfg, len, &b));
  OK(logcap_builder_add_callback(b, S("gate"), gated, g));
  OK(logcap_builder_build(b, &p));
  return p;
}

/* The intake queue holds 8; the batcher is stuck offering entry 2 to a full sink queue. */
static void test_intake_evicts_oldest(void) {
  gate g;
  gate_init(&g);
  logcap_pipeline *p = open_gated(S("{\"queue\":{\"capacity\":8,\"when_full\":\"drop_oldest\"},"
                                    "\"batch\":{\"max_entries\":1,\"max_delay_ms\":1},"
                                    "\"sinks\":[{\"type\":\"callback\",\"name\":\"gate\",\"queue_capacity\":1,"
                                    "\"when_full\":\"block\",\"block_timeout_ms\":600000}]}"),
                                  &g);
  if (!p) return;
  submit_seq(p, 0, 1);
  gate_wait_entered(&g, 1);
  submit_seq(p, 1, 2);
  CHECK(wait_for(p, 2, 1, 0));
  submit_seq(p, 2, 3);
  CHECK(wait_for(p, 3, 1, 0));
  submit_seq(p, 3, 16); /* 13 more: the queue keeps 8 of them, evicts 5 */
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.queued == 8);
  CHECK(st.dropped_queue_evicted == 5);
  gate_open(&g);
  OK(logcap_pipeline_close(p, 60000));
  const uint64_t want[] = {0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15};
  CHECK(g.seen_len == sizeof want / sizeof want[0]);
  CHECK(memcmp(g.seen, want, sizeof want) == 0);
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.submitted == 16 && st.accepted == 11 && st.dropped_queue_evicted == 5);
  CHECK(st.dropped_queue_full == 0 && st.dropped_queue_timeout == 0 && st.dropped_level == 0);
  CHECK(st.submitted == st.accepted + st.dropped_queue_evicted + st.queued);
  logcap_pipeline_free(p);
}

/* The sink queue holds 4 batches of one entry; its callback holds entry 0. */
static void test_sink_evicts_oldest(void) {
  gate g;
  gate_init(&g);
  logcap_pipeline *p = open_gated(S("{\"queue\":{\"capacity\":1024,\"when_full\":\"block\",\"block_timeout_ms\":600000},"
                                    "\"batch\":{\"max_entries\":1,\"max_delay_ms\":1},"
                                    "\"sinks\":[{\"type\":\"callback\",\"name\":\"gate\",\"queue_capacity\":4,"
                                    "\"when_full\":\"drop_oldest\"}]}"),
                                  &g);
  if (!p) return;
  submit_seq(p, 0, 1);
  gate_wait_entered(&g, 1);
  submit_seq(p, 1, 11); /* 10 more: the sink queue keeps 4, evicts 6 */
  CHECK(wait_for(p, 11, 4, 0));
  logcap_sink_stats ss;
  OK(logcap_pipeline_sink_stats(p, 0, &ss));
  CHECK(ss.dropped == 6);
  gate_open(&g);
  OK(logcap_pipeline_close(p, 60000));
  const uint64_t want[] = {0, 7, 8, 9, 10};
  CHECK(g.seen_len == sizeof want / sizeof want[0]);
  CHECK(memcmp(g.seen, want, sizeof want) == 0);
  OK(logcap_pipeline_sink_stats(p, 0, &ss));
  CHECK(ss.received == 11 && ss.delivered == 5 && ss.dropped == 6 && ss.failed == 0);
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.submitted == 11 && st.accepted == 11 && st.dropped_queue_evicted == 0);
  logcap_pipeline_free(p);
}

int main(void) {
  test_intake_evicts_oldest();
  test_sink_evicts_oldest();
  return finish("test_drop_oldest");
}
