// Tests of include/logcap.hpp, run under ASan/UBSan by `make test-cpp`:
//
//   build/test_wrapper tests/vectors/records.json
//
// The encoder behind pipeline::log is checked byte for byte against the shared packed-record
// vectors; the standard event logged with one log() call and with an entry's setters must give
// the same line; errors carry their code and the library's detail, thrown or returned.
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "check.h"
#include "logcap.hpp"

namespace {

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<logcap::pipeline> && std::is_nothrow_move_constructible_v<logcap::pipeline>);
static_assert(!std::is_copy_constructible_v<logcap::entry> && std::is_nothrow_move_constructible_v<logcap::entry>);
static_assert(!std::is_copy_assignable_v<logcap::entry> && std::is_nothrow_move_assignable_v<logcap::entry>);

std::string read_text(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string &path) {
  std::vector<std::string> out;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The line with its timestamp replaced, as scripts/demo.sh compares lines.
std::string strip_ts(const std::string &line) {
  return std::regex_replace(line, std::regex("\"ts\":\"[^\"]*\""), "\"ts\":\"<ts>\"");
}

// The bytes of the valid vector `name` in the vectors file.
std::vector<uint8_t> vector_bytes(const std::string &json, const std::string &name) {
  std::vector<uint8_t> out;
  size_t at = json.find("\"name\": \"" + name + "\"");
  at = at == std::string::npos ? at : json.find("\"hex\": \"", at);
  if (at == std::string::npos) return out;
  for (at += 8; at + 1 < json.size() && json[at] != '"'; at += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(json.substr(at, 2), nullptr, 16)));
  }
  return out;
}

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/logcap-hpp-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file_config(const std::string &name) const {
    return R"({"sinks":[{"type":"file","name":"file","path":")" + path + "/" + name + R"("}]})";
  }
};

const char *NULL_CONFIG = R"({"sinks":[{"type":"null","name":"null"}]})";

// The standard event with the one-call API.
template <typename Ts>
void log_standard_event(const logcap::pipeline &p, Ts ts) {
  p.log(logcap::level::info, "request completed", ts,
        logcap::label("service", "checkout"), logcap::label("env", "prod"),
        logcap::label("host", "web-1"), logcap::label("region", "eu-west-1"),
        logcap::field("method", "GET"), logcap::field("path", "/api/v1/orders/12345"),
        logcap::field("status", 200), logcap::field("latency_ms", 12.5),
        logcap::field("user_id", "u-998877"), logcap::field("cache_hit", true));
}

// encode_record writes exactly the bytes of the shared vectors for the same entries.
void test_encoder_matches_vectors(const std::string &json) {
  std::vector<uint8_t> buf;
  logcap::encode_record(buf, logcap::level::info, "request completed",
                        logcap::timestamp(1735689600000000000ull), logcap::label("service", "checkout"),
                        logcap::label("env", "prod"), logcap::label("host", "web-1"),
                        logcap::label("region", "eu-west-1"), logcap::field("method", "GET"),
                        logcap::field("path", "/api/v1/orders/12345"), logcap::field("status", 200),
                        logcap::field("latency_ms", 12.5), logcap::field("user_id", "u-998877"),
                        logcap::field("cache_hit", true));
  CHECK(!vector_bytes(json, "standard_event").empty());
  CHECK(buf == vector_bytes(json, "standard_event"));

  logcap::encode_record(buf, logcap::level::trace, "");
  CHECK(buf == vector_bytes(json, "empty"));

  logcap::encode_record(buf, logcap::level::debug, "with trace context", logcap::timestamp(1),
                        logcap::span_id("00f067aa0ba902b7"), logcap::trace_id("4bf92f3577b34da6a3ce929d0e0e4736"),
                        logcap::label("service", "checkout"));
  CHECK(buf == vector_bytes(json, "trace_and_span"));

  const std::string text = "text";
  logcap::encode_record(
      buf, logcap::level::warn, "every value type", logcap::timestamp(std::numeric_limits<uint64_t>::max()),
      logcap::field("str", text), logcap::field("str_empty", static_cast<const char *>(nullptr)),
      logcap::field("i64_min", std::numeric_limits<int64_t>::min()),
      logcap::field("i64_max", std::numeric_limits<int64_t>::max()), logcap::field("i64_minus_one", -1),
      logcap::field("i64_zero", int64_t{0}), logcap::field("u64_max", std::numeric_limits<uint64_t>::max()),
      logcap::field("u64_zero", 0u), logcap::field("f64_negative_zero", -0.0), logcap::field("f64_1e300", 1e300),
      logcap::field("f64_max", std::numeric_limits<double>::max()),
      logcap::field("f64_min_subnormal", std::numeric_limits<double>::denorm_min()),
      logcap::field("f64_tenth", 0.1), logcap::field("f64_negative", -12.5f), logcap::field("bool_true", true),
      logcap::field("bool_false", false));
  CHECK(buf == vector_bytes(json, "every_value_type"));
}

