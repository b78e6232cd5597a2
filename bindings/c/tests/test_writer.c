/* The record writer (logcap_write_*): the standard event written call by call gives the same
 * output as the packed record; every error case with its code and detail; many threads
 * writing at once, every record arriving once and in order per thread; threads that exit with
 * a record open. Built with -Wall -Wextra -Werror and run under AddressSanitizer (whose leak
 * checker sees a writer buffer a thread left behind) and UndefinedBehaviorSanitizer. The limit
 * vectors go through the writer in test_api.c, beside the other APIs. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include "check.h"

/* ---- A callback sink that keeps every JSON line it receives. ---- */

typedef struct {
  char *text;
  size_t len, cap;
} lines;

static int32_t keep_json(void *userdata, const logcap_batch *b) {
  lines *l = userdata;
  logcap_str json;
  if (logcap_batch_json(b, &json) != LOGCAP_RESULT_OK) return 1;
  if (l->len + json.len + 1 > l->cap) {
    l->cap = (l->len + json.len + 1) * 2;
    l->text = realloc(l->text, l->cap);
  }
  memcpy(l->text + l->len, json.ptr, json.len);
  l->len += json.len;
  l->text[l->len] = 0;
  return 0;
}

static logcap_pipeline *open_capture(lines *out) {
  logcap_builder *b = NULL;
  OK(logcap_builder_new(S("{\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\",\"when_full\":\"block\"}]}"), &b));
  OK(logcap_builder_add_callback(b, S("cb"), keep_json, out));
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(b, &p));
  return p;
}

static logcap_pipeline *open_null(void) {
  logcap_pipeline *p = NULL;
  OK(logcap_pipeline_new(S("{\"sinks\":[{\"type\":\"null\"}]}"), &p));
  return p;
}

/* The standard event (shared/standard-event.json) at the standard_event vector's timestamp. */
static const uint64_t STANDARD_TS = 1735689600000000000ull;

static logcap_result write_standard(logcap_pipeline *p) {
  logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("request completed"));
  logcap_write_timestamp(STANDARD_TS);
  logcap_write_label(S("service"), S("checkout"));
  logcap_write_label(S("env"), S("prod"));
  logcap_write_label(S("host"), S("web-1"));
  logcap_write_label(S("region"), S("eu-west-1"));
  logcap_write_str(S("method"), S("GET"));
  logcap_write_str(S("path"), S("/api/v1/orders/12345"));
  logcap_write_i64(S("status"), 200);
  logcap_write_f64(S("latency_ms"), 12.5);
  logcap_write_str(S("user_id"), S("u-998877"));
  logcap_write_bool(S("cache_hit"), true);
  return logcap_write_commit();
}

