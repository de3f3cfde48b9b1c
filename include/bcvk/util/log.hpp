#pragma once
// Logging to stderr: a short pattern normally, a detailed one at debug level.
#include <string>

namespace bcvk {

// Configures the default logger; `level` is one of trace, debug, info, warn, error, off.
// Colour follows the terminal and NO_COLOR. Throws UsageError on an unknown level.
void configure_logging(const std::string& level);

} // namespace bcvk