// One log() call and an entry built with setters write the same line; that line is the
// standard event's (the Makefile also compares it with the C quickstart's).
void test_standard_event_line(const temp_dir &dir) {
  logcap::pipeline p = logcap::pipeline::open(dir.file_config("std.log"));
  log_standard_event(p, logcap::timestamp(0));

  logcap::entry e = p.acquire();
  e.set_level(logcap::level::info).set_message("request completed");
  e.set_label("service", "checkout").set_label("env", "prod").set_label("host", "web-1").set_label("region", "eu-west-1");
  e.set_field("method", "GET").set_field("path", std::string("/api/v1/orders/12345")).set_field("status", int64_t{200});
  e.set_field("latency_ms", 12.5).set_field("user_id", "u-998877").set_field("cache_hit", true);
  CHECK(e.message() == "request completed");
  CHECK(e.label("region") == "eu-west-1");
  p.submit(e);
  CHECK(!e);  // consumed
  p.close(5s);

  std::vector<std::string> lines = lines_of(dir.path + "/std.log");
  CHECK(lines.size() == 2);
  if (lines.size() != 2) return;
  CHECK(strip_ts(lines[0]) == strip_ts(lines[1]));
  CHECK(strip_ts(lines[0]) ==
        R"({"ts":"<ts>","level":"info","msg":"request completed","labels":{"service":"checkout","env":"prod","host":"web-1","region":"eu-west-1"},"fields":{"method":"GET","path":"/api/v1/orders/12345","status":200,"latency_ms":12.5,"user_id":"u-998877","cache_hit":true}})");
  logcap_stats st = p.stats();
  CHECK(st.submitted == 2 && st.accepted == 2);
  CHECK(p.sink_stats(0).delivered == 2);
  CHECK(p.sink_name(0) == "file");
}

void test_errors_thrown_and_returned() {
  const char *bad = R"({"sinks":[{"type":"fille"}]})";
  bool thrown = false;
  try {
    logcap::pipeline::open(bad);
  } catch (const logcap::error &e) {
    thrown = true;
    CHECK(e.code() == LOGCAP_RESULT_CONFIG);
    CHECK(e.detail().find("fille") != std::string::npos);
    CHECK(std::string(e.what()).find("logcap_pipeline_new") != std::string::npos);
    CHECK(std::string(e.what()).find(e.detail()) != std::string::npos);
  }
  CHECK(thrown);

  logcap::pipeline p;
  logcap::status s = logcap::pipeline::try_open(bad, p);
  CHECK(!s && !s.ok() && !p);
  CHECK(s.code() == LOGCAP_RESULT_CONFIG);
  CHECK(s.detail().find("fille") != std::string::npos);
  CHECK(std::string(s.text()) == logcap_result_text(LOGCAP_RESULT_CONFIG));

  s = logcap::pipeline::try_open(NULL_CONFIG, p);
  CHECK(s && s.detail().empty() && p);
  CHECK(p.try_log(logcap::level::info, "ok", logcap::field("n", 1)).ok());
  CHECK(p.try_close(5s).ok());
  s = p.try_log(logcap::level::info, "after close");
  CHECK(s.code() == LOGCAP_RESULT_CLOSED);
  thrown = false;
  try {
    p.info("after close");
  } catch (const logcap::error &e) {
    thrown = e.code() == LOGCAP_RESULT_CLOSED;
  }
  CHECK(thrown);
  logcap::entry e;
  CHECK(p.try_acquire(e).code() == LOGCAP_RESULT_CLOSED && !e);

  // A record that is not one: refused with the decoder's detail, nothing submitted.
  logcap::pipeline q = logcap::pipeline::open(NULL_CONFIG);
  const uint8_t junk[] = {'X', 'Y', 1, 2};
  s = q.try_submit_record(junk, sizeof junk);
  CHECK(s.code() == LOGCAP_RESULT_MALFORMED_RECORD);
  CHECK(s.detail().find("bad_magic") != std::string::npos);
  // A label key the library refuses: the error names the call.
  thrown = false;
  try {
    q.log(logcap::level::info, "m", logcap::label("", "v"));
  } catch (const logcap::error &err) {
    thrown = err.code() == LOGCAP_RESULT_MALFORMED_RECORD && err.detail().find("empty_key") != std::string::npos;
  }
  CHECK(thrown);
  CHECK(q.stats().submitted == 0);
}

