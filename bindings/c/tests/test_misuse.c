/* Every export with NULL, with invalid and stale handles, before any pipeline exists and
 * after close: each call answers with its error code, never a crash (after sentry-native's
 * test_uninit.c). Run under AddressSanitizer and UndefinedBehaviorSanitizer. */
#include <stdint.h>
#include <string.h>

#include "check.h"

static const char NULL_CONFIG[] = "{\"sinks\":[{\"type\":\"null\"}]}";

/* Every entry function on handle `e`, expecting `code` from each. */
static void all_entry_calls(logcap_entry *e, logcap_result code) {
  uint8_t buf[16];
  size_t n = 0;
  uint32_t l = 0;
  uint64_t ts = 0;
  logcap_field_view v;
  logcap_entry *out = NULL;
  EXPECT_RC(logcap_set_label(e, S("k"), S("v")), code);
  EXPECT_RC(logcap_entry_get_label(e, S("k"), buf, sizeof buf, &n), code);
  EXPECT_RC(logcap_entry_delete_label(e, S("k")), code);
  EXPECT_RC(logcap_entry_set_field_str(e, S("k"), S("v")), code);
  EXPECT_RC(logcap_entry_set_field_i64(e, S("k"), 1), code);
  EXPECT_RC(logcap_entry_set_field_u64(e, S("k"), 1), code);
  EXPECT_RC(logcap_entry_set_field_f64(e, S("k"), 1.0), code);
  EXPECT_RC(logcap_entry_set_field_bool(e, S("k"), true), code);
  EXPECT_RC(logcap_entry_get_field(e, S("k"), buf, sizeof buf, &v), code);
  EXPECT_RC(logcap_entry_delete_field(e, S("k")), code);
  EXPECT_RC(logcap_entry_counts(e, &n, &n), code);
  EXPECT_RC(logcap_entry_set_message(e, S("m")), code);
  EXPECT_RC(logcap_entry_get_message(e, buf, sizeof buf, &n), code);
  EXPECT_RC(logcap_entry_set_level(e, 2), code);
  EXPECT_RC(logcap_entry_get_meta(e, &l, &ts), code);
  EXPECT_RC(logcap_entry_set_timestamp(e, 1), code);
  EXPECT_RC(logcap_entry_set_trace_id(e, S("t")), code);
  EXPECT_RC(logcap_entry_set_span_id(e, S("s")), code);
  EXPECT_RC(logcap_entry_clone(e, &out), code);
  CHECK(out == NULL);
}

