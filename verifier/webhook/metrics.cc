#include "verifier/webhook/metrics.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hallmark::verifier::webhook {

void Metrics::RecordAdmission(const std::string& path, const std::string& decision,
                              absl::Duration latency) {
  double seconds = absl::ToDoubleSeconds(latency);
  absl::MutexLock lock(&mu_);
  ++admissions_[{path, decision}];
  Histogram& h = latency_[path];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::RecordRejected(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  ++rejected_[reason];
}

void Metrics::RecordBudgetExceeded() {
  absl::MutexLock lock(&mu_);
  ++budget_exceeded_;
}

void Metrics::SetPolicies(int64_t loaded) {
  absl::MutexLock lock(&mu_);
  policies_ = loaded;
}

void Metrics::RecordPolicyError() {
  absl::MutexLock lock(&mu_);
  ++policy_errors_;
}

void Metrics::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

uint64_t Metrics::Admissions(const std::string& path, const std::string& decision) const {
  absl::MutexLock lock(&mu_);
  auto it = admissions_.find({path, decision});
  return it == admissions_.end() ? 0 : it->second;
}

std::string Metrics::Render() const {
  std::vector<Collector> collectors;
  std::string out;
  {
    absl::MutexLock lock(&mu_);
    absl::StrAppend(&out,
                    "# HELP hallmark_webhook_admissions_total AdmissionReviews answered, by path "
                    "and decision.\n# TYPE hallmark_webhook_admissions_total counter\n");
    for (const auto& [key, n] : admissions_) {
      absl::StrAppend(&out, "hallmark_webhook_admissions_total{path=\"", key.first,
                      "\",decision=\"", key.second, "\"} ", n, "\n");
    }
    absl::StrAppend(&out,
                    "# HELP hallmark_webhook_admission_duration_seconds Time to answer an "
                    "AdmissionReview.\n# TYPE hallmark_webhook_admission_duration_seconds "
                    "histogram\n");
    for (const auto& [path, h] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        absl::StrAppend(&out, "hallmark_webhook_admission_duration_seconds_bucket{path=\"", path,
                        "\",le=\"", absl::StrFormat("%g", kBuckets[i]), "\"} ", h.buckets[i], "\n");
      }
      absl::StrAppend(&out, "hallmark_webhook_admission_duration_seconds_bucket{path=\"", path,
                      "\",le=\"+Inf\"} ", h.count, "\n");
      absl::StrAppend(&out, "hallmark_webhook_admission_duration_seconds_sum{path=\"", path, "\"} ",
                      absl::StrFormat("%.6f", h.sum), "\n");
      absl::StrAppend(&out, "hallmark_webhook_admission_duration_seconds_count{path=\"", path,
                      "\"} ", h.count, "\n");
    }
    absl::StrAppend(&out,
                    "# HELP hallmark_webhook_rejected_requests_total Requests refused before "
                    "evaluation.\n# TYPE hallmark_webhook_rejected_requests_total counter\n");
    for (const auto& [reason, n] : rejected_) {
      absl::StrAppend(&out, "hallmark_webhook_rejected_requests_total{reason=\"", reason, "\"} ", n,
                      "\n");
    }
    absl::StrAppend(&out,
                    "# HELP hallmark_webhook_budget_exceeded_total Admissions denied because "
                    "verification did not finish within the budget.\n"
                    "# TYPE hallmark_webhook_budget_exceeded_total counter\n"
                    "hallmark_webhook_budget_exceeded_total ",
                    budget_exceeded_, "\n");
    absl::StrAppend(&out,
                    "# HELP hallmark_webhook_policies Policies loaded.\n"
                    "# TYPE hallmark_webhook_policies gauge\nhallmark_webhook_policies ",
                    policies_, "\n");
    absl::StrAppend(&out,
                    "# HELP hallmark_webhook_policy_errors_total Policies refused at load.\n"
                    "# TYPE hallmark_webhook_policy_errors_total counter\n"
                    "hallmark_webhook_policy_errors_total ",
                    policy_errors_, "\n");
    collectors = collectors_;
  }
  for (const Collector& c : collectors) out += c();
  return out;
}

}  // namespace hallmark::verifier::webhook