// Entries: move-only owners, released when dropped, kept by the caller when submit refuses
// the handle.
void test_entry_ownership() {
  logcap::pipeline p = logcap::pipeline::open(NULL_CONFIG);
  logcap::pipeline other = logcap::pipeline::open(NULL_CONFIG);
  {
    logcap::entry e = p.acquire();
    CHECK(static_cast<bool>(e));
  }  // released to the pool
  logcap_stats st = p.stats();
  CHECK(st.pool_acquired == 1 && st.pool_idle == 1 && st.submitted == 0);

  logcap::entry a = p.acquire();
  CHECK(p.stats().pool_reused == 1);
  logcap::entry b = std::move(a);
  CHECK(!a && b);
  bool thrown = false;
  try {
    p.submit(a);  // moved from: no handle
  } catch (const logcap::error &err) {
    thrown = err.code() == LOGCAP_RESULT_NULL_ARGUMENT;
  }
  CHECK(thrown);
  CHECK(other.try_submit(b).code() == LOGCAP_RESULT_WRONG_PIPELINE);
  CHECK(static_cast<bool>(b));  // still the caller's
  logcap::entry c = b.clone();
  CHECK(c && c.native_handle() != b.native_handle());
  b.release();
  CHECK(!b);
  std::string value = "left alone";
  logcap::status s = c.try_get_label("missing", value);
  CHECK(s.code() == LOGCAP_RESULT_NOT_FOUND && value.empty());
  // Texts longer than the first buffer are read whole.
  const std::string long_message(5000, 'm');
  c.set_message(long_message).set_label("k", std::string(300, 'v'));
  CHECK(c.message() == long_message);
  CHECK(c.label("k") == std::string(300, 'v'));
  p.submit(std::move(c));
  CHECK(!c);
  p.close(5s);
  st = p.stats();
  CHECK(st.submitted == 1 && st.accepted == 1);
}

// The minimum level, metrics, and log() from several threads at once.
void test_pipeline_members() {
  logcap::pipeline p = logcap::pipeline::open(NULL_CONFIG);
  p.set_min_level(logcap::level::warn);
  CHECK(p.min_level() == logcap::level::warn);
  p.info("dropped: below warn");
  p.error("kept", logcap::field("code", 7u));

  constexpr int THREADS = 4, EACH = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < THREADS; t++) {
    threads.emplace_back([&p, t] {
      for (int i = 0; i < EACH; i++) {
        p.warn("from a thread", logcap::label("thread", std::to_string(t)), logcap::field("i", i));
      }
    });
  }
  for (auto &t : threads) t.join();
  p.flush(10s);
  logcap_stats st = p.stats();
  CHECK(st.submitted == 2 + THREADS * EACH);
  CHECK(st.dropped_level == 1);
  CHECK(st.accepted == 1 + THREADS * EACH);
  std::string m = p.metrics();
  CHECK(m.find("# TYPE") != std::string::npos);
  CHECK(m.find(std::to_string(1 + THREADS * EACH)) != std::string::npos);

  // A moved-from pipeline is empty and its calls fail instead of crashing.
  logcap::pipeline q = std::move(p);
  CHECK(!p && q);
  CHECK(p.try_log(logcap::level::info, "nowhere").code() == LOGCAP_RESULT_NULL_ARGUMENT);
  q.close();
}


