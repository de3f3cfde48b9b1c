#pragma once
// Kernel arguments a bootc image declares for itself in /usr/lib/bootc/kargs.d/*.toml:
//   kargs = ["console=ttyS0", "mitigations=auto"]
//   match-architectures = ["x86_64"]   # optional; the file applies only on these
#include <string>
#include <vector>

namespace bcvk {

// The file's arguments when it applies to `arch` (a Rust/bootc architecture name such as
// "x86_64"), else none. Throws Error naming `file` for invalid TOML, a missing or non-string
// `kargs`, and arguments that are empty, hold control characters or are more than one argument.
std::vector<std::string> kargs_from_toml(const std::string& file, const std::string& text, const std::string& arch);

// True for an argument the image must not set because bcvk owns it: how the root is found
// (root=, rootfstype=, rootflags=). Such arguments are dropped with a warning.
bool is_bcvk_owned_karg(const std::string& arg);

// What the image is, as far as the kernel command line is concerned.
struct ImageBootFacts {
  std::vector<std::string> kargs; // from kargs.d, in file-name order, owned ones dropped
  bool selinux = false;           // has /etc/selinux/config
  bool cloud_init = false;        // ships cloud-init
  bool cloud_init_seed = false;   // carries its own NoCloud seed (/var/lib/cloud/seed/nocloud*)
};

} // namespace bcvk
