/*
 * logcap.hpp: a header-only C++17 wrapper over the C ABI of logcap.h.
 *
 *   logcap::pipeline p = logcap::pipeline::open(R"({"sinks":[{"type":"stdout"}]})");
 *   p.log(logcap::level::info, "request completed",
 *         logcap::label("service", "checkout"), logcap::field("status", 200));
 *   p.close(std::chrono::seconds(5));
 *
 * - pipeline and entry own their C objects (RAII) and are move-only: a pipeline is freed (closed
 *   first if open, waiting up to 5 seconds) when it is destroyed; an entry that was neither
 *   submitted nor released goes back to its pool.
 * - Every string is a std::string_view: pointer and length, never NUL-terminated, copied by
 *   the library during the call. Invalid UTF-8 becomes U+FFFD.
 * - pipeline::log encodes the event as one packed record (docs/record-format.md) into a buffer
 *   owned by the calling thread and submits it in one call, the cheapest way into the library
 *   (see `make bench-hpp`); entries (acquire, the setters, submit) are for building an event in
 *   several steps or threads.
 * - Errors: every call that fails throws logcap::error, which carries the logcap_result code
 *   (code()) and the library's detail for the failure (detail(), logcap_last_error() at the
 *   time of the failure).
 * - The non-throwing variant: every throwing member has a try_ twin that is noexcept and
 *   returns a logcap::status (the code and the detail; true when OK) instead, writing its
 *   result through an output parameter where there is one. With exceptions disabled
 *   (-fno-exceptions) only the try_ members and the destructors are declared. Running out of
 *   memory in the wrapper itself (growing a buffer) is LOGCAP_RESULT_LIMIT with no detail.
 *
 * Threading is the C ABI's (logcap.h): a pipeline's const members may be called from any
 * number of threads at once; close() too. An entry may be used from any thread.
 */
#ifndef LOGCAP_HPP
#define LOGCAP_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// Without exceptions (-fno-exceptions), allocation failures end the program as the standard
// library decides, and the try/catch blocks below become plain blocks.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define LOGCAP_HPP_EXCEPTIONS 1
#define LOGCAP_HPP_TRY try
#define LOGCAP_HPP_CATCH_ALL catch (...)
#include <stdexcept>
#else
#define LOGCAP_HPP_EXCEPTIONS 0
#define LOGCAP_HPP_TRY if (true)
#define LOGCAP_HPP_CATCH_ALL else
#endif

#include "logcap.h"

namespace logcap {

/// Levels, numbered as logcap_level.
enum class level : uint32_t {
  trace = LOGCAP_LEVEL_TRACE,
  debug = LOGCAP_LEVEL_DEBUG,
  info = LOGCAP_LEVEL_INFO,
  warn = LOGCAP_LEVEL_WARN,
  error = LOGCAP_LEVEL_ERROR,
  fatal = LOGCAP_LEVEL_FATAL,
};

/// The outcome of a call: a logcap_result and, on failure, the library's detail. Converts to
/// true when the call succeeded.
class status {
 public:
  status() noexcept = default;

  /// The status of a call that returned `code`: the detail is logcap_last_error() for a
  /// failure (left empty if copying it runs out of memory), nothing for success.
  static status from(logcap_result code) noexcept {
    status s;
    s.code_ = code;
    if (code != LOGCAP_RESULT_OK) {
      LOGCAP_HPP_TRY {
        s.detail_ = logcap_last_error();
      } LOGCAP_HPP_CATCH_ALL {  // std::bad_alloc: the code alone still says what failed
      }
    }
    return s;
  }

  /// A failure found by the wrapper itself (out of memory): no library detail.
  static status without_detail(logcap_result code) noexcept {
    status s;
    s.code_ = code;
    return s;
  }

  explicit operator bool() const noexcept { return code_ == LOGCAP_RESULT_OK; }
  bool ok() const noexcept { return code_ == LOGCAP_RESULT_OK; }
  logcap_result code() const noexcept { return code_; }
  /// The library's name for the code (logcap_result_text), static.
  const char *text() const noexcept { return logcap_result_text(code_); }
  /// What the library said about this failure ("" for success).
  const std::string &detail() const noexcept { return detail_; }

 private:
  logcap_result code_ = LOGCAP_RESULT_OK;
  std::string detail_;
};

#if LOGCAP_HPP_EXCEPTIONS
/// A failed call: what() reads "logcap: <call>: <text of the code>: <detail>".
class error : public std::runtime_error {
 public:
  error(const char *call, logcap::status s)
      : std::runtime_error(std::string("logcap: ") + call + ": " + s.text() +
                           (s.detail().empty() ? std::string() : ": " + s.detail())),
        status_(std::move(s)) {}
  logcap_result code() const noexcept { return status_.code(); }
  const std::string &detail() const noexcept { return status_.detail(); }
  const logcap::status &status() const noexcept { return status_; }

