/* quickstart: log the standard event through logcap from C.
 *
 *   cc -Iinclude bindings/c/examples/quickstart.c target/release/liblogcap.a -lpthread -ldl -lm
 *
 * The configuration comes from the LOGCAP_CONFIG environment variable (a JSON document), or
 * is the embedded default: one JSON-lines sink on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "logcap.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static int check(logcap_result rc, const char *what) {
  if (rc != LOGCAP_RESULT_OK) {
    fprintf(stderr, "quickstart: %s: %s: %s\n", what, logcap_result_text(rc), logcap_last_error());
    return 1;
  }
  return 0;
}

int main(void) {
  const char *config = getenv("LOGCAP_CONFIG");
  size_t config_len = config ? strlen(config) : 0;
  logcap_pipeline *p = NULL;
  if (check(logcap_pipeline_new((const uint8_t *)config, config_len, &p), "open")) return 1;

  /* The record writer: one plain call per part of the event, no handle, no lock. A failing
   * call fails the record, and commit returns that first failure with its detail, so checking
   * commit is enough. */
  logcap_write_begin(p, LOGCAP_LEVEL_INFO, S("request completed"));
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
  int failed = check(logcap_write_commit(), "write");
  failed |= check(logcap_pipeline_close(p, 5000), "close");

  logcap_stats st;
  if (!check(logcap_pipeline_stats(p, &st), "stats")) {
    logcap_sink_stats ks;
    for (uint64_t i = 0; i < st.sink_count; i++) {
      uint8_t name[64];
      size_t name_len = 0;
      if (check(logcap_pipeline_sink_stats(p, (size_t)i, &ks), "sink stats") ||
          check(logcap_pipeline_sink_name(p, (size_t)i, name, sizeof name, &name_len), "sink name"))
        continue;
      fprintf(stderr, "quickstart (C, logcap %s): submitted %llu, sink %.*s delivered %llu, %llu bytes\n",
              logcap_version(), (unsigned long long)st.submitted, (int)name_len, (const char *)name,
              (unsigned long long)ks.delivered, (unsigned long long)ks.bytes);
    }
  }
  logcap_pipeline_free(p);
  return failed;
}
