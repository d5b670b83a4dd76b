#include "chains/reconciler/reconciler.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "chains/config/config.h"
#include "chains/metrics/agent_metrics.h"
#include "crypto/dsse.h"
#include "crypto/private_key.h"
#include "crypto/simple_signing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/event_recorder.h"
#include "kube/testing/fake_kube_client.h"
#include "nlohmann/json.hpp"
#include "signer/key_signer.h"
#include "storage/backend.h"
#include "storage/tekton_backend.h"

namespace hallmark::chains::reconciler {
namespace {

using controller::Result;
// gtest fixtures have a member named Setup: name ours differently.
using RunSetup = ::hallmark::chains::reconciler::Setup;
using kube::testing::FakeKubeClient;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kDigestA[] =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kDigestB[] =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

// FakeBackend: an in-memory `oci` backend that can be told to fail, and whose registry holds
// every image except the ones it is told are missing.
class FakeBackend : public storage::Backend {
 public:
  absl::string_view Name() const override { return "oci"; }
  absl::Status CheckImage(const oci::Reference& image) override {
    absl::MutexLock lock(&mu_);
    journal_.push_back("check " + image.String());
    if (!check_fail_.ok()) return check_fail_;
    if (missing_.count(image.String()) > 0) {
      return absl::NotFoundError(absl::StrCat("image ", image.String(),
                                              " : digest not found in the registry; not signing"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<storage::StoreResult> Store(const storage::SignedArtifact& a) override {
    absl::MutexLock lock(&mu_);
    journal_.push_back("store " + (a.image.has_value() ? a.image->String() : std::string()));
    attempted_.push_back(a.payload);
    if (!fail_.ok() && fail_count_ != 0) {
      if (fail_count_ > 0) --fail_count_;
      return fail_;
    }
    stored_.push_back(a);
    return storage::StoreResult{};
  }
  void FailWith(absl::Status s, int count = -1) {
    absl::MutexLock lock(&mu_);
    fail_ = std::move(s);
    fail_count_ = count;
  }
  std::vector<storage::SignedArtifact> stored() {
    absl::MutexLock lock(&mu_);
    return stored_;
  }
  // Every payload Store was called with, failed attempts included.
  std::vector<std::string> attempted() {
    absl::MutexLock lock(&mu_);
    return attempted_;
  }
  // The registry does not have `image` ("<repo>@sha256:...") until Pushed(image).
  void Missing(const std::string& image) {
    absl::MutexLock lock(&mu_);
    missing_.insert(image);
  }
  void Pushed(const std::string& image) {
    absl::MutexLock lock(&mu_);
    missing_.erase(image);
  }
  void FailChecksWith(absl::Status s) {
    absl::MutexLock lock(&mu_);
    check_fail_ = std::move(s);
  }
  // "check <image>" and "store <image>" in call order.
  std::vector<std::string> journal() {
    absl::MutexLock lock(&mu_);
    return journal_;
  }
  void ClearJournal() {
    absl::MutexLock lock(&mu_);
    journal_.clear();
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> missing_;
  absl::Status check_fail_;
  std::vector<std::string> journal_;
  absl::Status fail_;
  int fail_count_ = 0;
  std::vector<storage::SignedArtifact> stored_;
  std::vector<std::string> attempted_;
};

json TaskRun(const std::string& name, const std::string& succeeded, json results) {
  return json{{"apiVersion", "tekton.dev/v1"},
              {"kind", "TaskRun"},
              {"metadata", {{"name", name}, {"namespace", "ci"}}},
              {"spec", {{"taskRef", {{"name", "build"}}}}},
              {"status",
               {{"conditions", {{{"type", "Succeeded"}, {"status", succeeded}}}},
                {"startTime", "2026-01-01T00:00:00Z"},
                {"completionTime", "2026-01-01T00:01:00Z"},
                {"results", results}}}};
}

json ImageResults(const std::string& url, const std::string& digest) {
  return json::array(
      {{{"name", "IMAGE_URL"}, {"value", url}}, {{"name", "IMAGE_DIGEST"}, {"value", digest}}});
}

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::ParsePem(
                                                     testing::ReadFixture("chains/keys/x509.pem")));
    ASSERT_OK_AND_ASSIGN(auto signer, signer::KeySigner::New(key, "x509.pem"));
    signer_ = std::shared_ptr<const signer::Signer>(std::move(signer));
    ASSERT_OK_AND_ASSIGN(metrics_, metrics::AgentMetrics::New());
    ASSERT_OK_AND_ASSIGN(events_, kube::EventRecorder::New(kube_, "hallmark-agent"));
    SetConfig({{"artifacts.taskrun.storage", "tekton,oci"},
               {"artifacts.pipelinerun.storage", "tekton,oci"}});
  }

  void SetConfig(std::map<std::string, std::string> data) {
    absl::StatusOr<config::Config> c = config::Config::Parse(data);
    ASSERT_OK(c.status());
    auto setup = std::make_shared<RunSetup>();
    setup->config = *c;
    setup->signer = signer_;
    setup->oci = oci_;
    absl::StatusOr<std::unique_ptr<storage::TektonBackend>> tekton = storage::TektonBackend::New();
    ASSERT_OK(tekton.status());
    setup->tekton = std::shared_ptr<storage::Backend>(*std::move(tekton));
    absl::MutexLock lock(&mu_);
    setup_ = setup;
  }
  void SetSetup(absl::StatusOr<std::shared_ptr<const RunSetup>> s) {
    absl::MutexLock lock(&mu_);
    setup_ = std::move(s);
  }
  void DropKey(absl::Status why) {
    absl::MutexLock lock(&mu_);
    auto copy = std::make_shared<RunSetup>(**setup_);
    copy->signer = why;
    setup_ = copy;
  }

  std::unique_ptr<RunReconciler> MakeReconciler(ReconcilerOptions options = {}) {
    RunReconciler::Dependencies deps;
    deps.kube = &kube_;
    deps.setup = [this]() {
      absl::MutexLock lock(&mu_);
      return setup_;
    };
    deps.events = events_.get();
    deps.metrics = metrics_.get();
    deps.on_finished = [this](const std::string& key) {
      absl::MutexLock lock(&mu_);
      finished_.push_back(key);
    };
    absl::StatusOr<std::unique_ptr<RunReconciler>> r = RunReconciler::New(std::move(deps), options);
    EXPECT_OK(r.status());
    return *std::move(r);
  }

  json Live(const kube::Resource& resource, const std::string& name) {
    absl::StatusOr<json> o = kube_.Get(resource, "ci", name);
    EXPECT_OK(o.status());
    return o.ok() ? *o : json();
  }
  std::string Ann(const json& o, absl::string_view key) { return Annotation(o, key); }
  int Count(const std::string& verb) {
    int n = 0;
    for (const auto& c : kube_.calls()) n += c.verb == verb;
    return n;
  }
  std::vector<json> Events() {
    absl::StatusOr<kube::ObjectList> list = kube_.List(kube::CoreEvents(), "ci", {});
    EXPECT_OK(list.status());
    return list.ok() ? list->items : std::vector<json>{};
  }

  FakeKubeClient kube_;
  std::shared_ptr<FakeBackend> oci_ = std::make_shared<FakeBackend>();
  std::shared_ptr<const signer::Signer> signer_;
  std::unique_ptr<metrics::AgentMetrics> metrics_;
  std::unique_ptr<kube::EventRecorder> events_;
  absl::Mutex mu_;
  absl::StatusOr<std::shared_ptr<const RunSetup>> setup_;
  std::vector<std::string> finished_;
};

TEST_F(ReconcilerTest, SignsATaskRunImageAndProvenanceWithOnePatch) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app:v1", kDigestA)))
                .status());
  auto r = MakeReconciler();
  kube_.ClearCalls();
  Result result = r->Reconcile("TaskRun/ci/build");
  EXPECT_EQ(result.action, Result::Action::kDone);

