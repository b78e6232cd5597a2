/* Every export of the C ABI, used as documented. Built with -Wall -Wextra -Werror and run
 * under AddressSanitizer and UndefinedBehaviorSanitizer by `make test`. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include "check.h"

static const char NULL_CONFIG[] = "{\"sinks\":[{\"type\":\"null\"}]}";

static logcap_pipeline *open_null(void) {
  logcap_pipeline *p = NULL;
  OK(logcap_pipeline_new(S(NULL_CONFIG), &p));
  CHECK(p != NULL);
  return p;
}

static void fill_standard(logcap_entry *e) {
  OK(logcap_entry_set_level(e, LOGCAP_LEVEL_INFO));
  OK(logcap_entry_set_message(e, S("request completed")));
  OK(logcap_set_label(e, S("service"), S("checkout")));
  OK(logcap_set_label(e, S("env"), S("prod")));
  OK(logcap_set_label(e, S("host"), S("web-1")));
  OK(logcap_set_label(e, S("region"), S("eu-west-1")));
  OK(logcap_entry_set_field_str(e, S("method"), S("GET")));
  OK(logcap_entry_set_field_str(e, S("path"), S("/api/v1/orders/12345")));
  OK(logcap_entry_set_field_i64(e, S("status"), 200));
  OK(logcap_entry_set_field_f64(e, S("latency_ms"), 12.5));
  OK(logcap_entry_set_field_str(e, S("user_id"), S("u-998877")));
  OK(logcap_entry_set_field_bool(e, S("cache_hit"), true));
}

static void test_version_and_texts(void) {
  CHECK(strcmp(logcap_version(), LOGCAP_VERSION_STRING) == 0);
  CHECK(strcmp(logcap_result_text(LOGCAP_RESULT_OK), "ok") == 0);
  CHECK(strstr(logcap_result_text(LOGCAP_RESULT_STALE_HANDLE), "stale") != NULL);
  CHECK(strcmp(logcap_result_text(9999), "unknown result code") == 0);
  for (uint32_t c = 0; c <= LOGCAP_RESULT_IO; c++) {
    CHECK(strcmp(logcap_result_text(c), "unknown result code") != 0);
  }
}

static void test_config_errors_name_the_key(void) {
  logcap_pipeline *p = NULL;
  EXPECT_RC(logcap_pipeline_new(S("{\"queue\":{\"capacity\":\"big\"}}"), &p), LOGCAP_RESULT_CONFIG);
  CHECK(p == NULL); /* outputs only on success */
  CHECK(strstr(logcap_last_error(), "queue.capacity") != NULL);
  EXPECT_RC(logcap_pipeline_new(S("{\"sinks\":[{\"type\":\"file\"}]}"), &p), LOGCAP_RESULT_CONFIG);
  CHECK(strstr(logcap_last_error(), "sinks[0].path") != NULL);
  EXPECT_RC(logcap_pipeline_new(S("{\"sinks\":[{\"type\":\"file\",\"path\":\"/nonexistent/dir/x.log\"}]}"), &p),
            LOGCAP_RESULT_SINK_SETUP);
  CHECK(strcmp(logcap_last_error(), "sinks[0].path: cannot open /nonexistent/dir/x.log: No such file or directory") == 0);
  /* One JSON object and nothing after it. */
  static const char *const not_one_object[] = {
      "{\"sinks\":[{\"type\":\"null\"}]} trailing",
      "{\"sinks\":[{\"type\":\"null\"}]}}",
      "{\"sinks\":[{\"type\":\"null\"}]}{\"min_level\":\"warn\"}",
      "[]",
      "[\"info\"]",
  };
  for (size_t i = 0; i < sizeof not_one_object / sizeof *not_one_object; i++) {
    EXPECT_RC(logcap_pipeline_new((const uint8_t *)not_one_object[i], strlen(not_one_object[i]), &p),
              LOGCAP_RESULT_CONFIG);
    CHECK(strstr(logcap_last_error(), i < 3 ? "nothing may follow" : "must be a JSON object") != NULL);
  }
  /* A sink name that is not plain text is a configuration error, never a panic. */
  EXPECT_RC(logcap_pipeline_new(S("{\"sinks\":[{\"type\":\"null\",\"name\":\"a\\u0000b\"}]}"), &p),
            LOGCAP_RESULT_CONFIG);
  CHECK(strstr(logcap_last_error(), "sinks[0].name") != NULL);
  CHECK(p == NULL);
  EXPECT_RC(logcap_pipeline_new(S("{\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\"}]}"), &p),
            LOGCAP_RESULT_SINK_SETUP);
  CHECK(strstr(logcap_last_error(), "cb") != NULL);
  /* NULL or empty configuration: the default, one JSON-lines sink on stdout. */
  OK(logcap_pipeline_new(NULL, 0, &p));
  logcap_stats st;
  OK(logcap_pipeline_stats(p, &st));
  CHECK(st.sink_count == 1);
  uint8_t name[32];
  size_t n = 0;
  OK(logcap_pipeline_sink_name(p, 0, name, sizeof name, &n));
  CHECK(n == 6 && memcmp(name, "stdout", 6) == 0);
  logcap_pipeline_free(p);
}

