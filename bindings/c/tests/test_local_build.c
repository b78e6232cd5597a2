/* The library built with only the local sinks (`cargo build --no-default-features`, as
 * `make test-features` does): a configuration that names what the build left out is refused
 * with LOGCAP_RESULT_CONFIG and an error naming the cargo feature; the rest works. */
#include <stdlib.h>
#include "check.h"

/* Opens `config`; expects LOGCAP_RESULT_CONFIG with `key` and `feature` in the error. */
static void refused(const char *config, const char *key, const char *feature) {
  logcap_pipeline *p = NULL;
  EXPECT_RC(logcap_pipeline_new((const uint8_t *)config, strlen(config), &p), LOGCAP_RESULT_CONFIG);
  CHECK(p == NULL);
  const char *err = logcap_last_error();
  CHECK(strstr(err, key) != NULL);
  CHECK(strstr(err, feature) != NULL);
  CHECK(strstr(err, "cargo feature") != NULL);
  logcap_pipeline_free(p);
}

int main(void) {
  refused("{\"sinks\":[{\"type\":\"loki\",\"url\":\"http://127.0.0.1:1\"}]}", "sinks[0].type", "`loki`");
  refused("{\"sinks\":[{\"type\":\"null\"},{\"type\":\"syslog\",\"transport\":\"udp\",\"address\":\"127.0.0.1:1\"}]}",
          "sinks[1].type", "`syslog`");
  refused("{\"sinks\":[{\"type\":\"kafka\",\"brokers\":[\"127.0.0.1:1\"],\"topic\":\"t\"}]}", "sinks[0].type",
          "`kafka`");
  refused("{\"sinks\":[{\"type\":\"otlp\",\"url\":\"http://127.0.0.1:1\"}]}", "sinks[0].type", "`otlp`");
  refused("{\"redact\":{\"patterns\":[\"email\"]}}", "redact.patterns", "`regex`");

  /* What the build has: the local sinks, and redaction by key. */
  const char *ok = "{\"sinks\":[{\"type\":\"null\",\"name\":\"n\"},{\"type\":\"stderr\",\"format\":\"text\"}],"
                   "\"redact\":{\"keys\":[\"password\"]}}";
  logcap_pipeline *p = NULL;
  OK(logcap_pipeline_new((const uint8_t *)ok, strlen(ok), &p));
  logcap_entry *e = NULL;
  OK(logcap_acquire(p, &e));
  OK(logcap_entry_set_message(e, S("local build")));
  OK(logcap_entry_set_field_str(e, S("password"), S("hunter2")));
  OK(logcap_submit(p, e));
  OK(logcap_pipeline_close(p, 5000));
  logcap_sink_stats st;
  OK(logcap_pipeline_sink_stats(p, 0, &st));
  CHECK(st.delivered == 1);
  logcap_pipeline_free(p);
  return finish("test_local_build");
}
