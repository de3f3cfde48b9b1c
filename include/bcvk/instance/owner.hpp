#pragma once
// The single place that releases what an instance holds: overlay mount, image mount, directory.
#include <string>

#include "bcvk/host/image_store.hpp"
#include "bcvk/instance/instance_dir.hpp"

namespace bcvk {

// What remains of an instance once it stops.
enum class Disposition {
  keep,   // stopped but kept: its overlay (the guest's changes) and saved XML stay for a restart
  remove, // everything goes
};

// What release does when libvirt, on the URI an instance was made on, does not answer.
enum class IfLibvirtSilent {
  keep,       // keep everything and say how to release it later: a VM may still run there
  check_host, // `rm --forget`: release once no process on this host uses the instance's files
};

// Unmounts the root overlay and releases the image mount if they are held, recording each step in
// the state file; then keeps or deletes the directory. Safe to call repeatedly. First asks libvirt,
// on the URI recorded in the state, whether the VM runs: when it does, or libvirt cannot say (and
// `if_silent` does not allow looking at the host's processes instead), it throws Error and
// releases nothing.
void release_instance(InstanceDir& dir, InstanceState& state, ImageStore& store, Disposition disposition,
                      IfLibvirtSilent if_silent = IfLibvirtSilent::keep);

// For an instance whose owner is gone (crash recovery, `rm`, `stop`): its recorded state, or, for
// one whose maker was killed before writing any, a state that holds nothing. A state that exists
// but cannot be read throws Error naming the file: nothing is released on a guess.
InstanceState state_left_behind(const InstanceDir& dir);

// How the owner gone from `state` would have released it: removed when it was made with --rm or
// was being made or removed, kept stopped otherwise.
Disposition disposition_left_behind(const InstanceState& state);

// Owns a live instance: releases it on destruction unless handed over (to a supervisor, or kept
// running by design). The destructor never throws; failures are logged.
class InstanceOwner {
public:
  InstanceOwner(InstanceDir dir, InstanceState state, ImageStore& store)
      : m_dir(std::move(dir)), m_state(std::move(state)), m_store(store) {}
  ~InstanceOwner();
  InstanceOwner(const InstanceOwner&) = delete;
  InstanceOwner& operator=(const InstanceOwner&) = delete;

  InstanceDir& dir() { return m_dir; }
  InstanceState& state() { return m_state; }
  void save() { m_dir.save(m_state); }
  // Releases now with the given disposition.
  void release(Disposition disposition);
  // Someone else (a supervisor process) is responsible from now on.
  void hand_over() { m_handed_over = true; }

private:
  InstanceDir m_dir;
  InstanceState m_state;
  ImageStore& m_store;
  bool m_handed_over = false;
};

} // namespace bcvk