 private:
  logcap::status status_;
};
#endif

namespace detail {

#if LOGCAP_HPP_EXCEPTIONS
inline void check(status s, const char *call) {
  if (!s) throw error(call, std::move(s));
}
inline void check(logcap_result rc, const char *call) {
  if (rc != LOGCAP_RESULT_OK) throw error(call, status::from(rc));
}
#endif

inline const uint8_t *bytes(std::string_view s) noexcept {
  return reinterpret_cast<const uint8_t *>(s.data());
}

inline uint64_t millis(std::chrono::milliseconds t) noexcept {
  return t.count() < 0 ? 0 : static_cast<uint64_t>(t.count());
}

}  // namespace detail

/// A label of an event (a low-cardinality stream label): label("service", "checkout").
/// label(), field(), trace_id() and span_id() keep string_views: use them within the call that
/// logs (temporaries live until its end), not stored beyond the strings they view.
struct label_arg {
  std::string_view key;
  std::string_view value;
};
inline constexpr label_arg label(std::string_view key, std::string_view value) noexcept {
  return {key, value};
}

/// A typed field of an event: field("status", 200). Strings are `str`, bool is `bool`, signed
/// integers `i64`, unsigned integers `u64`, floating point `f64`.
struct field_arg {
  std::string_view key;
  logcap_value_kind kind;
  union {
    int64_t i64;
    uint64_t u64;
    double f64;
    bool boolean;
  };
  std::string_view str;
};

namespace detail {
inline field_arg make_field(std::string_view key, logcap_value_kind kind) noexcept {
  field_arg f{};
  f.key = key;
  f.kind = kind;
  return f;
}
}  // namespace detail

inline field_arg field(std::string_view key, std::string_view value) noexcept {
  field_arg f = detail::make_field(key, LOGCAP_VALUE_KIND_STR);
  f.str = value;
  return f;
}
/// A null pointer is the empty string.
inline field_arg field(std::string_view key, const char *value) noexcept {
  return field(key, value ? std::string_view(value) : std::string_view());
}
inline field_arg field(std::string_view key, const std::string &value) noexcept {
  return field(key, std::string_view(value));
}
/// bool, integers and floating point; the type chooses the field's type.
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
inline field_arg field(std::string_view key, T value) noexcept {
  field_arg f{};
  if constexpr (std::is_same_v<T, bool>) {
    f = detail::make_field(key, LOGCAP_VALUE_KIND_BOOL);
    f.boolean = value;
  } else if constexpr (std::is_floating_point_v<T>) {
    f = detail::make_field(key, LOGCAP_VALUE_KIND_F64);
    f.f64 = static_cast<double>(value);
  } else if constexpr (std::is_signed_v<T>) {
    f = detail::make_field(key, LOGCAP_VALUE_KIND_I64);
    f.i64 = static_cast<int64_t>(value);
  } else {
    f = detail::make_field(key, LOGCAP_VALUE_KIND_U64);
    f.u64 = static_cast<uint64_t>(value);
  }
  return f;
}

/// The event's trace id / span id (W3C trace context, as text).
struct trace_id_arg {
  std::string_view value;
};
struct span_id_arg {
  std::string_view value;
};
inline constexpr trace_id_arg trace_id(std::string_view v) noexcept { return {v}; }
inline constexpr span_id_arg span_id(std::string_view v) noexcept { return {v}; }

/// The event's timestamp in nanoseconds since the Unix epoch; without one (or with 0) the
/// pipeline stamps the event when it is submitted.
struct timestamp_arg {
  uint64_t ns;
};
inline constexpr timestamp_arg timestamp(uint64_t ns_since_epoch) noexcept { return {ns_since_epoch}; }

namespace detail {

template <typename T>
struct is_event_arg
    : std::bool_constant<std::is_same_v<T, label_arg> || std::is_same_v<T, field_arg> ||
                         std::is_same_v<T, trace_id_arg> || std::is_same_v<T, span_id_arg> ||
                         std::is_same_v<T, timestamp_arg>> {};

// The packed record encoder (docs/record-format.md, version 1). The size is computed first,
// so the buffer is sized once and every byte is written in place. Each put_ takes the write
// position and returns the next one: the position lives in a register, not in memory that a
// byte store could alias, so the stores compile to plain moves.
inline uint8_t *put_u8(uint8_t *p, uint8_t v) noexcept {
  *p = v;
  return p + 1;
}
template <typename U>
inline uint8_t *put_le(uint8_t *p, U v) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(p, &v, sizeof v);
#else
  for (size_t i = 0; i < sizeof v; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
#endif
  return p + sizeof v;
}
// A string longer than 4 GiB gets a wrong length prefix; the record is then far above the
// 1 MiB limit, and its total length cannot match the buffer's, so the library refuses it.
inline uint8_t *put_str(uint8_t *p, std::string_view s) noexcept {
  p = put_le(p, static_cast<uint32_t>(s.size()));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

constexpr size_t str_size(std::string_view s) noexcept { return 4 + s.size(); }
inline size_t arg_size(const label_arg &l) noexcept { return str_size(l.key) + str_size(l.value); }
inline size_t arg_size(const field_arg &f) noexcept {
  switch (f.kind) {
    case LOGCAP_VALUE_KIND_STR:
      return str_size(f.key) + 1 + str_size(f.str);
    case LOGCAP_VALUE_KIND_BOOL:
      return str_size(f.key) + 1 + 1;
    default:
      return str_size(f.key) + 1 + 8;
  }
}
template <typename T>
inline size_t arg_size(const T &) noexcept {  // ids and timestamp: in the header and fixed items
  return 0;
}

inline uint8_t *put_label(uint8_t *p, const label_arg &l) noexcept { return put_str(put_str(p, l.key), l.value); }
template <typename T>
inline uint8_t *put_label(uint8_t *p, const T &) noexcept {
  return p;
}

inline uint8_t *put_field(uint8_t *p, const field_arg &f) noexcept {
  p = put_u8(put_str(p, f.key), static_cast<uint8_t>(f.kind));
  switch (f.kind) {
    case LOGCAP_VALUE_KIND_STR:
      return put_str(p, f.str);
    case LOGCAP_VALUE_KIND_I64:
      return put_le(p, static_cast<uint64_t>(f.i64));
    case LOGCAP_VALUE_KIND_U64:
      return put_le(p, f.u64);
    case LOGCAP_VALUE_KIND_F64: {
      uint64_t bits;
      std::memcpy(&bits, &f.f64, sizeof bits);
      return put_le(p, bits);
    }
    case LOGCAP_VALUE_KIND_BOOL:
      return put_u8(p, f.boolean ? 1 : 0);
  }
  return p;
}
template <typename T>
inline uint8_t *put_field(uint8_t *p, const T &) noexcept {
  return p;
}

struct record_meta {
  uint64_t timestamp_ns = 0;
  std::string_view trace_id;
  std::string_view span_id;
  size_t labels = 0;
  size_t fields = 0;

  void note(const label_arg &) noexcept { labels++; }
  void note(const field_arg &) noexcept { fields++; }
  void note(const trace_id_arg &t) noexcept { trace_id = t.value; }
  void note(const span_id_arg &s) noexcept { span_id = s.value; }
  void note(const timestamp_arg &t) noexcept { timestamp_ns = t.ns; }
};

}  // namespace detail

namespace detail {

constexpr bool key_within_limits(std::string_view key) noexcept {
  return !key.empty() && key.size() <= LOGCAP_MAX_KEY_BYTES;
}
inline bool arg_within_limits(const label_arg &l) noexcept { return key_within_limits(l.key); }
inline bool arg_within_limits(const field_arg &f) noexcept { return key_within_limits(f.key); }
template <typename T>
inline bool arg_within_limits(const T &) noexcept {
  return true;
}

/// A record's size and what its arguments say (ids, timestamp, counts).
template <typename... Args>
size_t measure(record_meta &meta, std::string_view message, const Args &...args) noexcept {
  static_assert((is_event_arg<Args>::value && ...),
                "log arguments are logcap::label, field, trace_id, span_id or timestamp");
  (meta.note(args), ...);
  return LOGCAP_RECORD_HEADER_LEN + str_size(message) + str_size(meta.trace_id) + str_size(meta.span_id) +
         (size_t{0} + ... + arg_size(args));
}

/// Encodes the record `measure` sized into the `size` bytes at `p`.
template <typename... Args>
void encode_at(uint8_t *p, size_t size, level lvl, const record_meta &meta, std::string_view message,
               const Args &...args) noexcept {
  p = put_u8(p, 'L');
  p = put_u8(p, 'C');
  p = put_u8(p, LOGCAP_RECORD_VERSION);
  p = put_u8(p, static_cast<uint8_t>(lvl));
  p = put_le(p, static_cast<uint32_t>(size));
  p = put_le(p, meta.timestamp_ns);
  p = put_le(p, static_cast<uint16_t>(meta.labels));
  p = put_le(p, static_cast<uint16_t>(meta.fields));
  p = put_str(p, message);
  p = put_str(p, meta.trace_id);
  p = put_str(p, meta.span_id);
  ((p = put_label(p, args)), ...);
  ((p = put_field(p, args)), ...);
}

/// Whether a record keeps every limit of docs/record-format.md (counts, key and message
/// lengths, the total size).
template <typename... Args>
bool within_limits(size_t size, const record_meta &meta, std::string_view message, const Args &...args) noexcept {
  return meta.labels <= LOGCAP_MAX_LABELS && meta.fields <= LOGCAP_MAX_FIELDS &&
         message.size() <= LOGCAP_MAX_MESSAGE_BYTES && size <= LOGCAP_RECORD_MAX_BYTES &&
         (arg_within_limits(args) && ...);
}

/// encode_record, and whether the record keeps every limit: such a record can go to the
/// library without a second check (logcap_pipeline_submit_trusted_record); one that does not
/// is submitted with logcap_pipeline_submit_record, which refuses it with its code and counts
/// it.
template <typename... Args>
bool encode_within_limits(std::vector<uint8_t> &out, level lvl, std::string_view message,
                          const Args &...args) {
  record_meta meta;
  const size_t size = measure(meta, message, args...);
  out.resize(size);
  encode_at(out.data(), size, lvl, meta, message, args...);
  return within_limits(size, meta, message, args...);
}

}  // namespace detail

/// Encodes an event as one packed record (docs/record-format.md) into `out`, replacing what
/// it held (its capacity is reused). Counts beyond the format's 16 bits are written modulo
/// 65536 and refused by the library, as every count above its limits is.
template <typename... Args>
void encode_record(std::vector<uint8_t> &out, level lvl, std::string_view message,
                   const Args &...args) {
  detail::encode_within_limits(out, lvl, message, args...);
}

#if defined(__GNUC__) || defined(__clang__)
#define LOGCAP_HPP_LANES 1
#else
#define LOGCAP_HPP_LANES 0
#endif

#if LOGCAP_HPP_LANES
namespace detail {

// The calling thread's lane of one pipeline (logcap_pipeline_lane), which pipeline::log
// encodes its records into in place: the producer's steps of docs/lane-protocol.md, version 2,
// with the GCC/Clang atomic builtins on the lane's header. Everything that is not the plain
// case (a full lane, a record larger than the ring or over a limit, a closed pipeline, a
// poisoned or replaced lane) goes to the library's submit, whose producer writes the same
// lane (it takes up what this one published first), so a thread's records keep one order.
class lane_writer {
 public:
  lane_writer() noexcept = default;
  lane_writer(const lane_writer &) = delete;
  lane_writer &operator=(const lane_writer &) = delete;
  ~lane_writer() { forget(); }

