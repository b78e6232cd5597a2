/* Thin C helpers for the Go binding, included by the cgo preambles (never by the
 * //export file). They call the functions declared in logcap.h; they declare no logcap
 * prototype of their own.
 *
 * Why they exist:
 * - Entry handles are checked tokens, not pointers (include/logcap.h). Held in a Go pointer
 *   type, a token can look like an address in the Go heap and trip the garbage collector's
 *   bad-pointer check, so Go keeps them as integers and only C sees them as pointers.
 * - logcap_last_error() is per OS thread and a goroutine may change threads between two cgo
 *   calls, so the detail is copied in the same C call that failed.
 * - Single outputs come back in the result instead of through a pointer to a Go variable,
 *   which would make the variable escape to the heap on every call. */
#ifndef LCGO_H
#define LCGO_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "logcap.h"

typedef struct {
  uint32_t rc;
  /* On failure, a malloc'd copy of logcap_last_error() (or NULL); Go frees it. */
  char *detail;
  /* A single output (a handle, a length, a level), when the call has one. */
  uint64_t value;
} lcgo_result;

static inline lcgo_result lcgo_done(logcap_result rc, uint64_t value) {
  lcgo_result r;
  r.rc = (uint32_t)rc;
  r.detail = NULL;
  r.value = value;
  if (rc != LOGCAP_RESULT_OK && rc != LOGCAP_RESULT_NOT_FOUND && rc != LOGCAP_RESULT_BUFFER_TOO_SMALL) {
    const char *m = logcap_last_error();
    if (m != NULL && m[0] != '\0') r.detail = strdup(m);
  }
  return r;
}

#define LCGO_ENTRY(h) ((logcap_entry *)(uintptr_t)(h))

/* Pipeline. */
static inline lcgo_result lcgo_pipeline_new(const uint8_t *cfg, size_t len, logcap_pipeline **out) {
  return lcgo_done(logcap_pipeline_new(cfg, len, out), 0);
}
static inline lcgo_result lcgo_pipeline_flush(const logcap_pipeline *p, uint64_t ms) {
  return lcgo_done(logcap_pipeline_flush(p, ms), 0);
}
static inline lcgo_result lcgo_pipeline_close(const logcap_pipeline *p, uint64_t ms) {
  return lcgo_done(logcap_pipeline_close(p, ms), 0);
}
/* The pipeline comes as an integer, as entries do: a pointer argument of an incomplete type
 * is checked by cgo as a possible Go pointer on every call, and this is the call of every
 * log. */
static inline lcgo_result lcgo_submit_record(uintptr_t p, const uint8_t *rec, size_t len) {
  return lcgo_done(logcap_pipeline_submit_record((const logcap_pipeline *)p, rec, len), 0);
}
/* Unbound lanes (docs/lane-protocol.md, "Who writes a lane"): the lane comes back as an integer
 * in the result, and the lane's memory through *memory, an integer in the Go lane; the lane's
 * length is in its own header. */
