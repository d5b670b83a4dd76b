#include "chains/metrics/registry.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace hallmark::chains::metrics {
namespace {

bool ValidName(absl::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = absl::ascii_isalpha(c) || c == '_' || (colon_allowed && c == ':') ||
              (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

std::string EscapeHelp(absl::string_view help) {
  return absl::StrReplaceAll(help, {{"\\", "\\\\"}, {"\n", "\\n"}});
}

std::string EscapeLabel(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\n", "\\n"}, {"\"", "\\\""}});
}

}  // namespace

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.9g", value);
}

Counter* LabeledCounter::With(absl::string_view value) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Counter>& c = counters_[std::string(value)];
  if (c == nullptr) c = std::make_unique<Counter>();
  return c.get();
}

uint64_t LabeledCounter::Value(absl::string_view value) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(std::string(value));
  return it == counters_.end() ? 0 : it->second->Value();
}

std::map<std::string, uint64_t> LabeledCounter::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [k, c] : counters_) out[k] = c->Value();
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  absl::MutexLock lock(&mu_);
  ++counts_[i];
  sum_ += value;
  ++count_;
}

uint64_t Histogram::Count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

double Histogram::Sum() const {
  absl::MutexLock lock(&mu_);
  return sum_;
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> out(counts_.size());
  uint64_t total = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    total += counts_[i];
    out[i] = total;
  }
  return out;
}

double Histogram::Quantile(double q) const {
  std::vector<uint64_t> cumulative = CumulativeCounts();
  uint64_t total = cumulative.back();
  if (total == 0) return std::numeric_limits<double>::quiet_NaN();
  double rank = q * static_cast<double>(total);
  for (size_t i = 0; i < cumulative.size(); ++i) {
    if (static_cast<double>(cumulative[i]) >= rank) {
      if (i == bounds_.size()) return bounds_.empty() ? 0 : bounds_.back();
      double lower = i == 0 ? 0 : bounds_[i - 1];
      uint64_t below = i == 0 ? 0 : cumulative[i - 1];
      uint64_t in_bucket = cumulative[i] - below;
      if (in_bucket == 0) return bounds_[i];
      return lower + (bounds_[i] - lower) * (rank - static_cast<double>(below)) /
                         static_cast<double>(in_bucket);
    }
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

absl::Status Registry::Check(absl::string_view name) const {
  if (!ValidName(name, /*colon_allowed=*/true)) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: invalid metric name \"", name, "\""));
  }
  for (const auto& f : families_) {
    if (f->name == name) {
      return absl::InvalidArgumentError(absl::StrCat("metrics: duplicate metric \"", name, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Counter*> Registry::AddCounter(absl::string_view name, absl::string_view help) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Check(name); !s.ok()) return s;
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = "counter";
  f->counter = std::make_unique<Counter>();
  Counter* out = f->counter.get();
  families_.push_back(std::move(f));
  return out;
}

absl::StatusOr<LabeledCounter*> Registry::AddLabeledCounter(absl::string_view name,
                                                            absl::string_view help,
                                                            absl::string_view label) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Check(name); !s.ok()) return s;
  if (!ValidName(label, /*colon_allowed=*/false) || absl::StartsWith(label, "__")) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: invalid label name \"", label, "\""));
  }
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = "counter";
  f->labeled = std::make_unique<LabeledCounter>(std::string(label));
  LabeledCounter* out = f->labeled.get();
  families_.push_back(std::move(f));
  return out;
}

absl::StatusOr<Histogram*> Registry::AddHistogram(absl::string_view name, absl::string_view help,
                                                  std::vector<double> bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i]) || std::isinf(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics: buckets of \"", name, "\" must be finite and increasing"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Check(name); !s.ok()) return s;
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = "histogram";
  f->histogram = std::make_unique<Histogram>(std::move(bounds));
  Histogram* out = f->histogram.get();
  families_.push_back(std::move(f));
  return out;
}

absl::Status Registry::AddGauge(absl::string_view name, absl::string_view help,
                                std::function<double()> read) {
  if (!read) return absl::InvalidArgumentError("metrics: gauge without a reader");
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Check(name); !s.ok()) return s;
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = "gauge";
  f->gauge = std::move(read);
  families_.push_back(std::move(f));
  return absl::OkStatus();
}

absl::Status Registry::AddCounterFunc(absl::string_view name, absl::string_view help,
                                      std::function<double()> read) {
  if (!read) return absl::InvalidArgumentError("metrics: counter without a reader");
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Check(name); !s.ok()) return s;
  auto f = std::make_unique<Family>();
  f->name = std::string(name);
  f->help = std::string(help);
  f->type = "counter";
  f->gauge = std::move(read);
  families_.push_back(std::move(f));
  return absl::OkStatus();
}

std::string Registry::Render() const {
  // Gauge readers may take other locks: read them without holding ours.
  std::vector<const Family*> families;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& f : families_) families.push_back(f.get());
  }
  std::string out;
  for (const Family* f : families) {
    absl::StrAppend(&out, "# HELP ", f->name, " ", EscapeHelp(f->help), "\n# TYPE ", f->name, " ",
                    f->type, "\n");
    if (f->counter != nullptr) {
      absl::StrAppend(&out, f->name, " ", f->counter->Value(), "\n");
    } else if (f->labeled != nullptr) {
      for (const auto& [value, count] : f->labeled->Snapshot()) {
        absl::StrAppend(&out, f->name, "{", f->labeled->label(), "=\"", EscapeLabel(value), "\"} ",
                        count, "\n");
      }
    } else if (f->histogram != nullptr) {
      std::vector<uint64_t> cumulative = f->histogram->CumulativeCounts();
      const std::vector<double>& bounds = f->histogram->bounds();
      for (size_t i = 0; i < bounds.size(); ++i) {
        absl::StrAppend(&out, f->name, "_bucket{le=\"", FormatValue(bounds[i]), "\"} ",
                        cumulative[i], "\n");
      }
      absl::StrAppend(&out, f->name, "_bucket{le=\"+Inf\"} ", cumulative.back(), "\n", f->name,
                      "_sum ", FormatValue(f->histogram->Sum()), "\n", f->name, "_count ",
                      cumulative.back(), "\n");
    } else if (f->gauge) {
      absl::StrAppend(&out, f->name, " ", FormatValue(f->gauge()), "\n");
    }
  }
  return out;
}

}  // namespace hallmark::chains::metrics
