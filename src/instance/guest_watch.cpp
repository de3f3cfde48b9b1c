#include "bcvk/instance/guest_watch.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"
#include "bcvk/util/files.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/domain_xml.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

std::string size_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? std::to_string(st.st_size) : "-";
}

} // namespace

std::string guest_log_activity(const InstanceLayout& dir) {
  const ExecuteOutputs execute = dir.execute_outputs();
  return size_of(dir.console_log()) + "/" + size_of(dir.journal_log()) + "/" + size_of(execute.stdout_path) + "/" +
         size_of(execute.stderr_path);
}

bool instance_is_emulated(const InstanceLayout& dir) {
  try {
    return domain_xml_is_emulated(read_text_file(dir.domain_xml_file()));
  } catch (const Error&) {
    return false; // no saved domain: the shorter limits, as with KVM
  }
}

std::string rescue_console_log(const InstanceDir& dir) {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  // mkstemps: a fresh name created exclusively (0600), so no one can prepare a link for it.
  std::string path = ((ec ? fs::path("/tmp") : tmp) / ("bcvk-console-" + dir.name() + "-XXXXXX.log")).string();
  const Fd out(::mkostemps(path.data(), 4, O_CLOEXEC));
  if (!out) {
    throw Error("cannot create a file for the console log in " + path + ": " + std::strerror(errno));
  }
  const Fd in(::open(dir.console_log().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  try {
    if (in) {
      copy_fd_contents(in.get(), out.get(), dir.console_log());
    }
  } catch (const Error&) {
    ::unlink(path.c_str());
    throw;
  }
  return path;
}

std::string console_log_to_name(const InstanceDir& dir, bool auto_remove) {
  if (!auto_remove) {
    return dir.console_log();
  }
  try {
    return rescue_console_log(dir);
  } catch (const Error& e) {
    spdlog::warn("could not keep the console log: {}", e.what());
    return dir.console_log();
  }
}

} // namespace bcvk
