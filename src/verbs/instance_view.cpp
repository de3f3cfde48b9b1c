#include "bcvk/verbs/instance_view.hpp"

#include "bcvk/host/root_layer.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/vm/vm_stats.hpp"

namespace bcvk {

namespace {

std::string saved_status(const InstanceState& state) {
  switch (state.phase) {
  case Phase::creating:
  case Phase::removing:
    return to_string(state.phase);
  default:
    return "stopped";
  }
}

} // namespace

std::string live_status(const Connection& conn, const InstanceState& state) {
  const auto domain = instance_domain(conn, state.name, state);
  return domain && domain->is_active() ? "running" : saved_status(state);
}

std::string live_status(const std::map<std::string, std::string>& running_domains, const std::string& conn_uri,
                        const InstanceState& state) {
  const bool running = is_instance_connection(state, conn_uri) && instance_domain_active(running_domains, state);
  return running ? "running" : saved_status(state);
}

InstanceView saved_view(const InstanceDir& dir) {
  InstanceView v;
  v.state = dir.load();
  v.state.name = dir.name(); // the checked name it lives under, whatever its state file says
  v.instance_dir = dir.path();
  v.root_used_bytes = root_layer_host_bytes(dir.root_image());
  return v;
}

std::vector<InstanceView> load_views(const Connection& conn, Which which) {
  const auto running = conn.active_domains();
  const std::string uri = conn.uri();
  std::vector<InstanceView> views;
  for (const auto& name : InstanceDir::list_names()) {
    if (which == Which::running && !running.contains(name.str())) {
      continue;
    }
    const auto dir = InstanceDir::open(name);
    if (!dir) {
      continue;
    }
    try {
      InstanceView v = saved_view(*dir);
      v.status = live_status(running, uri, v.state);
      if (which == Which::running && v.status != "running") {
        continue; // another VM that took the name
      }
      views.push_back(std::move(v));
    } catch (const Error&) {
      continue; // being created right now, state not written yet
    }
  }
  return views;
}

std::optional<std::uint64_t> written_bytes(const InstanceView& v) {
  return v.state.root_size_bytes == 0 ? std::nullopt : std::optional(v.root_used_bytes);
}

std::optional<std::uint64_t> written_limit_bytes(const InstanceView& v) {
  return v.state.root_size_bytes == 0 ? std::nullopt : std::optional(v.state.root_size_bytes);
}

nlohmann::json size_json(const InstanceView& v) {
  return size_object(written_bytes(v), written_limit_bytes(v));
}

nlohmann::json to_json(const InstanceView& v) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : v.state.labels) {
    labels[l.key] = l.value;
  }
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& p : v.state.ports) {
    ports.push_back({{"host_address", p.host_address},
                     {"host_port", p.host_port},
                     {"guest_port", p.guest_port},
                     {"protocol", protocol_name(p.protocol)}});
  }
  return {{"name", v.state.name},
          {"image", v.state.image},
          {"image_id", v.state.image_id},
          {"image_digest", v.state.image_digest},
          {"image_repo_digest", v.state.image_repo_digest},
          {"arch", v.state.arch},
          {"status", v.status},
          {"created", v.state.created},
          {"memory_bytes", v.state.memory_bytes},
          {"vcpus", v.state.vcpus},
          {"root_size_bytes", v.state.root_size_bytes},
          {"root_used_bytes", v.root_used_bytes},
          {"size", size_json(v)},
          {"started", v.state.started},
          {"auto_remove", v.state.auto_remove},
          {"ssh_port", v.state.ssh_port},
          {"ports", ports},
          {"kernel_version", v.state.kernel_version},
          {"initramfs", to_string(v.state.initramfs)},
          {"systemd_version", v.state.systemd_version},
          {"instance_dir", v.instance_dir},
          {"labels", labels}};
}

} // namespace bcvk