  json live = Live(kube::TaskRunsV1(), "build");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "true");
  std::string uid = kube::MetaUid(live);
  EXPECT_FALSE(Ann(live, "chains.tekton.dev/payload-taskrun-" + uid).empty());
  EXPECT_FALSE(Ann(live, "chains.tekton.dev/signature-taskrun-" + uid).empty());
  // One GET and one PATCH: the whole API cost of a run (the Get above is the test's).
  EXPECT_EQ(Count("get"), 2);
  EXPECT_EQ(Count("patch"), 1);

  std::vector<storage::SignedArtifact> stored = oci_->stored();
  ASSERT_EQ(stored.size(), 2u);
  // The .sig and .att are pushed concurrently: order them for the checks.
  if (stored[0].kind != storage::SignedArtifact::Kind::kImageSignature) {
    std::swap(stored[0], stored[1]);
  }
  EXPECT_EQ(stored[0].kind, storage::SignedArtifact::Kind::kImageSignature);
  EXPECT_EQ(stored[0].image->String(), std::string("registry.example/app@") + kDigestA);
  ASSERT_OK_AND_ASSIGN(auto payload, crypto::SimpleSigningPayload::ParseStrict(stored[0].payload));
  EXPECT_EQ(payload.docker_reference, "registry.example/app");
  EXPECT_EQ(payload.manifest_digest, kDigestA);
  EXPECT_OK(signer_->public_key().Verify(stored[0].payload, stored[0].signature));

