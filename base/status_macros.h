// File: base/status_macros.h
//
// Early-return helpers for absl::Status / absl::StatusOr<T>. Abseil 20220623 (Debian 12) has no
// status macros, so these are ours, with a project prefix as upstream's ABSL_ ones have.
//
//   absl::StatusOr<Key> Load(absl::string_view path) {
//     HM_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, kMaxKeyFile));
//     HM_RETURN_IF_ERROR(CheckPem(pem));
//     return ParseKey(pem);
//   }
#ifndef HALLMARK_BASE_STATUS_MACROS_H_
#define HALLMARK_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// HM_RETURN_IF_ERROR(expr): evaluates `expr` (an absl::Status) and returns it if not OK.
#define HM_RETURN_IF_ERROR(expr)                              \
  do {                                                        \
    ::absl::Status hm_status_ = (expr);                       \
    if (ABSL_PREDICT_FALSE(!hm_status_.ok())) return hm_status_; \
  } while (0)

#define HM_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define HM_STATUS_MACROS_CONCAT_(x, y) HM_STATUS_MACROS_CONCAT_INNER_(x, y)

// HM_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); on error returns its
// status, otherwise moves the value into `lhs` (which may be a declaration: `auto x`).
#define HM_ASSIGN_OR_RETURN(lhs, expr) \
  HM_ASSIGN_OR_RETURN_IMPL_(HM_STATUS_MACROS_CONCAT_(hm_statusor_, __LINE__), lhs, expr)

#define HM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)                 \
  auto statusor = (expr);                                              \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // HALLMARK_BASE_STATUS_MACROS_H_