/* The bytes of the vector named `name` in tests/vectors/records.json. */
static size_t vector_bytes(const char *json, const char *name, uint8_t *out) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"name\": \"%s\"", name);
  const char *at = strstr(json, pat);
  CHECK(at != NULL);
  if (!at) return 0;
  at = strstr(at, "\"hex\": \"");
  at += 8;
  size_t n = 0;
  for (; at[0] != '"'; at += 2) {
    unsigned v;
    sscanf(at, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

/* The writer and the packed record give the same line, byte for byte, for the standard event
 * and for the vector with a trace context (written after the labels and fields, which the
 * writer moves into place). */
static void test_same_output_as_the_packed_record(const char *vectors) {
  size_t len = 0;
  char *json = read_file(vectors, &len);
  CHECK(json != NULL);
  if (!json) return;
  uint8_t rec[1024];
  lines packed = {0}, written = {0};
  logcap_pipeline *pp = open_capture(&packed), *pw = open_capture(&written);

  size_t n = vector_bytes(json, "standard_event", rec);
  OK(logcap_pipeline_submit_record(pp, rec, n));
  OK(write_standard(pw));
  /* The trace context written last: moved before the labels. */
  n = vector_bytes(json, "trace_and_span", rec);
  OK(logcap_pipeline_submit_record(pp, rec, n));
  OK(logcap_write_begin(pw, LOGCAP_LEVEL_DEBUG, S("with trace context")));
  OK(logcap_write_label(S("service"), S("checkout")));
  OK(logcap_write_timestamp(1));
  OK(logcap_write_trace(S("4bf92f3577b34da6a3ce929d0e0e4736"), S("00f067aa0ba902b7")));
  OK(logcap_write_commit());
  /* The standard event with labels and fields interleaved, and a trace context set and then
   * cleared: the same record as the vector. */
  n = vector_bytes(json, "standard_event", rec);
  OK(logcap_pipeline_submit_record(pp, rec, n));
  OK(logcap_write_begin(pw, LOGCAP_LEVEL_INFO, S("request completed")));
  OK(logcap_write_str(S("method"), S("GET")));
  OK(logcap_write_label(S("service"), S("checkout")));
  OK(logcap_write_str(S("path"), S("/api/v1/orders/12345")));
  OK(logcap_write_trace(S("4bf92f3577b34da6a3ce929d0e0e4736"), S("")));
  OK(logcap_write_label(S("env"), S("prod")));
  OK(logcap_write_i64(S("status"), 200));
  OK(logcap_write_label(S("host"), S("web-1")));
  OK(logcap_write_f64(S("latency_ms"), 12.5));
  OK(logcap_write_trace(NULL, 0, NULL, 0));
  OK(logcap_write_str(S("user_id"), S("u-998877")));
  OK(logcap_write_label(S("region"), S("eu-west-1")));
  OK(logcap_write_bool(S("cache_hit"), true));
  OK(logcap_write_timestamp(STANDARD_TS));
  OK(logcap_write_commit());

  OK(logcap_pipeline_flush(pp, 10000));
  OK(logcap_pipeline_flush(pw, 10000));
  CHECK(packed.len > 100 && strstr(packed.text, "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"") != NULL);
  CHECK(written.len == packed.len && memcmp(written.text, packed.text, packed.len) == 0);
  if (written.len != packed.len || memcmp(written.text, packed.text, packed.len) != 0)
    fprintf(stderr, "packed:\n%s\nwritten:\n%s\n", packed.text, written.text);
  logcap_stats a, b;
  OK(logcap_pipeline_stats(pp, &a));
  OK(logcap_pipeline_stats(pw, &b));
  CHECK(a.submitted == 3 && b.submitted == 3 && b.accepted == 3 && b.refused_limit == 0);
  logcap_pipeline_free(pp);
  logcap_pipeline_free(pw);
  free(packed.text);
  free(written.text);
  free(json);
}

static int has(const char *needle) {
  int found = strstr(logcap_last_error(), needle) != NULL;
  if (!found) fprintf(stderr, "  detail %s does not contain %s\n", logcap_last_error(), needle);
  return found;
}

static logcap_stats stats(logcap_pipeline *p) {
  logcap_stats s;
  OK(logcap_pipeline_stats(p, &s));
  return s;
}

/* Calls out of order: no record open, a record open already. */
static void test_calls_out_of_order(void) {
  logcap_pipeline *p = open_null();
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("no record is open on this thread"));
  EXPECT_RC(logcap_write_label(S("k"), S("v")), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("no record is open"));
  EXPECT_RC(logcap_write_i64(S("k"), 1), LOGCAP_RESULT_INVALID_ARGUMENT);
  EXPECT_RC(logcap_write_trace(S("t"), S("s")), LOGCAP_RESULT_INVALID_ARGUMENT);
  EXPECT_RC(logcap_write_timestamp(1), LOGCAP_RESULT_INVALID_ARGUMENT);
  OK(logcap_write_abort()); /* nothing open: a no-op */

  /* Begin while open: nothing opens, and the open record fails; nothing is submitted. */
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("outer")));
  OK(logcap_write_label(S("a"), S("1")));
  EXPECT_RC(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("inner")), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("records cannot nest"));
  EXPECT_RC(logcap_write_label(S("b"), S("2")), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("records cannot nest"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("records cannot nest"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_INVALID_ARGUMENT); /* ended */
  CHECK(has("no record is open"));
  /* A record for another pipeline while one is open: the same. */
  logcap_pipeline *q = open_null();
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("for p")));
  EXPECT_RC(logcap_write_begin(q, LOGCAP_LEVEL_INFO, S("for q")), LOGCAP_RESULT_INVALID_ARGUMENT);
  EXPECT_RC(logcap_write_abort(), LOGCAP_RESULT_INVALID_ARGUMENT); /* abort says why it had failed */
  /* After abort the thread writes again, to whichever pipeline. */
  OK(logcap_write_begin(q, LOGCAP_LEVEL_INFO, S("for q")));
  OK(logcap_write_commit());
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("for p")));
  OK(logcap_write_abort()); /* a healthy record: discarded, OK */
  OK(logcap_pipeline_flush(p, 10000));
  OK(logcap_pipeline_flush(q, 10000));
  CHECK(stats(p).submitted == 0 && stats(q).submitted == 1 && stats(q).accepted == 1);
  logcap_pipeline_free(q);
  logcap_pipeline_free(p);
}