  EXPECT_EQ(stored[1].kind, storage::SignedArtifact::Kind::kAttestation);
  EXPECT_EQ(stored[1].predicate_type, "https://slsa.dev/provenance/v0.2");
  ASSERT_OK_AND_ASSIGN(crypto::DsseEnvelope env, crypto::DsseEnvelope::Parse(stored[1].signature));
  std::vector<crypto::PublicKey> keys = {signer_->public_key()};
  EXPECT_OK(crypto::VerifyDsseEnvelope(env, keys).status());
  EXPECT_EQ(env.payload, stored[1].payload);
  json statement = json::parse(env.payload);
  EXPECT_EQ(statement["subject"][0]["name"], "registry.example/app");

  EXPECT_EQ(metrics_->taskrun.marked_signed->Value(), 1u);
  EXPECT_EQ(metrics_->taskrun.sign_created->Value(), 2u);
  EXPECT_EQ(metrics_->sign_latency->Count(), 1u);
  EXPECT_EQ(finished_, std::vector<std::string>{"TaskRun/ci/build"});
}

TEST_F(ReconcilerTest, FailedRunsAreSignedTooAndRunsWithoutImagesGetProvenanceOnly) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("broken", "False", ImageResults("registry.example/app", kDigestA)))
                .status());
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("plain", "True", json::array())).status());
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/broken").action, Result::Action::kDone);
  EXPECT_EQ(r->Reconcile("TaskRun/ci/plain").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "broken"), kSignedAnnotation), "true");
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "plain"), kSignedAnnotation), "true");
  // broken: .sig + .att; plain: no image subject, so nothing in OCI (provenance in annotations).
  EXPECT_EQ(oci_->stored().size(), 2u);
}

TEST_F(ReconcilerTest, MalformedResultsAreSkippedAndTheRunIsStillSigned) {
  json results = json::array({{{"name", "IMAGE_URL"}, {"value", "registry.example/app"}},
                              {{"name", "IMAGE_DIGEST"}, {"value", "sha256:a123"}},
                              {{"name", "IMAGES"}, {"value", "not a reference,\n"}}});
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("odd", "True", results)).status());
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/odd").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "odd"), kSignedAnnotation), "true");
  EXPECT_TRUE(oci_->stored().empty());
}