  // Header offsets (docs/lane-protocol.md, "The lane in memory").
  static constexpr size_t MAGIC = 0, VERSION = 4, HEADER_LENGTH = 6, CAPACITY = 8, MAX_RECORDS = 12, FLAGS = 16;
  static constexpr size_t WRITE = 64, SUBMITTED = 80, DROPPED_LEVEL = 88, DROPPED_FULL = 96, DROPPED_TIMEOUT = 104;
  static constexpr size_t BUSY = 112, RETIRED = 116, READ = 128, RELEASED = 160;
  static constexpr size_t ASLEEP = 192, CLOSED = 196, POISONED = 200, MIN_LEVEL = 204;
  static constexpr uint32_t LANE_MAGIC = 0x4E4C434Cu, LANE_VERSION = 2, HEADER_LEN = 256;
  static constexpr uint32_t FLAG_LIGHT_FENCE_COMPILER = 1, KIND_RECORD = 1, KIND_SKIP = 2;

  // The lane of `p` for this thread: attached on first use; nullptr when `p` takes its submits
  // through the shared queue, or no lane can be had now (the library's submit answers then).
  static lane_writer *of(const logcap_pipeline *p) noexcept {
    thread_local lane_writer lanes[4];
    thread_local unsigned next = 0;
    for (lane_writer &l : lanes) {
      if (l.owner_ == p && p != nullptr) {
        if (l.mem_ != nullptr && load_u32(l.mem_ + RETIRED, __ATOMIC_ACQUIRE) != 0) l.attach(p);
        return l.mem_ != nullptr ? &l : nullptr;
      }
    }
    lane_writer &l = lanes[next++ % 4];
    l.attach(p);
    return l.mem_ != nullptr ? &l : nullptr;
  }

