#include "kube/watch_decoder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace hallmark::kube {
namespace {

absl::Status BadLine(absl::string_view why, absl::string_view line) {
  return absl::DataLossError(absl::StrCat("watch stream: ", why, ": \"",
                                          absl::CHexEscape(line.substr(0, 80)),
                                          line.size() > 80 ? "...\"" : "\""));
}

}  // namespace

absl::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

absl::StatusOr<WatchEvent> ParseWatchEvent(absl::string_view line) {
  nlohmann::json doc = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) return BadLine("not JSON", line);
  if (!doc.is_object()) return BadLine("not a JSON object", line);
  auto type = doc.find("type");
  auto object = doc.find("object");
  if (type == doc.end() || !type->is_string()) return BadLine("no string \"type\"", line);
  if (object == doc.end() || !object->is_object()) return BadLine("no object \"object\"", line);
  WatchEvent event;
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "ADDED") {
    event.type = WatchEventType::kAdded;
  } else if (t == "MODIFIED") {
    event.type = WatchEventType::kModified;
  } else if (t == "DELETED") {
    event.type = WatchEventType::kDeleted;
  } else if (t == "BOOKMARK") {
    event.type = WatchEventType::kBookmark;
  } else if (t == "ERROR") {
    event.type = WatchEventType::kError;
  } else {
    return BadLine("unknown event type", line);
  }
  event.object = std::move(*object);
  return event;
}

absl::Status WatchDecoder::Line(absl::string_view line, EventCallback on_event) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (absl::StripAsciiWhitespace(line).empty()) return absl::OkStatus();
  absl::StatusOr<WatchEvent> event = ParseWatchEvent(line);
  if (!event.ok()) return event.status();
  if (!on_event(*std::move(event))) stopped_ = true;
  return absl::OkStatus();
}

absl::Status WatchDecoder::Feed(absl::string_view chunk, EventCallback on_event) {
  if (!error_.ok()) return error_;
  if (stopped_) return absl::OkStatus();
  while (!chunk.empty() && !stopped_) {
    size_t nl = chunk.find('\n');
    absl::string_view piece = chunk.substr(0, nl);  // all of it when there is no newline
    if (buffer_.size() + piece.size() > max_line_bytes_) {
      buffer_.clear();
      buffer_.shrink_to_fit();
      error_ = absl::ResourceExhaustedError(
          absl::StrCat("watch stream: event line longer than ", max_line_bytes_, " bytes"));
      return error_;
    }
    if (nl == absl::string_view::npos) {
      buffer_.append(piece.data(), piece.size());
      return absl::OkStatus();
    }
    absl::Status status;
    if (buffer_.empty()) {
      status = Line(piece, on_event);  // the common case: no copy
    } else {
      buffer_.append(piece.data(), piece.size());
      std::string line = std::move(buffer_);
      buffer_.clear();
      status = Line(line, on_event);
    }
    if (!status.ok()) {
      error_ = status;
      return error_;
    }
    chunk.remove_prefix(nl + 1);
  }
  return absl::OkStatus();
}

absl::Status WatchDecoder::Finish(EventCallback on_event) {
  if (!error_.ok()) return error_;
  if (stopped_ || buffer_.empty()) return absl::OkStatus();
  std::string line = std::move(buffer_);
  buffer_.clear();
  if (absl::StripAsciiWhitespace(line).empty()) return absl::OkStatus();
  absl::StatusOr<WatchEvent> event = ParseWatchEvent(line);
  if (!event.ok()) {
    error_ = absl::DataLossError(
        absl::StrCat("watch stream ended inside an event (", line.size(), " bytes without \\n)"));
    return error_;
  }
  if (!on_event(*std::move(event))) stopped_ = true;
  return absl::OkStatus();
}

}  // namespace hallmark::kube
