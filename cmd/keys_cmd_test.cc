// Runs the built `hallmark` binary through the key verbs, with the real openssl CLI and the
// shared fixtures as independent checks.
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::cmd {
namespace {

using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::FixturePath;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class KeysCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir(); }

  // Runs `hallmark args...` in dir_. COSIGN_PASSWORD is set to `*password` or, when null,
  // unset; `stdin_data` is piped in.
  CommandResult Run(std::vector<std::string> args, const char* password,
                    const std::string& stdin_data = "") {
    args.insert(args.begin(), testing::RunfilePath("cmd/hallmark"));
    CommandOptions options;
    options.cwd = dir_;
    options.stdin_data = stdin_data;
    if (password != nullptr) {
      options.env["COSIGN_PASSWORD"] = password;
    } else {
      options.unset_env.push_back("COSIGN_PASSWORD");
    }
    absl::StatusOr<CommandResult> r = testing::RunCommand(args, options);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  std::string Path(absl::string_view name) const { return absl::StrCat(dir_, "/", name); }

  int Mode(absl::string_view name) const {
    struct stat st {};
    EXPECT_EQ(::stat(Path(name).c_str(), &st), 0) << name;
    return st.st_mode & 0777;
  }

  // The openssl CLI's verdict on a base64 signature over `data_file` with `pub_file`.
  int OpensslVerify(absl::string_view pub_file, absl::string_view b64_sig,
                    absl::string_view data_file) {
    absl::StatusOr<std::string> der = Base64Decode(absl::StripAsciiWhitespace(b64_sig));
    EXPECT_TRUE(der.ok()) << b64_sig;
    WriteFileOrDie(Path("openssl.sig"), der.ok() ? *der : "");
    absl::StatusOr<CommandResult> r =
        testing::RunCommand({"openssl", "dgst", "-sha256", "-verify", Path(pub_file), "-signature",
                             Path("openssl.sig"), Path(data_file)});
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->exit_code : -1;
  }

  std::string dir_;
};

TEST_F(KeysCliTest, GenerateSignVerifyRoundTrip) {
  CommandResult gen = Run({"generate-key-pair"}, "pw");
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  EXPECT_EQ(gen.err, "Private key written to cosign.key\nPublic key written to cosign.pub\n");
  EXPECT_EQ(Mode("cosign.key"), 0600);
  EXPECT_EQ(Mode("cosign.pub"), 0644);
  EXPECT_THAT(ReadFileOrDie(Path("cosign.key")),
              StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));

  WriteFileOrDie(Path("blob.txt"), "release artifact\n");
  CommandResult sign = Run({"sign-blob", "--key", "cosign.key", "blob.txt"}, "pw");
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  ASSERT_TRUE(absl::EndsWith(sign.out, "\n"));
  // The openssl CLI accepts the signature.
  EXPECT_EQ(OpensslVerify("cosign.pub", sign.out, "blob.txt"), 0);

  // verify-blob takes the base64 text, a file with it, or a file with the raw DER.
  const std::string b64(absl::StripTrailingAsciiWhitespace(sign.out));
  WriteFileOrDie(Path("sig.b64"), sign.out);
  WriteFileOrDie(Path("sig.der"), *Base64Decode(b64));
  for (const std::string& sig : {b64, std::string("sig.b64"), std::string("sig.der")}) {
    CommandResult ok =
        Run({"verify-blob", "--key", "cosign.pub", "--signature", sig, "blob.txt"}, nullptr);
    EXPECT_EQ(ok.exit_code, 0) << sig << ": " << ok.err;
    EXPECT_EQ(ok.err, "Verified OK\n");
  }

  // A tampered file fails with exit 1 and a one-line reason.
  WriteFileOrDie(Path("blob.txt"), "release artifact!\n");
  CommandResult bad =
      Run({"verify-blob", "--key", "cosign.pub", "--signature", "sig.b64", "blob.txt"}, nullptr);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "Error: invalid signature when validating ASN.1 encoded signature\n");
  EXPECT_NE(OpensslVerify("cosign.pub", sign.out, "blob.txt"), 0);
}

