// `ephemeral commit NAME IMAGE`: a kept VM's changes as one new layer on the image it was made
// from, stored in local storage under IMAGE.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <iostream>
#include <optional>

#include <spdlog/spdlog.h>

#include "bcvk/host/layer_archive.hpp"
#include "bcvk/host/oci_import.hpp"
#include "bcvk/host/root_layer.hpp"
#include "bcvk/host/upper_scan.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/util/clock.hpp"
#include "bcvk/util/digest.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/verbs/stop_instance.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/vm/committed_image.hpp"
#include "bcvk/vm/layer_diff.hpp"

namespace bcvk {
namespace {

// As long as `ephemeral stop` gives a guest by default.
constexpr unsigned k_stop_timeout_seconds = 60;

Error running_error(const std::string& name) {
  return Error("VM " + name + " is running: stop it first ('bcvk ephemeral stop " + name + "'), or pass --stop");
}

// The guest's changes: the upper layer of the stopped VM's overlay, on its own file system
// mounted read-only and attached nowhere, reached through descriptors alone.
struct UpperLayer {
  Fd file_system;
  Fd upper;
};

UpperLayer open_upper(const InstanceDir& dir, const InstanceState& state) {
  if (state.root_size_bytes == 0) {
    // Only an older bcvk kept the guest's writes in the state directory, and it recorded no
    // placed paths, so such a VM was refused before.
    throw Error("VM " + dir.name() +
                " keeps its changes in the state directory (an older layout): it cannot be committed");
  }
  UpperLayer layer;
  layer.file_system = open_root_layer_read_only(dir.root_image());
  layer.upper = Fd(::openat(layer.file_system.get(), "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!layer.upper) {
    throw Error("cannot open the changes of VM " + dir.name() + ": " + std::strerror(errno));
  }
  return layer;
}

// The layer holds every regular file at its full size (a sparse file of the guest's too), and
// storing it takes that much three times: the layer in the instance directory, skopeo's copy in
// its temporary directory, the unpacked layer in local storage. Refused before anything is written
// when a file system among them cannot hold its share.
void require_room_for(const LayerPlan& plan, const std::vector<std::string>& places) {
  std::uint64_t bytes = 10240;
  for (const auto& entry : plan.entries) {
    bytes += (entry.size + 511) / 512 * 512 + 2048; // the content, and its pax and tar headers
  }
  struct Need {
    std::string path;
    std::uint64_t bytes = 0;
    std::uint64_t free_bytes = 0;
  };
  std::map<unsigned long, Need> needs; // per file system
  for (const auto& place : places) {
    struct statvfs sv {};
    if (::statvfs(place.c_str(), &sv) != 0) {
      continue; // skopeo or podman will say what is wrong with it
    }
    auto& need = needs[sv.f_fsid];
    need.path = need.path.empty() ? place : need.path;
    need.bytes += bytes;
    need.free_bytes = static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
  }
  for (const auto& [fsid, need] : needs) {
    if (need.bytes > need.free_bytes) {
      throw Error("the new layer takes " + format_size(bytes) +
                  " (files at their full size, sparse ones too), and storing it needs " + format_size(need.bytes) +
                  " on the file system of " + need.path + ", which has " + format_size(need.free_bytes) +
                  " free: free space there, or remove large files in the VM, then commit");
    }
  }
}

// What the guest made from its provisioning is its own change, and goes into the layer.
void warn_about_provisioning(const std::vector<std::string>& placed) {
  for (const auto& path : placed) {
    if (path.starts_with("var/lib/cloud/seed/nocloud/")) {
      spdlog::warn("the VM ran a --cloud-init seed: the users, keys and files cloud-init made from it are in the "
                   "layer (the seed and cloud-init's state are not)");
      return;
    }
  }
}

// Runs `step`; a failure while a termination signal is pending is that interruption (the signal
// reached the program `step` ran too), not the step's own failure.
template <typename Step> auto interruptible(SignalCatcher& signals, Step step) {
  try {
    return step();
  } catch (const Error&) {
    signals.checkpoint();
    throw;
  }
}

// A file of the OCI layout, written once.
void write_blob_file(const Fd& dir, const std::string& name, const std::string& data) {
  replace_file_at(dir.get(), name, data, 0600, name);
}

Fd make_dir_at(const Fd& parent, const std::string& name) {
  if (::mkdirat(parent.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
    throw Error("cannot make " + name + " for the commit: " + std::strerror(errno));
  }
  Fd dir(::openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    throw Error("cannot open " + name + " for the commit: " + std::strerror(errno));
  }
  return dir;
}

// Where the OCI layout is put together: inside the instance (its file system has room for what the
// guest wrote, and nobody else gets in), gone when the commit ends, whatever way it ends.
class Staging {
public:
  explicit Staging(const InstanceDir& dir) : m_path(dir.commit_staging_dir()) {
    remove_tree_nofollow(m_path); // what a killed commit left
    if (::mkdir(m_path.c_str(), 0700) != 0) {
      throw Error("cannot make " + m_path + ": " + std::strerror(errno));
    }
    m_dir = Fd(::open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!m_dir) {
      throw Error("cannot open " + m_path + ": " + std::strerror(errno));
    }
  }
  ~Staging() {
    try {
      remove_tree_nofollow(m_path);
    } catch (const std::exception& e) {
      spdlog::warn("cannot remove {}: {}", m_path, e.what());
    }
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  const std::string& path() const { return m_path; }
  const Fd& dir() const { return m_dir; }

private:
  std::string m_path;
  Fd m_dir;
};

std::string hex_of(const std::string& digest) {
  return digest.substr(digest.find(':') + 1);
}

// Writes the layer into blobs/sha256/ under its digest.
BlobRef write_layer_blob(const LayerPlan& plan, const UpperLayer& layer, const Fd& blobs, SignalCatcher& signals) {
  const std::string partial = "layer.partial";
  const Fd out(::openat(blobs.get(), partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) {
    throw Error("cannot write the layer: " + std::string(std::strerror(errno)));
  }
  const BlobRef blob = write_layer(plan.entries, layer.upper, out, signals);
  if (::fsync(out.get()) != 0 ||
      ::renameat(blobs.get(), partial.c_str(), blobs.get(), hex_of(blob.digest).c_str()) != 0) {
    throw Error("cannot write the layer: " + std::string(std::strerror(errno)));
  }
  return blob;
}

void write_json_blob(const Fd& blobs, const std::string& json) {
  write_blob_file(blobs, hex_of(sha256_digest(json)), json);
}

} // namespace

int commit_instance(const CommitRequest& request, const Context& ctx) {
  const std::string& name = request.name.str();
  Services s(ctx.connect_uri, Recover::yes);
  {
    const InstanceDir dir = InstanceDir::open_existing(request.name);
    if (const auto state = dir.load_if_written(); state && state->auto_remove) {
      throw UsageError("VM " + name +
                       " runs with --rm: it is removed when it stops, so there is nothing to commit; "
                       "run the image without --rm");
    }
  }
  std::optional<InstanceDir> locked;
  if (request.stop) {
    StoppedInstance stopped = stop_instance(s, request.name, k_stop_timeout_seconds, false, *ctx.signals);
    if (stopped.forced) {
      // Whatever the guest had not written out yet is lost, and what it had may be half done.
      throw Error("VM " + name + " did not shut down within " + std::to_string(k_stop_timeout_seconds) +
                  " s and was powered off, so its changes may be incomplete: check them with 'bcvk ephemeral start " +
                  name + "', stop it cleanly, then commit");
    }
    locked.emplace(std::move(stopped.dir));
  } else {
    locked.emplace(InstanceDir::open_existing(request.name));
  }
  InstanceDir& dir = *locked;
  if (!dir.locked()) {
    const auto lock = dir.try_lock();
    if (lock == InstanceDir::LockResult::gone) {
      throw Error("no ephemeral VM named '" + name + "': it was removed meanwhile");
    }
    if (lock != InstanceDir::LockResult::locked) {
      throw running_error(name);
    }
  }
  if (!InstanceDir::open(request.name)) {
    throw Error("no ephemeral VM named '" + name + "': it was removed when it stopped");
  }
  InstanceState state = dir.load();
  if (state.phase != Phase::stopped) {
    throw running_error(name);
  }
  if (!state.placed_paths) {
    throw Error("VM " + name +
                " was made by an older bcvk, which neither recorded its own files in the VM nor "
                "mounted its overlay for commits: make the changes in a new VM of " +
                state.image + ", then commit that");
  }
  if (s.store.exists(request.image) && !request.replace) {
    throw UsageError("IMAGE: " + request.image +
                     " names an image already: pick another name, or pass --replace to move the name to the new image");
  }
  if (!s.store.exists(state.image_id)) {
    throw Error("the image VM " + name + " was made from (" + state.image + ", " + state.image_id.substr(0, 12) +
                ") is gone from local storage, and the new image is built on its layers: pull or build it again");
  }
  ctx.signals->checkpoint();
  // From here the instance's owner releases what the commit takes, on every path: the image
  // mount (recorded in the state, as a run records it, for crash recovery after a kill), and the
  // staging directory (which recovery removes too).
  InstanceOwner owner(std::move(dir), std::move(state), s.store);
  owner.dir().clear_released();
  const std::string image_root = interruptible(*ctx.signals, [&] { return s.store.mount(owner.state().image_id); });
  owner.state().image_mounted = true;
  owner.save();
  const RootedTree image_tree = RootedTree::open(image_root, "image " + owner.state().image);
  const UpperLayer layer = open_upper(owner.dir(), owner.state());
  const LayerPlan plan =
      plan_layer(scan_upper(layer.upper, image_tree, *ctx.signals), commit_exclusions(*owner.state().placed_paths));
  spdlog::debug("the layer of {}:\n{}", name, describe_layer(plan));
  for (const auto& warning : plan.warnings) {
    spdlog::warn("{}", warning);
  }
  warn_about_provisioning(*owner.state().placed_paths);
  const char* tmp = std::getenv("TMPDIR");
  require_room_for(plan, {owner.dir().path(), s.store.storage_root(), tmp != nullptr ? tmp : "/var/tmp"});

  const Staging staging(owner.dir());
  const Fd blobs = make_dir_at(make_dir_at(staging.dir(), "blobs"), "sha256");
  const BlobRef blob = write_layer_blob(plan, layer, blobs, *ctx.signals);
  const StoredImage base =
      interruptible(*ctx.signals, [&] { return read_stored_image(owner.state().image_id, s.runner); });
  const CommitFacts facts{now_rfc3339(), name, owner.state().image, owner.state().image_digest};
  const CommittedImage image = committed_image(base.config, base.manifest, blob, request, facts);
  write_json_blob(blobs, image.config);
  write_json_blob(blobs, image.manifest);
  write_blob_file(staging.dir(), "index.json",
                  oci_layout_index({sha256_digest(image.manifest), image.manifest.size()}));
  write_blob_file(staging.dir(), "oci-layout", oci_layout_marker());
  ctx.signals->checkpoint();
  interruptible(*ctx.signals, [&] { import_oci_layout(staging.path(), request.image, request.format, s.runner); });
  const std::string id = s.store.inspect(request.image).id;
  if (!request.quiet) {
    std::cerr << "Committed VM " << name << " as " << request.image << ": " << plan.entries.size()
              << " entries in one layer of " << format_size(blob.size) << " on " << owner.state().image << " ("
              << plan.left_out.size() << " of bcvk's and the machine's own left out)\n";
  }
  std::cout << id << std::endl;
  return k_exit_ok;
}

} // namespace bcvk
