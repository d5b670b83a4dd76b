// File: chains/formats/predicate.h
//
// What a format builder hands to the statement writer: the predicate, already in the free-form
// shape it is signed in, and the subjects.
#ifndef HALLMARK_CHAINS_FORMATS_PREDICATE_H_
#define HALLMARK_CHAINS_FORMATS_PREDICATE_H_

#include <vector>

#include "chains/artifacts/extract.h"
#include "google/protobuf/struct.pb.h"

namespace hallmark::chains::formats {

struct Predicate {
  google::protobuf::Struct predicate;
  std::vector<artifacts::Artifact> subjects;
};

}  // namespace hallmark::chains::formats

#endif  // HALLMARK_CHAINS_FORMATS_PREDICATE_H_
