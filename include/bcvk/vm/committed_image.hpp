#pragma once
// The image `ephemeral commit` makes: the base image's config and manifest with one layer more.
// Pure: the JSON documents are built from the base's, the new layer's digest and the facts given
// (the time included), so goldens pin them down.
#include <cstdint>
#include <string>

#include "bcvk/vm/commit_options.hpp"

namespace bcvk {

// A blob as a descriptor names it.
struct BlobRef {
  std::string digest; // "sha256:<hex>"
  std::uint64_t size = 0;
};

struct CommitFacts {
  std::string created;     // RFC 3339, UTC
  std::string vm_name;     // named in the history entry
  std::string base_name;   // the reference the VM was made from
  std::string base_digest; // its manifest digest, "" when unknown
};

struct CommittedImage {
  std::string config;   // the new image config (JSON)
  std::string manifest; // an OCI manifest naming the base's layers, then the new one
};

// The new image: the base config (`base_config`, as stored) with the new uncompressed layer's diff
// ID, a history entry naming bcvk and the VM, `created`, --author, --message and the labels; and
// its manifest (`base_manifest` as stored: OCI or Docker schema 2, layers in OCI media types)
// with the base annotations. Throws Error when the base's documents are not an image's, or their
// layers disagree.
CommittedImage committed_image(const std::string& base_config, const std::string& base_manifest, const BlobRef& layer,
                               const CommitRequest& request, const CommitFacts& facts);

// The manifest as the OCI image layout's index.json lists it, and the oci-layout file.
std::string oci_layout_index(const BlobRef& manifest);
std::string oci_layout_marker();

} // namespace bcvk