static void test_labels_and_fields(void) {
  logcap_pipeline *p = open_null();
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  fill_standard(e);
  uint8_t buf[64];
  size_t n = 0;
  OK(logcap_entry_get_label(e, S("service"), buf, sizeof buf, &n));
  CHECK(n == 8 && memcmp(buf, "checkout", 8) == 0);
  n = 77;
  EXPECT_RC(logcap_entry_get_label(e, S("service"), buf, 3, &n), LOGCAP_RESULT_BUFFER_TOO_SMALL);
  CHECK(n == 8); /* the needed length */
  EXPECT_RC(logcap_entry_get_label(e, S("absent"), buf, sizeof buf, &n), LOGCAP_RESULT_NOT_FOUND);
  OK(logcap_set_label(e, S("service"), S("billing")));
  OK(logcap_entry_get_label(e, S("service"), buf, sizeof buf, &n));
  CHECK(n == 7 && memcmp(buf, "billing", 7) == 0);
  size_t labels = 0, fields = 0;
  OK(logcap_entry_counts(e, &labels, &fields));
  CHECK(labels == 4 && fields == 6);
  OK(logcap_entry_delete_label(e, S("env")));
  EXPECT_RC(logcap_entry_delete_label(e, S("env")), LOGCAP_RESULT_NOT_FOUND);
  EXPECT_RC(logcap_set_label(e, NULL, 0, S("x")), LOGCAP_RESULT_INVALID_ARGUMENT); /* empty key */

  logcap_field_view v;
  OK(logcap_entry_get_field(e, S("status"), NULL, 0, &v));
  CHECK(v.kind == LOGCAP_VALUE_KIND_I64 && v.i64 == 200);
  OK(logcap_entry_get_field(e, S("latency_ms"), NULL, 0, &v));
  CHECK(v.kind == LOGCAP_VALUE_KIND_F64 && v.f64 == 12.5);
  OK(logcap_entry_get_field(e, S("cache_hit"), NULL, 0, &v));
  CHECK(v.kind == LOGCAP_VALUE_KIND_BOOL && v.boolean);
  OK(logcap_entry_get_field(e, S("method"), buf, sizeof buf, &v));
  CHECK(v.kind == LOGCAP_VALUE_KIND_STR && v.str.len == 3 && v.str.ptr == buf && memcmp(buf, "GET", 3) == 0);
  EXPECT_RC(logcap_entry_get_field(e, S("path"), buf, 4, &v), LOGCAP_RESULT_BUFFER_TOO_SMALL);
  CHECK(v.str.len == 20);
  OK(logcap_entry_set_field_u64(e, S("bytes"), UINT64_MAX));
  OK(logcap_entry_get_field(e, S("bytes"), NULL, 0, &v));
  CHECK(v.kind == LOGCAP_VALUE_KIND_U64 && v.u64 == UINT64_MAX);
  OK(logcap_entry_set_field_i64(e, S("method"), -5)); /* a field may change type */
  OK(logcap_entry_get_field(e, S("method"), NULL, 0, &v));
  CHECK(v.kind == LOGCAP_VALUE_KIND_I64 && v.i64 == -5);
  OK(logcap_entry_delete_field(e, S("method")));
  EXPECT_RC(logcap_entry_get_field(e, S("method"), NULL, 0, &v), LOGCAP_RESULT_NOT_FOUND);
  EXPECT_RC(logcap_entry_delete_field(e, S("method")), LOGCAP_RESULT_NOT_FOUND);

  /* Invalid UTF-8 is replaced, never passed through. */
  const uint8_t bad[] = {'a', 0xff, 'b'};
  OK(logcap_entry_set_message(e, bad, sizeof bad));
  OK(logcap_entry_get_message(e, buf, sizeof buf, &n));
  CHECK(n == 5 && memcmp(buf, "a\xEF\xBF\xBD" "b", 5) == 0);

  uint32_t level = 99;
  uint64_t ts = 99;
  OK(logcap_entry_set_level(e, LOGCAP_LEVEL_ERROR));
  OK(logcap_entry_set_timestamp(e, 1735689600000000000ull));
  OK(logcap_entry_get_meta(e, &level, &ts));
  CHECK(level == LOGCAP_LEVEL_ERROR && ts == 1735689600000000000ull);
  EXPECT_RC(logcap_entry_set_level(e, 6), LOGCAP_RESULT_INVALID_ARGUMENT);
  OK(logcap_entry_set_trace_id(e, S("4bf92f3577b34da6a3ce929d0e0e4736")));
  OK(logcap_entry_set_span_id(e, S("00f067aa0ba902b7")));

  /* Limits: new labels are taken until the entry holds LOGCAP_MAX_LABELS, then refused. */
  char key[16];
  size_t have = 0;
  OK(logcap_entry_counts(e, &have, NULL));
  CHECK(have > 0 && have < LOGCAP_MAX_LABELS);
  for (int i = 0; i < LOGCAP_MAX_LABELS; i++) {
    int k = snprintf(key, sizeof key, "k%d", i);
    logcap_result want = (size_t)i < LOGCAP_MAX_LABELS - have ? LOGCAP_RESULT_OK : LOGCAP_RESULT_LIMIT;
    EXPECT_RC(logcap_set_label(e, (const uint8_t *)key, (size_t)k, S("v")), want);
  }
  size_t full = 0;
  OK(logcap_entry_counts(e, &full, NULL));
  CHECK(full == LOGCAP_MAX_LABELS);
  EXPECT_RC(logcap_set_label(e, S("one-too-many"), S("v")), LOGCAP_RESULT_LIMIT);
  OK(logcap_release(e));
  logcap_pipeline_free(p);
}

