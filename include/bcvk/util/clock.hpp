#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bcvk {

// RFC 3339 UTC timestamp of now.
std::string now_rfc3339();

// Seconds since the epoch of a timestamp in the form now_rfc3339() writes ("2026-12-07T05:09:41Z");
// empty for anything else (pure).
std::optional<std::int64_t> rfc3339_seconds(std::string_view text);

// Seconds since the epoch now.
std::int64_t now_seconds();

} // namespace bcvk