TEST_F(KeysCliTest, OutputSignatureAndStdinBlob) {
  ASSERT_EQ(Run({"generate-key-pair", "-o", "k"}, "pw").exit_code, 0);
  CommandResult sign =
      Run({"sign-blob", "--key", "k.key", "--output-signature", "out.sig", "-"}, "pw", "streamed");
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_EQ(sign.out, "Signature wrote in the file out.sig\n");  // cosign's words, on stdout
  EXPECT_EQ(Mode("out.sig"), 0600);
  WriteFileOrDie(Path("data"), "streamed");
  EXPECT_EQ(OpensslVerify("k.pub", ReadFileOrDie(Path("out.sig")), "data"), 0);
  CommandResult ok =
      Run({"verify-blob", "--key", "k.pub", "--signature", "out.sig", "-"}, nullptr, "streamed");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  // The password and the blob cannot both come from a pipe.
  CommandResult both = Run({"sign-blob", "--key", "k.key", "-"}, nullptr, "pw");
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr("cannot read both the password and the blob"));
}

TEST_F(KeysCliTest, WrongPasswordFailsClearly) {
  ASSERT_EQ(Run({"generate-key-pair"}, "right-password").exit_code, 0);
  WriteFileOrDie(Path("f"), "x");
  CommandResult r = Run({"sign-blob", "--key", "cosign.key", "f"}, "wrong-password");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: decrypt: encrypted: decryption failed\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(absl::StrContains(r.err, "password"));
}

TEST_F(KeysCliTest, EmptyPasswordVersusUnsetReadsStdin) {
  // COSIGN_PASSWORD="" is a real (empty) password; stdin is not read.
  ASSERT_EQ(Run({"generate-key-pair", "-o", "empty"}, "", "ignored").exit_code, 0);
  EXPECT_EQ(Run({"public-key", "--key", "empty.key"}, "").exit_code, 0);
  EXPECT_EQ(Run({"public-key", "--key", "empty.key"}, nullptr, "ignored").exit_code, 1);
  // Unset: all of stdin, verbatim (the newline is part of the password).
  ASSERT_EQ(Run({"generate-key-pair", "-o", "piped"}, nullptr, "pw\n").exit_code, 0);
  CommandResult with_newline = Run({"public-key", "--key", "piped.key"}, "pw\n");
  EXPECT_EQ(with_newline.exit_code, 0) << with_newline.err;
  EXPECT_EQ(with_newline.out, ReadFileOrDie(Path("piped.pub")));
  EXPECT_EQ(Run({"public-key", "--key", "piped.key"}, "pw").exit_code, 1);
  EXPECT_EQ(Run({"public-key", "--key", "piped.key"}, nullptr, "pw\n").exit_code, 0);
}

TEST_F(KeysCliTest, LegacyFormatAndOtherKeyTypes) {
  CommandResult gen = Run({"generate-key-pair", "--legacy-key-format", "-o", "old"}, "pw");
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  std::string pem = ReadFileOrDie(Path("old.key"));
  ASSERT_THAT(pem, StartsWith("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n"));
  // N=32768 in the JSON.
  std::string body;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (!line.empty() && !absl::StartsWith(line, "-----")) absl::StrAppend(&body, line);
  }
  EXPECT_THAT(*Base64Decode(body), HasSubstr(R"("params":{"N":32768,"r":8,"p":1})"));

  ASSERT_EQ(Run({"generate-key-pair", "--key-type", "rsa-3072", "-o", "rsa"}, "pw").exit_code, 0);
  WriteFileOrDie(Path("f"), "data");
  CommandResult sign = Run({"sign-blob", "--key", "rsa.key", "f"}, "pw");
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_EQ(OpensslVerify("rsa.pub", sign.out, "f"), 0);

  CommandResult bad_type = Run({"generate-key-pair", "--key-type", "dsa"}, "pw");
  EXPECT_EQ(bad_type.exit_code, 1);
  EXPECT_THAT(bad_type.err, StartsWith("Error: unknown key type \"dsa\""));
}