static void test_clone_is_deep(void) {
  logcap_pipeline *p = open_null();
  logcap_entry *e = NULL, *c = NULL;
  OK(logcap_acquire(p, &e));
  fill_standard(e);
  OK(logcap_entry_clone(e, &c));
  CHECK(c != NULL && c != e);
  OK(logcap_set_label(c, S("service"), S("copy")));
  uint8_t buf[32];
  size_t n = 0;
  OK(logcap_entry_get_label(e, S("service"), buf, sizeof buf, &n));
  CHECK(n == 8 && memcmp(buf, "checkout", 8) == 0);
  OK(logcap_entry_get_label(c, S("region"), buf, sizeof buf, &n));
  CHECK(n == 9 && memcmp(buf, "eu-west-1", 9) == 0);
  OK(logcap_submit(p, c));
  OK(logcap_release(e));
  OK(logcap_pipeline_close(p, 10000));
  logcap_sink_stats ks;
  OK(logcap_pipeline_sink_stats(p, 0, &ks));
  CHECK(ks.delivered == 1);
  logcap_pipeline_free(p);
}

/* A callback sink: checks the view of each batch and counts entries. */
typedef struct {
  uint64_t entries;
  uint64_t batches;
  int bad_views;
} sink_state;

static int32_t on_batch(void *userdata, const logcap_batch *b) {
  sink_state *s = userdata;
  size_t len = 0;
  if (logcap_batch_len(b, &len) != LOGCAP_RESULT_OK || len == 0) s->bad_views++;
  logcap_str json;
  if (logcap_batch_json(b, &json) != LOGCAP_RESULT_OK) s->bad_views++;
  size_t lines = 0;
  for (size_t i = 0; i < json.len; i++) lines += ((const char *)json.ptr)[i] == '\n';
  if (lines != len) s->bad_views++;
  for (size_t i = 0; i < len; i++) {
    logcap_entry_view v;
    if (logcap_batch_entry(b, i, &v) != LOGCAP_RESULT_OK) { s->bad_views++; continue; }
    if (v.level != LOGCAP_LEVEL_INFO || v.timestamp_ns == 0 || v.label_count != 4 || v.field_count != 6 ||
        v.message.len != 17 || memcmp(v.message.ptr, "request completed", 17) != 0)
      s->bad_views++;
    logcap_str k, val;
    if (logcap_batch_label(b, i, 3, &k, &val) != LOGCAP_RESULT_OK || k.len != 6 || memcmp(k.ptr, "region", 6) != 0 ||
        val.len != 9)
      s->bad_views++;
    logcap_field_view f;
    if (logcap_batch_field(b, i, 2, &k, &f) != LOGCAP_RESULT_OK || f.kind != LOGCAP_VALUE_KIND_I64 || f.i64 != 200)
      s->bad_views++;
    if (logcap_batch_field(b, i, 6, &k, &f) != LOGCAP_RESULT_INVALID_ARGUMENT) s->bad_views++;
  }
  if (logcap_batch_entry(b, len, &(logcap_entry_view){0}) != LOGCAP_RESULT_INVALID_ARGUMENT) s->bad_views++;
  s->entries += len;
  s->batches++;
  return 0;
}

static int32_t failing(void *userdata, const logcap_batch *b) {
  (void)b;
  (*(int *)userdata)++;
  return 7;
}

