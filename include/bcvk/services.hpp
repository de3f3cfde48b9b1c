#pragma once
// What every verb that changes or lists instances needs: libvirt, podman, and a tidy state dir.
#include "bcvk/cli.hpp"
#include "bcvk/gc.hpp"
#include "bcvk/hypervisor.hpp"
#include "bcvk/image_store.hpp"
#include "bcvk/process.hpp"

namespace bcvk {

// Opens the connection and first releases whatever dead owners left behind (see gc.hpp).
struct Services {
  Connection conn;
  SystemProcessRunner runner;
  PodmanImageStore store{runner};
  explicit Services(const Context& ctx) : conn(Connection::open(ctx.connect_uri)) { collect_garbage(conn, store); }
};

} // namespace bcvk
