#include "bcvk/util/fault_point.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace bcvk {

void fault_point(std::string_view stage) {
  const char* wanted = std::getenv(k_fault_point_env);
  if (wanted == nullptr || stage != wanted) {
    return;
  }
  const std::string line = "bcvk: stopped at " + std::string(stage) + "\n";
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
  ::raise(SIGSTOP);
}

} // namespace bcvk