TEST_F(KeysCliTest, RefusesToOverwriteWithoutYes) {
  ASSERT_EQ(Run({"generate-key-pair"}, "pw").exit_code, 0);
  const std::string before = ReadFileOrDie(Path("cosign.key"));
  CommandResult again = Run({"generate-key-pair"}, "pw");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("cosign.key already exists"));
  EXPECT_EQ(ReadFileOrDie(Path("cosign.key")), before);
  EXPECT_EQ(Run({"generate-key-pair", "--yes"}, "pw").exit_code, 0);
  EXPECT_NE(ReadFileOrDie(Path("cosign.key")), before);
}

TEST_F(KeysCliTest, ImportKeyPair) {
  ASSERT_OK_AND_ASSIGN(CommandResult gen, testing::RunCommand({"openssl", "genrsa", "-traditional",
                                                               "-out", Path("rsa.pem"), "2048"}));
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  CommandResult imp = Run({"import-key-pair", "--key", "rsa.pem"}, "pw");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_EQ(imp.err,
            "Private key written to import-cosign.key\nPublic key written to import-cosign.pub\n");
  ASSERT_OK_AND_ASSIGN(CommandResult pub,
                       testing::RunCommand({"openssl", "pkey", "-in", Path("rsa.pem"), "-pubout"}));
  EXPECT_EQ(ReadFileOrDie(Path("import-cosign.pub")), pub.out);
  // The imported key signs; openssl checks with the original key's public half.
  WriteFileOrDie(Path("pub.pem"), pub.out);
  WriteFileOrDie(Path("f"), "data");
  CommandResult sign = Run({"sign-blob", "--key", "import-cosign.key", "f"}, "pw");
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_EQ(OpensslVerify("pub.pem", sign.out, "f"), 0);

  // cosign's refusals.
  CommandResult encrypted = Run({"import-key-pair", "--key", "import-cosign.key", "-o", "x"}, "pw");
  EXPECT_EQ(encrypted.exit_code, 1);
  EXPECT_EQ(encrypted.err, "Error: unsupported private key\n");
  ASSERT_OK_AND_ASSIGN(gen, testing::RunCommand({"openssl", "genrsa", "-traditional", "-out",
                                                 Path("small.pem"), "1024"}));
  CommandResult small = Run({"import-key-pair", "--key", "small.pem", "-o", "y"}, "pw");
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_THAT(small.err,
              StartsWith("Error: error validating rsa key: unsupported rsa key size 1024"));
}

