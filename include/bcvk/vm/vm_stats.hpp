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

// The memory and I/O of the virtiofsd processes of one VM (host/virtiofsd_usage.hpp), summed;
// empty when one of them could not be read (unknown, never a smaller number).
struct HelperUsage {
  // Their own resident memory (anonymous and file pages): the guest RAM they map to serve it is
  // shared with QEMU and counted there.
  std::optional<std::uint64_t> rss_bytes;
  std::optional<std::uint64_t> read_bytes;  // what they read for the guest (rchar: every read they made)
  std::optional<std::uint64_t> write_bytes; // what they wrote for the guest (wchar)
  unsigned processes = 0;
};

// One reading. A counter libvirt did not report (another driver, a guest without a balloon
// driver yet) stays empty: it is shown as unknown, never as 0.
struct VmSample {
  int domain_id = -1; // libvirt's number for this run of the domain: a new one on every start
  std::chrono::steady_clock::time_point taken;
  std::optional<std::uint64_t> cpu_time_ns;  // QEMU's whole process, every thread (cpu.time)
  std::optional<std::uint64_t> vcpu_time_ns; // the guest's vCPU threads alone (sum of vcpu.N.time)
  unsigned vcpus = 0;                        // vcpu.current
  std::optional<std::uint64_t> memory_bytes; // what the guest has (balloon.current)
  // What the guest's own kernel counts as used: total less available (balloon.available -
  // balloon.usable, the guest's MemTotal - MemAvailable), from the balloon's statistics. The guest
  // reports it: shown only while it is consistent (no more than the memory it was given).
  std::optional<std::uint64_t> guest_used_bytes;
  std::optional<std::uint64_t> qemu_rss_bytes; // QEMU's resident memory on the host (balloon.rss)
  std::optional<std::uint64_t> net_rx_bytes;   // every interface, summed
  std::optional<std::uint64_t> net_tx_bytes;
  std::optional<std::uint64_t> block_read_bytes; // every virtio-blk disk (swap, --mount-disk-file)
  std::optional<std::uint64_t> block_write_bytes;
  std::optional<HelperUsage> virtiofsd; // empty when no virtiofsd of the VM could be found
};

// Reads the numbers of one libvirt statistics record ("cpu.time" -> value; text values left out).
VmSample sample_from_domain_stats(const std::map<std::string, std::uint64_t>& stats, int domain_id,
                                  std::chrono::steady_clock::time_point taken);

// A NIC given on QEMU's own command line (the one bcvk's port forwards ride on, and QEMU's user
// network where libvirt has no passt) is neither listed nor counted by libvirt: a VM with one has
// unknown network counters, not zero or a part (see has_nic_outside_libvirt in domain_xml.hpp).
void forget_uncounted_network(VmSample& sample, bool nic_outside_libvirt);

// CPU use between two readings of the same VM, in percent: of the whole host (100 = every host CPU
// busy with this VM) and of the guest's vCPUs (100 = every vCPU busy). Empty when a counter is
// missing or went backwards, the domain was started again in between, or no time passed.
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

// What the VM costs the host in memory: QEMU's and its virtiofsd processes' resident memory;
// unknown unless both are known.
std::optional<std::uint64_t> host_memory_bytes(const VmSample& sample);

// {"written_bytes": N, "limit_bytes": N}, null where unknown: `size` in ps, inspect and stats.
nlohmann::json size_object(std::optional<std::uint64_t> written, std::optional<std::uint64_t> limit);

// "4s", "12m07s", "3h05m", "2d04h".
std::string format_uptime(std::int64_t seconds);

// The table `stats` prints; unknown values show as "-".
std::string render_stats_table(const std::vector<VmStats>& rows);

// The JSON `stats --format json` prints (schema in the bcvk-ephemeral-stats man page); unknown
// values are null.
nlohmann::json stats_json(const std::vector<VmStats>& rows);

} // namespace bcvk
