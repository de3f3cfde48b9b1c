#pragma once
// Recovery from crashes: whatever a killed bcvk left behind is released by the next bcvk command.
#include "bcvk/host/hypervisor.hpp"
#include "bcvk/host/image_store.hpp"

namespace bcvk {

// For each instance whose owner process is gone: a still-running VM gets a new supervisor;
// otherwise its mounts are released and the directory is removed (--rm, or never started) or kept.
void collect_garbage(const Connection& conn, ImageStore& store);

} // namespace bcvk
