#include "bcvk/vm/vm_stats.hpp"

#include <algorithm>
#include <cstdio>

#include "bcvk/util/json_optional.hpp"
#include "bcvk/util/size.hpp"
#include "bcvk/util/table.hpp"

namespace bcvk {

namespace {

using Stats = std::map<std::string, std::uint64_t>;

std::optional<std::uint64_t> value_of(const Stats& stats, const std::string& key) {
  const auto it = stats.find(key);
  return it == stats.end() ? std::nullopt : std::optional(it->second);
}

std::optional<std::uint64_t> kib(const Stats& stats, const std::string& key) {
  const auto v = value_of(stats, key);
  return v ? std::optional(*v * 1024U) : std::nullopt;
}

// The sum of PREFIX.0.SUFFIX ... PREFIX.(count-1).SUFFIX, with the count in PREFIX.count; empty
// when the group is not reported or a device lacks the counter (libvirt leaves out what it cannot
// read: a NIC without a host device, a disk while the domain is busy): a part is not the whole.
std::optional<std::uint64_t> summed(const Stats& stats, const std::string& prefix, const std::string& suffix) {
  const auto count = value_of(stats, prefix + ".count");
  if (!count) {
    return std::nullopt;
  }
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < *count && i < 4096; ++i) {
    const auto v = value_of(stats, prefix + "." + std::to_string(i) + "." + suffix);
    if (!v) {
      return std::nullopt;
    }
    total += *v;
  }
  return total;
}

std::optional<std::uint64_t> vcpu_time(const Stats& stats) {
  const auto count = value_of(stats, "vcpu.current");
  if (!count || *count == 0) {
    return std::nullopt;
  }
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < *count && i < 4096; ++i) {
    const auto t = value_of(stats, "vcpu." + std::to_string(i) + ".time");
    if (!t) {
      return std::nullopt; // one vCPU unread would make the guest look idle
    }
    total += *t;
  }
  return total;
}

// The guest's own figures (it may report anything): shown only while they are consistent with
// each other and with the memory the VM has.
std::optional<std::uint64_t> guest_used(const Stats& stats) {
  const auto total = value_of(stats, "balloon.available");
  const auto available = value_of(stats, "balloon.usable");
  const auto given = value_of(stats, "balloon.current");
  if (!total || !available || !given || *available > *total || *total > *given) {
    return std::nullopt;
  }
  return (*total - *available) * 1024U;
}

std::optional<double> percent(std::optional<std::uint64_t> before, std::optional<std::uint64_t> after, double span_ns,
                              unsigned cpus) {
  if (!before || !after || *after < *before || span_ns <= 0 || cpus == 0) {
    return std::nullopt;
  }
  return static_cast<double>(*after - *before) * 100.0 / (span_ns * cpus);
}

std::string percent_text(std::optional<double> p) {
  if (!p) {
    return "-";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", *p);
  return buf;
}

std::string size_text(std::optional<std::uint64_t> bytes) {
  return bytes ? format_size(*bytes) : "-";
}

std::string pair_text(std::optional<std::uint64_t> a, std::optional<std::uint64_t> b) {
  return a || b ? size_text(a) + " / " + size_text(b) : "-";
}

std::optional<std::uint64_t> shares_io(const VmSample& s, bool written) {
  if (!s.virtiofsd) {
    return std::nullopt;
  }
  return written ? s.virtiofsd->write_bytes : s.virtiofsd->read_bytes;
}

// What the guest read or wrote: its disks' I/O and its shares' (virtiofsd's), together; unknown
// unless both are known.
std::optional<std::uint64_t> io_total(const VmSample& s, bool written) {
  const std::optional<std::uint64_t>& block = written ? s.block_write_bytes : s.block_read_bytes;
  const std::optional<std::uint64_t> shares = shares_io(s, written);
  if (!block || !shares) {
    return std::nullopt;
  }
  return *block + *shares;
}

} // namespace

VmSample sample_from_domain_stats(const Stats& stats, int domain_id, std::chrono::steady_clock::time_point taken) {
  VmSample s;
  s.domain_id = domain_id;
  s.taken = taken;
  s.cpu_time_ns = value_of(stats, "cpu.time");
  s.vcpu_time_ns = vcpu_time(stats);
  s.vcpus = static_cast<unsigned>(value_of(stats, "vcpu.current").value_or(0));
  s.memory_bytes = kib(stats, "balloon.current");
  s.guest_used_bytes = guest_used(stats);
  s.qemu_rss_bytes = kib(stats, "balloon.rss");
  s.net_rx_bytes = summed(stats, "net", "rx.bytes");
  s.net_tx_bytes = summed(stats, "net", "tx.bytes");
  s.block_read_bytes = summed(stats, "block", "rd.bytes");
  s.block_write_bytes = summed(stats, "block", "wr.bytes");
  return s;
}

