#include "bcvk/host/staging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bcvk/host/mounts.hpp"
#include "bcvk/host/storage_view.hpp"
#include "bcvk/vm/resolved_inputs.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {

void mount_read_only_views(const InstanceLayout& layout, const std::vector<BindSpec>& binds, ImageStore& store) {
  for (const auto& bind : binds) {
    if (!bind.read_only) {
      continue;
    }
    const std::string view = layout.read_only_view(bind.name);
    // ro/ is private: the views make host directories reachable by a new path.
    make_private_dir(layout.read_only_views_dir(), 0700);
    make_private_dir(view, 0755);
    if (bind.name == k_storage_mount_name) {
      // The image and layer stores alone, as the images are now (a kept VM sees today's).
      mount_storage_view(bind.host_path, store.image_layer_ids(), view);
    } else {
      bind_mount_read_only(bind.host_path, view);
    }
  }
}

void open_to_hypervisor(const InstanceLayout& layout, unsigned group) {
  for (const auto& dir : {layout.path(), layout.boot_dir()}) {
    // The directory itself, never what a link there names: set on the descriptor.
    const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || ::fchown(fd.get(), 0, static_cast<gid_t>(group)) != 0 || ::fchmod(fd.get(), 0710) != 0) {
      throw Error("cannot give " + dir + " to QEMU's group " + std::to_string(group) + ": " + std::strerror(errno));
    }
  }
}

void create_swap(const std::string& path, std::uint64_t bytes, ProcessRunner& runner) {
  {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
      throw Error("cannot create swap file " + path + ": " + std::strerror(errno));
    }
  }
  const auto r = runner.run({"mkswap", "-q", "--", path});
  if (r.status != 0) {
    throw Error("mkswap " + path + " failed: " + r.err.substr(0, r.err.find('\n')));
  }
}

} // namespace bcvk
