#pragma once
// An instance as ps and inspect show it: its record, its live status and where it lives.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bcvk/host/hypervisor.hpp"
#include "bcvk/instance/instance_dir.hpp"

namespace bcvk {

struct InstanceView {
  InstanceState state;
  std::string status; // running, stopped, creating
  std::string instance_dir;
  std::uint64_t root_used_bytes = 0; // the host space the guest's writes take now (of state.root_size_bytes)
};

// The instance in `dir` as saved, with what its writes take now (status not looked up yet).
InstanceView saved_view(const InstanceDir& dir);

// "running" when libvirt says the instance's own domain runs (instance_domain), else "creating" or
// "stopped" from the saved phase.
std::string live_status(const Connection& conn, const InstanceState& state);
// The same from one listing of `conn_uri`'s running domains (Connection::active_domains).
std::string live_status(const std::map<std::string, std::string>& running_domains, const std::string& conn_uri,
                        const InstanceState& state);

// The instances whose state can be read (one being created right now is skipped), sorted by name:
// all of them, or only those whose VM runs (then the others' state is not even read).
enum class Which { all, running };
std::vector<InstanceView> load_views(const Connection& conn, Which which);

// The size of its writable layer: the host bytes the guest's writes take, and their limit (its
// --root-size). Both empty for an instance kept by an older bcvk, whose writes have no file system
// of their own to measure.
std::optional<std::uint64_t> written_bytes(const InstanceView& v);
std::optional<std::uint64_t> written_limit_bytes(const InstanceView& v);
// {"written_bytes": N, "limit_bytes": N}, null where unknown: `size` in ps, inspect and stats.
nlohmann::json size_json(const InstanceView& v);

nlohmann::json to_json(const InstanceView& v);

} // namespace bcvk
