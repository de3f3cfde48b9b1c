#include "bcvk/host/virtiofsd_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <set>

#include "bcvk/util/handle.hpp"
#include "bcvk/vm/proc_files.hpp"

namespace bcvk {

namespace {

// At most this many processes per VM: a virtiofsd and the worker it forks, per share.
constexpr unsigned k_max_processes = 256;

// Up to 64 KiB of the regular file `name` under `dir` (never through a link, never waiting on a
// FIFO); empty when unreadable.
std::string read_small(int dir, const std::string& name) {
  const Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return {};
  }
  std::string text;
  std::array<char, 4096> buf{};
  while (text.size() < 65536) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n <= 0) {
      break;
    }
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  return text;
}

// Adds one process to `usage` if it is a virtiofsd of root's (libvirt runs them as root; any user
// can call a process virtiofsd, none but root can make it root's) and, with `parent`, a child of
// that process. Returns the process's own children, to be added in turn.
std::vector<int> add_process(int pid, std::optional<int> parent, HelperUsage& usage, std::set<int>& seen) {
  if (seen.contains(pid) || seen.size() >= k_max_processes) {
    return {};
  }
  const Fd proc(::open(("/proc/" + std::to_string(pid)).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) {
    return {}; // exited
  }
  // Everything below is read through this descriptor: should the process exit and its pid be
  // reused, the reads fail instead of describing the newcomer.
  const std::string status = read_small(proc.get(), "status");
  if (read_small(proc.get(), "comm") != "virtiofsd\n" || !status_ids_are_root(status) ||
      (parent && status_number(status, "PPid") != static_cast<std::uint64_t>(*parent))) {
    return {};
  }
  seen.insert(pid);
  usage.processes += 1;
  // Its own memory: anonymous and file pages. Its shared pages are the guest's RAM (it maps the
  // guest's memory to serve it), already in QEMU's resident memory.
  const auto anon = status_number(status, "RssAnon");
  const auto file = status_number(status, "RssFile");
  if (usage.rss_bytes && anon && file) {
    *usage.rss_bytes += *anon + *file;
  } else {
    usage.rss_bytes.reset();
  }
  const auto io = parse_proc_io(read_small(proc.get(), "io"));
  if (usage.read_bytes && usage.write_bytes && io) {
    *usage.read_bytes += io->read_bytes;
    *usage.write_bytes += io->write_bytes;
  } else {
    usage.read_bytes.reset(); // unreadable (e.g. Yama): unknown, never a smaller number
    usage.write_bytes.reset();
  }
  // Its forked worker (namespace sandbox) holds the memory and does the I/O: without the list of
  // children (a kernel without it), the sums would be too small, so they are unknown.
  const std::string children_file = "task/" + std::to_string(pid) + "/children";
  if (::faccessat(proc.get(), children_file.c_str(), R_OK, 0) != 0) {
    usage.rss_bytes.reset();
    usage.read_bytes.reset();
    usage.write_bytes.reset();
    return {};
  }
  return parse_pid_list(read_small(proc.get(), children_file));
}

} // namespace

std::optional<HelperUsage> virtiofsd_usage(int domain_id, const std::string& domain_name, const std::string& run_dir) {
  if (domain_id < 0) {
    return std::nullopt;
  }
  const Fd dir(::open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  // libvirt's own directory: root's, and nobody else may put a pid file in it.
  if (!dir || ::fstat(dir.get(), &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
    return std::nullopt;
  }
  Fd copy(::dup(dir.get()));
  const Handle<DIR, ::closedir> listing(copy ? ::fdopendir(copy.get()) : nullptr);
  if (!listing) {
    return std::nullopt;
  }
  copy.release(); // the listing owns it now
  const std::string short_name = libvirt_short_name(domain_id, domain_name);
  std::vector<std::string> pid_files;
  while (const dirent* entry = ::readdir(listing.get())) {
    if (is_virtiofsd_pid_file(entry->d_name, short_name)) {
      pid_files.emplace_back(entry->d_name);
    }
  }
  HelperUsage usage{.rss_bytes = 0, .read_bytes = 0, .write_bytes = 0, .processes = 0};
  std::set<int> seen;
  for (const auto& file : pid_files) {
    const auto pids = parse_pid_list(read_small(dir.get(), file));
    if (pids.size() != 1) {
      continue;
    }
    // The virtiofsd libvirt started, and the workers it forked (one level: a virtiofsd's worker
    // forks nothing).
    for (const int child : add_process(pids[0], std::nullopt, usage, seen)) {
      add_process(child, pids[0], usage, seen);
    }
  }
  if (usage.processes == 0) {
    return std::nullopt;
  }
  return usage;
}

} // namespace bcvk
