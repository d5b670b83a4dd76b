#include "base/testing/fixtures.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace hallmark::testing {
namespace {

[[noreturn]] void Die(absl::string_view msg) {
  std::fprintf(stderr, "test setup failed: %.*s\n", static_cast<int>(msg.size()), msg.data());
  std::abort();
}

}  // namespace

std::string SharedDir() {
  const char* dir = std::getenv("HALLMARK_SHARED");
  if (dir == nullptr || *dir == '\0') {
    Die("HALLMARK_SHARED is not set: run scripts/test, or pass "
        "--test_env=HALLMARK_SHARED=<absolute path of ../shared> to bazel test");
  }
  return dir;
}

std::string FixturePath(absl::string_view relative) {
  return absl::StrCat(SharedDir(), "/fixtures/", relative);
}

std::string ReadFixture(absl::string_view relative) {
  return ReadFileOrDie(FixturePath(relative));
}

std::string RunfilePath(absl::string_view repo_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) Die("TEST_SRCDIR is not set: run the test with bazel test");
  return absl::StrCat(srcdir, "/", workspace != nullptr ? workspace : "hallmark", "/",
                      repo_relative);
}

std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/hm-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) Die(absl::StrCat("mkdtemp ", templ));
  return templ;
}

std::string ReadFileOrDie(absl::string_view path) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) Die(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileOrDie(absl::string_view path, absl::string_view data) {
  std::ofstream out{std::string(path), std::ios::binary | std::ios::trunc};
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) Die(absl::StrCat("cannot write ", path));
}

}  // namespace hallmark::testing