/* A bad argument fails the record: each later call and commit return the first code, and the
 * detail is the first failure's. Nothing is submitted or counted but limits. */
static void test_sticky_errors(void) {
  logcap_pipeline *p = open_null();
  logcap_stats before = stats(p);

  EXPECT_RC(logcap_write_begin(NULL, LOGCAP_LEVEL_INFO, S("m")), LOGCAP_RESULT_NULL_ARGUMENT);
  EXPECT_RC(logcap_write_label(S("k"), S("v")), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("pipeline pointer is NULL"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("pipeline pointer is NULL"));

  EXPECT_RC(logcap_write_begin(p, 9, S("m")), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("level 9 is not 0 (trace) to 5 (fatal)"));
  EXPECT_RC(logcap_write_str(S("k"), S("v")), LOGCAP_RESULT_INVALID_ARGUMENT);
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("level 9"));

  EXPECT_RC(logcap_write_begin(p, LOGCAP_LEVEL_INFO, NULL, 5), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("message is NULL with length 5"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_NULL_ARGUMENT);

  /* NULL with a length, in a key and in a value; the first failure is kept. */
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  EXPECT_RC(logcap_write_str(S("k"), NULL, 3), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("value is NULL with length 3"));
  EXPECT_RC(logcap_write_label(NULL, 2, S("v")), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("value is NULL with length 3"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("value is NULL with length 3"));
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  EXPECT_RC(logcap_write_trace(NULL, 1, NULL, 0), LOGCAP_RESULT_NULL_ARGUMENT);
  CHECK(has("trace_id is NULL with length 1"));
  EXPECT_RC(logcap_write_abort(), LOGCAP_RESULT_NULL_ARGUMENT);

  /* An empty key: INVALID_ARGUMENT, as every setter answers; not counted. */
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  OK(logcap_write_label(S("a"), S("b")));
  EXPECT_RC(logcap_write_bool(S(""), true), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("field 1 (\"\"): a key is empty (empty_key)"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_INVALID_ARGUMENT);
  CHECK(has("(empty_key)"));

  logcap_stats after = stats(p);
  CHECK(after.submitted == before.submitted && after.refused_limit == before.refused_limit);

  /* A key over the limit: LIMIT at once, the record fails, and commit counts it once. */
  char longkey[1100];
  memset(longkey, 'k', sizeof longkey);
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  OK(logcap_write_label(S("service"), S("checkout")));
  EXPECT_RC(logcap_write_label((const uint8_t *)longkey, 1025, S("v")), LOGCAP_RESULT_LIMIT);
  CHECK(has("label 2 (\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"…): a key is longer than 1024 bytes (key_too_long)"));
  EXPECT_RC(logcap_write_i64(S("status"), 200), LOGCAP_RESULT_LIMIT);
  CHECK(has("label 2"));
  CHECK(stats(p).refused_limit == before.refused_limit); /* counted at commit, once */
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_LIMIT);
  CHECK(has("(key_too_long)"));
  after = stats(p);
  CHECK(after.refused_limit == before.refused_limit + 1 && after.submitted == before.submitted);

  /* An aborted record over a limit is not counted: it was never submitted. */
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  EXPECT_RC(logcap_write_u64((const uint8_t *)longkey, 1100, 1), LOGCAP_RESULT_LIMIT);
  CHECK(has("field 1"));
  EXPECT_RC(logcap_write_abort(), LOGCAP_RESULT_LIMIT);
  CHECK(stats(p).refused_limit == before.refused_limit + 1);

  /* 65 labels: the 65th is refused, naming it. */
  char key[16];
  OK(logcap_write_begin(p, LOGCAP_LEVEL_WARN, S("m")));
  for (int i = 0; i < 64; i++) {
    snprintf(key, sizeof key, "l%d", i);
    OK(logcap_write_label((const uint8_t *)key, strlen(key), S("v")));
  }
  EXPECT_RC(logcap_write_label(S("l64"), S("v")), LOGCAP_RESULT_LIMIT);
  CHECK(has("label 65 (\"l64\"): more than 64 labels (too_many_labels)"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_LIMIT);
  CHECK(stats(p).refused_limit == before.refused_limit + 2);

  /* A message over the limit, and a record over 1 MiB. */
  size_t big = LOGCAP_MAX_MESSAGE_BYTES + 1;
  uint8_t *m = malloc(big);
  memset(m, 'm', big);
  EXPECT_RC(logcap_write_begin(p, LOGCAP_LEVEL_INFO, m, big), LOGCAP_RESULT_LIMIT);
  CHECK(has("message: the message is longer than 262144 bytes (message_too_long)"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_LIMIT);
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  OK(logcap_write_str(S("a"), m, big - 1));
  OK(logcap_write_str(S("b"), m, big - 1));
  OK(logcap_write_str(S("c"), m, big - 1));
  EXPECT_RC(logcap_write_str(S("d"), m, big - 1), LOGCAP_RESULT_LIMIT);
  CHECK(has("field 4 (\"d\"): the record is longer than 1048576 bytes (too_large)"));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_LIMIT);
  CHECK(stats(p).refused_limit == before.refused_limit + 4);
  free(m);
  logcap_pipeline_free(p);
}

/* Below the minimum level: counted as dropped by level at commit, as the packed record is;
 * its faults are still found and counted as the packed record's are. */
static void test_below_the_minimum_level(void) {
  logcap_pipeline *p = open_null();
  OK(logcap_pipeline_set_min_level(p, LOGCAP_LEVEL_WARN));
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("quiet")));
  OK(logcap_write_label(S("service"), S("checkout")));
  OK(logcap_write_i64(S("status"), 200));
  OK(logcap_write_commit());
  logcap_stats s = stats(p);
  CHECK(s.submitted == 1 && s.dropped_level == 1 && s.refused_limit == 0);
  char longkey[1025];
  memset(longkey, 'k', sizeof longkey);
  OK(logcap_write_begin(p, LOGCAP_LEVEL_DEBUG, S("quiet")));
  EXPECT_RC(logcap_write_label((const uint8_t *)longkey, sizeof longkey, S("v")), LOGCAP_RESULT_LIMIT);
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_LIMIT);
  s = stats(p);
  CHECK(s.submitted == 1 && s.dropped_level == 1 && s.refused_limit == 1);
  OK(logcap_pipeline_flush(p, 10000));
  CHECK(stats(p).accepted == 0);

  /* After close: CLOSED, whatever the record, and nothing counted. */
  OK(logcap_write_begin(p, LOGCAP_LEVEL_ERROR, S("late")));
  OK(logcap_write_label(S("a"), S("b")));
  OK(logcap_pipeline_close(p, 10000));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_CLOSED);
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("late, quiet")));
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_CLOSED);
  OK(logcap_write_begin(p, LOGCAP_LEVEL_ERROR, S("late")));
  EXPECT_RC(logcap_write_label((const uint8_t *)longkey, sizeof longkey, S("v")), LOGCAP_RESULT_LIMIT);
  EXPECT_RC(logcap_write_commit(), LOGCAP_RESULT_CLOSED);
  s = stats(p);
  CHECK(s.submitted == 1 && s.refused_limit == 1);
  logcap_pipeline_free(p);
}

