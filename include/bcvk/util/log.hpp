#pragma once
// Logging to stderr: a short pattern normally, a detailed one at debug level.
#include <string>
#include <string_view>

namespace bcvk {

// Configures the default logger; `level` is one of trace, debug, info, warn, error, off.
// Colour follows the terminal and NO_COLOR. Throws UsageError on an unknown level.
void configure_logging(const std::string& level);

// Marks the start of a stage of a command in the debug log, with the wall-clock time in
// microseconds ("stage: libvirt connect (Unix time 1700000000.123456)"): scripts/bench reads
// these lines to break a start down, on the same clock as its own.
void log_stage(std::string_view stage);

} // namespace bcvk
