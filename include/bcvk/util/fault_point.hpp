#pragma once
// Named points in the life of an instance where the fault-injection tests kill bcvk.
#include <string_view>

namespace bcvk {

// The environment variable that names the point to stop at; tests set it, nothing else does.
inline constexpr const char* k_fault_point_env = "BCVK_TEST_STOP_AT";

// When BCVK_TEST_STOP_AT equals `stage`: prints "bcvk: stopped at STAGE" on stderr and stops the
// process (SIGSTOP), so a test can kill -9 it exactly there. Does nothing otherwise.
void fault_point(std::string_view stage);

} // namespace bcvk
