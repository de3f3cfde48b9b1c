#pragma once
// Local storage as `ephemeral commit` reads and writes it, through skopeo: a base image's stored
// manifest and config, and a new image brought in from an OCI image layout directory.
#include <string>

#include "bcvk/host/process.hpp"
#include "bcvk/vm/commit_options.hpp"

namespace bcvk {

struct StoredImage {
  std::string manifest; // as local storage keeps it: the registry's for a pulled image
  std::string config;
};

// The manifest and config of the image with ID `image_id` in local storage. Throws Error.
StoredImage read_stored_image(const std::string& image_id, ProcessRunner& runner);

// Copies the image of the OCI layout at `layout_dir` into local storage as `name`, in `format`.
// Layers that local storage already holds (a base image's) are reused, not copied. Throws Error.
void import_oci_layout(const std::string& layout_dir, const std::string& name, ImageFormat format,
                       ProcessRunner& runner);

} // namespace bcvk
