// File: tests/apiserver/table.h
//
// meta.k8s.io/v1 Table responses for custom resources, as apiextensions-apiserver's table
// convertor makes them from a CRD's additionalPrinterColumns: what `kubectl get` (without -o)
// asks for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`. Columns are Name
// plus the printer columns (or Name and Age when the CRD declares none); `date` cells are
// rendered as ages ("5m", "3h20m") with apimachinery's HumanDuration; rows embed the object as
// PartialObjectMetadata. Built-in kinds are served as plain lists (kubectl then prints NAME and
// AGE).
#ifndef HALLMARK_TESTS_APISERVER_TABLE_H_
#define HALLMARK_TESTS_APISERVER_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/registry.h"

namespace hallmark::tests::apiserver {

// WantsTable: true if `accept` asks for a meta.k8s.io v1 or v1beta1 Table.
bool WantsTable(absl::string_view accept);

// HumanDuration: apimachinery's duration.HumanDuration ("45s", "2m5s", "3h", "4d2h", "2y10d").
std::string HumanDuration(absl::Duration d);

// JsonPathValue: the first value a CRD printer-column path selects in `object`, or null. The
// subset CRDs use: `.a.b`, `[N]`, `[*]`, and filters `[?(@.k=="v")]` (either quote).
const nlohmann::json* JsonPathValue(const nlohmann::json& object, absl::string_view path);

class TableConverter {
 public:
  // TableConverter: the columns of `info` (custom resources only: Supported() is false for
  // built-in kinds and the caller answers with a plain list).
  explicit TableConverter(const ResourceInfo& info);
  bool Supported() const { return supported_; }

  // Headers: the columnDefinitions array.
  nlohmann::json Headers() const;
  // Row: one rows[] entry for `object` at time `now`.
  nlohmann::json Row(const nlohmann::json& object, absl::Time now) const;
  // FromList: a Table for a parsed list response (keeps resourceVersion and continue).
  nlohmann::json FromList(const nlohmann::json& list, absl::Time now) const;
  // FromObject: a one-row Table (a watch event's object); `headers` false leaves
  // columnDefinitions null, as kube-apiserver does after the first watch event.
  nlohmann::json FromObject(const nlohmann::json& object, absl::Time now, bool headers) const;

 private:
  struct Column {
    std::string name;
    std::string type;
    std::string format;
    std::string description;
    int priority = 0;
    std::string path;
  };
  bool supported_ = false;
  std::vector<Column> columns_;
};

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_TABLE_H_
