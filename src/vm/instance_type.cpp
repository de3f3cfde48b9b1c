#include "bcvk/vm/instance_type.hpp"

#include "bcvk/util/error.hpp"
#include "bcvk/util/size.hpp"

#include <array>

namespace bcvk {
namespace {

constexpr std::array<InstanceType, 10> k_types{{
    {"u1.nano", 1, 512 * k_mib},
    {"u1.micro", 1, 1 * k_gib},
    {"u1.small", 1, 2 * k_gib},
    {"u1.medium", 1, 4 * k_gib},
    {"u1.2xmedium", 2, 4 * k_gib},
    {"u1.large", 2, 8 * k_gib},
    {"u1.xlarge", 4, 16 * k_gib},
    {"u1.2xlarge", 8, 32 * k_gib},
    {"u1.4xlarge", 16, 64 * k_gib},
    {"u1.8xlarge", 32, 128 * k_gib},
}};

} // namespace

std::span<const InstanceType> instance_types() {
  return k_types;
}

const InstanceType& find_instance_type(std::string_view name) {
  for (const auto& type : k_types) {
    if (type.name == name) {
      return type;
    }
  }
  std::string known;
  for (const auto& type : k_types) {
    known += known.empty() ? "" : ", ";
    known += type.name;
  }
  throw UsageError("--itype: unknown instance type '" + std::string(name) + "': use one of " + known);
}

} // namespace bcvk
