#include "bcvk/host/virtiofsd_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <set>

#include "bcvk/util/handle.hpp"
#include "bcvk/vm/proc_files.hpp"

namespace bcvk {

namespace {

// Up to 64 KiB of the file `name` under `dir` (never through a link); empty when unreadable.
std::string read_small(int dir, const std::string& name) {
  const Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
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

std::optional<int> pid_in(const std::string& text) {
  int pid = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || pid <= 0 || (end != text.data() + text.size() && *end != '\n')) {
    return std::nullopt;
  }
  return pid;
}

// Adds the process `pid` (and, for a virtiofsd that forked, its children) once each. `parent`:
// the pid a child must name as its parent.
void add_process(int pid, std::optional<int> parent, HelperUsage& usage, std::set<int>& seen) {
  if (seen.contains(pid)) {
    return;
  }
  const Fd proc(::open(("/proc/" + std::to_string(pid)).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) {
    return; // exited
  }
  // Everything below is read through this descriptor: should the process exit and its pid be
  // reused, the reads fail instead of describing the newcomer.
  if (read_small(proc.get(), "comm") != "virtiofsd\n") {
    return;
  }
  const std::string status = read_small(proc.get(), "status");
  if (parent && status_number(status, "PPid") != static_cast<std::uint64_t>(*parent)) {
    return;
  }
  seen.insert(pid);
  usage.processes += 1;
  usage.rss_bytes += status_number(status, "VmRSS").value_or(0);
  if (const auto io = parse_proc_io(read_small(proc.get(), "io"))) {
    usage.read_bytes += io->read_bytes;
    usage.write_bytes += io->write_bytes;
  }
  const std::string own_task = "task/" + std::to_string(pid) + "/children";
  for (const int child : parse_pid_list(read_small(proc.get(), own_task))) {
    add_process(child, pid, usage, seen);
  }
}

} // namespace

std::optional<HelperUsage> virtiofsd_usage(int domain_id, const std::string& domain_name, const std::string& run_dir) {
  if (domain_id < 0) {
    return std::nullopt;
  }
  const Fd dir(::open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
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
  HelperUsage usage;
  std::set<int> seen;
  for (const auto& file : pid_files) {
    if (const auto pid = pid_in(read_small(dir.get(), file))) {
      add_process(*pid, std::nullopt, usage, seen);
    }
  }
  if (usage.processes == 0) {
    return std::nullopt;
  }
  return usage;
}

} // namespace bcvk
