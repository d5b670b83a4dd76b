// File: kube/watch_decoder.h
//
// WatchDecoder: turns the bytes of a watch response (reference/kube-api.md §1: one compact JSON
// event `{"type":...,"object":{...}}` per line, arriving in chunks that split lines anywhere) into
// WatchEvents. Lines longer than `max_line_bytes` are refused as soon as the limit is passed, so
// a server that never sends a newline costs at most that much memory. Blank lines and a trailing
// "\r" are tolerated.
//
//   WatchDecoder decoder;
//   ... for each chunk: HM_RETURN_IF_ERROR(decoder.Feed(chunk, on_event));
//   ... at a clean end of stream: HM_RETURN_IF_ERROR(decoder.Finish(on_event));
//
// After an error the decoder is poisoned: every later call returns the same error (the stream
// position is lost, so the caller must end the watch). Not thread-safe.
#ifndef HALLMARK_KUBE_WATCH_DECODER_H_
#define HALLMARK_KUBE_WATCH_DECODER_H_

#include <cstddef>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

// WatchEventTypeName: "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
absl::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object (for kError: the Status object). Always a JSON object.
  nlohmann::json object;
};

// ParseWatchEvent: one line (without the newline). kDataLoss for anything but an object with a
// known string `type` and an object `object` (the stream is not what a watch sends).
absl::StatusOr<WatchEvent> ParseWatchEvent(absl::string_view line);

inline constexpr size_t kDefaultMaxWatchLineBytes = 16 << 20;

class WatchDecoder {
 public:
  // Return false to stop decoding; Feed/Finish then return OK without looking further.
  using EventCallback = absl::FunctionRef<bool(WatchEvent&& event)>;

  explicit WatchDecoder(size_t max_line_bytes = kDefaultMaxWatchLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Feed decodes every complete line in `chunk` (plus what was buffered). Errors: kDataLoss for
  // a line that is not a watch event, kResourceExhausted for a line over the limit.
  absl::Status Feed(absl::string_view chunk, EventCallback on_event);
  // Finish: the stream ended. A last line without "\n" is decoded if it is a whole event;
  // kDataLoss if it is a truncated one.
  absl::Status Finish(EventCallback on_event);

  // stopped: a callback returned false.
  bool stopped() const { return stopped_; }
  size_t buffered_bytes() const { return buffer_.size(); }

 private:
  absl::Status Line(absl::string_view line, EventCallback on_event);

  const size_t max_line_bytes_;
  std::string buffer_;  // the start of an incomplete line
  absl::Status error_;
  bool stopped_ = false;
};

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_WATCH_DECODER_H_