TEST_F(ReconcilerTest, NotDoneSignedAndSkippedRunsAreLeftAlone) {
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("running", "Unknown", json::array())).status());
  json signed_run = TaskRun("done", "True", ImageResults("registry.example/app", kDigestA));
  signed_run["metadata"]["annotations"] = {{"chains.tekton.dev/signed", "failed"}};
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), signed_run).status());
  json skipped = TaskRun("skip", "True", ImageResults("registry.example/app", kDigestA));
  skipped["metadata"]["annotations"] = {{"chains.tekton.dev/skip", "true"}};
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), skipped).status());
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("old", "True", json::array())).status());
  ReconcilerOptions options;
  options.skip_before = absl::FromUnixSeconds(1767225661);  // just after "old" completed
  auto r = MakeReconciler(options);
  kube_.ClearCalls();
  for (const char* key : {"TaskRun/ci/running", "TaskRun/ci/done", "TaskRun/ci/skip",
                          "TaskRun/ci/old", "TaskRun/ci/gone"}) {
    EXPECT_EQ(r->Reconcile(key).action, Result::Action::kDone) << key;
  }
  EXPECT_EQ(Count("patch"), 0);
  EXPECT_TRUE(oci_->stored().empty());
}

TEST_F(ReconcilerTest, RetriableFailuresCountRetriesThenMarkFailed) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  oci_->FailWith(absl::UnavailableError("registry down"));
  ReconcilerOptions options;
  options.retry.initial_backoff = absl::Milliseconds(10);
  options.retry.max_backoff = absl::Milliseconds(40);
  options.retry.window = absl::Milliseconds(100);  // 10+20+40+40 -> 5 attempts
  auto r = MakeReconciler(options);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    Result result = r->Reconcile("TaskRun/ci/build");
    ASSERT_EQ(result.action, Result::Action::kRetryAfter) << attempt;
    EXPECT_GE(result.after, options.retry.Delay(attempt));
    json live = Live(kube::TaskRunsV1(), "build");
    EXPECT_EQ(Ann(live, kRetriesAnnotation), absl::StrCat(attempt));
    EXPECT_EQ(Ann(live, kSignedAnnotation), "");
  }
  std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["reason"], "SigningFailed");
  EXPECT_THAT(events[0]["message"].get<std::string>(), HasSubstr("registry down"));
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  json live = Live(kube::TaskRunsV1(), "build");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "failed");
  EXPECT_EQ(Ann(live, kRetriesAnnotation), "5");
  EXPECT_EQ(Events().back()["reason"], "SigningFailedPermanently");
  EXPECT_EQ(metrics_->taskrun.signing_failures->Value("storage"), 5u);
  EXPECT_EQ(metrics_->runs_marked_failed->Value(), 1u);
}

TEST_F(ReconcilerTest, RecoveryClearsRetriesAndTheStatementIsIdenticalAcrossAttempts) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  SetConfig({{"artifacts.taskrun.storage", "oci"},
             {"artifacts.taskrun.format", "slsa/v2alpha3"},
             {"builddefinition.buildtype", "https://tekton.dev/chains/v2/slsa-tekton"},
             {"artifacts.oci.storage", ""}});
  // slsa-tekton embeds every annotation: our retries annotation must not leak into it.
  oci_->FailWith(absl::DeadlineExceededError("timeout"), 1);
  auto r = MakeReconciler();
  ASSERT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kRetryAfter);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kRetriesAnnotation), "1");
  ASSERT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  json live = Live(kube::TaskRunsV1(), "build");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "true");
  EXPECT_FALSE(live["metadata"]["annotations"].contains(kRetriesAnnotation));
  ASSERT_EQ(oci_->stored().size(), 1u);
  // The failed attempt and the successful one (after the retries annotation was added) signed
  // byte-identical statements, so a registry-side dedupe would recognise the first one.
  std::vector<std::string> attempted = oci_->attempted();
  ASSERT_EQ(attempted.size(), 2u);
  EXPECT_EQ(attempted[0], attempted[1]);
  EXPECT_THAT(attempted[1], ::testing::Not(HasSubstr("chains.tekton.dev")));
}

TEST_F(ReconcilerTest, PermanentErrorsMarkFailedAtOnce) {
  // 257 images (each result is small: one IMAGES list that long would exceed the 4 KiB result
  // limit and simply be ignored as a type hint).
  json results = json::array();
  for (int i = 0; i < 257; ++i) {
    results.push_back({{"name", absl::StrCat("img", i, "-IMAGE_URL")},
                       {"value", absl::StrCat("registry.example/app", i)}});
    results.push_back({{"name", absl::StrCat("img", i, "-IMAGE_DIGEST")}, {"value", kDigestA}});
  }
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("huge", "True", results)).status());
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/huge").action, Result::Action::kDone);
  json live = Live(kube::TaskRunsV1(), "huge");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "failed");
  EXPECT_EQ(Ann(live, kRetriesAnnotation), "1");
  EXPECT_TRUE(oci_->stored().empty());
  EXPECT_EQ(metrics_->taskrun.signing_failures->Value("payload_creation"), 1u);
}