static void test_callback_sink_and_stats(void) {
  logcap_builder *bld = NULL;
  OK(logcap_builder_new(S("{\"batch\":{\"max_entries\":64},\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\","
                          "\"when_full\":\"block\"},"
                          "{\"type\":\"callback\",\"name\":\"bad\"},{\"type\":\"null\",\"name\":\"n\"}]}"),
                        &bld));
  sink_state st = {0, 0, 0};
  int failures = 0;
  OK(logcap_builder_add_callback(bld, S("cb"), on_batch, &st));
  OK(logcap_builder_add_callback(bld, S("bad"), failing, &failures));
  EXPECT_RC(logcap_builder_add_callback(bld, S("nope"), on_batch, &st), LOGCAP_RESULT_CONFIG);
  EXPECT_RC(logcap_builder_add_callback(bld, S("n"), on_batch, &st), LOGCAP_RESULT_CONFIG); /* not a callback */
  EXPECT_RC(logcap_builder_add_callback(bld, S("cb"), NULL, &st), LOGCAP_RESULT_NULL_ARGUMENT);
  /* A builder that is never built is freed (ASan checks that nothing leaks). */
  logcap_builder *unused = NULL;
  OK(logcap_builder_new(S("{\"sinks\":[{\"type\":\"callback\",\"name\":\"cb\"}]}"), &unused));
  OK(logcap_builder_add_callback(unused, S("cb"), on_batch, &st));
  logcap_builder_free(unused);
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(bld, &p));
  for (int i = 0; i < 1000; i++) {
    logcap_entry *e = NULL;
    OK(logcap_acquire(p, &e));
    fill_standard(e);
    OK(logcap_submit(p, e));
  }
  OK(logcap_pipeline_flush(p, 10000));
  CHECK(st.entries == 1000 && st.bad_views == 0);
  CHECK(failures > 0);
  logcap_stats s;
  OK(logcap_pipeline_stats(p, &s));
  CHECK(s.submitted == 1000 && s.accepted == 1000 && s.queued == 0 && s.sink_count == 3);
  CHECK(s.pool_acquired == 1000 && s.pool_reused + s.pool_allocated == 1000);
  logcap_sink_stats ks;
  OK(logcap_pipeline_sink_stats(p, 1, &ks));
  CHECK(ks.received == 1000 && ks.failed == 1000 && ks.delivered == 0);
  OK(logcap_pipeline_sink_stats(p, 0, &ks));
  CHECK(ks.received == 1000 && ks.delivered == 1000 && ks.batches == st.batches);
  EXPECT_RC(logcap_pipeline_sink_stats(p, 3, &ks), LOGCAP_RESULT_INVALID_ARGUMENT);
  uint8_t name[8];
  size_t n = 0;
  OK(logcap_pipeline_sink_name(p, 1, name, sizeof name, &n));
  CHECK(n == 3 && memcmp(name, "bad", 3) == 0);
  OK(logcap_pipeline_close(p, 10000));
  OK(logcap_pipeline_close(p, 10000)); /* idempotent */
  logcap_pipeline_free(p);
}

static void test_min_level(void) {
  logcap_pipeline *p = open_null();
  uint32_t l = 99;
  OK(logcap_pipeline_min_level(p, &l));
  CHECK(l == LOGCAP_LEVEL_TRACE);
  OK(logcap_pipeline_set_min_level(p, LOGCAP_LEVEL_WARN));
  EXPECT_RC(logcap_pipeline_set_min_level(p, 17), LOGCAP_RESULT_INVALID_ARGUMENT);
  OK(logcap_pipeline_min_level(p, &l));
  CHECK(l == LOGCAP_LEVEL_WARN);
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  OK(logcap_submit(p, e)); /* info < warn: dropped and counted, still OK */
  OK(logcap_pipeline_flush(p, 10000));
  logcap_stats s;
  OK(logcap_pipeline_stats(p, &s));
  CHECK(s.submitted == 1 && s.dropped_level == 1 && s.accepted == 0);
  logcap_pipeline_free(p);
}

