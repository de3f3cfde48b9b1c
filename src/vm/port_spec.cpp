#include "bcvk/vm/port_spec.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

const char* const k_port_usage = "use [HOST_ADDR:]HOST_PORT:GUEST_PORT[/tcp|udp], e.g. --port 8080:80";

unsigned port_number(const std::string& text, const std::string& whole, const char* what) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 1 || value > 65535) {
    throw UsageError("--port: invalid " + std::string(what) + " '" + printable(text) + "' in '" + printable(whole) +
                     "': use a number from 1 to 65535");
  }
  return value;
}

} // namespace

const char* protocol_name(PortProtocol protocol) {
  return protocol == PortProtocol::udp ? "udp" : "tcp";
}

PortForward parse_port(const std::string& text) {
  check_plain_text("--port", "port forward", text);
  PortForward forward;
  std::string spec = text;
  if (const auto slash = spec.find('/'); slash != std::string::npos) {
    const std::string proto = spec.substr(slash + 1);
    if (proto == "tcp") {
      forward.protocol = PortProtocol::tcp;
    } else if (proto == "udp") {
      forward.protocol = PortProtocol::udp;
    } else {
      throw UsageError("--port: unknown protocol '" + printable(proto) + "' in '" + printable(text) +
                       "': use /tcp or /udp");
    }
    spec.resize(slash);
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t colon; (colon = spec.find(':', start)) != std::string::npos; start = colon + 1) {
    parts.push_back(spec.substr(start, colon - start));
  }
  parts.push_back(spec.substr(start));
  if (parts.size() < 2 || parts.size() > 3) {
    throw UsageError("--port: invalid value '" + printable(text) + "': " + k_port_usage);
  }
  if (parts.size() == 3) {
    in_addr addr{};
    if (::inet_pton(AF_INET, parts[0].c_str(), &addr) != 1) {
      throw UsageError("--port: invalid host address '" + printable(parts[0]) + "' in '" + printable(text) +
                       "': give an IPv4 address such as 127.0.0.1, or leave it out for 127.0.0.1");
    }
    forward.host_address = parts[0];
    parts.erase(parts.begin());
  }
  forward.host_port = port_number(parts[0], text, "host port");
  forward.guest_port = port_number(parts[1], text, "guest port");
  return forward;
}

std::string to_string(const PortForward& forward) {
  return forward.host_address + ":" + std::to_string(forward.host_port) + ":" + std::to_string(forward.guest_port) +
         "/" + protocol_name(forward.protocol);
}

void check_distinct_ports(const std::vector<PortForward>& forwards) {
  for (std::size_t i = 0; i < forwards.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = forwards[i];
      const auto& b = forwards[j];
      if (a.host_port == b.host_port && a.protocol == b.protocol &&
          (a.host_address == b.host_address || a.host_address == "0.0.0.0" || b.host_address == "0.0.0.0")) {
        throw UsageError("--port: host port " + std::to_string(a.host_port) + "/" + protocol_name(a.protocol) +
                         " is forwarded twice ('" + to_string(b) + "' and '" + to_string(a) +
                         "'): give each forward its own HOST_PORT");
      }
    }
  }
}

} // namespace bcvk
