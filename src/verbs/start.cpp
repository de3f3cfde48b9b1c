// `ephemeral start`: boots a kept, stopped VM again under a new supervisor.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/host/host_inputs.hpp"
#include "bcvk/instance/owner.hpp"
#include "bcvk/instance/prepare.hpp"
#include "bcvk/instance/start.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/vm/domain_xml.hpp"

namespace fs = std::filesystem;

namespace bcvk {
int start_instance(const VmName& vm, const Context& ctx) {
  const std::string& name = vm.str();
  Services s(ctx.connect_uri, Recover::yes);
  InstanceDir dir = InstanceDir::open_existing(vm);
  if (dir.try_lock() != InstanceDir::LockResult::locked) {
    throw Error("VM " + name + " is running (or being changed by another bcvk); stop it first");
  }
  // Loaded before an owner exists: an unreadable state must never lead to a clean-up.
  InstanceState state = dir.load();
  if (state.phase != Phase::stopped) {
    throw Error("VM " + name + " is not a stopped, kept VM");
  }
  // What an older bcvk kept lacks the disks' formats: they are the ones its domain XML was made
  // with, never what the guest has since written into the disks. And that XML gets today's seal.
  const auto formats = seal_file_disks(read_text_file(dir.domain_xml_file())).formats;
  for (auto& disk : state.disks) {
    std::error_code ec;
    const std::string resolved = fs::canonical(disk.path, ec).string();
    for (const auto& path : {disk.path, resolved}) {
      if (const auto it = formats.find(path); disk.format.empty() && it != formats.end()) {
        disk.format = it->second;
      }
    }
  }
  // libvirt opens the disks, shares and outputs anew: they must still be safe to use.
  recheck_host_inputs(state, s.runner);
  auto owner = std::make_unique<InstanceOwner>(std::move(dir), std::move(state), s.store);
  remount_instance(*owner, s.store, s.conn.hypervisor_user());
  owner->state().detached = true;
  // Recorded before the domain exists: recovery and every release ask libvirt on this URI, for
  // the domain with this UUID (drawn now for a VM kept by an older bcvk, which recorded none).
  owner->state().uri = s.conn.uri();
  if (owner->state().domain_uuid.empty()) {
    owner->state().domain_uuid = random_domain_uuid();
  }
  owner->save();
  // Read after the remount, which may have moved an older layout's files and rewritten the XML.
  const std::string xml = with_domain_uuid(
      for_later_boots(seal_file_disks(read_text_file(owner->dir().domain_xml_file())).xml), owner->state().domain_uuid);
  write_file_atomic(owner->dir().domain_xml_file(), xml);
  ctx.signals->checkpoint();
  StartedInstance started = start_instance_domain(s.conn, std::move(owner), xml, StartMode{.autodestroy = false});
  started.hand_to_supervisor(s.conn.uri());
  std::cout << started.domain().name() << std::endl;
  return k_exit_ok;
}

} // namespace bcvk