/* A processor hook runs inside commit, on the committing thread: the writer is busy there,
 * and says so, without disturbing the record being committed. */
static int32_t hook_writes(void *userdata, logcap_entry *e) {
  (void)e;
  logcap_result *rc = userdata;
  rc[0] = logcap_write_begin(NULL, LOGCAP_LEVEL_INFO, S("from the hook"));
  rc[1] = logcap_write_abort();
  return LOGCAP_PROCESSOR_KEEP;
}

static void test_hook_cannot_write_during_commit(void) {
  logcap_builder *b = NULL;
  OK(logcap_builder_new(S("{\"sinks\":[{\"type\":\"null\"}]}"), &b));
  logcap_result rc[2] = {LOGCAP_RESULT_OK, LOGCAP_RESULT_OK};
  OK(logcap_builder_set_processor(b, hook_writes, rc));
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(b, &p));
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  OK(logcap_write_label(S("k"), S("v")));
  OK(logcap_write_commit());
  CHECK(rc[0] == LOGCAP_RESULT_INVALID_ARGUMENT && rc[1] == LOGCAP_RESULT_INVALID_ARGUMENT);
  OK(logcap_pipeline_flush(p, 10000));
  logcap_stats s = stats(p);
  CHECK(s.submitted == 1 && s.accepted == 1);
  /* Afterwards the thread writes again. */
  OK(logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("m")));
  OK(logcap_write_commit());
  logcap_pipeline_free(p);
}

