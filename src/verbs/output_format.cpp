// The --format of the listing verbs.

#include "bcvk/instance/services.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/util/error.hpp"

namespace bcvk {

OutputFormat parse_output_format(const std::string& text) {
  if (text == "table") {
    return OutputFormat::table;
  }
  if (text == "json") {
    return OutputFormat::json;
  }
  throw UsageError("--format: unknown format '" + text + "': use table or json");
}

} // namespace bcvk
