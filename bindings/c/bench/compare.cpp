// The standard event (/work/shared/standard-event.json: "request completed" at info, 4 labels,
// 6 fields) logged from C++ through logcap's C ABI and through spdlog, in one run, so the
// figures compare on the same machine at the same moment (docs/benchmarks.md).
//
//   make bench-cpp      (needs spdlog: the Debian package libspdlog-dev, found by pkg-config)
//   build/compare_cpp [tests/vectors/records.json]
//
// Each round times every case once over OPS calls; the medians over the rounds are printed.
// Every case writes to a null sink, on the caller's side of a queue where there is one:
//
//   logcap handle calls   logcap_acquire, the message, 4 × logcap_set_label, 6 typed field
//                         setters, logcap_submit (what C code types);
//   logcap packed record  the event encoded once beforehand (the standard_event vector of
//                         tests/vectors/records.json, its timestamp zeroed so that the pipeline
//                         stamps it), one logcap_pipeline_submit_record per call;
//   logcap writer         the record writer (logcap_write_begin, 4 × logcap_write_label, 6
//                         typed logcap_write_* calls, logcap_write_commit): the event encoded
//                         call by call into the thread's buffer, then submitted as the packed
//                         record is; no handle, no lock (what logcap.hpp's log() would cost
//                         if it encoded through the writer rather than with its own encoder);
//   logcap.hpp log()      the C++ wrapper's one-line call (include/logcap.hpp): the event
//                         encoded into the thread's buffer on every call, then one
//                         logcap_pipeline_submit_record;
//   logcap.hpp entry      the wrapper's entry: acquire, the message, 10 setters, submit (the
//                         handle calls with the wrapper's checks and exceptions around them);
//   spdlog async          spdlog::async_logger with one worker thread and a null_sink_mt: the
//                         message and the 10 values formatted by fmt on the caller's thread,
//                         then queued (the reference figure: about 1,160 ns on a machine like this one);
//   spdlog sync           the same logger without the queue: formatted, then the null sink.
//
// Calls are timed in chunks of CHUNK, fewer than the queues hold; between chunks, outside the
// timing, each queue is drained, so every figure is the caller's cost while the consumer keeps
// up and nothing is dropped (the program checks it).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "logcap.hpp"

#define S(lit) reinterpret_cast<const uint8_t *>(lit), (sizeof(lit) - 1)

namespace {

constexpr int ROUNDS = 7;
constexpr int OPS = 200000;
constexpr int CHUNK = 4096;

void ok(logcap_result rc, const char *what) {
  if (rc != LOGCAP_RESULT_OK) {
    std::fprintf(stderr, "compare: %s: %s: %s\n", what, logcap_result_text(rc), logcap_last_error());
    std::exit(1);
  }
}

// The bytes of the standard_event vector in the test vectors file at `path`.
std::vector<uint8_t> standard_event(const char *path) {
  std::ifstream f(path);
  std::stringstream json;
  json << f.rdbuf();
  const std::string s = json.str();
  size_t at = s.find("\"standard_event\"");
  at = at == std::string::npos ? at : s.find("\"hex\": \"", at);
  if (at == std::string::npos) {
    std::fprintf(stderr, "compare: no standard_event vector in %s\n", path);
    std::exit(1);
  }
  at += 8;
  std::vector<uint8_t> out;
  for (; at + 1 < s.size() && s[at] != '"'; at += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(at, 2), nullptr, 16)));
  }
  return out;
}

struct Case {
  const char *name;
  std::function<void()> call;
  std::function<void()> drain;  // between chunks, outside the timing
  std::vector<double> ns;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// ns per call over OPS calls of c.call, timed chunk by chunk.
double timed(Case &c) {
  std::chrono::nanoseconds total{0};
  for (int done = 0; done < OPS; done += CHUNK) {
    int n = std::min(CHUNK, OPS - done);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i++) c.call();
    total += std::chrono::steady_clock::now() - t0;
    c.drain();
  }
  return static_cast<double>(total.count()) / OPS;
}

}  // namespace

