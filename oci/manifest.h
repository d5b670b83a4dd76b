// File: oci/manifest.h
//
// OCI image manifests, image indexes and their descriptors (OCI image-spec v1.1; Docker schema 2
// manifests and manifest lists have the same JSON shape and are read the same way).
//
// Parsing is strict about what we rely on and bounded, because manifests come from registries we
// do not trust (reference/perf-reliability.md §6): at most kMaxManifestBytes of text, at most
// `max_layers` layers (cosign's cap, GHSA-95pr-fxf5-86gv: the count is checked before any layer is
// converted), descriptors with a valid digest, a non-negative integer size and string-valued
// annotations. Unknown members are ignored (urls, platform, data), as other clients do.
//
// Serialize writes go-containerregistry's layout (what cosign pushes): compact JSON, members in
// the order schemaVersion, mediaType, config, layers, annotations, subject; descriptors as
// mediaType, size, digest, annotations (keys sorted), artifactType. The bytes equal cosign's for
// ASCII annotation values without `<`, `>` or `&` (Go escapes those as \u003c...).
//
//   HM_ASSIGN_OR_RETURN(ImageManifest m, ImageManifest::Parse(fetched.bytes));
//   for (const Descriptor& layer : m.layers) ...
#ifndef HALLMARK_OCI_MANIFEST_H_
#define HALLMARK_OCI_MANIFEST_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/reference.h"

namespace hallmark::oci {

// DESIGN.md limits.
inline constexpr size_t kMaxManifestBytes = 4 << 20;
inline constexpr size_t kMaxAttachmentBytes = 128 << 20;
inline constexpr size_t kMaxLayers = 1000;

struct Descriptor {
  Descriptor(std::string media_type, Digest digest, int64_t size)
      : media_type(std::move(media_type)), digest(std::move(digest)), size(size) {}

  std::string media_type;
  Digest digest;
  int64_t size;
  std::map<std::string, std::string> annotations;
  std::string artifact_type;  // "" when absent

  // Annotation: the value of `key`, nullopt when absent (present-but-empty is "").
  std::optional<std::string> Annotation(absl::string_view key) const;

  friend bool operator==(const Descriptor& a, const Descriptor& b) {
    return a.media_type == b.media_type && a.digest == b.digest && a.size == b.size &&
           a.annotations == b.annotations && a.artifact_type == b.artifact_type;
  }
};

struct ImageManifest {
  explicit ImageManifest(Descriptor config) : config(std::move(config)) {}

  // The manifest's own mediaType member; "" when the JSON has none (allowed by OCI).
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  std::optional<Descriptor> subject;
  std::string artifact_type;

  // Parse reads an image manifest. kInvalidArgument (with the reason) for: text over
  // kMaxManifestBytes, not JSON, schemaVersion other than 2, an index (a `manifests` member or an
  // index mediaType) where a manifest was expected, a mediaType that is not an image manifest
  // type, a missing or malformed config or layer descriptor, or more than `max_layers` layers
  // (`number of layers (N) exceeded the limit (M)`, cosign's wording).
  static absl::StatusOr<ImageManifest> Parse(absl::string_view json,
                                             size_t max_layers = kMaxLayers);

  std::string Serialize() const;
};

struct ImageIndex {
  std::string media_type;  // "" when absent
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;

  // Parse reads an image index or Docker manifest list: schemaVersion 2, a `manifests` array of
  // at most `max_manifests` descriptors. kInvalidArgument otherwise (a manifest given as an index
  // included).
  static absl::StatusOr<ImageIndex> Parse(absl::string_view json,
                                          size_t max_manifests = kMaxLayers);

  // Serialize: {"schemaVersion":2,"mediaType":...,"manifests":[...],"annotations":{...}}.
  std::string Serialize() const;
};

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_MANIFEST_H_
