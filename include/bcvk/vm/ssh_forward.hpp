#pragma once
// -L/-R port forward specifications in OpenSSH syntax. Pure.
#include <string>

namespace bcvk {

enum class ForwardDirection {
  local,  // -L: listen on the host, connect from the guest
  remote, // -R: listen in the guest, connect from the host
};

struct ForwardSpec {
  ForwardDirection direction = ForwardDirection::local;
  std::string bind_address; // where the listening side binds; loopback unless given
  unsigned listen_port = 0;
  std::string target_host;
  unsigned target_port = 0;
  bool operator==(const ForwardSpec&) const = default;
};

// "[BIND:]PORT:HOST:HOSTPORT" (IPv6 addresses in brackets). Throws UsageError naming the option.
ForwardSpec parse_forward(ForwardDirection direction, const std::string& text);

} // namespace bcvk
