#include "bcvk/verbs/version.hpp"

#include <libvirt/libvirt.h>
#include <sys/utsname.h>

#include <filesystem>

#include "bcvk/host/process.hpp"
#include "bcvk/util/terminal_text.hpp"

namespace bcvk {
namespace {

std::string libvirt_version() {
  unsigned long version = 0;
  if (virGetVersion(&version, nullptr, nullptr) != 0) {
    return "unknown";
  }
  return std::to_string(version / 1000000) + "." + std::to_string(version / 1000 % 1000) + "." +
         std::to_string(version % 1000);
}

// What `PROGRAM --version` says first, or "not found".
std::string program_version(ProcessRunner& runner, const std::vector<std::string>& candidates) {
  for (const auto& program : candidates) {
    if (!std::filesystem::exists(program)) {
      continue;
    }
    try {
      const ProcessResult r = runner.run({program, "--version"});
      if (r.status == 0) {
        return first_line(r.out) + " (" + program + ")";
      }
    } catch (const std::exception&) {
    }
  }
  return "not found";
}

std::string machine() {
  utsname u{};
  return ::uname(&u) == 0 ? u.machine : "x86_64";
}

} // namespace

std::string version_report() {
  SystemProcessRunner runner;
  const std::string qemu = "qemu-system-" + machine();
  return std::string("bcvk ") + BCVK_VERSION + "\n" + "libvirt: " + libvirt_version() + " (library)\n" +
         "qemu: " + program_version(runner, {"/usr/bin/" + qemu, "/usr/libexec/qemu-kvm", "/usr/local/bin/" + qemu}) +
         "\n" + "podman: " + program_version(runner, {"/usr/bin/podman", "/usr/local/bin/podman"});
}

} // namespace bcvk