  // Opens a call ("Close", steps 1-3). False when the pipeline is closed or the lane poisoned:
  // the lane is forgotten, to be asked for again on the next call.
  bool enter() noexcept {
    store_u32(mem_ + BUSY, 1, __ATOMIC_RELAXED);
    light_fence();
    if (load_u32(mem_ + CLOSED, __ATOMIC_RELAXED) == 0 && load_u32(mem_ + POISONED, __ATOMIC_ACQUIRE) == 0) {
      if (load_u64(mem_ + WRITE, __ATOMIC_RELAXED) != write_ ||
          load_u64(mem_ + SUBMITTED, __ATOMIC_RELAXED) != submitted_) {
        resync();  // the library's producer wrote this lane since (same thread)
      }
      return true;
    }
    leave();
    forget();
    return false;
  }
  void leave() noexcept { store_u32(mem_ + BUSY, 0, __ATOMIC_RELEASE); }

  uint32_t min_level() const noexcept { return load_u32(mem_ + MIN_LEVEL, __ATOMIC_RELAXED); }

  // A record below the minimum level: counted, nothing written.
  void count_below_level() noexcept {
    count(SUBMITTED, ++submitted_);
    count(DROPPED_LEVEL, load_u64(mem_ + DROPPED_LEVEL, __ATOMIC_RELAXED) + 1);
  }

  // Room for a record of `n` bytes: where to write it, or nullptr (no room now, or larger than
  // the ring). Commit it with publish().
  uint8_t *reserve(size_t n) noexcept {
    const uint64_t frame = 8 + ((uint64_t{n} + 7) & ~uint64_t{7});
    if (frame > cap_) return nullptr;
    const uint64_t off = write_ & (cap_ - 1);
    const uint64_t to_end = cap_ - off;
    const uint64_t taken = frame <= to_end ? frame : to_end + frame;
    if (write_ + taken - read_ > cap_) {
      read_ = load_u64(mem_ + READ, __ATOMIC_ACQUIRE);
      if (write_ + taken - read_ > cap_) return nullptr;
    }
    if (max_records_ != 0 && pushed_ - released_ >= max_records_) {
      released_ = load_u64(mem_ + RELEASED, __ATOMIC_ACQUIRE);
      if (pushed_ - released_ >= max_records_) return nullptr;
    }
    uint8_t *ring = mem_ + HEADER_LEN;
    uint64_t at = off;
    if (frame > to_end) {
      frame_header(ring + at, 0, KIND_SKIP);
      at = 0;
    }
    frame_header(ring + at, static_cast<uint32_t>(n), KIND_RECORD);
    next_write_ = write_ + taken;
    return ring + at + 8;
  }

  // Publishes the record reserve() placed, and wakes the batcher if it sleeps.
  void publish() noexcept {
    write_ = next_write_;
    pushed_++;
    count(SUBMITTED, ++submitted_);
    store_u64(mem_ + WRITE, write_, __ATOMIC_RELEASE);
    light_fence();
    if (load_u32(mem_ + ASLEEP, __ATOMIC_RELAXED) != 0) logcap_lane_wake(handle_);
  }