/* ---- Many threads: every record once, in order per thread. ---- */

enum { THREADS = 8, PER_THREAD = 20000 };

typedef struct {
  uint64_t next[THREADS];
  uint64_t received, out_of_order, bad;
} order_state;

static int32_t check_order(void *userdata, const logcap_batch *b) {
  order_state *s = userdata;
  size_t n = 0;
  if (logcap_batch_len(b, &n) != LOGCAP_RESULT_OK) s->bad++;
  for (size_t i = 0; i < n; i++) {
    logcap_str k;
    logcap_field_view t, q;
    if (logcap_batch_field(b, i, 0, &k, &t) != LOGCAP_RESULT_OK || t.kind != LOGCAP_VALUE_KIND_U64 ||
        t.u64 >= THREADS || logcap_batch_field(b, i, 1, &k, &q) != LOGCAP_RESULT_OK) {
      s->bad++;
      continue;
    }
    if (q.u64 != s->next[t.u64]) s->out_of_order++;
    s->next[t.u64] = q.u64 + 1;
    s->received++;
  }
  return 0;
}

typedef struct {
  logcap_pipeline *p;
  uint64_t id;
  int failures;
} writer_arg;

static void *write_many(void *arg) {
  writer_arg *a = arg;
  for (uint64_t i = 0; i < PER_THREAD; i++) {
    logcap_write_begin(a->p, LOGCAP_LEVEL_INFO, S("request completed"));
    logcap_write_u64(S("thread"), a->id);
    logcap_write_u64(S("seq"), i);
    logcap_write_label(S("service"), S("checkout"));
    if (logcap_write_commit() != LOGCAP_RESULT_OK) a->failures++;
  }
  return NULL;
}

/* Every thread's records arrive once and in its order, through the shared queue (lanes off) and
 * through a lane per thread; with lanes, each thread exits right after its last commit, so its
 * lane is retired with records still in it, and a small lane makes producers wait for room. */
