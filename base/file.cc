#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace hallmark {
namespace {

absl::Status ErrnoError(absl::string_view what, absl::string_view path, int err) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

absl::StatusOr<std::string> ReadFd(int fd, absl::string_view name, size_t max_bytes) {
  std::string out;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", name, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " is larger than the limit of ", max_bytes, " bytes"));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(absl::string_view path, size_t max_bytes) {
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening", path, errno);
  auto result = ReadFd(fd, path, max_bytes);
  ::close(fd);
  return result;
}

absl::StatusOr<std::string> ReadFileOrStdin(absl::string_view path, size_t max_bytes) {
  if (path == "-") return ReadFd(STDIN_FILENO, "standard input", max_bytes);
  return ReadFile(path, max_bytes);
}

absl::Status WriteFileAtomic(absl::string_view path, absl::string_view data, mode_t mode) {
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("creating", tmp, errno);
  // open() applies the umask; set the mode exactly as asked.
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoError("chmod", tmp, err);
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError("writing", tmp, err);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("flushing", tmp, err);
  }
  std::string dst(path);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("renaming to", path, err);
  }
  return absl::OkStatus();
}

bool FileExists(absl::string_view path) {
  struct stat st;
  return ::stat(std::string(path).c_str(), &st) == 0;
}

}  // namespace hallmark
