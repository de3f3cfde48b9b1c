// `ephemeral logs`: the guest journal, the serial console or the virtiofsd logs of an instance.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "bcvk/instance/services.hpp"
#include "bcvk/verbs/verbs.hpp"
#include "bcvk/host/console.hpp"
#include "bcvk/host/emulator_log.hpp"
#include "bcvk/vm/emulator_log.hpp"
#include "bcvk/host/file_follower.hpp"
#include "bcvk/host/watcher.hpp"
#include "bcvk/instance/instance_dir.hpp"
#include "bcvk/instance/instance_domain.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

int show_virtiofsd_logs(const std::string& name) {
  const std::string log_dir = k_libvirt_qemu_log_dir;
  std::vector<std::string> logs;
  std::error_code ec;
  for (fs::directory_iterator it(log_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_virtiofsd_log_of(it->path().filename().string(), name)) {
      logs.push_back(it->path().string());
    }
  }
  std::sort(logs.begin(), logs.end());
  if (logs.empty()) {
    throw Error("no virtiofsd logs for " + name + " in " + log_dir);
  }
  // virtiofsd logs what the guest asked of it (paths it chose among them).
  const GuestOutput output = guest_output_for(STDOUT_FILENO);
  for (const auto& log : logs) {
    const std::string text = read_text_file(log);
    std::cout << "==> " << log << " <==\n"
              << (output == GuestOutput::filtered ? terminal_safe(text) : text) << std::flush;
  }
  return k_exit_ok;
}

} // namespace

int show_logs(const LogsRequest& options, const Context& ctx) {
  const Services services(ctx.connect_uri, Recover::yes);
  const auto dir = InstanceDir::open_existing(options.name);
  if (options.source == LogSource::virtiofsd) {
    return show_virtiofsd_logs(options.name.str());
  }
  FileFollower follower(options.source == LogSource::console ? dir.console_log() : dir.journal_log(), STDOUT_FILENO,
                        guest_output_for(STDOUT_FILENO));
  follower.pump();
  if (!options.follow) {
    follower.finish();
    return k_exit_ok;
  }
  const Connection& conn = services.conn;
  const auto domain = instance_domain(conn, options.name.str(), record_for_lookup(dir));
  if (domain) {
    const StopResult result = wait_for_stop(
        conn, *domain, ctx.signals,
        [&follower] {
          follower.pump();
          return true;
        },
        200);
    follower.pump();
    if (result.reason == StopReason::signalled) {
      follower.finish();
      throw Interrupted(result.signal); // Ctrl-C ends a follow like any other command: 130
    }
  }
  follower.pump();
  follower.finish();
  return k_exit_ok;
}

} // namespace bcvk