static inline lcgo_result lcgo_unbound_lane(uintptr_t p, uintptr_t *memory) {
  logcap_unbound_lane *l = NULL;
  uint8_t *m = NULL;
  size_t n = 0;
  logcap_result rc = logcap_pipeline_unbound_lane((const logcap_pipeline *)p, &l, &m, &n);
  *memory = (uintptr_t)m;
  return lcgo_done(rc, (uint64_t)(uintptr_t)l);
}
static inline lcgo_result lcgo_unbound_lane_submit_record(uintptr_t p, uintptr_t lane, const uint8_t *rec,
                                                          size_t len, uintptr_t *memory) {
  uint8_t *m = NULL;
  size_t n = 0;
  logcap_result rc = logcap_unbound_lane_submit_record((const logcap_pipeline *)p, (logcap_unbound_lane *)lane,
                                                       rec, len, &m, &n);
  if (m != NULL) *memory = (uintptr_t)m;
  return lcgo_done(rc, 0);
}
static inline lcgo_result lcgo_unbound_lane_submit_entry(uintptr_t p, uintptr_t lane, uintptr_t e,
                                                         uintptr_t *memory) {
  uint8_t *m = NULL;
  size_t n = 0;
  logcap_result rc = logcap_unbound_lane_submit_entry((const logcap_pipeline *)p, (logcap_unbound_lane *)lane,
                                                      LCGO_ENTRY(e), &m, &n);
  if (m != NULL) *memory = (uintptr_t)m;
  return lcgo_done(rc, 0);
}
static inline void lcgo_unbound_lane_wake(uintptr_t lane) {
  (void)logcap_unbound_lane_wake((const logcap_unbound_lane *)lane);
}
static inline void lcgo_unbound_lane_release(uintptr_t lane) {
  logcap_unbound_lane_release((logcap_unbound_lane *)lane);
}
static inline lcgo_result lcgo_set_min_level(const logcap_pipeline *p, uint32_t l) {
  return lcgo_done(logcap_pipeline_set_min_level(p, l), 0);
}
static inline lcgo_result lcgo_min_level(const logcap_pipeline *p) {
  uint32_t l = 0;
  logcap_result rc = logcap_pipeline_min_level(p, &l);
  return lcgo_done(rc, l);
}
static inline lcgo_result lcgo_stats(const logcap_pipeline *p, logcap_stats *out) {
  return lcgo_done(logcap_pipeline_stats(p, out), 0);
}
static inline lcgo_result lcgo_sink_stats(const logcap_pipeline *p, size_t i, logcap_sink_stats *out) {
  return lcgo_done(logcap_pipeline_sink_stats(p, i, out), 0);
}
static inline lcgo_result lcgo_sink_name(const logcap_pipeline *p, size_t i, uint8_t *buf, size_t n) {
  size_t len = 0;
  logcap_result rc = logcap_pipeline_sink_name(p, i, buf, n, &len);
  return lcgo_done(rc, len);
}
static inline lcgo_result lcgo_metrics(const logcap_pipeline *p, uint8_t *buf, size_t n) {
  size_t len = 0;
  logcap_result rc = logcap_pipeline_metrics(p, buf, n, &len);
  return lcgo_done(rc, len);
}
static inline lcgo_result lcgo_replay(const logcap_pipeline *p, const uint8_t *path, size_t len) {
  uint64_t count = 0;
  logcap_result rc = logcap_pipeline_replay(p, path, len, &count);
  return lcgo_done(rc, count);
}
static inline lcgo_result lcgo_acquire(const logcap_pipeline *p) {
  logcap_entry *e = NULL;
  logcap_result rc = logcap_acquire(p, &e);
  return lcgo_done(rc, (uint64_t)(uintptr_t)e);
}
static inline lcgo_result lcgo_submit(const logcap_pipeline *p, uintptr_t e) {
  return lcgo_done(logcap_submit(p, LCGO_ENTRY(e)), 0);
}

/* Builder and callback sinks. lcgoOnBatch is the Go function exported by callback_export.go. */
extern int32_t lcgoOnBatch(uintptr_t userdata, logcap_batch *batch);
static int32_t lcgo_batch_thunk(void *userdata, const logcap_batch *batch) {
  return lcgoOnBatch((uintptr_t)userdata, (logcap_batch *)batch);
}
static inline lcgo_result lcgo_builder_new(const uint8_t *cfg, size_t len, logcap_builder **out) {
  return lcgo_done(logcap_builder_new(cfg, len, out), 0);
}
/* `handle` is a runtime/cgo.Handle: passed back to lcgoOnBatch as the callback's userdata. */
static inline lcgo_result lcgo_builder_add_callback(logcap_builder *b, const uint8_t *name, size_t len,
                                                    uintptr_t handle) {
  return lcgo_done(logcap_builder_add_callback(b, name, len, lcgo_batch_thunk, (void *)handle), 0);
}
static inline lcgo_result lcgo_builder_build(logcap_builder *b, logcap_pipeline **out) {
  return lcgo_done(logcap_builder_build(b, out), 0);
}

/* Entries. */
static inline lcgo_result lcgo_release(uintptr_t e) { return lcgo_done(logcap_release(LCGO_ENTRY(e)), 0); }
static inline lcgo_result lcgo_set_label(uintptr_t e, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  return lcgo_done(logcap_set_label(LCGO_ENTRY(e), k, kl, v, vl), 0);
}
static inline lcgo_result lcgo_get_label(uintptr_t e, const uint8_t *k, size_t kl, uint8_t *buf, size_t n) {
  size_t len = 0;
  logcap_result rc = logcap_entry_get_label(LCGO_ENTRY(e), k, kl, buf, n, &len);
  return lcgo_done(rc, len);
}
static inline lcgo_result lcgo_delete_label(uintptr_t e, const uint8_t *k, size_t kl) {
  return lcgo_done(logcap_entry_delete_label(LCGO_ENTRY(e), k, kl), 0);
}
static inline lcgo_result lcgo_set_str(uintptr_t e, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  return lcgo_done(logcap_entry_set_field_str(LCGO_ENTRY(e), k, kl, v, vl), 0);
}
static inline lcgo_result lcgo_set_i64(uintptr_t e, const uint8_t *k, size_t kl, int64_t v) {
  return lcgo_done(logcap_entry_set_field_i64(LCGO_ENTRY(e), k, kl, v), 0);
}
static inline lcgo_result lcgo_set_u64(uintptr_t e, const uint8_t *k, size_t kl, uint64_t v) {
  return lcgo_done(logcap_entry_set_field_u64(LCGO_ENTRY(e), k, kl, v), 0);
}
static inline lcgo_result lcgo_set_f64(uintptr_t e, const uint8_t *k, size_t kl, double v) {
  return lcgo_done(logcap_entry_set_field_f64(LCGO_ENTRY(e), k, kl, v), 0);
}
static inline lcgo_result lcgo_set_bool(uintptr_t e, const uint8_t *k, size_t kl, _Bool v) {
  return lcgo_done(logcap_entry_set_field_bool(LCGO_ENTRY(e), k, kl, v), 0);
}