TEST_F(ReconcilerTest, NoKeyParksWithOneEventAndNeverMarks) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  DropKey(absl::FailedPreconditionError(
      "Secret tekton-chains/signing-secrets: no valid private key found, looked for: "
      "[x509.pem, cosign.key]"));
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kPark);
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kPark);
  std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["reason"], "SigningKeyUnavailable");
  EXPECT_THAT(events[0]["message"].get<std::string>(), HasSubstr("no valid private key found"));
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kSignedAnnotation), "");
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kRetriesAnnotation), "");

  SetConfig({{"artifacts.taskrun.storage", "tekton,oci"}});  // key back
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kSignedAnnotation), "true");
}

TEST_F(ReconcilerTest, UnusableConfigParks) {
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("build", "True", json::array())).status());
  SetSetup(absl::UnimplementedError(
      "chains-config: artifacts.taskrun.storage: \"gcs\" is not supported by hallmark"));
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kPark);
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]["reason"], "ConfigUnusable");
  EXPECT_THAT(Events()[0]["message"].get<std::string>(), HasSubstr("gcs"));
}

TEST_F(ReconcilerTest, ConflictOnTheFinalPatchReReadsAndRetries) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  auto r = MakeReconciler();
  kube_.FailNext("patch", 1,
                 absl::AbortedError("Operation cannot be fulfilled: the object has been modified"));
  kube_.ClearCalls();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kSignedAnnotation), "true");
  EXPECT_EQ(Count("patch"), 2);
  EXPECT_EQ(Count("get"), 3);  // the read, the re-read after 409, the test's
}

// Interfering: forwards to a FakeKubeClient, but just before the first patch of a run, someone
// else marks it signed (another agent, an operator): our precondition then fails with a real 409.
class Interfering : public kube::KubeClient {
 public:
  explicit Interfering(FakeKubeClient& inner) : inner_(inner) {}
  absl::StatusOr<json> Get(const kube::Resource& r, absl::string_view ns,
                           absl::string_view name) override {
    return inner_.Get(r, ns, name);
  }
  absl::StatusOr<kube::ObjectList> List(const kube::Resource& r, absl::string_view ns,
                                        const kube::ListOptions& o) override {
    return inner_.List(r, ns, o);
  }
  absl::Status Watch(const kube::Resource& r, absl::string_view ns, const kube::WatchOptions& o,
                     EventCallback cb) override {
    return inner_.Watch(r, ns, o, cb);
  }
  absl::StatusOr<json> Create(const kube::Resource& r, absl::string_view ns, const json& o,
                              const kube::WriteOptions& w) override {
    return inner_.Create(r, ns, o, w);
  }
  absl::StatusOr<json> Update(const kube::Resource& r, absl::string_view ns, const json& o,
                              const kube::WriteOptions& w) override {
    return inner_.Update(r, ns, o, w);
  }
  absl::StatusOr<json> Patch(const kube::Resource& r, absl::string_view ns, absl::string_view name,
                             kube::PatchType t, absl::string_view patch,
                             const kube::PatchOptions& o) override {
    if (!interfered_) {
      interfered_ = true;
      EXPECT_OK(inner_
                    .Patch(r, ns, name, kube::PatchType::kMerge,
                           R"({"metadata":{"annotations":{"chains.tekton.dev/signed":"true"}}})")
                    .status());
    }
    return inner_.Patch(r, ns, name, t, patch, o);
  }
  absl::Status Delete(const kube::Resource& r, absl::string_view ns, absl::string_view name,
                      const kube::DeleteOptions& o) override {
    return inner_.Delete(r, ns, name, o);
  }

 private:
  FakeKubeClient& inner_;
  bool interfered_ = false;
};

