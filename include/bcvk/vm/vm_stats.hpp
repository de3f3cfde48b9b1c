#pragma once
// What a running VM costs, from one reading of libvirt's domain statistics and of the virtiofsd
// processes that serve its shares, and what changed between two readings (pure).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bcvk {

// The memory and I/O of the virtiofsd processes of one VM (host/virtiofsd_usage.hpp), summed.
struct HelperUsage {
  std::uint64_t rss_bytes = 0;
  std::uint64_t read_bytes = 0;  // what they read for the guest (rchar: every read they made)
  std::uint64_t write_bytes = 0; // what they wrote for the guest (wchar)
  unsigned processes = 0;
};

// One reading. A counter libvirt did not report (another driver, a guest without a balloon
// driver yet) stays empty: it is shown as unknown, never as 0.
struct VmSample {
  std::chrono::steady_clock::time_point taken;
  std::optional<std::uint64_t> cpu_time_ns;  // QEMU's whole process, every thread (cpu.time)
  std::optional<std::uint64_t> vcpu_time_ns; // the guest's vCPU threads alone (sum of vcpu.N.time)
  unsigned vcpus = 0;                        // vcpu.current
  std::optional<std::uint64_t> memory_bytes; // what the guest has (balloon.current)
  // What the guest's own kernel counts as used: total less available (balloon.available -
  // balloon.usable, the guest's MemTotal - MemAvailable), from the balloon's statistics.
  std::optional<std::uint64_t> guest_used_bytes;
  std::optional<std::uint64_t> qemu_rss_bytes; // QEMU's resident memory on the host (balloon.rss)
  unsigned net_interfaces = 0;                 // the interfaces libvirt knows (net.count)
  std::optional<std::uint64_t> net_rx_bytes;   // every interface, summed
  std::optional<std::uint64_t> net_tx_bytes;
  std::optional<std::uint64_t> block_read_bytes; // every virtio-blk disk (swap, --mount-disk-file)
  std::optional<std::uint64_t> block_write_bytes;
  std::optional<HelperUsage> virtiofsd; // empty when no virtiofsd of the VM could be found
};

// Reads the numbers of one libvirt statistics record ("cpu.time" -> value; text values left out).
VmSample sample_from_domain_stats(const std::map<std::string, std::uint64_t>& stats,
                                  std::chrono::steady_clock::time_point taken);

// bcvk's port forwards (SSH, --port) on an isolated VM ride on a NIC given on QEMU's own command
// line, which libvirt neither lists nor counts: when a VM with forwards shows no interface to
// libvirt, its network counters are unknown, not zero.
void forget_uncounted_network(VmSample& sample, bool has_forwards);

// CPU use between two readings of the same VM, in percent: of the whole host (100 = every host CPU
// busy with this VM) and of the guest's vCPUs (100 = every vCPU busy). Empty when a counter is
// missing, went backwards (not the same VM) or no time passed.
struct CpuUse {
  std::optional<double> host_percent;
  std::optional<double> vcpus_percent;
};
CpuUse cpu_use_between(const VmSample& before, const VmSample& after, unsigned host_cpus);

// One VM's line of `stats`.
struct VmStats {
  std::string name;
  std::string status;             // running, stopped, creating
  std::optional<VmSample> sample; // empty unless it runs
  CpuUse cpu;
  // The host bytes its writable layer takes, and the limit (empty for an instance kept by an older
  // bcvk: its writes are not in a file system of their own).
  std::optional<std::uint64_t> written_bytes;
  std::optional<std::uint64_t> written_limit_bytes;
  std::optional<std::int64_t> uptime_seconds;
};

// What the VM costs the host in memory: QEMU's and its virtiofsd processes' resident memory.
std::optional<std::uint64_t> host_memory_bytes(const VmSample& sample);

// "4s", "12m07s", "3h05m", "2d04h".
std::string format_uptime(std::int64_t seconds);

// The table `stats` prints; unknown values show as "-".
std::string render_stats_table(const std::vector<VmStats>& rows);

// The JSON `stats --format json` prints (schema in the bcvk-ephemeral-stats man page); unknown
// values are null.
nlohmann::json stats_json(const std::vector<VmStats>& rows);

} // namespace bcvk
