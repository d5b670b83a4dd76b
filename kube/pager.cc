#include "kube/pager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "kube/api_status.h"

namespace hallmark::kube {

absl::StatusOr<std::string> ListAll(
    KubeClient& client, const Resource& resource, absl::string_view ns, ListOptions options,
    const PagerOptions& pager, absl::FunctionRef<void()> on_restart,
    absl::FunctionRef<absl::Status(nlohmann::json&& item)> on_item) {
  if (pager.page_size < 0 || pager.max_restarts < 0 || pager.max_pages < 1) {
    return absl::InvalidArgumentError("pager: bad options");
  }
  options.limit = pager.page_size;
  int restarts = 0;
  for (;;) {
    options.continue_token.clear();
    std::string list_rv;
    bool expired = false;
    for (int page = 0;; ++page) {
      if (page >= pager.max_pages) {
        return absl::DataLossError(absl::StrCat("listing ", resource.GroupResource(),
                                                ": more than ", pager.max_pages, " pages"));
      }
      absl::StatusOr<ObjectList> list = client.List(resource, ns, options);
      if (!list.ok()) {
        if (IsResourceExpired(list.status()) && !options.continue_token.empty()) {
          expired = true;
          break;
        }
        return list.status();
      }
      if (page == 0) list_rv = list->resource_version;
      for (nlohmann::json& item : list->items) HM_RETURN_IF_ERROR(on_item(std::move(item)));
      if (list->continue_token.empty()) return list_rv;
      if (list->continue_token == options.continue_token) {
        return absl::DataLossError(absl::StrCat("listing ", resource.GroupResource(),
                                                ": the server repeated a continue token"));
      }
      options.continue_token = std::move(list->continue_token);
    }
    if (expired) {
      if (++restarts > pager.max_restarts) {
        return absl::OutOfRangeError(absl::StrCat("listing ", resource.GroupResource(),
                                                  ": the continue token expired ", restarts,
                                                  " times; giving up"));
      }
      on_restart();
    }
  }
}

absl::StatusOr<ObjectList> ListAllObjects(KubeClient& client, const Resource& resource,
                                          absl::string_view ns, const ListOptions& options,
                                          const PagerOptions& pager) {
  ObjectList out;
  HM_ASSIGN_OR_RETURN(out.resource_version,
                      ListAll(
                          client, resource, ns, options, pager, [&] { out.items.clear(); },
                          [&](nlohmann::json&& item) {
                            out.items.push_back(std::move(item));
                            return absl::OkStatus();
                          }));
  return out;
}

}  // namespace hallmark::kube
