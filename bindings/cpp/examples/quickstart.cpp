// quickstart: log the standard event through logcap from C++ (include/logcap.hpp).
//
//   c++ -std=c++17 bindings/cpp/examples/quickstart.cpp $(pkg-config --cflags --libs logcap)
//
// The configuration comes from the LOGCAP_CONFIG environment variable (a JSON document), or
// is the embedded default: one JSON-lines sink on stdout.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "logcap.hpp"

int main() {
  try {
    const char *config = std::getenv("LOGCAP_CONFIG");
    logcap::pipeline p = logcap::pipeline::open(config ? config : "");
    p.log(logcap::level::info, "request completed",
          logcap::label("service", "checkout"), logcap::label("env", "prod"),
          logcap::label("host", "web-1"), logcap::label("region", "eu-west-1"),
          logcap::field("method", "GET"), logcap::field("path", "/api/v1/orders/12345"),
          logcap::field("status", 200), logcap::field("latency_ms", 12.5),
          logcap::field("user_id", "u-998877"), logcap::field("cache_hit", true));
    p.close(std::chrono::seconds(5));

    logcap_stats st = p.stats();
    for (size_t i = 0; i < st.sink_count; i++) {
      logcap_sink_stats s = p.sink_stats(i);
      std::fprintf(stderr, "quickstart (C++, logcap %.*s): submitted %llu, sink %s delivered %llu, %llu bytes\n",
                   static_cast<int>(logcap::version().size()), logcap::version().data(), static_cast<unsigned long long>(st.submitted),
                   p.sink_name(i).c_str(), static_cast<unsigned long long>(s.delivered),
                   static_cast<unsigned long long>(s.bytes));
    }
    return 0;
  } catch (const std::exception &e) {  // logcap::error: code and detail in what()
    std::fprintf(stderr, "quickstart: %s\n", e.what());
    return 1;
  }
}
