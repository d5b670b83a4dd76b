// File: base/log.h
//
// Structured logging to stderr: JSON lines for the daemons (`{"ts":...,"level":"info",
// "msg":"signed","run":"ns/name"}`), or readable text for the CLI. Thread-safe.
//
//   log::Info("signed", {{"run", key}, {"images", absl::StrCat(n)}});
//
// WARNING: never pass a secret (password, private key, token) as a message or field; a test greps
// the logs of the end-to-end suite for them.
#ifndef HALLMARK_BASE_LOG_H_
#define HALLMARK_BASE_LOG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace hallmark::log {

enum class Format { kText, kJson };
enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using Fields = std::vector<std::pair<std::string, std::string>>;

// Init sets the format and minimum level of the process-wide logger (default: text, info).
void Init(Format format, Level min_level = Level::kInfo);

// ParseLevel: "debug", "info", "warn", "error"; false if unknown.
bool ParseLevel(absl::string_view name, Level* level);

void Write(Level level, absl::string_view msg, const Fields& fields = {});
inline void Debug(absl::string_view msg, const Fields& fields = {}) {
  Write(Level::kDebug, msg, fields);
}
inline void Info(absl::string_view msg, const Fields& fields = {}) {
  Write(Level::kInfo, msg, fields);
}
inline void Warn(absl::string_view msg, const Fields& fields = {}) {
  Write(Level::kWarn, msg, fields);
}
inline void Error(absl::string_view msg, const Fields& fields = {}) {
  Write(Level::kError, msg, fields);
}

// FormatLine renders one line (without the newline) as Write would; exposed for tests.
std::string FormatLine(Format format, Level level, absl::string_view msg, const Fields& fields);

}  // namespace hallmark::log

#endif  // HALLMARK_BASE_LOG_H_