 private:
  static uint32_t load_u32(const uint8_t *p, int order) noexcept {
    return __atomic_load_n(reinterpret_cast<const uint32_t *>(p), order);
  }
  static void store_u32(uint8_t *p, uint32_t v, int order) noexcept {
    __atomic_store_n(reinterpret_cast<uint32_t *>(p), v, order);
  }
  static uint64_t load_u64(const uint8_t *p, int order) noexcept {
    return __atomic_load_n(reinterpret_cast<const uint64_t *>(p), order);
  }
  static void store_u64(uint8_t *p, uint64_t v, int order) noexcept {
    __atomic_store_n(reinterpret_cast<uint64_t *>(p), v, order);
  }
  static void frame_header(uint8_t *p, uint32_t len, uint32_t kind) noexcept { put_le(put_le(p, len), kind); }

  // The producer's counters have one writer: a load and a store, never a read-modify-write.
  void count(size_t at, uint64_t v) noexcept { store_u64(mem_ + at, v, __ATOMIC_RELAXED); }

  // The light side of the lane's asymmetric fences: a compiler fence when the library's heavy
  // side is a membarrier, a full fence otherwise.
  void light_fence() const noexcept {
    if (compiler_fence_)
      __atomic_signal_fence(__ATOMIC_SEQ_CST);
    else
      __atomic_thread_fence(__ATOMIC_SEQ_CST);
  }

  void attach(const logcap_pipeline *p) noexcept {
    forget();
    owner_ = p;
    logcap_lane *h = nullptr;
    uint8_t *mem = nullptr;
    size_t len = 0;
    if (logcap_pipeline_lane(p, &h, &mem, &len) != LOGCAP_RESULT_OK) {
      owner_ = nullptr;  // closed or refused: ask again next time
      return;
    }
    if (h == nullptr) return;  // the shared queue: remembered, no lane
    uint16_t version = 0, header_len = 0;
    std::memcpy(&version, mem + VERSION, 2);
    std::memcpy(&header_len, mem + HEADER_LENGTH, 2);
    const uint32_t cap = load_u32(mem + CAPACITY, __ATOMIC_RELAXED);
    if (load_u32(mem + MAGIC, __ATOMIC_RELAXED) != LANE_MAGIC || version != LANE_VERSION ||
        header_len != HEADER_LEN || len != size_t{HEADER_LEN} + cap) {
      logcap_lane_release(h);  // a lane of another protocol version: the library's submit
      return;
    }
    handle_ = h;
    mem_ = mem;
    cap_ = cap;
    max_records_ = load_u32(mem + MAX_RECORDS, __ATOMIC_RELAXED);
    compiler_fence_ = (load_u32(mem + FLAGS, __ATOMIC_RELAXED) & FLAG_LIGHT_FENCE_COMPILER) != 0;
    resync();
  }

  void forget() noexcept {
    if (handle_ != nullptr) logcap_lane_release(handle_);
    handle_ = nullptr;
    mem_ = nullptr;
    owner_ = nullptr;
  }

  void resync() noexcept {
    write_ = load_u64(mem_ + WRITE, __ATOMIC_RELAXED);
    submitted_ = load_u64(mem_ + SUBMITTED, __ATOMIC_RELAXED);
    pushed_ = submitted_ - load_u64(mem_ + DROPPED_LEVEL, __ATOMIC_RELAXED) -
              load_u64(mem_ + DROPPED_FULL, __ATOMIC_RELAXED) - load_u64(mem_ + DROPPED_TIMEOUT, __ATOMIC_RELAXED);
    read_ = load_u64(mem_ + READ, __ATOMIC_ACQUIRE);
    released_ = load_u64(mem_ + RELEASED, __ATOMIC_ACQUIRE);
  }

