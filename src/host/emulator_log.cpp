#include "bcvk/host/emulator_log.hpp"

#include "bcvk/util/files.hpp"
#include "bcvk/vm/emulator_log.hpp"

namespace bcvk {

std::optional<std::string> emulator_crash_of(const std::string& name) {
  constexpr std::size_t k_tail = 16 * 1024; // the last run's lines; the log keeps every run
  // Another libvirt (a session daemon, a remote host) keeps its logs elsewhere: then there is
  // nothing here to read, and nothing to say.
  return emulator_crash(read_file_tail(std::string(k_libvirt_qemu_log_dir) + "/" + name + ".log", k_tail));
}

} // namespace bcvk
