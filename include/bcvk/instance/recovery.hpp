#pragma once
// Recovery from crashes: whatever a killed bcvk left behind is released by the next bcvk command.
#include <set>
#include <string>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/image_store.hpp"

namespace bcvk {

// For each instance whose owner process is gone: a still-running VM gets a new supervisor;
// otherwise its mounts are released and the directory is removed (--rm, never started, or being
// removed when its owner died) or kept. Returns the names of the instances it removed.
std::set<std::string> collect_garbage(const Connection& conn, ImageStore& store);

} // namespace bcvk