int main(int argc, char **argv) {
  const char *cfg =
      R"({"queue":{"capacity":65536,"when_full":"drop_newest","lanes":true,"lane_bytes":4194304},"sinks":[{"type":"null","name":"null"}]})";
  logcap_pipeline *p = nullptr;
  ok(logcap_pipeline_new(reinterpret_cast<const uint8_t *>(cfg), std::strlen(cfg), &p), "open");
  auto flush = [p] { ok(logcap_pipeline_flush(p, 60000), "flush"); };

  std::vector<uint8_t> record = standard_event(argc > 1 ? argv[1] : "tests/vectors/records.json");
  std::memset(record.data() + 8, 0, 8);  // no timestamp: stamped at submit

  spdlog::init_thread_pool(65536, 1);
  auto async_log = std::make_shared<spdlog::async_logger>(
      "async", std::make_shared<spdlog::sinks::null_sink_mt>(), spdlog::thread_pool(),
      spdlog::async_overflow_policy::block);
  auto sync_log = std::make_shared<spdlog::logger>("sync", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto drain_async = [] {
    while (spdlog::thread_pool()->queue_size() != 0) std::this_thread::yield();
  };
  auto spdlog_event = [](spdlog::logger &l) {
    l.info(
        "request completed service={} env={} host={} region={} method={} path={} status={} "
        "latency_ms={} user_id={} cache_hit={}",
        "checkout", "prod", "web-1", "eu-west-1", "GET", "/api/v1/orders/12345", 200, 12.5, "u-998877", true);
  };

  std::vector<Case> cases;
  cases.push_back({"logcap handle calls", [p] {
                     logcap_entry *e = nullptr;
                     ok(logcap_acquire(p, &e), "acquire");
                     ok(logcap_entry_set_message(e, S("request completed")), "set");
                     ok(logcap_set_label(e, S("service"), S("checkout")), "set");
                     ok(logcap_set_label(e, S("env"), S("prod")), "set");
                     ok(logcap_set_label(e, S("host"), S("web-1")), "set");
                     ok(logcap_set_label(e, S("region"), S("eu-west-1")), "set");
                     ok(logcap_entry_set_field_str(e, S("method"), S("GET")), "set");
                     ok(logcap_entry_set_field_str(e, S("path"), S("/api/v1/orders/12345")), "set");
                     ok(logcap_entry_set_field_i64(e, S("status"), 200), "set");
                     ok(logcap_entry_set_field_f64(e, S("latency_ms"), 12.5), "set");
                     ok(logcap_entry_set_field_str(e, S("user_id"), S("u-998877")), "set");
                     ok(logcap_entry_set_field_bool(e, S("cache_hit"), true), "set");
                     ok(logcap_submit(p, e), "submit");
                   }, flush, {}});
  cases.push_back({"logcap packed record", [p, &record] {
                     ok(logcap_pipeline_submit_record(p, record.data(), record.size()), "submit_record");
                   }, flush, {}});
  cases.push_back({"logcap writer", [p] {
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
                     ok(logcap_write_commit(), "write_commit");  // the record's first failure, if any
                   }, flush, {}});
  logcap::pipeline wrapped(p);  // borrowed: released below, before logcap_pipeline_free
  cases.push_back({"logcap.hpp log()", [&wrapped] {
                     wrapped.log(logcap::level::info, "request completed",
                                 logcap::label("service", "checkout"), logcap::label("env", "prod"),
                                 logcap::label("host", "web-1"), logcap::label("region", "eu-west-1"),
                                 logcap::field("method", "GET"), logcap::field("path", "/api/v1/orders/12345"),
                                 logcap::field("status", 200), logcap::field("latency_ms", 12.5),
                                 logcap::field("user_id", "u-998877"), logcap::field("cache_hit", true));
                   }, flush, {}});
  cases.push_back({"logcap.hpp entry", [&wrapped] {
                     logcap::entry e = wrapped.acquire();
                     e.set_message("request completed")
                         .set_label("service", "checkout")
                         .set_label("env", "prod")
                         .set_label("host", "web-1")
                         .set_label("region", "eu-west-1")
                         .set_field("method", "GET")
                         .set_field("path", "/api/v1/orders/12345")
                         .set_field("status", 200)
                         .set_field("latency_ms", 12.5)
                         .set_field("user_id", "u-998877")
                         .set_field("cache_hit", true);
                     wrapped.submit(e);
                   }, flush, {}});
  cases.push_back({"spdlog async, null sink", [&] { spdlog_event(*async_log); }, drain_async, {}});
  cases.push_back({"spdlog sync, null sink", [&] { spdlog_event(*sync_log); }, [] {}, {}});

  for (auto &c : cases) {  // warm up
    for (int i = 0; i < CHUNK; i++) c.call();
    c.drain();
  }
  for (int r = 0; r < ROUNDS; r++) {
    for (auto &c : cases) c.ns.push_back(timed(c));
  }

  (void)wrapped.release_handle();
  ok(logcap_pipeline_close(p, 60000), "close");
  logcap_stats st;
  ok(logcap_pipeline_stats(p, &st), "stats");
  logcap_sink_stats sink;
  ok(logcap_pipeline_sink_stats(p, 0, &sink), "sink stats");
  // Everything submitted must have reached the null sink: a refused call is not a logged one.
  uint64_t dropped = st.dropped_queue_full + st.dropped_queue_evicted + st.dropped_queue_timeout;
  uint64_t lost = st.submitted - std::min(st.submitted, sink.delivered);
  size_t overruns = spdlog::thread_pool()->overrun_counter();
  spdlog::shutdown();
  logcap_pipeline_free(p);

  std::printf("logcap %s, spdlog %d.%d.%d; %d rounds of %d calls, medians in ns/call (min … max)\n\n",
              logcap_version(), SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH, ROUNDS, OPS);
  // Each median as a ratio to spdlog sync's in this run (the last case).
  const double sync_median = median(cases.back().ns);
  for (auto &c : cases) {
    auto [lo, hi] = std::minmax_element(c.ns.begin(), c.ns.end());
    std::printf("%-26s %8.1f   (%.1f … %.1f)   %.2f × spdlog sync\n", c.name, median(c.ns), *lo, *hi,
                median(c.ns) / sync_median);
  }
  std::printf("\nlogcap: submitted %llu, dropped %llu, not delivered %llu; spdlog queue overruns %zu\n",
              static_cast<unsigned long long>(st.submitted), static_cast<unsigned long long>(dropped),
              static_cast<unsigned long long>(lost), overruns);
  return dropped == 0 && lost == 0 && st.accepted == st.submitted && overruns == 0 ? 0 : 1;
}