static void test_many_threads(int lanes) {
  logcap_builder *b = NULL;
  const char *cfg =
      lanes ? "{\"queue\":{\"when_full\":\"block\",\"block_timeout_ms\":60000,\"lanes\":true,"
              "\"capacity\":256,\"lane_bytes\":8192},"
              "\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\",\"when_full\":\"block\"}]}"
            : "{\"queue\":{\"when_full\":\"block\",\"block_timeout_ms\":60000},"
              "\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\",\"when_full\":\"block\"}]}";
  OK(logcap_builder_new((const uint8_t *)cfg, strlen(cfg), &b));
  order_state st;
  memset(&st, 0, sizeof st);
  OK(logcap_builder_add_callback(b, S("cb"), check_order, &st));
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(b, &p));
  pthread_t t[THREADS];
  writer_arg args[THREADS];
  for (int i = 0; i < THREADS; i++) {
    args[i] = (writer_arg){p, (uint64_t)i, 0};
    CHECK(pthread_create(&t[i], NULL, write_many, &args[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    CHECK(args[i].failures == 0);
  }
  OK(logcap_pipeline_close(p, 60000));
  CHECK(st.received == (uint64_t)THREADS * PER_THREAD && st.out_of_order == 0 && st.bad == 0);
  for (int i = 0; i < THREADS; i++) CHECK(st.next[i] == PER_THREAD);
  logcap_stats s = stats(p);
  CHECK(s.submitted == (uint64_t)THREADS * PER_THREAD && s.accepted == s.submitted);
  logcap_pipeline_free(p);
}

/* Threads that exit with a record open (one grown past the size the writer keeps): the
 * thread's writer is freed with the thread (the leak checker would say otherwise) and nothing
 * is submitted. */
static void *exit_with_open_record(void *arg) {
  logcap_pipeline *p = arg;
  static uint8_t big[200000];
  logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("never committed"));
  logcap_write_label(S("k"), S("v"));
  logcap_write_str(S("blob"), big, sizeof big);
  return NULL;
}

static void test_thread_exit_with_an_open_record(void) {
  logcap_pipeline *p = open_null();
  for (int i = 0; i < 16; i++) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, exit_with_open_record, p) == 0);
    pthread_join(t, NULL);
  }
  OK(logcap_pipeline_flush(p, 10000));
  logcap_stats s = stats(p);
  CHECK(s.submitted == 0 && s.refused_limit == 0);
  logcap_pipeline_free(p);
}

/* With lanes on, the stats count the calling thread's lane and its memory (a 256-byte header
 * and the ring), and no malformed record; with the shared queue, no lane. */
static void test_lane_counters(void) {
  logcap_pipeline *p = NULL;
  OK(logcap_pipeline_new(S("{\"queue\":{\"lanes\":true,\"lane_bytes\":8192},"
                           "\"sinks\":[{\"type\":\"null\"}]}"),
                         &p));
  logcap_stats s = stats(p);
  CHECK(s.lanes == 0 && s.lane_bytes == 0);
  OK(write_standard(p));
  OK(logcap_pipeline_flush(p, 10000));
  s = stats(p);
  CHECK(s.lanes == 1 && s.lane_bytes == 256 + 8192);
  CHECK(s.submitted == 1 && s.accepted == 1 && s.dropped_malformed == 0);
  /* A record whose header holds and whose one field has value type 9: through
   * logcap_pipeline_submit_trusted_record it is taken (OK) and dropped where the pipeline
   * decodes it, counted in dropped_malformed; logcap_pipeline_submit_record refuses it. */
  uint8_t bad[46] = {'L', 'C', 1, LOGCAP_LEVEL_INFO, 46, 0, 0, 0};
  bad[18] = 1;                 /* one field, no label */
  size_t at = 20 + 4 + 4 + 4;  /* after the empty message, trace id and span id */
  bad[at] = 1;                 /* the key's length, */
  bad[at + 4] = 'k';           /* the key, */
  bad[at + 5] = 9;             /* a value type that does not exist, then 8 bytes */
  CHECK(logcap_pipeline_submit_record(p, bad, sizeof bad) == LOGCAP_RESULT_MALFORMED_RECORD);
  OK(logcap_pipeline_submit_trusted_record(p, bad, sizeof bad));
  OK(logcap_pipeline_flush(p, 10000));
  s = stats(p);
  CHECK(s.submitted == 2 && s.accepted == 1 && s.dropped_malformed == 1);
  logcap_pipeline_free(p);

  p = open_null();
  OK(write_standard(p));
  OK(logcap_pipeline_flush(p, 10000));
  s = stats(p);
  CHECK(s.lanes == 0 && s.lane_bytes == 0 && s.accepted == 1);
  logcap_pipeline_free(p);
}

int main(int argc, char **argv) {
  test_same_output_as_the_packed_record(argc > 1 ? argv[1] : "tests/vectors/records.json");
  test_calls_out_of_order();
  test_sticky_errors();
  test_below_the_minimum_level();
  test_hook_cannot_write_during_commit();
  test_many_threads(0);
  test_many_threads(1);
  test_thread_exit_with_an_open_record();
  test_lane_counters();
  return finish("test_writer");
}
