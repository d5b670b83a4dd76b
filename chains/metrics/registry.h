// File: chains/metrics/registry.h
//
// A small Prometheus registry: counters (optionally with one label), gauges read through a
// callback, and histograms, rendered in the text exposition format 0.0.4 that Prometheus scrapes
// (`# HELP`, `# TYPE`, one sample per line). Written here rather than pulled in because the agent
// needs only these three types and Debian has no prometheus-cpp package.
//
//   Registry registry;
//   Counter* signed_total = registry.AddCounter("watcher_taskrun_marked_signed_total", "...");
//   signed_total->Inc();
//   std::string body = registry.Render();   // served at /metrics
//
// Metrics are created once at start-up and live as long as the registry (raw pointers are
// borrowed). Updating and rendering are thread-safe.
#ifndef HALLMARK_CHAINS_METRICS_REGISTRY_H_
#define HALLMARK_CHAINS_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace hallmark::chains::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// LabeledCounter: a counter family with one label, e.g. error_type="storage".
class LabeledCounter {
 public:
  explicit LabeledCounter(std::string label) : label_(std::move(label)) {}
  // With: the counter for `value` (created on first use; the pointer stays valid).
  Counter* With(absl::string_view value);
  uint64_t Value(absl::string_view value) const;
  const std::string& label() const { return label_; }
  // Snapshot: label value -> count, sorted.
  std::map<std::string, uint64_t> Snapshot() const;

 private:
  const std::string label_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Counter>> counters_ ABSL_GUARDED_BY(mu_);
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, strictly increasing (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  uint64_t Count() const;
  double Sum() const;
  // Quantile: an estimate from the buckets (linear inside a bucket), for logs and tests; NaN
  // when empty.
  double Quantile(double q) const;
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then the +Inf total.
  std::vector<uint64_t> CumulativeCounts() const;

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bucket, last = +Inf
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Add*: a metric named `name` ([a-zA-Z_:][a-zA-Z0-9_:]*, unique in this registry) described by
  // `help`. kInvalidArgument for a bad or duplicate name, a bad label name or unsorted buckets.
  absl::StatusOr<Counter*> AddCounter(absl::string_view name, absl::string_view help);
  absl::StatusOr<LabeledCounter*> AddLabeledCounter(absl::string_view name, absl::string_view help,
                                                    absl::string_view label);
  absl::StatusOr<Histogram*> AddHistogram(absl::string_view name, absl::string_view help,
                                          std::vector<double> bounds);
  // AddGauge: the value is read by `read` at each Render (from the rendering thread).
  absl::Status AddGauge(absl::string_view name, absl::string_view help,
                        std::function<double()> read);
  // AddCounterFunc: a counter whose (monotonic) value is kept elsewhere and read by `read`.
  absl::Status AddCounterFunc(absl::string_view name, absl::string_view help,
                              std::function<double()> read);

  // Render: every metric in the order it was added, in the text exposition format.
  std::string Render() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::string type;  // counter, gauge, histogram
    std::unique_ptr<Counter> counter;
    std::unique_ptr<LabeledCounter> labeled;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> gauge;  // gauges, and counters kept elsewhere
  };
  absl::Status Check(absl::string_view name) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
};

// FormatValue: a sample value as Prometheus reads it (integers without a decimal point, +Inf,
// -Inf, NaN).
std::string FormatValue(double value);

}  // namespace hallmark::chains::metrics

#endif  // HALLMARK_CHAINS_METRICS_REGISTRY_H_
