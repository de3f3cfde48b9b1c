#pragma once
// The KubeVirt U-series instance types accepted by --itype.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bcvk {

struct InstanceType {
  std::string_view name;
  unsigned vcpus;
  std::uint64_t memory_bytes;
};

// Every known type, smallest first.
std::span<const InstanceType> instance_types();

// Looks up `name`; throws UsageError listing the known names when it is not one of them.
const InstanceType& find_instance_type(std::string_view name);

} // namespace bcvk
