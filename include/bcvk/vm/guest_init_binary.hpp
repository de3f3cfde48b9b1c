#pragma once
// The guest init programs embedded in this bcvk (see CMakeLists.txt), by guest architecture.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bcvk {

// The static init for guests of `arch` (podman's name: "amd64", "arm64"); none when this bcvk was
// built without one (a cross compiler is needed for the architecture other than the build host's).
std::optional<std::string_view> guest_init_binary(std::string_view arch);

// The architectures this bcvk has an init for.
std::vector<std::string> guest_init_architectures();

} // namespace bcvk
