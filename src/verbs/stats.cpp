// `ephemeral stats`: what running VMs cost, read from libvirt in one call per refresh, like
// `podman stats`.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "bcvk/host/virtiofsd_usage.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/instance/services.hpp"
#include "bcvk/util/clock.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/vm/instance_layout.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/util/status_line.hpp"
#include "bcvk/util/terminal_frame.hpp"
#include "bcvk/verbs/instance_view.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/vm/vm_stats.hpp"

namespace bcvk {
namespace {

// The VMs on show now: the named ones that still exist, else the running ones (with -a: all).
std::vector<InstanceView> shown_views(const Connection& conn, const StatsRequest& request) {
  if (request.names.empty()) {
    return load_views(conn, request.all ? Which::all : Which::running);
  }
  std::vector<InstanceView> views;
  for (const auto& name : request.names) {
    const auto dir = InstanceDir::open(name);
    if (!dir) {
      continue; // removed while streamed
    }
    try {
      InstanceView v = saved_view(*dir);
      v.status = live_status(conn, v.state);
      views.push_back(std::move(v));
    } catch (const Error&) {
      continue; // being created right now
    }
  }
  return views;
}

// Every named VM must exist when the command starts: a typo is an error, not an empty table.
void require_named(const StatsRequest& request) {
  for (const auto& name : request.names) {
    InstanceDir::open_existing(name);
  }
}

// Whether the VM's domain (as bcvk saved it) has a NIC libvirt does not count; when that cannot be
// read, it may have one. A domain's NICs stay as they are while it runs: read once per run (per
// domain id), not at every refresh.
using NicCache = std::map<int, bool>;
bool nic_outside_libvirt(const InstanceView& view, int domain_id, NicCache& known) {
  if (const auto it = known.find(domain_id); it != known.end()) {
    return it->second;
  }
  bool outside = true;
  try {
    outside = has_nic_outside_libvirt(read_text_file(InstanceLayout(view.instance_dir).domain_xml_file()));
  } catch (const Error&) {
  }
  if (domain_id >= 0) {
    known.emplace(domain_id, outside);
  }
  return outside;
}

// One reading of every VM on show, from a single statistics call.
struct Reading {
  std::vector<InstanceView> views;
  std::map<std::string, VmSample> samples; // by VM name
};

Reading read_all(const Connection& conn, const StatsRequest& request, bool local_qemu, NicCache& nics) {
  Reading reading;
  reading.views = shown_views(conn, request);
  const auto records = conn.running_domain_stats();
  const auto taken = std::chrono::steady_clock::now();
  for (const auto& view : reading.views) {
    if (view.status != "running") {
      continue;
    }
    const auto record = std::find_if(records.begin(), records.end(), [&view](const DomainStats& r) {
      return r.name == view.state.name && is_instance_domain(view.state, r.uuid);
    });
    if (record == records.end()) {
      continue; // stopped since the listing
    }
    VmSample sample = sample_from_domain_stats(record->numbers, record->id, taken);
    forget_uncounted_network(sample, nic_outside_libvirt(view, record->id, nics));
    if (local_qemu) {
      sample.virtiofsd = virtiofsd_usage(record->id, record->name);
    }
    reading.samples.emplace(view.state.name, std::move(sample));
  }
  return reading;
}

// The rows of one reading, CPU use measured against the reading before it.
std::vector<VmStats> rows_of(const StatsRequest& request, const Reading& now, const Reading* before,
                             unsigned host_cpus) {
  const std::int64_t now_s = now_seconds();
  std::vector<VmStats> rows;
  for (const auto& view : now.views) {
    VmStats row{view.state.name,           view.status, std::nullopt, {}, written_bytes(view),
                written_limit_bytes(view), std::nullopt};
    const auto sample = now.samples.find(view.state.name);
    if (sample != now.samples.end()) {
      row.sample = sample->second;
      if (before != nullptr) {
        // The same VM's earlier reading: cpu_use_between refuses one of another run (domain id).
        if (const auto earlier = before->samples.find(view.state.name); earlier != before->samples.end()) {
          row.cpu = cpu_use_between(earlier->second, sample->second, host_cpus);
        }
      }
      if (const auto started = rfc3339_seconds(view.state.started)) {
        row.uptime_seconds = std::max<std::int64_t>(0, now_s - *started); // a clock set back
      }
    } else if (view.status == "running") {
      row.status = "stopped"; // stopped between the listing and the reading
    }
    // Named VMs and -a show every state; otherwise a VM that stops leaves the table.
    if (!request.names.empty() || request.all || row.status == "running") {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

void print_once(const std::vector<VmStats>& rows, OutputFormat format) {
  if (format == OutputFormat::json) {
    std::cout << stats_json(rows).dump(2) << "\n" << std::flush;
  } else {
    std::cout << render_stats_table(rows) << std::flush;
  }
}

} // namespace

int show_stats(const StatsRequest& request, const Context& ctx) {
  const Services services(ctx.connect_uri, Recover::yes);
  const Connection& conn = services.conn;
  require_named(request);
  const unsigned host_cpus = conn.host_cpus();
  // The pid files read are the local system QEMU driver's (a session or embedded driver keeps its
  // own elsewhere); another host's processes are not ours to read.
  const bool local_qemu = conn.driver() == "QEMU" && conn.uri() == "qemu:///system";
  NicCache nics;
  const auto interval = std::chrono::seconds(request.interval_seconds);
  const auto wait = [&ctx, interval] {
    if (ctx.signals != nullptr) {
      ctx.signals->sleep_for(interval); // Ctrl-C ends the command with 130
    } else {
      std::this_thread::sleep_for(interval);
    }
  };

  Reading before = read_all(conn, request, local_qemu, nics);
  const bool stream = !request.no_stream && ::isatty(STDOUT_FILENO) == 1;
  if (!stream) {
    // CPU use needs two readings: one interval apart.
    wait();
    const Reading after = read_all(conn, request, local_qemu, nics);
    print_once(rows_of(request, after, &before, host_cpus), request.format);
    return k_exit_ok;
  }
  const bool redraw = request.format == OutputFormat::table && !dumb_terminal();
  std::size_t drawn_lines = 0;
  if (redraw) {
    std::cout << k_hide_cursor << std::flush;
  }
  const ScopeExit show_cursor([redraw] {
    if (redraw) {
      std::cout << k_show_cursor << std::flush;
    }
  });
  const Reading* previous = nullptr;
  Reading current = std::move(before);
  for (;;) {
    const auto rows = rows_of(request, current, previous, host_cpus);
    if (request.format == OutputFormat::json) {
      std::cout << stats_json(rows).dump() << "\n" << std::flush; // one line per reading
    } else if (redraw) {
      const std::string frame = render_stats_table(rows);
      const TerminalSize size = terminal_size_of(STDOUT_FILENO);
      std::cout << frame_update(drawn_lines, frame, size) << std::flush;
      drawn_lines = frame_lines(frame, size);
    } else {
      std::cout << render_stats_table(rows) << "\n" << std::flush;
    }
    wait();
    before = std::move(current);
    previous = &before;
    current = read_all(conn, request, local_qemu, nics);
  }
}

} // namespace bcvk
