#pragma once
// --port: a host address and port forwarded to a port inside the guest.
#include <string>
#include <vector>

namespace bcvk {

enum class PortProtocol { tcp, udp };

struct PortForward {
  std::string host_address = "127.0.0.1"; // IPv4, dotted quad
  unsigned host_port = 0;
  unsigned guest_port = 0;
  PortProtocol protocol = PortProtocol::tcp;
  bool operator==(const PortForward&) const = default;
};

const char* protocol_name(PortProtocol protocol);

// "[HOST_ADDR:]HOST_PORT:GUEST_PORT[/tcp|udp]"; throws UsageError naming --port and the fix.
// Only IPv4 host addresses: QEMU's user network forwards from IPv4 sockets.
PortForward parse_port(const std::string& text);

// The canonical form, "127.0.0.1:8080:80/tcp": what ps and inspect show and the state saves.
std::string to_string(const PortForward& forward);

// Refuses two forwards of the same host address, port and protocol.
void check_distinct_ports(const std::vector<PortForward>& forwards);

} // namespace bcvk
