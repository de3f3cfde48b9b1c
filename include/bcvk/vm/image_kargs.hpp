#pragma once
// Kernel arguments a bootc image declares for itself in /usr/lib/bootc/kargs.d/*.toml:
//   kargs = ["console=ttyS0", "mitigations=auto"]
//   match-architectures = ["x86_64"]   # optional; the file applies only on these
#include <optional>
#include <string>
#include <vector>

#include "bcvk/vm/sshd_config.hpp"

namespace bcvk {

// The file's arguments when it applies to `arch` (a Rust/bootc architecture name such as
// "x86_64"), else none. Throws Error naming `file` for invalid TOML, a missing or non-string
// `kargs`, and arguments check_kernel_argument refuses.
std::vector<std::string> kargs_from_toml(const std::string& file, const std::string& text, const std::string& arch);

// Why an argument from the image is dropped (with a warning), or nothing when it is kept: bcvk owns
// how the root is found (root=, rootfstype=, rootflags=), and a "--" would turn every argument
// after it, bcvk's defaults and the user's --karg included, into arguments of init.
std::optional<std::string> why_image_karg_is_ignored(const std::string& arg);

// What the image is, as far as the kernel command line is concerned.
struct ImageBootFacts {
  std::vector<std::string> kargs;         // from kargs.d, in file-name order, owned ones dropped
  bool selinux = false;                   // has /etc/selinux/config
  bool cloud_init = false;                // ships cloud-init
  bool cloud_init_seed = false;           // carries its own NoCloud seed (/var/lib/cloud/seed/nocloud*)
  std::optional<ConfigFile> storage_conf; // the containers-storage configuration podman would read
};

} // namespace bcvk
