#include "bcvk/host/emulator_log.hpp"

#include "bcvk/util/files.hpp"
#include "bcvk/vm/emulator_log.hpp"

namespace bcvk {

std::optional<std::string> emulator_crash_message(const std::string& name, const std::string& uri) {
  if (uri != "qemu:///system") {
    return std::nullopt; // a session daemon or a remote host: its log is not the one here
  }
  constexpr std::size_t k_tail = 16 * 1024; // the last run's lines; the log keeps every run
  const auto crash = emulator_crash(read_file_tail(std::string(k_libvirt_qemu_log_dir) + "/" + name + ".log", k_tail));
  if (!crash) {
    return std::nullopt;
  }
  return "QEMU crashed (libvirt's log: " + *crash + ")";
}

} // namespace bcvk