TEST_F(KeysCliTest, FixtureKeysAndSignatures) {
  // public-key of the Chains test key prints the fixture public key.
  CommandResult pub = Run({"public-key", "--key", FixturePath("chains/keys/cosign.key")},
                          ReadFixture("chains/keys/cosign.password").c_str());
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_EQ(pub.out, ReadFixture("chains/keys/cosign.pub"));
  // Unencrypted PKCS#8 (Chains' x509.pem): no password needed.
  CommandResult x509 = Run({"public-key", "--key", FixturePath("chains/keys/x509.pem")}, nullptr);
  EXPECT_EQ(x509.exit_code, 0) << x509.err;
  EXPECT_THAT(x509.out, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  // A signature made by cosign verifies.
  CommandResult ok = Run({"verify-blob", "--key", FixturePath("cosign/simplesigning/cosign.pub"),
                          "--signature", FixturePath("cosign/simplesigning/valid/signature.b64"),
                          FixturePath("cosign/simplesigning/valid/payload.json")},
                         nullptr);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  // The wrong key does not.
  CommandResult wrong =
      Run({"verify-blob", "--key", FixturePath("cosign/simplesigning/cosign2.pub"), "--signature",
           FixturePath("cosign/simplesigning/valid/signature.b64"),
           FixturePath("cosign/simplesigning/valid/payload.json")},
          nullptr);
  EXPECT_EQ(wrong.exit_code, 1);
  // A bad key file says so.
  CommandResult not_pub = Run(
      {"verify-blob", "--key", FixturePath("chains/keys/x509.pem"), "--signature", "MEUCIQ==", "-"},
      nullptr, "");
  EXPECT_EQ(not_pub.exit_code, 1);
  EXPECT_THAT(not_pub.err, HasSubstr("unknown Public key PEM file type: PRIVATE KEY"));
  CommandResult bad_sig =
      Run({"verify-blob", "--key", FixturePath("cosign/simplesigning/cosign.pub"), "--signature",
           "not base64!", "-"},
          nullptr, "");
  EXPECT_EQ(bad_sig.exit_code, 1);
  EXPECT_THAT(bad_sig.err, HasSubstr("neither an existing file nor base64"));
}

// On a terminal the password is prompted for (twice when creating a key). Runs the binary on
// a pseudo-terminal and answers the prompts.
class PtySession {
 public:
  explicit PtySession(const std::vector<std::string>& argv, const std::string& cwd) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::unsetenv("COSIGN_PASSWORD");
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  bool started() const { return pid_ > 0; }

  // Reads until `needle` has appeared in the output (true) or 10 s / EOF pass (false).
  bool WaitFor(absl::string_view needle) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!absl::StrContains(output_, needle)) {
      if (!ReadSome(deadline)) return false;
    }
    return true;
  }

  void Type(absl::string_view text) {
    ssize_t n = ::write(master_, text.data(), text.size());
    EXPECT_EQ(n, static_cast<ssize_t>(text.size()));
  }

  // Reads to EOF and returns the exit code.
  int Finish() {
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (ReadSome(deadline)) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& output() const { return output_; }

 private:
  bool ReadSome(absl::Time deadline) {
    int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (ms <= 0) return false;
    struct pollfd p = {master_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char buf[512];
    ssize_t n = ::read(master_, buf, sizeof(buf));
    if (n <= 0) return false;  // EIO once the child has gone
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int master_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string output_;
};

TEST_F(KeysCliTest, TerminalPromptsTwiceWhenCreating) {
  PtySession s({testing::RunfilePath("cmd/hallmark"), "generate-key-pair"}, dir_);
  ASSERT_TRUE(s.started());
  ASSERT_TRUE(s.WaitFor("Enter password for private key: ")) << s.output();
  s.Type("tty-pass\n");
  ASSERT_TRUE(s.WaitFor("Enter password for private key again: ")) << s.output();
  s.Type("tty-pass\n");
  EXPECT_EQ(s.Finish(), 0) << s.output();
  EXPECT_THAT(s.output(), HasSubstr("Private key written to cosign.key"));
  EXPECT_FALSE(absl::StrContains(s.output(), "tty-pass")) << "password echoed: " << s.output();
  // The line's newline is not part of a typed password.
  EXPECT_EQ(Run({"public-key", "--key", "cosign.key"}, "tty-pass").exit_code, 0);

  // One prompt when using the key.
  PtySession use({testing::RunfilePath("cmd/hallmark"), "public-key", "--key", "cosign.key"}, dir_);
  ASSERT_TRUE(use.WaitFor("Enter password for private key: ")) << use.output();
  use.Type("tty-pass\r\n");
  EXPECT_EQ(use.Finish(), 0) << use.output();
  EXPECT_THAT(use.output(), HasSubstr("-----BEGIN PUBLIC KEY-----"));
  EXPECT_FALSE(absl::StrContains(use.output(), "again"));
}

TEST_F(KeysCliTest, TerminalPasswordMismatch) {
  PtySession s({testing::RunfilePath("cmd/hallmark"), "generate-key-pair"}, dir_);
  ASSERT_TRUE(s.WaitFor("Enter password for private key: ")) << s.output();
  s.Type("one\n");
  ASSERT_TRUE(s.WaitFor("again: ")) << s.output();
  s.Type("two\n");
  EXPECT_EQ(s.Finish(), 1);
  EXPECT_THAT(s.output(), HasSubstr("Error: passwords do not match"));
  struct stat st {};
  EXPECT_NE(::stat(Path("cosign.key").c_str(), &st), 0);  // nothing written
}

}  // namespace
}  // namespace hallmark::cmd
