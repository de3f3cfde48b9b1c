#pragma once
// The names in a directory, for comparing what a directory holds with what it should.
#include <filesystem>
#include <set>
#include <string>

namespace bcvk::test_support {

inline std::set<std::string> names_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

} // namespace bcvk::test_support