typedef struct {
  lcgo_result r;
  uint32_t kind;
  int64_t i64;
  uint64_t u64;
  double f64;
  _Bool boolean;
  /* The length of a string value, copied into the caller's buffer (or the length needed). */
  size_t str_len;
} lcgo_field;

static inline lcgo_field lcgo_get_field(uintptr_t e, const uint8_t *k, size_t kl, uint8_t *buf, size_t n) {
  logcap_field_view v;
  memset(&v, 0, sizeof v);
  logcap_result rc = logcap_entry_get_field(LCGO_ENTRY(e), k, kl, buf, n, &v);
  lcgo_field f;
  f.r = lcgo_done(rc, 0);
  f.kind = (uint32_t)v.kind;
  f.i64 = v.i64;
  f.u64 = v.u64;
  f.f64 = v.f64;
  f.boolean = v.boolean;
  f.str_len = v.str.len;
  return f;
}
static inline lcgo_result lcgo_delete_field(uintptr_t e, const uint8_t *k, size_t kl) {
  return lcgo_done(logcap_entry_delete_field(LCGO_ENTRY(e), k, kl), 0);
}
static inline lcgo_result lcgo_counts(uintptr_t e) {
  size_t labels = 0, fields = 0;
  logcap_result rc = logcap_entry_counts(LCGO_ENTRY(e), &labels, &fields);
  return lcgo_done(rc, ((uint64_t)labels << 32) | (uint64_t)fields);
}
static inline lcgo_result lcgo_set_message(uintptr_t e, const uint8_t *s, size_t n) {
  return lcgo_done(logcap_entry_set_message(LCGO_ENTRY(e), s, n), 0);
}
static inline lcgo_result lcgo_get_message(uintptr_t e, uint8_t *buf, size_t n) {
  size_t len = 0;
  logcap_result rc = logcap_entry_get_message(LCGO_ENTRY(e), buf, n, &len);
  return lcgo_done(rc, len);
}
static inline lcgo_result lcgo_set_level(uintptr_t e, uint32_t l) {
  return lcgo_done(logcap_entry_set_level(LCGO_ENTRY(e), l), 0);
}
/* The level is returned in `value`; the timestamp through a second call's value. */
static inline lcgo_result lcgo_get_level(uintptr_t e) {
  uint32_t l = 0;
  logcap_result rc = logcap_entry_get_meta(LCGO_ENTRY(e), &l, NULL);
  return lcgo_done(rc, l);
}
static inline lcgo_result lcgo_get_timestamp(uintptr_t e) {
  uint64_t ts = 0;
  logcap_result rc = logcap_entry_get_meta(LCGO_ENTRY(e), NULL, &ts);
  return lcgo_done(rc, ts);
}
static inline lcgo_result lcgo_set_timestamp(uintptr_t e, uint64_t ts) {
  return lcgo_done(logcap_entry_set_timestamp(LCGO_ENTRY(e), ts), 0);
}
static inline lcgo_result lcgo_set_trace_id(uintptr_t e, const uint8_t *s, size_t n) {
  return lcgo_done(logcap_entry_set_trace_id(LCGO_ENTRY(e), s, n), 0);
}
static inline lcgo_result lcgo_set_span_id(uintptr_t e, const uint8_t *s, size_t n) {
  return lcgo_done(logcap_entry_set_span_id(LCGO_ENTRY(e), s, n), 0);
}
static inline lcgo_result lcgo_clone(uintptr_t e) {
  logcap_entry *c = NULL;
  logcap_result rc = logcap_entry_clone(LCGO_ENTRY(e), &c);
  return lcgo_done(rc, (uint64_t)(uintptr_t)c);
}

#endif /* LCGO_H */