  const logcap_pipeline *owner_ = nullptr;
  logcap_lane *handle_ = nullptr;
  uint8_t *mem_ = nullptr;
  uint64_t cap_ = 0;
  uint64_t max_records_ = 0;
  bool compiler_fence_ = false;
  uint64_t write_ = 0, next_write_ = 0, read_ = 0, released_ = 0, pushed_ = 0, submitted_ = 0;
};

// The wall clock in nanoseconds since the epoch, as the library stamps records.
inline uint64_t now_ns() noexcept {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace detail
#endif

class pipeline;

/// An entry acquired from a pipeline's pool: set its parts, then pipeline::submit it. Owned
/// until submitted or released; destroying an entry that was neither releases it.
class entry {
 public:
  entry() noexcept = default;
  /// Takes ownership of an entry handle from the C ABI.
  explicit entry(logcap_entry *e) noexcept : e_(e) {}
  entry(entry &&o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  entry &operator=(entry &&o) noexcept {
    if (this != &o) {
      reset();
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  entry(const entry &) = delete;
  entry &operator=(const entry &) = delete;
  ~entry() { reset(); }

  /// Whether this object holds an entry (false once moved from, submitted or released).
  explicit operator bool() const noexcept { return e_ != nullptr; }
  logcap_entry *native_handle() const noexcept { return e_; }
  /// Gives up ownership of the handle without releasing it.
  logcap_entry *release_handle() noexcept { return std::exchange(e_, nullptr); }

  status try_set_level(level l) noexcept { return status::from(set_level_rc(l)); }
  status try_set_message(std::string_view m) noexcept { return status::from(set_message_rc(m)); }
  status try_set_label(std::string_view key, std::string_view value) noexcept {
    return status::from(set_label_rc(key, value));
  }
  /// Sets a field from a logcap::field(...) (its key, type and value).
  status try_set_field(const field_arg &f) noexcept { return status::from(set_field_rc(f)); }
  template <typename T>
  status try_set_field(std::string_view key, const T &value) noexcept {
    return try_set_field(logcap::field(key, value));
  }
  status try_set_trace_id(std::string_view id) noexcept { return status::from(set_trace_id_rc(id)); }
  status try_set_span_id(std::string_view id) noexcept { return status::from(set_span_id_rc(id)); }
  status try_set_timestamp(uint64_t ns_since_epoch) noexcept {
    return status::from(logcap_entry_set_timestamp(e_, ns_since_epoch));
  }
  /// Copies a label's value into `out`.
  status try_get_label(std::string_view key, std::string &out) const noexcept {
    return read_text(out, [&](uint8_t *buf, size_t len, size_t *n) {
      return logcap_entry_get_label(e_, detail::bytes(key), key.size(), buf, len, n);
    });
  }
  status try_get_message(std::string &out) const noexcept {
    return read_text(out, [&](uint8_t *buf, size_t len, size_t *n) {
      return logcap_entry_get_message(e_, buf, len, n);
    });
  }
  /// A deep copy into a new entry of the same pipeline.
  status try_clone(entry &out) const noexcept {
    logcap_entry *c = nullptr;
    status s = status::from(logcap_entry_clone(e_, &c));
    if (s) out = entry(c);
    return s;
  }
  /// Returns the entry to its pool without submitting it.
  status try_release() noexcept { return status::from(logcap_release(std::exchange(e_, nullptr))); }

#if LOGCAP_HPP_EXCEPTIONS
  entry &set_level(level l) { return done(set_level_rc(l), "logcap_entry_set_level"); }
  entry &set_message(std::string_view m) { return done(set_message_rc(m), "logcap_entry_set_message"); }
  entry &set_label(std::string_view key, std::string_view value) {
    return done(set_label_rc(key, value), "logcap_set_label");
  }
  entry &set_field(const field_arg &f) { return done(set_field_rc(f), "logcap_entry_set_field"); }
  template <typename T>
  entry &set_field(std::string_view key, const T &value) {
    return set_field(logcap::field(key, value));
  }
  entry &set_trace_id(std::string_view id) { return done(set_trace_id_rc(id), "logcap_entry_set_trace_id"); }
  entry &set_span_id(std::string_view id) { return done(set_span_id_rc(id), "logcap_entry_set_span_id"); }
  entry &set_timestamp(uint64_t ns) {
    return done(logcap_entry_set_timestamp(e_, ns), "logcap_entry_set_timestamp");
  }
  std::string label(std::string_view key) const {
    std::string v;
    detail::check(try_get_label(key, v), "logcap_entry_get_label");
    return v;
  }
  std::string message() const {
    std::string v;
    detail::check(try_get_message(v), "logcap_entry_get_message");
    return v;
  }
  entry clone() const {
    entry c;
    detail::check(try_clone(c), "logcap_entry_clone");
    return c;
  }
  void release() { detail::check(try_release(), "logcap_release"); }
#endif

 private:
  friend class pipeline;

  void reset() noexcept {
    if (e_ != nullptr) logcap_release(std::exchange(e_, nullptr));
  }

#if LOGCAP_HPP_EXCEPTIONS
  // The throwing setters check the C result directly: a status (and its string) is made
  // only for a failure.
  entry &done(logcap_result rc, const char *call) {
    detail::check(rc, call);
    return *this;
  }
#endif

  logcap_result set_level_rc(level l) noexcept { return logcap_entry_set_level(e_, static_cast<uint32_t>(l)); }
  logcap_result set_message_rc(std::string_view m) noexcept {
    return logcap_entry_set_message(e_, detail::bytes(m), m.size());
  }
  logcap_result set_label_rc(std::string_view key, std::string_view value) noexcept {
    return logcap_set_label(e_, detail::bytes(key), key.size(), detail::bytes(value), value.size());
  }
  logcap_result set_field_rc(const field_arg &f) noexcept {
    const uint8_t *k = detail::bytes(f.key);
    switch (f.kind) {
      case LOGCAP_VALUE_KIND_STR:
        return logcap_entry_set_field_str(e_, k, f.key.size(), detail::bytes(f.str), f.str.size());
      case LOGCAP_VALUE_KIND_I64:
        return logcap_entry_set_field_i64(e_, k, f.key.size(), f.i64);
      case LOGCAP_VALUE_KIND_U64:
        return logcap_entry_set_field_u64(e_, k, f.key.size(), f.u64);
      case LOGCAP_VALUE_KIND_F64:
        return logcap_entry_set_field_f64(e_, k, f.key.size(), f.f64);
      case LOGCAP_VALUE_KIND_BOOL:
        return logcap_entry_set_field_bool(e_, k, f.key.size(), f.boolean);
    }
    return LOGCAP_RESULT_INVALID_ARGUMENT;
  }
  logcap_result set_trace_id_rc(std::string_view id) noexcept {
    return logcap_entry_set_trace_id(e_, detail::bytes(id), id.size());
  }
  logcap_result set_span_id_rc(std::string_view id) noexcept {
    return logcap_entry_set_span_id(e_, detail::bytes(id), id.size());
  }

  // Reads a text through `get(buf, len, &needed)`, growing `out` once if it was too small.
  template <typename Get>
  static status read_text(std::string &out, Get get) noexcept {
    LOGCAP_HPP_TRY {
      for (int attempt = 0; attempt < 3; attempt++) {
        size_t n = 0;
        out.resize(out.capacity() > 0 ? out.capacity() : 64);
        logcap_result rc = get(reinterpret_cast<uint8_t *>(out.data()), out.size(), &n);
        if (rc == LOGCAP_RESULT_BUFFER_TOO_SMALL) {
          out.resize(n);
          continue;
        }
        out.resize(rc == LOGCAP_RESULT_OK ? n : 0);
        return status::from(rc);
      }
      return status::from(LOGCAP_RESULT_BUFFER_TOO_SMALL);
    } LOGCAP_HPP_CATCH_ALL {  // std::bad_alloc
      out.clear();
      return status::without_detail(LOGCAP_RESULT_LIMIT);
    }
  }

  logcap_entry *e_ = nullptr;
};

/// A pipeline: a pool of entries, a dispatcher and its sinks. Destroying it closes it
/// (waiting up to 5 seconds for delivery) and frees it.
class pipeline {
 public:
  pipeline() noexcept = default;
  /// Takes ownership of a pipeline from the C ABI (logcap_builder_build, for callback sinks).
  explicit pipeline(logcap_pipeline *p) noexcept : p_(p) {}
  pipeline(pipeline &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  pipeline &operator=(pipeline &&o) noexcept {
    if (this != &o) {
      logcap_pipeline_free(p_);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  pipeline(const pipeline &) = delete;
  pipeline &operator=(const pipeline &) = delete;
  ~pipeline() { logcap_pipeline_free(p_); }

  /// Opens a pipeline from a JSON configuration (docs/configuration.md); an empty one gives
  /// the default, one JSON-lines sink on stdout.
  static status try_open(std::string_view config, pipeline &out) noexcept {
    logcap_pipeline *p = nullptr;
    status s = status::from(logcap_pipeline_new(detail::bytes(config), config.size(), &p));
    if (s) out = pipeline(p);
    return s;
  }

  explicit operator bool() const noexcept { return p_ != nullptr; }
  logcap_pipeline *native_handle() const noexcept { return p_; }
  /// Gives up ownership of the pipeline without freeing it.
  logcap_pipeline *release_handle() noexcept { return std::exchange(p_, nullptr); }

  /// Logs one event in one call: the level, the message, then any number of
  /// logcap::label(...), logcap::field(...), logcap::trace_id(...), logcap::span_id(...) and
  /// one logcap::timestamp(...), in any order (labels and fields keep theirs).
  template <typename... Args>
  status try_log(level lvl, std::string_view message, const Args &...args) const noexcept {
    if (log_in_lane(lvl, message, args...)) return status::from(LOGCAP_RESULT_OK);
    std::vector<uint8_t> &buf = record_buffer();
    bool trusted = false;
    LOGCAP_HPP_TRY {
      trusted = detail::encode_within_limits(buf, lvl, message, args...);
    } LOGCAP_HPP_CATCH_ALL {  // std::bad_alloc while growing the buffer
      return status::without_detail(LOGCAP_RESULT_LIMIT);
    }
    return status::from(submit_encoded(buf, trusted));
  }
  /// Submits one packed record built by the caller (encode_record, or any encoder).
  status try_submit_record(const uint8_t *record, size_t len) const noexcept {
    return status::from(logcap_pipeline_submit_record(p_, record, len));
  }

  /// An empty entry (level info, no timestamp) from the pool.
  status try_acquire(entry &out) const noexcept {
    logcap_entry *e = nullptr;
    status s = status::from(logcap_acquire(p_, &e));
    if (s) out = entry(e);
    return s;
  }
  /// Submits `e`. The entry is consumed (empty afterwards) whatever the result, except when
  /// the handle was not usable with this pipeline (a null, stale or foreign entry).
  status try_submit(entry &e) const noexcept { return status::from(submit_rc(e)); }

 private:
  logcap_result submit_rc(entry &e) const noexcept {
    logcap_result rc = logcap_submit(p_, e.e_);
    switch (rc) {
      case LOGCAP_RESULT_NULL_ARGUMENT:
      case LOGCAP_RESULT_INVALID_HANDLE:
      case LOGCAP_RESULT_STALE_HANDLE:
      case LOGCAP_RESULT_WRONG_PIPELINE:
        break;
      default:
        e.e_ = nullptr;
    }
    return rc;
  }

 public:
  status try_flush(std::chrono::milliseconds timeout) const noexcept {
    return status::from(logcap_pipeline_flush(p_, detail::millis(timeout)));
  }
  status try_close(std::chrono::milliseconds timeout) const noexcept {
    return status::from(logcap_pipeline_close(p_, detail::millis(timeout)));
  }
  status try_set_min_level(level l) const noexcept {
    return status::from(logcap_pipeline_set_min_level(p_, static_cast<uint32_t>(l)));
  }
  status try_min_level(level &out) const noexcept {
    uint32_t l = 0;
    status s = status::from(logcap_pipeline_min_level(p_, &l));
    if (s) out = static_cast<level>(l);
    return s;
  }
  status try_stats(logcap_stats &out) const noexcept { return status::from(logcap_pipeline_stats(p_, &out)); }
  status try_sink_stats(size_t index, logcap_sink_stats &out) const noexcept {
    return status::from(logcap_pipeline_sink_stats(p_, index, &out));
  }
  status try_sink_name(size_t index, std::string &out) const noexcept {
    return entry::read_text(out, [&](uint8_t *buf, size_t len, size_t *n) {
      return logcap_pipeline_sink_name(p_, index, buf, len, n);
    });
  }
  /// Every counter in the Prometheus text format.
  status try_metrics(std::string &out) const noexcept {
    return entry::read_text(out, [&](uint8_t *buf, size_t len, size_t *n) {
      logcap_result rc = logcap_pipeline_metrics(p_, buf, len, n);
      if (rc == LOGCAP_RESULT_BUFFER_TOO_SMALL) *n += 4096;  // counters move: room to spare
      return rc;
    });
  }

#if LOGCAP_HPP_EXCEPTIONS
  static pipeline open(std::string_view config = {}) {
    pipeline p;
    detail::check(try_open(config, p), "logcap_pipeline_new");
    return p;
  }
  /// As try_log; std::bad_alloc when the record buffer cannot grow.
  template <typename... Args>
  void log(level lvl, std::string_view message, const Args &...args) const {
    if (log_in_lane(lvl, message, args...)) return;
    std::vector<uint8_t> &buf = record_buffer();
    const bool trusted = detail::encode_within_limits(buf, lvl, message, args...);
    detail::check(submit_encoded(buf, trusted), "logcap_pipeline_submit_record");
  }
  template <typename... Args>
  void trace(std::string_view message, const Args &...args) const { log(level::trace, message, args...); }
  template <typename... Args>
  void debug(std::string_view message, const Args &...args) const { log(level::debug, message, args...); }
  template <typename... Args>
  void info(std::string_view message, const Args &...args) const { log(level::info, message, args...); }
  template <typename... Args>
  void warn(std::string_view message, const Args &...args) const { log(level::warn, message, args...); }
  template <typename... Args>
  void error(std::string_view message, const Args &...args) const { log(level::error, message, args...); }
  template <typename... Args>
  void fatal(std::string_view message, const Args &...args) const { log(level::fatal, message, args...); }

  void submit_record(const uint8_t *record, size_t len) const {
    detail::check(try_submit_record(record, len), "logcap_pipeline_submit_record");
  }
  entry acquire() const {
    entry e;
    detail::check(try_acquire(e), "logcap_acquire");
    return e;
  }
  /// Submits `e` (see try_submit for when it is consumed).
  void submit(entry &e) const { detail::check(submit_rc(e), "logcap_submit"); }
  void submit(entry &&e) const { submit(e); }
  void flush(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    detail::check(try_flush(timeout), "logcap_pipeline_flush");
  }
  void close(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    detail::check(try_close(timeout), "logcap_pipeline_close");
  }
  void set_min_level(level l) const { detail::check(try_set_min_level(l), "logcap_pipeline_set_min_level"); }
  level min_level() const {
    level l = level::trace;
    detail::check(try_min_level(l), "logcap_pipeline_min_level");
    return l;
  }
  logcap_stats stats() const {
    logcap_stats st{};
    detail::check(try_stats(st), "logcap_pipeline_stats");
    return st;
  }
  logcap_sink_stats sink_stats(size_t index) const {
    logcap_sink_stats st{};
    detail::check(try_sink_stats(index, st), "logcap_pipeline_sink_stats");
    return st;
  }
  std::string sink_name(size_t index) const {
    std::string s;
    detail::check(try_sink_name(index, s), "logcap_pipeline_sink_name");
    return s;
  }
  std::string metrics() const {
    std::string s;
    detail::check(try_metrics(s), "logcap_pipeline_metrics");
    return s;
  }
#endif

 private:
  // log() in the plain case, with no call into the library: the record encoded straight into
  // the calling thread's lane (detail::lane_writer), or counted there when below the minimum
  // level. False when the library must take it: no lane (the shared queue), a full lane, a
  // record larger than the lane or over a limit, a closed pipeline.
  template <typename... Args>
  bool log_in_lane(level lvl, std::string_view message, const Args &...args) const noexcept {
#if LOGCAP_HPP_LANES
    detail::lane_writer *lane = detail::lane_writer::of(p_);
    if (lane == nullptr || !lane->enter()) return false;
    bool done = true;
    if (static_cast<uint32_t>(lvl) < lane->min_level()) {
      lane->count_below_level();
    } else {
      detail::record_meta meta;
      const size_t size = detail::measure(meta, message, args...);
      uint8_t *at = detail::within_limits(size, meta, message, args...) ? lane->reserve(size) : nullptr;
      if (at == nullptr) {
        done = false;
      } else {
        if (meta.timestamp_ns == 0) meta.timestamp_ns = detail::now_ns();
        detail::encode_at(at, size, lvl, meta, message, args...);
        lane->publish();
      }
    }
    lane->leave();
    return done;
#else
    (void)lvl;
    (void)message;
    ((void)args, ...);
    return false;
#endif
  }

  // A record log() encoded: within every limit, the library checks only its header here and
  // the rest where it decodes it (with lanes); otherwise in full, which gives a refusal its
  // code and counter.
  logcap_result submit_encoded(const std::vector<uint8_t> &buf, bool within_limits) const noexcept {
    return within_limits ? logcap_pipeline_submit_trusted_record(p_, buf.data(), buf.size())
                         : logcap_pipeline_submit_record(p_, buf.data(), buf.size());
  }

  // The calling thread's record buffer, reused by every log call on that thread.
  static std::vector<uint8_t> &record_buffer() noexcept {
    thread_local std::vector<uint8_t> buf;
    return buf;
  }

  logcap_pipeline *p_ = nullptr;
};

/// The loaded library's version, "MAJOR.MINOR.PATCH" (compare with LOGCAP_VERSION_STRING).
inline std::string_view version() noexcept { return logcap_version(); }

}  // namespace logcap

#endif  // LOGCAP_HPP
