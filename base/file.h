// File: base/file.h
//
// Bounded file reads and atomic writes with an explicit mode.
#ifndef HALLMARK_BASE_FILE_H_
#define HALLMARK_BASE_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark {

// ReadFile returns the contents of `path`. kNotFound if it does not exist, kInvalidArgument if it
// is larger than `max_bytes` (checked while reading, so a huge or endless file costs at most
// `max_bytes`), kInternal for other I/O errors. Messages name the path, never the contents.
absl::StatusOr<std::string> ReadFile(absl::string_view path, size_t max_bytes);

// ReadFileOrStdin: as ReadFile, but "-" reads standard input.
absl::StatusOr<std::string> ReadFileOrStdin(absl::string_view path, size_t max_bytes);

// WriteFileAtomic writes `data` to a temporary file beside `path` created with `mode` (so the
// bytes are never readable with wider permissions), fsyncs it and renames it over `path`.
absl::Status WriteFileAtomic(absl::string_view path, absl::string_view data, mode_t mode);

// FileExists: true if `path` names an existing file or directory.
bool FileExists(absl::string_view path);

}  // namespace hallmark

#endif  // HALLMARK_BASE_FILE_H_
