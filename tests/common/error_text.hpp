#pragma once
// What a call refused with, for tests that compare bcvk's one-line messages.
#include <functional>
#include <string>

#include "bcvk/util/error.hpp"

namespace bcvk::testing_support {

// The message of the Error `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

} // namespace bcvk::testing_support