TEST_F(ReconcilerTest, ConflictWhereSomeoneElseMarkedItMeanwhileStops) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  Interfering interfering(kube_);
  RunReconciler::Dependencies deps;
  deps.kube = &interfering;
  deps.setup = [this]() {
    absl::MutexLock lock(&mu_);
    return setup_;
  };
  deps.metrics = metrics_.get();
  ASSERT_OK_AND_ASSIGN(auto r, RunReconciler::New(std::move(deps), {}));
  kube_.ClearCalls();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  json live = Live(kube::TaskRunsV1(), "build");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "true");
  // Our patch was refused (409) and not repeated: the other writer's marking stands, and no
  // tekton annotations of ours were added on top.
  EXPECT_EQ(Ann(live, "chains.tekton.dev/payload-taskrun-" + kube::MetaUid(live)), "");
  EXPECT_EQ(metrics_->taskrun.marked_signed->Value(), 0u);
}

TEST_F(ReconcilerTest, PipelineRunWaitsForItsChildrenAndMissingChildIsReported) {
  json child = TaskRun("pipe-build", "True", ImageResults("registry.example/app", kDigestA));
  child["metadata"]["labels"] = {{"tekton.dev/pipelineRun", "pipe"},
                                 {"tekton.dev/pipelineTask", "build"}};
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), child).status());
  json pr = {{"apiVersion", "tekton.dev/v1"},
             {"kind", "PipelineRun"},
             {"metadata", {{"name", "pipe"}, {"namespace", "ci"}}},
             {"spec", {{"pipelineRef", {{"name", "p"}}}}},
             {"status",
              {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}}}},
               {"startTime", "2026-01-01T00:00:00Z"},
               {"completionTime", "2026-01-01T00:02:00Z"},
               {"pipelineSpec", {{"tasks", {{{"name", "build"}, {"taskRef", {{"name", "b"}}}}}}}},
               {"childReferences",
                {{{"kind", "TaskRun"}, {"name", "pipe-build"}, {"pipelineTaskName", "build"}}}},
               {"results", ImageResults("registry.example/app", kDigestB)}}}};
  ASSERT_OK(kube_.Seed(kube::PipelineRunsV1(), pr).status());
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("PipelineRun/ci/pipe").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::PipelineRunsV1(), "pipe"), kSignedAnnotation), "");  // child first

  EXPECT_EQ(r->Reconcile("TaskRun/ci/pipe-build").action, Result::Action::kDone);
  EXPECT_EQ(r->Reconcile("PipelineRun/ci/pipe").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::PipelineRunsV1(), "pipe"), kSignedAnnotation), "true");
  // The child: .sig + .att of its image; the PipelineRun: the .att of its result image only.
  std::vector<storage::SignedArtifact> stored = oci_->stored();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[2].kind, storage::SignedArtifact::Kind::kAttestation);
  EXPECT_EQ(stored[2].image->String(), std::string("registry.example/app@") + kDigestB);
  EXPECT_EQ(metrics_->pipelinerun.marked_signed->Value(), 1u);

  // A PipelineRun whose child is gone: not signed, one Event.
  pr["metadata"]["name"] = "orphan";
  pr["status"]["childReferences"][0]["name"] = "deleted-child";
  ASSERT_OK(kube_.Seed(kube::PipelineRunsV1(), pr).status());
  EXPECT_EQ(r->Reconcile("PipelineRun/ci/orphan").action, Result::Action::kDone);
  EXPECT_EQ(r->Reconcile("PipelineRun/ci/orphan").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::PipelineRunsV1(), "orphan"), kSignedAnnotation), "");
  int missing = 0;
  for (const json& e : Events()) missing += e["reason"] == "ChildTaskRunMissing";
  EXPECT_EQ(missing, 1);
}