void forget_uncounted_network(VmSample& sample, bool nic_outside_libvirt) {
  if (nic_outside_libvirt) {
    sample.net_rx_bytes.reset();
    sample.net_tx_bytes.reset();
  }
}

CpuUse cpu_use_between(const VmSample& before, const VmSample& after, unsigned host_cpus) {
  if (before.domain_id != after.domain_id) {
    return {}; // started again in between: its counters began anew
  }
  const double span_ns = std::chrono::duration<double, std::nano>(after.taken - before.taken).count();
  return {percent(before.cpu_time_ns, after.cpu_time_ns, span_ns, host_cpus),
          after.vcpus == before.vcpus ? percent(before.vcpu_time_ns, after.vcpu_time_ns, span_ns, after.vcpus)
                                      : std::nullopt};
}

std::optional<std::uint64_t> host_memory_bytes(const VmSample& sample) {
  if (!sample.qemu_rss_bytes || !sample.virtiofsd || !sample.virtiofsd->rss_bytes) {
    return std::nullopt;
  }
  return *sample.qemu_rss_bytes + *sample.virtiofsd->rss_bytes;
}

nlohmann::json size_object(std::optional<std::uint64_t> written, std::optional<std::uint64_t> limit) {
  return {{"written_bytes", or_null(written)}, {"limit_bytes", or_null(limit)}};
}

std::string format_uptime(std::int64_t seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  char buf[48];
  const long long s = seconds;
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
  }
  return buf;
}

std::string render_stats_table(const std::vector<VmStats>& rows) {
  Table table(
      {"NAME", "CPU %", "VCPU %", "MEM USAGE / LIMIT", "HOST MEM", "NET I/O", "BLOCK I/O", "WRITTEN", "UPTIME"});
  for (const auto& r : rows) {
    const VmSample none;
    const VmSample& s = r.sample ? *r.sample : none;
    const std::string memory = r.sample ? pair_text(s.guest_used_bytes, s.memory_bytes) : "-";
    table.add({r.name, percent_text(r.cpu.host_percent), percent_text(r.cpu.vcpus_percent), memory,
               size_text(host_memory_bytes(s)), r.sample ? pair_text(s.net_rx_bytes, s.net_tx_bytes) : "-",
               r.sample ? pair_text(io_total(s, false), io_total(s, true)) : "-", size_text(r.written_bytes),
               r.uptime_seconds ? format_uptime(*r.uptime_seconds) : "-"});
  }
  return table.render();
}

nlohmann::json stats_json(const std::vector<VmStats>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    const VmSample none;
    const VmSample& s = r.sample ? *r.sample : none;
    const auto helper = [&s](std::optional<std::uint64_t> HelperUsage::*field) {
      return s.virtiofsd ? or_null((*s.virtiofsd).*field) : nlohmann::json(nullptr);
    };
    out.push_back(
        {{"name", r.name},
         {"status", r.status},
         {"cpu",
          {{"host_percent", or_null(r.cpu.host_percent)},
           {"vcpus_percent", or_null(r.cpu.vcpus_percent)},
           {"time_ns", or_null(s.cpu_time_ns)},
           {"vcpu_time_ns", or_null(s.vcpu_time_ns)},
           {"vcpus", r.sample ? nlohmann::json(s.vcpus) : nlohmann::json(nullptr)}}},
         {"memory",
          {{"guest_used_bytes", or_null(s.guest_used_bytes)},
           {"limit_bytes", or_null(s.memory_bytes)},
           {"host_bytes", or_null(host_memory_bytes(s))},
           {"qemu_rss_bytes", or_null(s.qemu_rss_bytes)},
           {"virtiofsd_rss_bytes", helper(&HelperUsage::rss_bytes)}}},
         {"network", {{"rx_bytes", or_null(s.net_rx_bytes)}, {"tx_bytes", or_null(s.net_tx_bytes)}}},
         {"block", {{"read_bytes", or_null(s.block_read_bytes)}, {"write_bytes", or_null(s.block_write_bytes)}}},
         {"shares",
          {{"read_bytes", helper(&HelperUsage::read_bytes)}, {"write_bytes", helper(&HelperUsage::write_bytes)}}},
         {"size", size_object(r.written_bytes, r.written_limit_bytes)},
         {"uptime_seconds", or_null(r.uptime_seconds)}});
  }
  return out;
}

} // namespace bcvk