static void null_everywhere(void) {
  uint8_t buf[16];
  size_t n = 0;
  uint32_t l = 0;
  logcap_stats st;
  logcap_sink_stats ks;
  logcap_entry *e = NULL;
  logcap_pipeline *p = NULL;
  logcap_builder *b = NULL;

  /* No pipeline exists yet. */
  EXPECT_RC(logcap_pipeline_new(S(NULL_CONFIG), NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_new(NULL, 5, &p), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(p == NULL);
  EXPECT_RC(logcap_acquire(NULL, &e), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(e == NULL);
  EXPECT_RC(logcap_submit(NULL, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_submit_record(NULL, (const uint8_t *)"LC", 2), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_flush(NULL, 10), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_close(NULL, 10), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_stats(NULL, &st), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_sink_stats(NULL, 0, &ks), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_sink_name(NULL, 0, buf, sizeof buf, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_set_min_level(NULL, 1), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_min_level(NULL, &l), LOGCAP_RESULT_NULL_ARGUMENT);
  uint64_t count = 0;
  EXPECT_RC(logcap_pipeline_replay(NULL, (const uint8_t *)"d.jsonl", 7, &count), LOGCAP_RESULT_NULL_ARGUMENT);
  logcap_pipeline_free(NULL); /* no-op */
  EXPECT_RC(logcap_release(NULL), LOGCAP_RESULT_OK); /* no-op */
  all_entry_calls(NULL, LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_builder_new(NULL, 0, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_builder_add_callback(NULL, S("cb"), NULL, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_builder_set_processor(NULL, NULL, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_metrics(NULL, buf, sizeof buf, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_builder_build(NULL, &p), LOGCAP_RESULT_NULL_ARGUMENT);
  logcap_builder_free(NULL);
  logcap_lane *lane = NULL;
  uint8_t *mem = NULL;
  EXPECT_RC(logcap_pipeline_lane(NULL, &lane, &mem, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_lane_wake(NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  logcap_lane_release(NULL);
  logcap_str s;
  logcap_entry_view ev;
  logcap_field_view fv;
  EXPECT_RC(logcap_batch_len(NULL, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_batch_json(NULL, &s), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_batch_entry(NULL, 0, &ev), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_batch_label(NULL, 0, 0, &s, &s), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_batch_field(NULL, 0, 0, &s, &fv), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(logcap_version() != NULL && logcap_last_error() != NULL);

  /* NULL outputs and NULL strings with a length, on a live pipeline and entry. */
  OK(logcap_pipeline_new(S(NULL_CONFIG), &p));
  EXPECT_RC(logcap_acquire(p, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_acquire(p, &e));
  EXPECT_RC(logcap_pipeline_stats(p, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_sink_stats(p, 0, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_sink_name(p, 0, NULL, 0, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_sink_name(p, 0, NULL, 64, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_metrics(p, NULL, 0, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_metrics(p, NULL, 1 << 20, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_min_level(p, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_replay(p, (const uint8_t *)"d.jsonl", 7, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_replay(p, NULL, 7, &count), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_replay(p, NULL, 0, &count), LOGCAP_RESULT_INVALID_ARGUMENT);
  EXPECT_RC(logcap_pipeline_submit_record(p, NULL, 10), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_submit_record(p, NULL, 0), LOGCAP_RESULT_MALFORMED_RECORD);
  EXPECT_RC(logcap_set_label(e, NULL, 3, S("v")), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_set_label(e, S("k"), NULL, 3), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_entry_set_message(e, NULL, 1), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_entry_get_label(e, S("k"), buf, sizeof buf, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_entry_get_field(e, S("k"), buf, sizeof buf, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_entry_get_message(e, buf, sizeof buf, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_entry_set_message(e, S("hello")));
  EXPECT_RC(logcap_entry_get_message(e, NULL, 64, &n), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_entry_clone(e, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_entry_counts(e, NULL, NULL)); /* optional outputs */
  OK(logcap_entry_get_meta(e, NULL, NULL));
  EXPECT_RC(logcap_builder_new(S(NULL_CONFIG), NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_builder_new(S(NULL_CONFIG), &b));
  EXPECT_RC(logcap_builder_build(b, NULL), LOGCAP_RESULT_NULL_ARGUMENT); /* consumed anyway */
  OK(logcap_release(e));
  logcap_pipeline_free(p);
}

static void invalid_and_stale_handles(void) {
  logcap_pipeline *p = NULL, *q = NULL;
  OK(logcap_pipeline_new(S(NULL_CONFIG), &p));
  OK(logcap_pipeline_new(S(NULL_CONFIG), &q));

  /* Never issued: forged values, including a real address. */
  int local = 0;
  logcap_entry *forged[] = {(logcap_entry *)(uintptr_t)1, (logcap_entry *)(uintptr_t)0xdeadbeefull,
                            (logcap_entry *)(uintptr_t)0xffffffffffffffffull, (logcap_entry *)&local,
                            /* tagged like a handle, generation 0 and a slot never reached */
                            (logcap_entry *)(uintptr_t)0x8000000100000000ull, (logcap_entry *)(uintptr_t)0xfffff00000000001ull};
  for (size_t i = 0; i < sizeof forged / sizeof *forged; i++) {
    all_entry_calls(forged[i], LOGCAP_RESULT_INVALID_HANDLE);
    EXPECT_RC(logcap_release(forged[i]), LOGCAP_RESULT_INVALID_HANDLE);
    EXPECT_RC(logcap_submit(p, forged[i]), LOGCAP_RESULT_INVALID_HANDLE);
  }

  /* Released twice, used after release. */
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  OK(logcap_release(e));
  EXPECT_RC(logcap_release(e), LOGCAP_RESULT_STALE_HANDLE);
  CHECK(strstr(logcap_last_error(), "released") != NULL);
  all_entry_calls(e, LOGCAP_RESULT_STALE_HANDLE);
  EXPECT_RC(logcap_submit(p, e), LOGCAP_RESULT_STALE_HANDLE);

  /* Used after submit. */
  OK(logcap_acquire(p, &e));
  OK(logcap_submit(p, e));
  EXPECT_RC(logcap_submit(p, e), LOGCAP_RESULT_STALE_HANDLE);
  CHECK(strstr(logcap_last_error(), "submitted") != NULL);
  EXPECT_RC(logcap_release(e), LOGCAP_RESULT_STALE_HANDLE);
  all_entry_calls(e, LOGCAP_RESULT_STALE_HANDLE);

  /* A stale handle whose slot was reused: still stale, and the new entry is untouched. */
  logcap_entry *old = NULL, *fresh = NULL;
  OK(logcap_acquire(p, &old));
  OK(logcap_release(old));
  OK(logcap_acquire(p, &fresh));
  OK(logcap_set_label(fresh, S("owner"), S("fresh")));
  EXPECT_RC(logcap_set_label(old, S("owner"), S("old")), LOGCAP_RESULT_STALE_HANDLE);
  EXPECT_RC(logcap_release(old), LOGCAP_RESULT_STALE_HANDLE);
  uint8_t buf[16];
  size_t n = 0;
  OK(logcap_entry_get_label(fresh, S("owner"), buf, sizeof buf, &n));
  CHECK(n == 5 && memcmp(buf, "fresh", 5) == 0);

  /* An entry of one pipeline submitted to another: refused, and still the caller's. */
  EXPECT_RC(logcap_submit(q, fresh), LOGCAP_RESULT_WRONG_PIPELINE);
  OK(logcap_set_label(fresh, S("still"), S("mine")));
  OK(logcap_submit(p, fresh));

  logcap_pipeline_free(q);
  logcap_pipeline_free(p);
}

static void after_close(void) {
  logcap_pipeline *p = NULL;
  OK(logcap_pipeline_new(S(NULL_CONFIG), &p));
  logcap_entry *held = NULL;
  OK(logcap_acquire(p, &held));
  OK(logcap_pipeline_close(p, 10000));
  logcap_entry *e = NULL;
  EXPECT_RC(logcap_acquire(p, &e), LOGCAP_RESULT_CLOSED);
  CHECK(e == NULL);
  /* An entry acquired before close can still be filled, but not submitted. */
  OK(logcap_set_label(held, S("k"), S("v")));
  EXPECT_RC(logcap_submit(p, held), LOGCAP_RESULT_CLOSED);
  EXPECT_RC(logcap_release(held), LOGCAP_RESULT_STALE_HANDLE); /* consumed by the submit */
  EXPECT_RC(logcap_pipeline_flush(p, 100), LOGCAP_RESULT_CLOSED);
  EXPECT_RC(logcap_pipeline_submit_record(p, (const uint8_t *)"LC", 2), LOGCAP_RESULT_CLOSED);
  OK(logcap_pipeline_close(p, 100));
  OK(logcap_pipeline_set_min_level(p, 3));
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.submitted == 0);
  /* Entries outlive their pipeline: one acquired before free can still be released. */
  logcap_pipeline *q = NULL;
  OK(logcap_pipeline_new(S(NULL_CONFIG), &q));
  OK(logcap_acquire(q, &e));
  logcap_pipeline_free(q);
  OK(logcap_set_label(e, S("k"), S("v")));
  OK(logcap_release(e));
  logcap_pipeline_free(p);

  /* A thread's lane: none with the shared queue; a lane outlives its pipeline until released;
     none after close. */
  logcap_lane *lane = (logcap_lane *)1;
  uint8_t *mem = (uint8_t *)1;
  size_t len = 1;
  OK(logcap_pipeline_new(S(NULL_CONFIG), &p));
  OK(logcap_pipeline_lane(p, &lane, &mem, &len));
  CHECK(lane == NULL && mem == NULL && len == 0);
  EXPECT_RC(logcap_pipeline_lane(p, NULL, &mem, &len), LOGCAP_RESULT_NULL_ARGUMENT);
  logcap_pipeline_free(p);
  OK(logcap_pipeline_new(S("{\"queue\":{\"lanes\":true,\"lane_bytes\":4096},\"sinks\":[{\"type\":\"null\"}]}"), &p));
  OK(logcap_pipeline_lane(p, &lane, &mem, &len));
  CHECK(lane != NULL && mem != NULL && len == 256 + 4096);
  CHECK(mem != NULL && memcmp(mem, "LCLN", 4) == 0 && mem[4] == 2);
  OK(logcap_lane_wake(lane));
  OK(logcap_pipeline_close(p, 10000));
  CHECK(mem != NULL && mem[196] == 1); /* the control line says closed */
  logcap_lane *after = NULL;
  EXPECT_RC(logcap_pipeline_lane(p, &after, &mem, &len), LOGCAP_RESULT_CLOSED);
  CHECK(after == NULL);
  logcap_pipeline_free(p);
  OK(logcap_lane_wake(lane)); /* the pipeline is gone: nothing to wake */
  logcap_lane_release(lane);
}

/* Lanes bound to no thread (the Go binding's): none without lanes; NULL arguments; another
   pipeline's lane refused by name; the slow-path submit answers as submit_record does and
   says where the lane's memory is; none after close; the memory outlives the pipeline until
   released. */
static void unbound_lanes(void) {
  logcap_pipeline *p = NULL, *q = NULL;
  logcap_unbound_lane *lane = (logcap_unbound_lane *)1, *other = NULL;
  uint8_t *mem = (uint8_t *)1, *m2 = NULL;
  size_t len = 1, l2 = 0;
  OK(logcap_pipeline_new(S(NULL_CONFIG), &p));
  OK(logcap_pipeline_unbound_lane(p, &lane, &mem, &len));
  CHECK(lane == NULL && mem == NULL && len == 0);
  logcap_pipeline_free(p);
  const char *lanes = "{\"queue\":{\"lanes\":true,\"lane_bytes\":4096},\"sinks\":[{\"type\":\"null\"}]}";
  OK(logcap_pipeline_new((const uint8_t *)lanes, strlen(lanes), &p));
  OK(logcap_pipeline_new((const uint8_t *)lanes, strlen(lanes), &q));
  EXPECT_RC(logcap_pipeline_unbound_lane(NULL, &lane, &mem, &len), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_pipeline_unbound_lane(p, NULL, &mem, &len), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_pipeline_unbound_lane(p, &lane, &mem, &len));
  CHECK(lane != NULL && mem != NULL && len == 256 + 4096 && memcmp(mem, "LCLN", 4) == 0);
  OK(logcap_pipeline_unbound_lane(q, &other, &m2, &l2));
  CHECK(other != NULL && m2 != mem);
  /* A packed record (docs/record-format.md): info, stamped at submit, message "hello". */
  const uint8_t rec[37] = {'L', 'C', 1, 2, 37, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           0,   5,   0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 0, 0};
  const size_t n = sizeof rec;
  EXPECT_RC(logcap_unbound_lane_submit_record(p, other, rec, n, &m2, &l2), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(strstr(logcap_last_error(), "not one of this pipeline's") != NULL);
  EXPECT_RC(logcap_unbound_lane_submit_record(p, NULL, rec, n, &m2, &l2), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_unbound_lane_submit_record(p, lane, rec, n, NULL, &l2), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_unbound_lane_submit_record(p, lane, rec, n - 1, &m2, &l2), LOGCAP_RESULT_MALFORMED_RECORD);
  OK(logcap_unbound_lane_submit_record(p, lane, rec, n, &m2, &l2));
  CHECK(m2 == mem && l2 == len);
  /* An entry into the lane: another pipeline's lane or entry refused with the handle still
     the caller's; then submitted, the handle consumed. */
  logcap_entry *e = NULL, *eq = NULL;
  OK(logcap_acquire(p, &e));
  OK(logcap_acquire(q, &eq));
  EXPECT_RC(logcap_unbound_lane_submit_entry(p, other, e, &m2, &l2), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(strstr(logcap_last_error(), "not one of this pipeline's") != NULL);
  EXPECT_RC(logcap_unbound_lane_submit_entry(p, lane, eq, &m2, &l2), LOGCAP_RESULT_WRONG_PIPELINE);
  EXPECT_RC(logcap_unbound_lane_submit_entry(p, lane, NULL, &m2, &l2), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_unbound_lane_submit_entry(p, lane, e, &m2, NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_entry_set_message(e, S("entry")));
  OK(logcap_unbound_lane_submit_entry(p, lane, e, &m2, &l2));
  CHECK(m2 == mem && l2 == len);
  EXPECT_RC(logcap_release(e), LOGCAP_RESULT_STALE_HANDLE); /* consumed */
  logcap_release(eq);
  OK(logcap_pipeline_flush(p, 10000));
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.submitted == 2 && st.accepted == 2 && st.dropped_malformed == 0);
  EXPECT_RC(logcap_unbound_lane_wake(NULL), LOGCAP_RESULT_NULL_ARGUMENT);
  OK(logcap_unbound_lane_wake(lane));
  OK(logcap_pipeline_close(p, 10000));
  CHECK(mem[196] == 1); /* the control line says closed */
  EXPECT_RC(logcap_unbound_lane_submit_record(p, lane, rec, n, &m2, &l2), LOGCAP_RESULT_CLOSED);
  EXPECT_RC(logcap_acquire(p, &e), LOGCAP_RESULT_CLOSED);
  logcap_unbound_lane *after = NULL;
  EXPECT_RC(logcap_pipeline_unbound_lane(p, &after, &m2, &l2), LOGCAP_RESULT_CLOSED);
  CHECK(after == NULL);
  logcap_pipeline_free(p);
  CHECK(memcmp(mem, "LCLN", 4) == 0); /* still the lane's until released */
  OK(logcap_unbound_lane_wake(lane));
  logcap_unbound_lane_release(lane);
  logcap_unbound_lane_release(other);
  logcap_unbound_lane_release(NULL);
  logcap_pipeline_free(q);
}

int main(void) {
  null_everywhere();
  invalid_and_stale_handles();
  after_close();
  unbound_lanes();
  return finish("test_misuse");
}