// tektoncd/chains#485: a Task may claim a digest that was never pushed. One image of the run
// unknown to its registry and nothing of the run is stored - not the other image's `.sig`, not
// the `.att`, not the tekton annotations - the attempt is retried like any registry failure
// (with its own Event reason), and the run ends signed=failed, never signed=true.
TEST_F(ReconcilerTest, DigestTheRegistryDoesNotHaveStoresNothingAndEndsFailed) {
  const std::string known = std::string("registry.example/a@") + kDigestA;
  const std::string unknown = std::string("registry.example/b@") + kDigestB;
  json results = json::array({{{"name", "a-IMAGE_URL"}, {"value", "registry.example/a"}},
                              {{"name", "a-IMAGE_DIGEST"}, {"value", kDigestA}},
                              {{"name", "b-IMAGE_URL"}, {"value", "registry.example/b"}},
                              {{"name", "b-IMAGE_DIGEST"}, {"value", kDigestB}}});
  ASSERT_OK(kube_.Seed(kube::TaskRunsV1(), TaskRun("claims", "True", results)).status());
  oci_->Missing(unknown);
  ReconcilerOptions options;
  options.retry.initial_backoff = absl::Milliseconds(10);
  options.retry.max_backoff = absl::Milliseconds(40);
  options.retry.window = absl::Milliseconds(100);  // 10+20+40+40 -> 5 attempts
  auto r = MakeReconciler(options);
  for (int attempt = 1; attempt <= 4; ++attempt) {
    oci_->ClearJournal();
    Result result = r->Reconcile("TaskRun/ci/claims");
    ASSERT_EQ(result.action, Result::Action::kRetryAfter) << attempt;
    // One check per image (each has a .sig and an .att), and not one store.
    std::vector<std::string> journal = oci_->journal();
    std::sort(journal.begin(), journal.end());
    EXPECT_EQ(journal, (std::vector<std::string>{"check " + known, "check " + unknown}));
    json live = Live(kube::TaskRunsV1(), "claims");
    EXPECT_EQ(Ann(live, kSignedAnnotation), "");
    EXPECT_EQ(Ann(live, kRetriesAnnotation), absl::StrCat(attempt));
    EXPECT_EQ(Ann(live, "chains.tekton.dev/payload-taskrun-" + kube::MetaUid(live)), "");
  }
  std::vector<json> events = Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["reason"], std::string(kImageNotInRegistryReason));
  EXPECT_THAT(events[0]["message"].get<std::string>(),
              HasSubstr("image " + unknown + " : digest not found in the registry; not signing"));
  EXPECT_THAT(events[0]["message"].get<std::string>(), HasSubstr("attempt 1 of 5"));

  EXPECT_EQ(r->Reconcile("TaskRun/ci/claims").action, Result::Action::kDone);
  json live = Live(kube::TaskRunsV1(), "claims");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "failed");
  EXPECT_EQ(Ann(live, kRetriesAnnotation), "5");
  EXPECT_EQ(Events().back()["reason"], "SigningFailedPermanently");
  EXPECT_THAT(Events().back()["message"].get<std::string>(),
              HasSubstr(unknown + " : digest not found in the registry"));
  EXPECT_TRUE(oci_->attempted().empty());
  EXPECT_EQ(metrics_->taskrun.marked_signed->Value(), 0u);
  EXPECT_EQ(metrics_->taskrun.signing_failures->Value("storage"), 5u);
}

// A registry can lag just behind a push: the retry finds the image and signs everything, each
// image checked once before the first store.
TEST_F(ReconcilerTest, ImageThatAppearsLaterIsSignedOnTheRetryAfterItsCheck) {
  const std::string image = std::string("registry.example/app@") + kDigestA;
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("late", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  oci_->Missing(image);
  auto r = MakeReconciler();
  ASSERT_EQ(r->Reconcile("TaskRun/ci/late").action, Result::Action::kRetryAfter);
  EXPECT_EQ(oci_->journal(), std::vector<std::string>{"check " + image});
  oci_->Pushed(image);
  oci_->ClearJournal();
  ASSERT_EQ(r->Reconcile("TaskRun/ci/late").action, Result::Action::kDone);
  EXPECT_EQ(oci_->journal(),
            (std::vector<std::string>{"check " + image, "store " + image, "store " + image}));
  json live = Live(kube::TaskRunsV1(), "late");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "true");
  EXPECT_FALSE(live["metadata"]["annotations"].contains(kRetriesAnnotation));
  EXPECT_EQ(oci_->stored().size(), 2u);
}

