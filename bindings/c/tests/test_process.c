/* The processing stage through the C ABI: the processor hook with its lent entry handle,
 * the stages configured by JSON, the appended stats fields and the metrics text. Built with
 * -Wall -Wextra -Werror and run under AddressSanitizer and UndefinedBehaviorSanitizer. */
#include <stdlib.h>
#include "check.h"

typedef struct {
  const logcap_pipeline *p; /* set once built: the hook tries to submit its entry */
  logcap_entry *kept_handle; /* a handle kept past the call, to check it is stale afterwards */
  int calls;
  int misuse_refused;
} hook_state;

static int32_t hook(void *userdata, logcap_entry *e) {
  hook_state *s = userdata;
  s->calls++;
  uint8_t msg[64];
  size_t n = 0;
  if (logcap_entry_get_message(e, msg, sizeof msg, &n) != LOGCAP_RESULT_OK) return 99;
  /* The lent entry belongs to the pipeline during the call: no release, no submit. */
  if (logcap_release(e) == LOGCAP_RESULT_INVALID_ARGUMENT) s->misuse_refused++;
  if (s->p && logcap_submit(s->p, e) == LOGCAP_RESULT_INVALID_ARGUMENT) s->misuse_refused++;
  s->kept_handle = e;
  if (n == 4 && memcmp(msg, "drop", 4) == 0) return LOGCAP_PROCESSOR_DROP;
  if (n == 4 && memcmp(msg, "fail", 4) == 0) return 7; /* an error: counted, entry kept */
  if (logcap_set_label(e, S("hooked"), S("yes")) != LOGCAP_RESULT_OK) return 99;
  /* Added by the hook, redacted afterwards all the same. */
  if (logcap_entry_set_field_str(e, S("api_token"), S("t-123")) != LOGCAP_RESULT_OK) return 99;
  return LOGCAP_PROCESSOR_KEEP;
}

typedef struct {
  int entries;
  int hooked;
  int redacted;
  uint64_t repeats_sum; /* sum over entries of the repeats field (1 when absent) */
} sink_state;

static int32_t on_batch(void *userdata, const logcap_batch *b) {
  sink_state *s = userdata;
  size_t len = 0;
  if (logcap_batch_len(b, &len) != LOGCAP_RESULT_OK) return 1;
  for (size_t i = 0; i < len; i++) {
    logcap_entry_view v;
    if (logcap_batch_entry(b, i, &v) != LOGCAP_RESULT_OK) return 1;
    s->entries++;
    uint64_t repeats = 1;
    for (size_t j = 0; j < v.label_count; j++) {
      logcap_str k, val;
      if (logcap_batch_label(b, i, j, &k, &val) != LOGCAP_RESULT_OK) return 1;
      if (k.len == 6 && memcmp(k.ptr, "hooked", 6) == 0) s->hooked++;
    }
    for (size_t j = 0; j < v.field_count; j++) {
      logcap_str k;
      logcap_field_view f;
      if (logcap_batch_field(b, i, j, &k, &f) != LOGCAP_RESULT_OK) return 1;
      if (k.len == 9 && memcmp(k.ptr, "api_token", 9) == 0 && f.kind == LOGCAP_VALUE_KIND_STR &&
          f.str.len == 10 && memcmp(f.str.ptr, "[REDACTED]", 10) == 0)
        s->redacted++;
      if (k.len == 7 && memcmp(k.ptr, "repeats", 7) == 0 && f.kind == LOGCAP_VALUE_KIND_U64) repeats = f.u64;
    }
    s->repeats_sum += repeats;
  }
  return 0;
}

static void submit_at(logcap_pipeline *p, uint32_t level, const uint8_t *msg, size_t len) {
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  OK(logcap_entry_set_level(e, level));
  OK(logcap_entry_set_message(e, msg, len));
  OK(logcap_submit(p, e));
}

