// Fuzz target: a watch response body, as the server streams it, through WatchDecoder (in chunks
// whose sizes come from the input) and through HttpKubeClient::Watch over a FakeHttpClient (the
// ERROR-event Status mapping included). Checks that decoding never buffers more than the line
// limit, that every delivered event holds a JSON object, and that nothing crashes or throws.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "kube/http_kube_client.h"
#include "kube/watch_decoder.h"
#include "net/testing/fake_http_client.h"

namespace {

constexpr size_t kMaxLine = 4096;

void CheckEvent(const hallmark::kube::WatchEvent& event) {
  if (!event.object.is_object()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  size_t step = size > 0 ? 1 + data[0] % 64 : 1;

  hallmark::kube::WatchDecoder decoder(kMaxLine);
  auto on_event = [](hallmark::kube::WatchEvent&& e) {
    CheckEvent(e);
    return true;
  };
  for (size_t off = 0; off < input.size(); off += step) {
    if (!decoder.Feed(input.substr(off, step), on_event).ok()) break;
    if (decoder.buffered_bytes() > kMaxLine) std::abort();
  }
  (void)decoder.Finish(on_event);
  (void)hallmark::kube::ParseWatchEvent(input);

  hallmark::net::testing::FakeHttpClient http;
  http.set_stream_chunk_size(step);
  http.OnAny(hallmark::net::testing::FakeHttpClient::Reply(200, std::string(input)));
  hallmark::kube::Config config;
  config.server = "https://kube.test";
  hallmark::kube::ClientOptions options;
  options.max_watch_line_bytes = kMaxLine;
  auto client = hallmark::kube::HttpKubeClient::NewWithHttpClient(config, http, options);
  if (!client.ok()) std::abort();
  absl::Status s =
      (*client)->Watch(hallmark::kube::TaskRunsV1(), "ci", {}, [](hallmark::kube::WatchEvent&& e) {
        if (e.type == hallmark::kube::WatchEventType::kError) {
          std::abort();  // ERROR events end the watch instead
        }
        CheckEvent(e);
        return true;
      });
  (void)s;
  return 0;
}
