// File: base/testing/fixtures.h
//
// Where tests find things: the shared fixtures (../shared/fixtures, passed in by scripts/test as
// HALLMARK_SHARED), files of this repository and built binaries (Bazel runfiles), and a private
// scratch folder.
#ifndef HALLMARK_BASE_TESTING_FIXTURES_H_
#define HALLMARK_BASE_TESTING_FIXTURES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::testing {

// SharedDir: absolute path of the `shared/` folder (DESIGN.md, fixtures, reference). Aborts the
// test with a clear message when HALLMARK_SHARED is not set (run through scripts/test, or
// `bazel test --test_env=HALLMARK_SHARED=$PWD/../shared`).
std::string SharedDir();

// FixturePath("cosign/keys/chains-p256.key") -> <shared>/fixtures/cosign/keys/chains-p256.key.
std::string FixturePath(absl::string_view relative);

// ReadFixture: the bytes of FixturePath(relative); aborts the test if unreadable.
std::string ReadFixture(absl::string_view relative);

// RunfilePath("cmd/hallmark") -> absolute path of a data dependency of this test, given by its
// path from the repository root.
std::string RunfilePath(absl::string_view repo_relative);

// TempDir: a fresh, empty folder under the test's TEST_TMPDIR (or /tmp), made on each call.
std::string TempDir();

// ReadFileOrDie / WriteFileOrDie: test-only file helpers that abort the test on failure.
std::string ReadFileOrDie(absl::string_view path);
void WriteFileOrDie(absl::string_view path, absl::string_view data);

}  // namespace hallmark::testing

#endif  // HALLMARK_BASE_TESTING_FIXTURES_H_
