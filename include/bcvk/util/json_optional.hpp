#pragma once
// Optional values in bcvk's JSON output: null where a value is unknown, never a made-up 0.
#include <optional>

#include <nlohmann/json.hpp>

namespace bcvk {

template <typename T> nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

} // namespace bcvk