/* Hex text to bytes; returns the length. */
static size_t unhex(const char *hex, size_t hex_len, uint8_t *out) {
  size_t n = 0;
  for (size_t i = 0; i + 1 < hex_len; i += 2) {
    unsigned v = 0;
    sscanf(hex + i, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

/* The shared vectors: every valid record is accepted, every malformed one refused with its
 * result (LOGCAP_RESULT_LIMIT over a limit, else MALFORMED_RECORD) and an error naming the
 * problem; nothing half-submitted. */
static void test_record_vectors(const char *path) {
  size_t len = 0;
  char *json = read_file(path, &len);
  CHECK(json != NULL);
  if (!json) return;
  char *malformed = strstr(json, "\"malformed\"");
  CHECK(malformed != NULL);
  logcap_pipeline *p = open_null();
  uint8_t *rec = malloc(len);
  int valid = 0, bad = 0;
  for (char *h = strstr(json, "\"hex\""); h; h = strstr(h + 1, "\"hex\"")) {
    char *start = strchr(h + 5, '"') + 1;
    char *end = strchr(start, '"');
    size_t n = unhex(start, (size_t)(end - start), rec);
    if (h < malformed) {
      OK(logcap_pipeline_submit_record(p, rec, n));
      valid++;
    } else {
      /* The vector's expected error kind and offset, from the same object: "error" and
       * "offset" follow "hex" before the next vector's "hex". */
      char *next = strstr(end, "\"hex\"");
      char *err = strstr(end, "\"error\"");
      char *off = strstr(end, "\"offset\"");
      CHECK(err != NULL && off != NULL && (next == NULL || (err < next && off < next)));
      if (err == NULL || off == NULL) break;
      char *kind = strchr(err + 7, '"') + 1;
      size_t kind_len = (size_t)(strchr(kind, '"') - kind);
      unsigned long offset = strtoul(strchr(off + 8, ':') + 1, NULL, 10);
      char want_kind[64], want_offset[64];
      snprintf(want_kind, sizeof want_kind, "(%.*s)", (int)kind_len, kind);
      snprintf(want_offset, sizeof want_offset, "at byte %lu:", offset);
      /* The result code: LIMIT for a record over a limit, else MALFORMED_RECORD. */
      const char *res = strstr(end, "\"result\"");
      CHECK(res != NULL && (next == NULL || res < next));
      if (res == NULL) break;
      logcap_result want = strncmp(strchr(res + 8, '"') + 1, "LOGCAP_RESULT_LIMIT\"", 20) == 0
                               ? LOGCAP_RESULT_LIMIT
                               : LOGCAP_RESULT_MALFORMED_RECORD;
      EXPECT_RC(logcap_pipeline_submit_record(p, rec, n), want);
      const char *msg = logcap_last_error();
      CHECK(strstr(msg, want_kind) != NULL);
      CHECK(strstr(msg, want_offset) != NULL);
      if (strstr(msg, want_kind) == NULL || strstr(msg, want_offset) == NULL)
        fprintf(stderr, "  vector error %s %s, got: %s\n", want_kind, want_offset, msg);
      bad++;
    }
  }
  /* Every vector (each has a "name") was submitted. */
  int named_valid = 0, named_bad = 0;
  for (char *q = strstr(json, "\"name\""); q; q = strstr(q + 1, "\"name\"")) {
    if (q < malformed) named_valid++;
    else named_bad++;
  }
  CHECK(valid == named_valid && bad == named_bad);
  CHECK(valid >= 5 && bad >= 20);
  OK(logcap_pipeline_close(p, 10000));
  logcap_stats s;
  OK(logcap_pipeline_stats(p, &s));
  CHECK(s.submitted == (uint64_t)valid && s.accepted == (uint64_t)valid);
  logcap_pipeline_free(p);
  free(rec);
  free(json);
}

/* Many threads on one entry: the entry's lock makes this safe and loses no update. */
typedef struct {
  logcap_entry *e;
  int id;
} worker_arg;

static void *worker(void *arg) {
  worker_arg *w = arg;
  char key[16];
  int k = snprintf(key, sizeof key, "t%d", w->id);
  for (int i = 0; i < 1000; i++) {
    if (logcap_entry_set_field_i64(w->e, (const uint8_t *)key, (size_t)k, i) != LOGCAP_RESULT_OK) return (void *)1;
    logcap_field_view v;
    if (logcap_entry_get_field(w->e, (const uint8_t *)key, (size_t)k, NULL, 0, &v) != LOGCAP_RESULT_OK || v.i64 != i)
      return (void *)1;
  }
  return NULL;
}

static void test_threads_share_an_entry(void) {
  logcap_pipeline *p = open_null();
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  pthread_t t[8];
  worker_arg args[8];
  for (int i = 0; i < 8; i++) {
    args[i] = (worker_arg){e, i};
    CHECK(pthread_create(&t[i], NULL, worker, &args[i]) == 0);
  }
  for (int i = 0; i < 8; i++) {
    void *r = NULL;
    pthread_join(t[i], &r);
    CHECK(r == NULL);
  }
  size_t fields = 0;
  OK(logcap_entry_counts(e, NULL, &fields));
  CHECK(fields == 8);
  OK(logcap_submit(p, e));
  logcap_pipeline_free(p);
}

/* A dead-letter file (as a network sink writes it) replayed into a pipeline with a file sink:
 * the entries keep their timestamp, level, labels and fields; the file is removed; sinks that
 * are not network sinks report zero delivery counters. */
static void test_dead_letter_replay(void) {
  char dir[] = "/tmp/logcap-replay-XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char dead[64], out[64], cfg[160];
  snprintf(dead, sizeof dead, "%s/dead.jsonl", dir);
  snprintf(out, sizeof out, "%s/out.jsonl", dir);
  snprintf(cfg, sizeof cfg, "{\"sinks\":[{\"type\":\"file\",\"path\":\"%s\"}]}", out);
  FILE *f = fopen(dead, "w");
  CHECK(f != NULL);
  for (int i = 0; i < 2; i++) {
    fputs("{\"entry\":{\"ts\":\"2026-11-27T20:42:08.123456789Z\",\"level\":\"warn\",\"msg\":\"replayed\","
          "\"labels\":{\"service\":\"checkout\"},\"fields\":{\"status\":503}},"
          "\"sink\":\"loki-0\",\"error\":\"gave up after 5 attempts: HTTP 503\",\"attempts\":5}\n",
          f);
  }
  fclose(f);
  logcap_pipeline *p = NULL;
  OK(logcap_pipeline_new((const uint8_t *)cfg, strlen(cfg), &p));
  uint64_t count = 99;
  OK(logcap_pipeline_replay(p, (const uint8_t *)dead, strlen(dead), &count));
  CHECK(count == 2);
  CHECK(fopen(dead, "r") == NULL); /* taken and removed */
  count = 99;
  OK(logcap_pipeline_replay(p, (const uint8_t *)dead, strlen(dead), &count)); /* nothing left */
  CHECK(count == 0);
  EXPECT_RC(logcap_pipeline_replay(p, (const uint8_t *)dir, strlen(dir), &count), LOGCAP_RESULT_IO);
  CHECK(strstr(logcap_last_error(), "not a regular file") != NULL);
  OK(logcap_pipeline_close(p, 10000));
  count = 99;
  EXPECT_RC(logcap_pipeline_replay(p, (const uint8_t *)dead, strlen(dead), &count), LOGCAP_RESULT_CLOSED);
  CHECK(count == 99); /* outputs only on success */
  logcap_sink_stats ks;
  OK(logcap_pipeline_sink_stats(p, 0, &ks));
  CHECK(ks.delivered == 2 && ks.failed == 0);
  CHECK(ks.requests == 0 && ks.retries == 0 && ks.permanent_failures == 0 && ks.dead_lettered == 0 &&
        ks.bytes_sent == 0);
  logcap_pipeline_free(p);
  size_t len = 0;
  char *text = read_file(out, &len);
  CHECK(text != NULL && len > 0);
  if (text) {
    CHECK(strstr(text, "{\"ts\":\"2026-11-27T20:42:08.123456789Z\",\"level\":\"warn\",\"msg\":\"replayed\","
                       "\"labels\":{\"service\":\"checkout\"},\"fields\":{\"status\":503}}\n") == text);
    free(text);
  }
  remove(out);
  remove(dir);
}

/* The number after "key": on a line of tests/vectors/limits.json, or 0. */
static size_t case_number(const char *line, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *at = strstr(line, pat);
  return at ? (size_t)strtoull(at + strlen(pat), NULL, 10) : 0;
}

static void put_u32(uint8_t **w, uint32_t v) {
  for (int i = 0; i < 4; i++) *(*w)++ = (uint8_t)(v >> (8 * i));
}

static void put_str(uint8_t **w, const char *s, size_t n) {
  put_u32(w, (uint32_t)n);
  memcpy(*w, s, n);
  *w += n;
}

/* The shared limit vectors through the handle API, as packed records and through the record
 * writer: each case gets its result, and counts once, in refused_limit or in submitted. */
static void test_limit_vectors(const char *path) {
  size_t len = 0;
  char *json = read_file(path, &len);
  CHECK(json != NULL);
  if (!json) return;
  logcap_pipeline *p = open_null();
  char *msg = malloc(4u << 20);
  memset(msg, 'm', 4u << 20);
  char *longkey = malloc(2048);
  memset(longkey, 'k', 2048);
  uint8_t *rec = malloc((5u << 20));
  int cases = 0;
  for (char *at = strstr(json, "{\"name\""); at; at = strstr(at + 1, "{\"name\"")) {
    /* One case per line: read it on its own. */
    char line[512];
    size_t n = strcspn(at, "\n");
    CHECK(n < sizeof line);
    snprintf(line, sizeof line, "%.*s", (int)n, at);
    size_t labels = case_number(line, "labels"), fields = case_number(line, "fields");
    size_t msg_len = case_number(line, "message_bytes");
    size_t lkey = case_number(line, "long_label_key"), fkey = case_number(line, "long_field_key");
    int limit = strstr(line, "\"result\": \"LOGCAP_RESULT_LIMIT\"") != NULL;
    logcap_result want = limit ? LOGCAP_RESULT_LIMIT : LOGCAP_RESULT_OK;
    char key[32];
    char packed_kind[64] = "";
    for (int api = 0; api < 3; api++) {
      logcap_stats before, after;
      OK(logcap_pipeline_stats(p, &before));
      logcap_result rc;
      if (api == 0) { /* the handle API: the first refused call gives the result */
        logcap_entry *e = NULL;
        OK(logcap_acquire(p, &e));
        rc = logcap_entry_set_message(e, (const uint8_t *)msg, msg_len);
        for (size_t i = 0; i < labels && rc == LOGCAP_RESULT_OK; i++) {
          snprintf(key, sizeof key, "l%zu", i);
          rc = logcap_set_label(e, (const uint8_t *)key, strlen(key), S("v"));
        }
        if (lkey && rc == LOGCAP_RESULT_OK) rc = logcap_set_label(e, (const uint8_t *)longkey, lkey, S("v"));
        for (size_t i = 0; i < fields && rc == LOGCAP_RESULT_OK; i++) {
          snprintf(key, sizeof key, "f%zu", i);
          rc = logcap_entry_set_field_i64(e, (const uint8_t *)key, strlen(key), (int64_t)i);
        }
        if (fkey && rc == LOGCAP_RESULT_OK) rc = logcap_entry_set_field_i64(e, (const uint8_t *)longkey, fkey, 0);
        if (rc == LOGCAP_RESULT_OK) {
          rc = logcap_submit(p, e);
        } else {
          OK(logcap_release(e));
        }
      } else if (api == 1) { /* one packed record, written by hand (docs/record-format.md) */
        uint8_t *w = rec;
        size_t nl = labels + (lkey ? 1 : 0), nf = fields + (fkey ? 1 : 0);
        memcpy(w, "LC\x01\x02", 4);
        w += 4;
        put_u32(&w, 0);
        memset(w, 0, 8);
        w += 8;
        *w++ = (uint8_t)nl, *w++ = (uint8_t)(nl >> 8), *w++ = (uint8_t)nf, *w++ = (uint8_t)(nf >> 8);
        put_str(&w, msg, msg_len);
        put_str(&w, "", 0);
        put_str(&w, "", 0);
        for (size_t i = 0; i < labels; i++) {
          snprintf(key, sizeof key, "l%zu", i);
          put_str(&w, key, strlen(key));
          put_str(&w, "v", 1);
        }
        if (lkey) put_str(&w, longkey, lkey), put_str(&w, "v", 1);
        for (size_t i = 0; i < nf; i++) {
          if (i < fields) {
            snprintf(key, sizeof key, "f%zu", i);
            put_str(&w, key, strlen(key));
          } else {
            put_str(&w, longkey, fkey);
          }
          *w++ = 1; /* i64 */
          for (int b = 0; b < 8; b++) *w++ = (uint8_t)((i < fields ? i : 0) >> (8 * b));
        }
        uint8_t *end = w;
        w = rec + 4;
        put_u32(&w, (uint32_t)(end - rec));
        rc = logcap_pipeline_submit_record(p, rec, (size_t)(end - rec));
        const char *kind = strrchr(logcap_last_error(), '(');
        snprintf(packed_kind, sizeof packed_kind, "%s", rc != LOGCAP_RESULT_OK && kind ? kind : "");
      } else { /* the record writer: every call made (a failure is sticky), commit's result */
        logcap_write_begin(p, LOGCAP_LEVEL_INFO, (const uint8_t *)msg, msg_len);
        for (size_t i = 0; i < labels; i++) {
          snprintf(key, sizeof key, "l%zu", i);
          logcap_write_label((const uint8_t *)key, strlen(key), S("v"));
        }
        if (lkey) logcap_write_label((const uint8_t *)longkey, lkey, S("v"));
        for (size_t i = 0; i < fields; i++) {
          snprintf(key, sizeof key, "f%zu", i);
          logcap_write_i64((const uint8_t *)key, strlen(key), (int64_t)i);
        }
        if (fkey) logcap_write_i64((const uint8_t *)longkey, fkey, 0);
        rc = logcap_write_commit();
        /* A refusal names the packed record's error kind. */
        const char *kind = strrchr(logcap_last_error(), '(');
        if (rc != LOGCAP_RESULT_OK) CHECK(kind != NULL && packed_kind[0] && strcmp(kind, packed_kind) == 0);
      }
      EXPECT_RC(rc, want);
      OK(logcap_pipeline_stats(p, &after));
      CHECK(after.refused_limit - before.refused_limit == (uint64_t)limit);
      CHECK(after.submitted - before.submitted == (uint64_t)!limit);
    }
    cases++;
  }
  CHECK(cases >= 10);
  logcap_pipeline_free(p);
  free(rec);
  free(longkey);
  free(msg);
  free(json);
}

/* A callback that sleeps, and says whether it is running. */
typedef struct {
  atomic_int calls;
  atomic_int running;
} sleepy_state;

static int32_t sleepy(void *userdata, const logcap_batch *b) {
  (void)b;
  sleepy_state *s = userdata;
  atomic_store(&s->running, 1);
  atomic_fetch_add(&s->calls, 1);
  nanosleep(&(struct timespec){2, 0}, NULL);
  atomic_store(&s->running, 0);
  return 0;
}

/* Once logcap_pipeline_free returns, no callback of the pipeline runs: userdata may be freed. */
static void test_no_callback_after_free(void) {
  logcap_builder *bld = NULL;
  OK(logcap_builder_new(S("{\"batch\":{\"max_entries\":1,\"max_delay_ms\":1},"
                          "\"sinks\":[{\"type\":\"callback\",\"name\":\"slow\",\"when_full\":\"block\"}]}"),
                        &bld));
  sleepy_state *st = calloc(1, sizeof *st);
  OK(logcap_builder_add_callback(bld, S("slow"), sleepy, st));
  logcap_pipeline *p = NULL;
  OK(logcap_builder_build(bld, &p));
  for (int i = 0; i < 5; i++) {
    logcap_entry *e = NULL;
    OK(logcap_acquire(p, &e));
    fill_standard(e);
    OK(logcap_submit(p, e));
  }
  EXPECT_RC(logcap_pipeline_flush(p, 300), LOGCAP_RESULT_TIMEOUT);
  /* free waits 5 s: calls start at 0, 2 and 4 s; the one running at 5 s is waited for, the
   * last two entries are never delivered. */
  logcap_pipeline_free(p);
  int calls = atomic_load(&st->calls);
  CHECK(atomic_load(&st->running) == 0);
  CHECK(calls == 3);
  nanosleep(&(struct timespec){2, 0}, NULL);
  CHECK(atomic_load(&st->calls) == calls);
  free(st);
}

/* logcap_result_text and logcap_last_error printed together repeat nothing. */
static void test_text_and_detail_do_not_repeat(void) {
  logcap_pipeline *p = open_null();
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  OK(logcap_release(e));
  logcap_result rcs[6];
  const char *details[6];
  char kept[6][256];
  rcs[0] = logcap_release(e); /* STALE_HANDLE */
  snprintf(kept[0], sizeof kept[0], "%s", logcap_last_error());
  rcs[1] = logcap_pipeline_new(S("{\"queue\":{\"capacity\":0}}"), &(logcap_pipeline *){NULL});
  snprintf(kept[1], sizeof kept[1], "%s", logcap_last_error());
  rcs[2] = logcap_pipeline_submit_record(p, S("XX"));
  snprintf(kept[2], sizeof kept[2], "%s", logcap_last_error());
  OK(logcap_pipeline_close(p, 5000));
  rcs[3] = logcap_acquire(p, &e);
  snprintf(kept[3], sizeof kept[3], "%s", logcap_last_error());
  rcs[4] = logcap_pipeline_flush(p, 5000);
  snprintf(kept[4], sizeof kept[4], "%s", logcap_last_error());
  rcs[5] = logcap_pipeline_new(S("{\"sinks\":[{\"type\":\"file\",\"path\":\"/nonexistent/x\"}]}"),
                               &(logcap_pipeline *){NULL});
  snprintf(kept[5], sizeof kept[5], "%s", logcap_last_error());
  logcap_result want[6] = {LOGCAP_RESULT_STALE_HANDLE, LOGCAP_RESULT_CONFIG, LOGCAP_RESULT_MALFORMED_RECORD,
                           LOGCAP_RESULT_CLOSED, LOGCAP_RESULT_CLOSED, LOGCAP_RESULT_SINK_SETUP};
  for (int i = 0; i < 6; i++) {
    details[i] = kept[i];
    CHECK(rcs[i] == want[i]);
    const char *text = logcap_result_text(rcs[i]);
    if (strstr(details[i], text) != NULL) fprintf(stderr, "repeated: %s: %s\n", text, details[i]);
    CHECK(strstr(details[i], text) == NULL);
  }
  CHECK(strcmp(details[3], "") == 0); /* CLOSED says it all */
  CHECK(strstr(details[1], "queue.capacity") != NULL);
  logcap_pipeline_free(p);
}

int main(int argc, char **argv) {
  test_version_and_texts();
  test_config_errors_name_the_key();
  test_labels_and_fields();
  test_clone_is_deep();
  test_callback_sink_and_stats();
  test_min_level();
  test_record_vectors(argc > 1 ? argv[1] : "tests/vectors/records.json");
  test_limit_vectors(argc > 2 ? argv[2] : "tests/vectors/limits.json");
  test_threads_share_an_entry();
  test_dead_letter_replay();
  test_text_and_detail_do_not_repeat();
  test_no_callback_after_free();
  return finish("test_api");
}
