#pragma once
// Exceptions that travel up to the single place that prints them, and the exit codes they map to.
#include <stdexcept>
#include <string>
#include <utility>

namespace bcvk {

// Exit codes follow podman's convention; a guest command's own status passes through unchanged.
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_bcvk_error = 125;

// A failure of bcvk itself or of something it drives. what() is the one line that names the
// problem and the fix; details, when present, are further lines printed after it (for instance what
// a guest's log said), each made safe for the terminal where it is printed.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message, std::string details = {})
      : std::runtime_error(message), m_details(std::move(details)) {}
  const std::string& details() const { return m_details; }

private:
  std::string m_details;
};

// The user asked for something invalid; the message names the option, the value and the fix.
class UsageError : public Error {
public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

// A libvirt call failed; carries libvirt's error code for callers that must tell cases apart.
class LibvirtError : public Error {
public:
  LibvirtError(int code, const std::string& message) : Error(message), m_code(code) {}
  int code() const { return m_code; }

private:
  int m_code;
};

} // namespace bcvk