TEST_F(ReconcilerTest, UnreachableRegistryDuringTheCheckIsAnOrdinaryRetry) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  oci_->FailChecksWith(absl::UnavailableError(
      "checking image registry.example/app@sha256:aaaa in its registry: connection refused"));
  auto r = MakeReconciler();
  ASSERT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kRetryAfter);
  EXPECT_TRUE(oci_->attempted().empty());
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]["reason"], std::string(kSigningFailedReason));
  EXPECT_THAT(Events()[0]["message"].get<std::string>(), HasSubstr("connection refused"));
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kRetriesAnnotation), "1");
  oci_->FailChecksWith(absl::OkStatus());
  ASSERT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kSignedAnnotation), "true");
}

// The documented decision (docs/compatibility.md): with `tekton` storage only, nothing goes to
// a registry and no registry is asked, so a claimed digest is signed into the annotations as
// Chains does.
TEST_F(ReconcilerTest, TektonOnlyStorageAsksNoRegistry) {
  const std::string image = std::string("registry.example/app@") + kDigestA;
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  SetConfig({{"artifacts.taskrun.storage", "tekton"}, {"artifacts.oci.storage", "tekton"}});
  oci_->Missing(image);
  auto r = MakeReconciler();
  ASSERT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  json live = Live(kube::TaskRunsV1(), "build");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "true");
  EXPECT_FALSE(Ann(live, "chains.tekton.dev/signature-aaaaaaaaaaaa").empty());
  EXPECT_FALSE(Ann(live, "chains.tekton.dev/payload-taskrun-" + kube::MetaUid(live)).empty());
  EXPECT_TRUE(oci_->journal().empty());
}

TEST_F(ReconcilerTest, PipelineRunProvenanceNamingAnUnknownDigestIsNotStored) {
  const std::string unknown = std::string("registry.example/app@") + kDigestB;
  json pr = {{"apiVersion", "tekton.dev/v1"},
             {"kind", "PipelineRun"},
             {"metadata", {{"name", "pipe"}, {"namespace", "ci"}}},
             {"spec", {{"pipelineRef", {{"name", "p"}}}}},
             {"status",
              {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}}}},
               {"startTime", "2026-01-01T00:00:00Z"},
               {"completionTime", "2026-01-01T00:02:00Z"},
               {"pipelineSpec", {{"tasks", json::array()}}},
               {"childReferences", json::array()},
               {"results", ImageResults("registry.example/app", kDigestB)}}}};
  ASSERT_OK(kube_.Seed(kube::PipelineRunsV1(), pr).status());
  oci_->Missing(unknown);
  auto r = MakeReconciler();
  ASSERT_EQ(r->Reconcile("PipelineRun/ci/pipe").action, Result::Action::kRetryAfter);
  EXPECT_EQ(oci_->journal(), std::vector<std::string>{"check " + unknown});
  json live = Live(kube::PipelineRunsV1(), "pipe");
  EXPECT_EQ(Ann(live, kSignedAnnotation), "");
  EXPECT_EQ(Ann(live, "chains.tekton.dev/payload-pipelinerun-" + kube::MetaUid(live)), "");
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]["reason"], std::string(kImageNotInRegistryReason));
}

TEST_F(ReconcilerTest, EverythingDisabledStillMarksSignedWithoutAKey) {
  ASSERT_OK(kube_
                .Seed(kube::TaskRunsV1(),
                      TaskRun("build", "True", ImageResults("registry.example/app", kDigestA)))
                .status());
  SetConfig({{"artifacts.taskrun.signer", "none"}, {"artifacts.oci.storage", ""}});
  DropKey(absl::FailedPreconditionError("no key"));
  auto r = MakeReconciler();
  EXPECT_EQ(r->Reconcile("TaskRun/ci/build").action, Result::Action::kDone);
  EXPECT_EQ(Ann(Live(kube::TaskRunsV1(), "build"), kSignedAnnotation), "true");
  EXPECT_TRUE(oci_->stored().empty());
}

}  // namespace
}  // namespace hallmark::chains::reconciler