// The "seq" field of each line of `path` whose message is `msg`, in file order.
std::vector<long> seqs_of(const std::string &path, const std::string &msg) {
  std::vector<long> out;
  const std::regex seq("\"seq\":(\\d+)");
  for (const std::string &l : lines_of(path)) {
    std::smatch m;
    if (l.find("\"msg\":\"" + msg + "\"") != std::string::npos && std::regex_search(l, m, seq)) {
      out.push_back(std::stol(m[1]));
    }
  }
  return out;
}

std::string lanes_config(const temp_dir &dir, const std::string &name, const std::string &queue) {
  return R"({"queue":{"lanes":true)" + queue + R"(},"sinks":[{"type":"file","name":"file","path":")" + dir.path +
         "/" + name + R"("}]})";
}

// log() with lanes encodes straight into the calling thread's lane; every other way in (the
// handle API, a packed record, the record writer) goes through the library's producer of the
// same lane, so the thread's records keep their order; a record larger than the ring goes
// through the library, which replaces the lane; the minimum level and close hold.
void test_log_in_lane(const temp_dir &dir) {
  {
    logcap::pipeline p = logcap::pipeline::open(lanes_config(dir, "mixed.log", ""));
    const auto before = std::chrono::system_clock::now();
    p.info("mixed", logcap::field("seq", 0));
    logcap::entry e = p.acquire();
    e.set_message("mixed").set_field("seq", 1);
    p.submit(e);
    p.info("mixed", logcap::field("seq", 2));
    std::vector<uint8_t> rec;
    logcap::encode_record(rec, logcap::level::info, "mixed", logcap::field("seq", 3));
    p.submit_record(rec.data(), rec.size());
    p.info("mixed", logcap::field("seq", 4));
    const std::string msg = "mixed";
    CHECK(logcap_write_begin(p.native_handle(), LOGCAP_LEVEL_INFO, logcap::detail::bytes(msg), msg.size()) == LOGCAP_RESULT_OK);
    CHECK(logcap_write_i64(logcap::detail::bytes(std::string("seq")), 3, 5) == LOGCAP_RESULT_OK);
    CHECK(logcap_write_commit() == LOGCAP_RESULT_OK);
    p.info("mixed", logcap::field("seq", 6), logcap::timestamp(1735689600000000000ull));
    p.flush(10s);
    const auto after = std::chrono::system_clock::now();
    logcap_stats st = p.stats();
    CHECK(st.lanes == 1 && st.submitted == 7 && st.accepted == 7 && st.dropped_malformed == 0);
    CHECK((seqs_of(dir.path + "/mixed.log", "mixed") == std::vector<long>{0, 1, 2, 3, 4, 5, 6}));
    // The stamp of a record written in place is the wall clock of the call.
    const std::string first = lines_of(dir.path + "/mixed.log")[0];
    const std::string last = lines_of(dir.path + "/mixed.log")[6];
    CHECK(last.find("\"ts\":\"2025-01-01T00:00:00.000000000Z\"") != std::string::npos);
    const size_t at = first.find("\"ts\":\"");
    CHECK(at != std::string::npos);
    std::tm tm{};
    CHECK(strptime(first.substr(at + 6, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
    const auto stamped = std::chrono::system_clock::from_time_t(timegm(&tm));
    CHECK(stamped >= std::chrono::time_point_cast<std::chrono::seconds>(before) && stamped <= after);

    p.set_min_level(logcap::level::warn);
    p.info("mixed", logcap::field("seq", 7));  // below: counted in the lane
    p.warn("mixed", logcap::field("seq", 8));
    p.close(10s);
    st = p.stats();
    CHECK(st.submitted == 9 && st.dropped_level == 1 && st.accepted == 8);
    CHECK(p.try_log(logcap::level::error, "after close").code() == LOGCAP_RESULT_CLOSED);
    CHECK(p.try_log(logcap::level::error, "after close").code() == LOGCAP_RESULT_CLOSED);
  }
  {
    // A record larger than the ring: the library moves the thread to a larger lane, and
    // log() follows it there.
    logcap::pipeline p = logcap::pipeline::open(lanes_config(dir, "large.log", R"(,"lane_bytes":4096)"));
    const std::string big(6000, 'x');
    for (int i = 0; i < 30; i++) {
      if (i == 10) p.info("large", logcap::field("seq", i), logcap::field("blob", big));
      else p.info("large", logcap::field("seq", i));
    }
    p.close(10s);
    std::vector<long> want(30);
    for (int i = 0; i < 30; i++) want[i] = i;
    CHECK(seqs_of(dir.path + "/large.log", "large") == want);
    const logcap_stats st = p.stats();
    CHECK(st.submitted == 30 && st.accepted == 30 && st.dropped_malformed == 0);
  }
  {
    // A full lane under drop_newest: log() refuses with QUEUE_FULL, through the library,
    // and every record is counted once.
    logcap::pipeline p = logcap::pipeline::open(
        lanes_config(dir, "full.log", R"(,"capacity":2,"when_full":"drop_newest","lane_bytes":4096)"));
    int refused = 0;
    for (int i = 0; i < 5000; i++) {
      const logcap::status s = p.try_log(logcap::level::info, "full", logcap::field("seq", i));
      CHECK(s.ok() || s.code() == LOGCAP_RESULT_QUEUE_FULL);
      refused += s.ok() ? 0 : 1;
    }
    p.close(10s);
    const logcap_stats st = p.stats();
    CHECK(st.submitted == 5000 && st.dropped_queue_full == static_cast<uint64_t>(refused) &&
          st.accepted + st.dropped_queue_full == 5000);
    const std::vector<long> got = seqs_of(dir.path + "/full.log", "full");
    CHECK(got.size() == st.accepted);
    CHECK(std::is_sorted(got.begin(), got.end()) && std::adjacent_find(got.begin(), got.end()) == got.end());
  }
  {
    // Threads, each with its own lane, which each releases when it exits.
    logcap::pipeline p = logcap::pipeline::open(lanes_config(dir, "threads.log", R"(,"lane_bytes":8192)"));
    constexpr int THREADS = 4, EACH = 5000;
    std::vector<std::thread> threads;
    for (int t = 0; t < THREADS; t++) {
      threads.emplace_back([&p, t] {
        for (int i = 0; i < EACH; i++) p.info("t" + std::to_string(t), logcap::field("seq", i));
      });
    }
    for (auto &t : threads) t.join();
    p.close(10s);
    std::vector<long> want(EACH);
    for (int i = 0; i < EACH; i++) want[i] = i;
    for (int t = 0; t < THREADS; t++) CHECK(seqs_of(dir.path + "/threads.log", "t" + std::to_string(t)) == want);
    const logcap_stats st = p.stats();
    CHECK(st.submitted == THREADS * EACH && st.accepted == THREADS * EACH && st.lanes == 0);
  }
}

// What the stamp test's callback sink saw: each entry's timestamp, the first call held up.
struct stamp_sink {
  std::vector<uint64_t> stamps;
  int calls = 0;
};

int32_t hold_first_batch(void *userdata, const logcap_batch *batch) {
  auto *s = static_cast<stamp_sink *>(userdata);
  if (s->calls++ == 0) std::this_thread::sleep_for(300ms);
  size_t n = 0;
  logcap_batch_len(batch, &n);
  for (size_t i = 0; i < n; i++) {
    logcap_entry_view v{};
    logcap_batch_entry(batch, i, &v);
    s->stamps.push_back(v.timestamp_ns);
  }
  return 0;
}

// A record log() writes into the lane is stamped in the call, not when the batcher reads it:
// with the batcher held up behind a slow sink, the stamp still falls within the call.
void test_log_in_lane_is_stamped_in_the_call() {
  const std::string cfg =
      R"({"queue":{"lanes":true},"batch":{"max_entries":1},
          "sinks":[{"type":"callback","name":"cb","queue_capacity":1,"when_full":"block"}]})";
  logcap_builder *b = nullptr;
  CHECK(logcap_builder_new(logcap::detail::bytes(cfg), cfg.size(), &b) == LOGCAP_RESULT_OK);
  stamp_sink sink;
  const std::string name = "cb";
  CHECK(logcap_builder_add_callback(b, logcap::detail::bytes(name), name.size(), hold_first_batch, &sink) ==
        LOGCAP_RESULT_OK);
  logcap_pipeline *raw = nullptr;
  CHECK(logcap_builder_build(b, &raw) == LOGCAP_RESULT_OK);
  logcap::pipeline p(raw);
  // The first batch holds the sink for 300 ms, the second fills its queue, the third holds
  // the batcher: the last record waits in the lane.
  for (int i = 0; i < 3; i++) p.info("ahead");
  std::this_thread::sleep_for(50ms);
  const uint64_t before = logcap::detail::now_ns();
  p.info("stamped");
  const uint64_t after = logcap::detail::now_ns();
  p.close(10s);
  CHECK(sink.stamps.size() == 4);
  CHECK(!sink.stamps.empty() && sink.stamps.back() >= before && sink.stamps.back() <= after);
}
}  // namespace

