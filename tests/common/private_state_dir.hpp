#pragma once
// A state directory of the test's own (root-only, under the temporary directory), made the one
// bcvk uses (BCVK_STATE_DIR) for the object's lifetime, and removed with everything in it.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace bcvk::test_support {

class PrivateStateDir {
public:
  explicit PrivateStateDir(const std::string& prefix)
      : m_path(std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()))) {
    std::filesystem::create_directory(m_path);
    std::filesystem::permissions(m_path, std::filesystem::perms::owner_all);
    ::setenv("BCVK_STATE_DIR", m_path.c_str(), 1);
  }
  ~PrivateStateDir() {
    std::filesystem::remove_all(m_path);
    ::unsetenv("BCVK_STATE_DIR");
  }
  PrivateStateDir(const PrivateStateDir&) = delete;
  PrivateStateDir& operator=(const PrivateStateDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

} // namespace bcvk::test_support
