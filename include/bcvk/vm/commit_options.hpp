#pragma once
// `ephemeral commit NAME IMAGE`: its options as typed, and validated. Pure.
#include <string>
#include <vector>

#include "bcvk/vm/names.hpp"
#include "bcvk/vm/run_options.hpp"

namespace bcvk {

enum class ImageFormat { oci, docker };

struct CommitOptions {
  std::string name;
  std::string image;
  std::string message;
  std::string author;
  std::vector<std::string> changes; // --change 'LABEL k=v'
  std::string format = "oci";
  bool quiet = false;
  bool replace = false;
  bool stop = false;
};

struct CommitRequest {
  VmName name;
  std::string image; // normalised: "localhost/NAME:TAG" for a name without a registry
  std::string message;
  std::string author;
  std::vector<KeyValue> labels; // in the order given; a later one wins
  ImageFormat format = ImageFormat::oci;
  bool quiet = false;
  bool replace = false;
  bool stop = false;
};

// Throws UsageError (one line naming the option and the fix) for anything invalid.
CommitRequest validate_commit_options(const CommitOptions& options);

// A new image's name as podman stores it: a reference with a tag, lower-case repository, an
// optional registry; "localhost/" before a name without one and ":latest" after one without a tag.
// Throws UsageError for anything else (a digest included: a new image has none yet).
std::string normalise_new_image_name(const std::string& image);

// The labels of one --change: "LABEL key=value [key=value ...]", keys and values optionally in
// double quotes (a backslash escapes the next character). Other instructions are refused.
std::vector<KeyValue> parse_label_change(const std::string& change);

} // namespace bcvk
