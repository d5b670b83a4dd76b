#include "base/log.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace hallmark::log {
namespace {

std::atomic<Format> g_format{Format::kText};
std::atomic<Level> g_level{Level::kInfo};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

spdlog::logger& Logger() {
  // spdlog's stderr sink serialises whole lines across threads; the line is pre-rendered.
  static auto* logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto* l = new spdlog::logger("hallmark", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

}  // namespace

void Init(Format format, Level min_level) {
  g_format = format;
  g_level = min_level;
}

bool ParseLevel(absl::string_view name, Level* level) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

std::string FormatLine(Format format, Level level, absl::string_view msg, const Fields& fields) {
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  if (format == Format::kJson) {
    nlohmann::ordered_json line;
    line["ts"] = ts;
    line["level"] = LevelName(level);
    line["msg"] = std::string(msg);
    for (const auto& [k, v] : fields) line[k] = v;
    // Invalid UTF-8 (from a hostile input echoed in a field) is replaced, never thrown on.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = absl::StrCat(ts, " ", LevelName(level), " ", msg);
  for (const auto& [k, v] : fields) absl::StrAppend(&out, " ", k, "=", v);
  return out;
}

void Write(Level level, absl::string_view msg, const Fields& fields) {
  if (level < g_level.load()) return;
  Logger().info(FormatLine(g_format.load(), level, msg, fields));
}

}  // namespace hallmark::log
