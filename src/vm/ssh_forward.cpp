#include "bcvk/vm/ssh_forward.hpp"

#include <vector>

#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

// Splits on ':' outside of [brackets] and drops the brackets.
std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> fields(1);
  bool in_brackets = false;
  for (const char c : text) {
    if (c == '[' && !in_brackets) {
      in_brackets = true;
    } else if (c == ']' && in_brackets) {
      in_brackets = false;
    } else if (c == ':' && !in_brackets) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

unsigned forward_port_number(const std::string& field) {
  if (field.empty() || field.size() > 5 || field.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  const unsigned long port = std::stoul(field);
  return port <= 65535 ? static_cast<unsigned>(port) : 0;
}

} // namespace

ForwardSpec parse_forward(ForwardDirection direction, const std::string& text) {
  const std::string option = direction == ForwardDirection::local ? "-L" : "-R";
  const auto fail = [&](const std::string& why) -> ForwardSpec {
    throw UsageError(option + ": invalid forward '" + text + "': " + why +
                     "; expected [BIND_ADDRESS:]PORT:HOST:HOSTPORT, e.g. " + option + " 8080:localhost:80");
  };
  const auto fields = split_fields(text);
  if (fields.size() != 3 && fields.size() != 4) {
    return fail("wrong number of fields");
  }
  const std::size_t first = fields.size() - 3;
  ForwardSpec spec;
  spec.direction = direction;
  spec.bind_address = fields.size() == 4 && !fields[0].empty() ? fields[0] : "127.0.0.1";
  if (spec.bind_address == "localhost") {
    spec.bind_address = "127.0.0.1";
  }
  spec.listen_port = forward_port_number(fields[first]);
  spec.target_host = fields[first + 1];
  spec.target_port = forward_port_number(fields[first + 2]);
  if (spec.listen_port == 0) {
    return fail("'" + fields[first] + "' is not a port between 1 and 65535");
  }
  if (spec.target_host.empty()) {
    return fail("the host to connect to is empty");
  }
  if (spec.target_port == 0) {
    return fail("'" + fields[first + 2] + "' is not a port between 1 and 65535");
  }
  return spec;
}

} // namespace bcvk
