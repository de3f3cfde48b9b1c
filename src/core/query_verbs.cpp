// ps, inspect, logs and images: the verbs that only look.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "bcvk/domain_xml.hpp"
#include "bcvk/error.hpp"
#include "bcvk/gc.hpp"
#include "bcvk/instance.hpp"
#include "bcvk/runtime.hpp"
#include "bcvk/services.hpp"
#include "bcvk/size.hpp"
#include "bcvk/table.hpp"
#include "bcvk/watcher.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

struct InstanceView {
  InstanceState state;
  std::string status; // running, stopped, creating
  std::string instance_dir;
};

std::string live_status(const Connection& conn, const InstanceState& state) {
  const auto domain = conn.find(state.name);
  if (domain && domain->is_active()) {
    return "running";
  }
  return state.phase == Phase::creating ? "creating" : "stopped";
}

std::vector<InstanceView> load_views(const Connection& conn) {
  std::vector<InstanceView> views;
  for (const auto& name : InstanceDir::list_names()) {
    const auto dir = InstanceDir::open(name);
    if (!dir) {
      continue;
    }
    try {
      InstanceView v;
      v.state = dir->load();
      v.status = live_status(conn, v.state);
      v.instance_dir = dir->path();
      views.push_back(std::move(v));
    } catch (const Error&) {
      continue; // being created right now, state not written yet
    }
  }
  return views;
}

bool matches(const InstanceView& v, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    if (f.rfind("label=", 0) != 0) {
      throw UsageError("--filter: unsupported filter '" + f + "': use label=KEY or label=KEY=VALUE");
    }
    const std::string spec = f.substr(6);
    const auto eq = spec.find('=');
    const std::string key = spec.substr(0, eq);
    bool found = false;
    for (const auto& l : v.state.labels) {
      found = found || (l.key == key && (eq == std::string::npos || l.value == spec.substr(eq + 1)));
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

nlohmann::json to_json(const InstanceView& v) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : v.state.labels) {
    labels[l.key] = l.value;
  }
  return {{"name", v.state.name},
          {"image", v.state.image},
          {"image_id", v.state.image_id},
          {"status", v.status},
          {"created", v.state.created},
          {"memory_bytes", v.state.memory_bytes},
          {"vcpus", v.state.vcpus},
          {"auto_remove", v.state.auto_remove},
          {"ssh_port", v.state.ssh_port},
          {"kernel_version", v.state.kernel_version},
          {"systemd_version", v.state.systemd_version},
          {"instance_dir", v.instance_dir},
          {"labels", labels}};
}

// libvirt keeps one virtiofsd log per shared directory, named after the domain.
int show_virtiofsd_logs(const std::string& name) {
  const std::string log_dir = "/var/log/libvirt/qemu";
  std::vector<std::string> logs;
  std::error_code ec;
  for (fs::directory_iterator it(log_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (file.starts_with(name + "-fs") && file.ends_with("-virtiofsd.log")) {
      logs.push_back(it->path().string());
    }
  }
  std::sort(logs.begin(), logs.end());
  if (logs.empty()) {
    throw Error("no virtiofsd logs for " + name + " in " + log_dir);
  }
  for (const auto& log : logs) {
    std::cout << "==> " << log << " <==\n" << read_text_file(log) << std::flush;
  }
  return k_exit_ok;
}

} // namespace

OutputFormat parse_output_format(const std::string& text) {
  if (text == "table") {
    return OutputFormat::table;
  }
  if (text == "json") {
    return OutputFormat::json;
  }
  throw UsageError("--format: unknown format '" + text + "': use table or json");
}

int list_instances(const PsOptions& options, const Context& ctx) {
  const OutputFormat format = parse_output_format(options.format);
  const Services services(ctx);
  std::vector<InstanceView> shown;
  for (auto& v : load_views(services.conn)) {
    if ((options.all || v.status == "running") && matches(v, options.filters)) {
      shown.push_back(std::move(v));
    }
  }
  if (options.quiet) {
    for (const auto& v : shown) {
      std::cout << v.state.name << "\n";
    }
    return k_exit_ok;
  }
  if (format == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : shown) {
      out.push_back(to_json(v));
    }
    std::cout << out.dump(2) << "\n";
    return k_exit_ok;
  }
  Table table({"NAME", "IMAGE", "STATUS", "CREATED", "MEMORY", "VCPUS"});
  for (const auto& v : shown) {
    table.add({v.state.name, v.state.image, v.status, v.state.created, format_size(v.state.memory_bytes),
               std::to_string(v.state.vcpus)});
  }
  std::cout << table.render();
  return k_exit_ok;
}

int inspect_instance(const std::string& name, const Context& ctx) {
  const VmName vm = VmName::parse(name);
  const Connection conn = Connection::open(ctx.connect_uri);
  const auto dir = InstanceDir::open_existing(vm);
  InstanceView v{dir.load(), "", dir.path()};
  v.status = live_status(conn, v.state);
  nlohmann::json out = to_json(v);
  out["console_log"] = dir.console_log();
  out["domain_xml"] = dir.domain_xml_file();
  out["uri"] = v.state.uri;
  std::cout << out.dump(2) << "\n";
  return k_exit_ok;
}

int show_logs(const LogsOptions& options, const Context& ctx) {
  const VmName vm = VmName::parse(options.name);
  const auto dir = InstanceDir::open_existing(vm);
  if (options.virtiofsd) {
    return show_virtiofsd_logs(options.name);
  }
  FileFollower follower(options.console ? dir.console_log() : dir.file("journal.log"), STDOUT_FILENO);
  follower.pump();
  if (!options.follow) {
    return k_exit_ok;
  }
  const Connection conn = Connection::open(ctx.connect_uri);
  const auto domain = conn.find(options.name);
  if (domain) {
    wait_for_stop(
        conn, *domain, ctx.signals, [&follower] { follower.pump(); }, 200);
  }
  follower.pump();
  return k_exit_ok;
}

int list_images(const ImagesOptions& options) {
  const OutputFormat format = parse_output_format(options.format);
  SystemProcessRunner runner;
  PodmanImageStore store(runner);
  const auto images = store.list_bootc_images();
  if (options.quiet) {
    for (const auto& img : images) {
      std::cout << (img.names.empty() ? img.id : img.names.front()) << "\n";
    }
    return k_exit_ok;
  }
  if (format == OutputFormat::json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& img : images) {
      out.push_back(
          {{"id", img.id}, {"names", img.names}, {"digest", img.digest}, {"created", img.created}, {"size", img.size}});
    }
    std::cout << out.dump(2) << "\n";
    return k_exit_ok;
  }
  Table table({"REPOSITORY", "ID", "CREATED", "SIZE"});
  for (const auto& img : images) {
    table.add(
        {img.names.empty() ? "<none>" : img.names.front(), img.id.substr(0, 12), img.created, format_size(img.size)});
  }
  std::cout << table.render();
  return k_exit_ok;
}

} // namespace bcvk
