#include "bcvk/util/clock.hpp"

#include <cstdio>
#include <ctime>

namespace bcvk {

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::int64_t> rfc3339_seconds(std::string_view text) {
  // Exactly "YYYY-MM-DDTHH:MM:SSZ": digits where digits belong, nothing before or after.
  static constexpr std::string_view shape = "0000-00-00T00:00:00Z";
  if (text.size() != shape.size()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == '0' ? !digit : text[i] != shape[i]) {
      return std::nullopt;
    }
  }
  const auto at = [&text](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = at(0, 4) - 1900;
  tm.tm_mon = at(5, 2) - 1;
  tm.tm_mday = at(8, 2);
  tm.tm_hour = at(11, 2);
  tm.tm_min = at(14, 2);
  tm.tm_sec = at(17, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

} // namespace bcvk
