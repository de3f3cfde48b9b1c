#pragma once
#include <string>

namespace bcvk {

// RFC 3339 UTC timestamp of now.
std::string now_rfc3339();

} // namespace bcvk
