#pragma once
// What every verb sees: the global options, the termination signals and the status to report.
#include <string>

namespace bcvk {

class SignalCatcher;

struct Context {
  std::string connect_uri; // empty: let libvirt resolve its default
  std::string log_level = "warn";
  int exit_status = 0;
  SignalCatcher* signals = nullptr; // termination signals, blocked process-wide and polled here
};

} // namespace bcvk
