// File: kube/pager.h
//
// ListAll: a whole collection through paged LISTs (`limit` + `continue`, reference/kube-api.md
// §1), handing each item to the caller as its page arrives so only one page is in memory at a
// time. When the server says the continue token has expired (410), the listing starts over
// from the first page (client-go's pager falls back the same way), after telling the caller to
// forget what it has seen.
#ifndef HALLMARK_KUBE_PAGER_H_
#define HALLMARK_KUBE_PAGER_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kube/kube_client.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

struct PagerOptions {
  int64_t page_size = 500;  // client-go's default; 0: one unpaged LIST
  int max_restarts = 3;     // expired continue tokens tolerated before giving up
  int max_pages = 100000;   // a server that never stops sending continue tokens is an error
};

// ListAll lists `resource` in `ns` ("" = all) with `options` (its limit and continue are
// replaced). `on_restart` is called before starting over after an expired continue token;
// `on_item` gets every item (an error from it ends the listing with that error). Returns the
// list's resourceVersion. Errors: the client's; kOutOfRange when the continue token expired more
// than max_restarts times; kDataLoss when max_pages is exceeded.
absl::StatusOr<std::string> ListAll(KubeClient& client, const Resource& resource,
                                    absl::string_view ns, ListOptions options,
                                    const PagerOptions& pager, absl::FunctionRef<void()> on_restart,
                                    absl::FunctionRef<absl::Status(nlohmann::json&& item)> on_item);

// ListAllObjects: ListAll into one ObjectList (the continue token is empty).
absl::StatusOr<ObjectList> ListAllObjects(KubeClient& client, const Resource& resource,
                                          absl::string_view ns, const ListOptions& options = {},
                                          const PagerOptions& pager = {});

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_PAGER_H_