// log() within every limit goes to the library with a check of its header only (with lanes,
// the rest where it is decoded); over a limit it gets the library's full check, so each
// refusal has its code and its count in refused_limit, with lanes and without.
void test_log_limits() {
  for (const char *cfg : {"{\"queue\":{\"lanes\":true},\"sinks\":[{\"type\":\"null\"}]}",
                          "{\"sinks\":[{\"type\":\"null\"}]}"}) {
    logcap::pipeline p = logcap::pipeline::open(cfg);
    CHECK(p.try_log(logcap::level::info, "within", logcap::label("service", "checkout"),
                    logcap::field("status", 200))
              .ok());
    const std::string long_key(LOGCAP_MAX_KEY_BYTES + 1, 'k');
    const std::string long_message(LOGCAP_MAX_MESSAGE_BYTES + 1, 'm');
    const std::string big(LOGCAP_RECORD_MAX_BYTES, 'b');
    logcap::status s = p.try_log(logcap::level::info, "key", logcap::field(long_key, 1));
    CHECK(s.code() == LOGCAP_RESULT_LIMIT && s.detail().find("key_too_long") != std::string::npos);
    s = p.try_log(logcap::level::info, long_message);
    CHECK(s.code() == LOGCAP_RESULT_LIMIT && s.detail().find("message_too_long") != std::string::npos);
    s = p.try_log(logcap::level::info, "big", logcap::field("blob", big));
    CHECK(s.code() == LOGCAP_RESULT_LIMIT && s.detail().find("too_large") != std::string::npos);
    s = p.try_log(logcap::level::info, "empty key", logcap::label("", "v"));
    CHECK(s.code() == LOGCAP_RESULT_MALFORMED_RECORD);
    CHECK(p.try_flush(10s).ok());
    const logcap_stats st = p.stats();
    CHECK(st.submitted == 1 && st.accepted == 1 && st.refused_limit == 3 && st.dropped_malformed == 0);
  }
}

int main(int argc, char **argv) {
  const char *vectors = argc > 1 ? argv[1] : "tests/vectors/records.json";
  const std::string json = read_text(vectors);
  CHECK(!json.empty());
  temp_dir dir;
  test_encoder_matches_vectors(json);
  test_standard_event_line(dir);
  test_errors_thrown_and_returned();
  test_entry_ownership();
  test_pipeline_members();
  test_log_limits();
  test_log_in_lane(dir);
  test_log_in_lane_is_stamped_in_the_call();
  return finish("test_wrapper");
}
