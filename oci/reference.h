// File: oci/reference.h
//
// Image references and digests, parsed strictly by the distribution grammar
// (distribution/reference, reference.go) and normalised the way go-containerregistry's
// `name.ParseReference` does by default, which is what cosign writes into `docker-reference` and
// Tekton Chains into subject names:
//
//   busybox                      -> index.docker.io/library/busybox            (no tag, no digest)
//   docker.io/foo/bar:v1         -> index.docker.io/foo/bar:v1
//   localhost:5000/demo:v1@sha256:<64 hex> -> tag "v1" and digest both kept
//
//   HM_ASSIGN_OR_RETURN(Reference ref, Reference::Parse(text));
//   std::string subject = ref.Name();                    // "index.docker.io/library/busybox"
//   std::string sig_tag = SignatureTag(*ref.digest());   // "sha256-<hex>.sig"
//
// Kyverno normalises differently (docker.io/nginx, no `library/`): that belongs to its policy
// code, not here.
#ifndef HALLMARK_OCI_REFERENCE_H_
#define HALLMARK_OCI_REFERENCE_H_

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::oci {

// Grammar limits (distribution/reference).
// registry + "/" + repository, both as written and once normalised (index.docker.io/library/...)
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxTagLength = 128;
// Longest text Reference::Parse looks at: name, ":" tag, "@sha512:" + 128 hex.
inline constexpr size_t kMaxReferenceLength = kMaxNameLength + 1 + kMaxTagLength + 8 + 128;

// The registry go-containerregistry uses for Docker Hub (`docker.io` is rewritten to it).
inline constexpr absl::string_view kDockerHubRegistry = "index.docker.io";

// Digest: a validated content digest `<algorithm>:<hex>` with algorithm sha256, sha384 or sha512
// and exactly 64, 96 or 128 LOWER-case hex digits (go-digest's rules for those algorithms).
class Digest {
 public:
  // Parse: kInvalidArgument naming the problem (missing `:`, unsupported algorithm, wrong length,
  // upper-case or non-hex digit) for anything else. No trimming: " sha256:..." is an error.
  static absl::StatusOr<Digest> Parse(absl::string_view text);

  const std::string& algorithm() const { return algorithm_; }  // "sha256"
  const std::string& hex() const { return hex_; }
  std::string String() const { return algorithm_ + ":" + hex_; }

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.algorithm_ == b.algorithm_ && a.hex_ == b.hex_;
  }
  friend bool operator!=(const Digest& a, const Digest& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Digest& d) { return os << d.String(); }

 private:
  Digest(std::string algorithm, std::string hex)
      : algorithm_(std::move(algorithm)), hex_(std::move(hex)) {}
  std::string algorithm_;
  std::string hex_;
};

// IsValidImageDigest: `^sha256:[a-f0-9]{64}$` exactly (DESIGN.md limits for image digests: no
// other algorithm, no upper case, no surrounding whitespace or newline).
bool IsValidImageDigest(absl::string_view text);

// SignatureTag / AttestationTag: cosign's tag names for a digest, `sha256-<hex>.sig` and
// `sha256-<hex>.att` (the `:` becomes `-`). Valid tags for sha256 and sha384 digests; a sha512
// digest gives 139 characters, longer than a tag may be (cosign has the same limit), so
// Reference::WithTag refuses it. Images are pinned by sha256 (IsValidImageDigest) anyway.
std::string SignatureTag(const Digest& digest);
std::string AttestationTag(const Digest& digest);

// Reference: a parsed, normalised image reference. Value type; immutable once built.
class Reference {
 public:
  // Parse accepts `[registry/]repository[:tag][@digest]` by the distribution grammar:
  //   registry   = host[:port]; host = DNS name (components [A-Za-z0-9] with inner `-`), dotted
  //                IPv4, or bracketed IPv6; recognised as a registry only when the first path
  //                element contains `.` or `:` or is `localhost` (otherwise it is a Docker Hub
  //                repository component);
  //   repository = components of [a-z0-9]+ joined by `.`, `_`, `__` or runs of `-`, separated by
  //                `/`; lower case only;
  //   tag        = [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
  //   digest     = as Digest::Parse.
  // Then normalises: no registry or `docker.io` -> `index.docker.io`; a single-component
  // repository on Docker Hub gets `library/`. A tag is NOT defaulted (see Identifier()).
  // Errors: kInvalidArgument with a message naming the problem and quoting the input (inputs
  // longer than kMaxReferenceLength are not quoted in full): empty input or parts, whitespace or
  // control characters, two `@`, upper case in the repository, name longer than 255, bad tag, bad
  // digest, bad port.
  static absl::StatusOr<Reference> Parse(absl::string_view text);

  const std::string& registry() const { return registry_; }      // "index.docker.io"
  const std::string& repository() const { return repository_; }  // "library/busybox"
  // tag: as written, empty when none. digest: nullopt when none.
  const std::string& tag() const { return tag_; }
  const std::optional<Digest>& digest() const { return digest_; }
  bool has_tag() const { return !tag_.empty(); }
  bool has_digest() const { return digest_.has_value(); }

  // Name: `registry/repository`, e.g. "index.docker.io/library/busybox". What cosign signs as
  // docker-reference and Chains uses as the subject name.
  std::string Name() const { return registry_ + "/" + repository_; }
  // String: Name() plus `:tag` and/or `@digest` when present (no implicit `latest`).
  std::string String() const;
  // Identifier: what goes into `/v2/<repository>/manifests/<Identifier>`: the digest when there
  // is one, else the tag, else "latest".
  std::string Identifier() const;

  // WithTag: same repository, tag `tag`, no digest. kInvalidArgument if `tag` is not a valid tag.
  absl::StatusOr<Reference> WithTag(absl::string_view tag) const;
  // WithDigest: same repository pinned to `digest`, no tag.
  Reference WithDigest(const Digest& digest) const;

  bool IsDockerHub() const { return registry_ == kDockerHubRegistry; }
  // IsLoopbackRegistry: the registry is localhost, 127.0.0.0/8 or ::1 (with any port): such
  // registries are spoken to over plain HTTP by default, as go-containerregistry does.
  bool IsLoopbackRegistry() const;

  friend bool operator==(const Reference& a, const Reference& b) {
    return a.registry_ == b.registry_ && a.repository_ == b.repository_ && a.tag_ == b.tag_ &&
           a.digest_ == b.digest_;
  }
  friend bool operator!=(const Reference& a, const Reference& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Reference& r) { return os << r.String(); }

 private:
  Reference(std::string registry, std::string repository, std::string tag,
            std::optional<Digest> digest)
      : registry_(std::move(registry)),
        repository_(std::move(repository)),
        tag_(std::move(tag)),
        digest_(std::move(digest)) {}

  std::string registry_;
  std::string repository_;
  std::string tag_;
  std::optional<Digest> digest_;
};

// IsValidTag: the distribution tag grammar `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
bool IsValidTag(absl::string_view tag);

// IsLoopbackRegistry: as Reference::IsLoopbackRegistry for a registry string ("localhost:5000").
bool IsLoopbackRegistry(absl::string_view registry);

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_REFERENCE_H_
