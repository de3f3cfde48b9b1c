#include "bcvk/verbs/error_report.hpp"

#include <string_view>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

std::string error_report(const std::exception& e) {
  std::string report = "bcvk: error: " + printable(e.what()) + "\n";
  const auto* ours = dynamic_cast<const Error*>(&e);
  if (ours == nullptr) {
    return report;
  }
  std::string_view rest = ours->details();
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    report += printable(rest.substr(0, end)) + "\n";
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return report;
}

} // namespace bcvk