static void test_processor_hook(void) {
  logcap_builder *b = NULL;
  OK(logcap_builder_new(S("{\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\",\"when_full\":\"block\"}],"
                          "\"redact\":{\"keys\":[\"*token*\"]}}"),
                        &b));
  hook_state hs = {NULL, NULL, 0, 0};
  sink_state ss = {0, 0, 0, 0};
  EXPECT_RC(logcap_builder_set_processor(b, NULL, &hs), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_builder_set_processor(b, hook, &hs));
  OK(logcap_builder_add_callback(b, S("cb"), on_batch, &ss));
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(b, &p));
  hs.p = p;
  submit_at(p, LOGCAP_LEVEL_INFO, S("keep"));
  submit_at(p, LOGCAP_LEVEL_INFO, S("drop"));
  submit_at(p, LOGCAP_LEVEL_INFO, S("fail"));
  submit_at(p, LOGCAP_LEVEL_INFO, S("keep"));
  OK(logcap_pipeline_flush(p, 10000));
  CHECK(hs.calls == 4);
  CHECK(hs.misuse_refused == 8);
  CHECK(ss.entries == 3); /* "drop" dropped; "fail" kept */
  CHECK(ss.hooked == 2 && ss.redacted == 2);
  /* The handle the hook was lent is stale once its call has returned. */
  uint8_t buf[8];
  size_t n = 0;
  EXPECT_RC(logcap_entry_get_message(hs.kept_handle, buf, sizeof buf, &n), LOGCAP_RESULT_STALE_HANDLE);
  CHECK(strstr(logcap_last_error(), "processor") != NULL);
  EXPECT_RC(logcap_release(hs.kept_handle), LOGCAP_RESULT_STALE_HANDLE);
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.submitted == 4 && st.accepted == 3 && st.dropped_by_hook == 1 && st.hook_errors == 1);
  CHECK(st.submitted == st.accepted + st.dropped_level + st.sampled_out + st.rate_limited + st.dropped_by_hook +
                            st.deduplicated + st.dropped_queue_full + st.dropped_queue_evicted +
                            st.dropped_queue_timeout + st.queued + st.held);
  OK(logcap_pipeline_close(p, 10000));
  logcap_pipeline_free(p);
}

static void test_stages_from_json(void) {
  logcap_builder *b = NULL;
  sink_state ss = {0, 0, 0, 0};
  /* Sampling keeps 2 per message then none; the dedup window (a minute) collects the rest;
   * the rate limit lets 3 of the burst through. */
  OK(logcap_builder_new(S("{\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\",\"when_full\":\"block\"}],"
                          "\"sampling\":{\"initial\":2,\"thereafter\":0,\"tick_ms\":60000},"
                          "\"rate_limit\":{\"per_second\":0.001,\"burst\":3},"
                          "\"dedup\":{\"window_ms\":60000,\"max_keys\":8}}"),
                        &b));
  OK(logcap_builder_add_callback(b, S("cb"), on_batch, &ss));
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(b, &p));
  /* Two levels, so the two messages never share a sampling counter. */
  for (int i = 0; i < 10; i++) submit_at(p, LOGCAP_LEVEL_INFO, S("same"));  /* 2 pass sampling, 2 tokens */
  for (int i = 0; i < 10; i++) submit_at(p, LOGCAP_LEVEL_WARN, S("other")); /* 2 pass sampling, 1 token */
  OK(logcap_pipeline_flush(p, 10000));
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.submitted == 20 && st.sampled_out == 16 && st.rate_limited == 1);
  CHECK(st.deduplicated == 1 && st.accepted == 2 && st.held == 0);
  CHECK(ss.entries == 2 && ss.repeats_sum == 3); /* "same" with repeats 2, "other" alone */

  /* Metrics: BUFFER_TOO_SMALL gives the needed length, then the text. */
  size_t need = 0;
  uint8_t small[16];
  EXPECT_RC(logcap_pipeline_metrics(p, small, sizeof small, &need), LOGCAP_RESULT_BUFFER_TOO_SMALL);
  CHECK(need > 1000);
  size_t cap = need + 4096, len = 0;
  char *text = malloc(cap + 1);
  OK(logcap_pipeline_metrics(p, (uint8_t *)text, cap, &len));
  CHECK(len > 1000 && len <= cap);
  text[len] = 0;
  CHECK(strstr(text, "# TYPE logcap_entries_submitted_total counter\nlogcap_entries_submitted_total 20\n") != NULL);
  CHECK(strstr(text, "logcap_entries_dropped_total{reason=\"sampled_out\"} 16\n") != NULL);
  CHECK(strstr(text, "logcap_entries_deduplicated_total 1\n") != NULL);
  CHECK(strstr(text, "logcap_sink_entries_delivered_total{sink=\"cb\"} 2\n") != NULL);
  free(text);
  logcap_pipeline_free(p);
}

static void test_config_errors(void) {
  logcap_pipeline *p = NULL;
  EXPECT_RC(logcap_pipeline_new(S("{\"redact\":{\"patterns\":[\"email\",\"(\"]}}"), &p), LOGCAP_RESULT_CONFIG);
  CHECK(strstr(logcap_last_error(), "redact.patterns[1]") != NULL);
  EXPECT_RC(logcap_pipeline_new(S("{\"dedup\":{\"windw_ms\":5}}"), &p), LOGCAP_RESULT_CONFIG);
  CHECK(strstr(logcap_last_error(), "dedup.windw_ms") != NULL);
  CHECK(p == NULL);
}

int main(void) {
  test_processor_hook();
  test_stages_from_json();
  test_config_errors();
  return finish("test_process");
}
