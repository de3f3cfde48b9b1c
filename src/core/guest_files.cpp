#include "bcvk/guest_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "bcvk/error.hpp"
#include "bcvk/instance.hpp"

namespace fs = std::filesystem;

namespace bcvk {

std::string shell_quote(const std::string &text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string execute_script(const std::vector<std::string> &commands, const std::vector<KeyValue> &env) {
  std::string s = "#!/bin/sh\n"
                  "# Written by bcvk for --execute: runs each command in order, stops at the first failure,\n"
                  "# and reports the exit status to the host.\n"
                  "exec </dev/null >/dev/virtio-ports/" +
                  std::string(k_execute_stdout_port) + " 2>/dev/virtio-ports/" + k_execute_stderr_port + "\n";
  for (const auto &kv : env) {
    s += "export " + kv.key + "=" + shell_quote(kv.value) + "\n";
  }
  s += "cd /root 2>/dev/null || cd /\n"
       "status=0\n";
  for (const auto &command : commands) {
    s += "if [ \"$status\" -eq 0 ]; then /bin/sh -c " + shell_quote(command) + "; status=$?; fi\n";
  }
  s += "echo \"$status\" >/dev/virtio-ports/" + std::string(k_execute_status_port) + "\n";
  return s;
}

std::string execute_unit() {
  return "# Written by bcvk for --execute.\n"
         "[Unit]\n"
         "Description=bcvk --execute commands\n"
         "After=multi-user.target\n"
         "SuccessAction=poweroff\n"
         "FailureAction=poweroff\n"
         "\n"
         "[Service]\n"
         "Type=oneshot\n"
         "ExecStart=/bin/sh " +
         std::string(k_execute_script_path) +
         "\n"
         "[Install]\n"
         "WantedBy=multi-user.target\n";
}

std::vector<GuestFile> execute_files(const std::vector<std::string> &commands, const std::vector<KeyValue> &env) {
  const std::string unit_path = std::string("etc/systemd/system/") + k_execute_unit_name;
  return {
      {std::string(k_execute_script_path).substr(1), execute_script(commands, env), 0700, false},
      {unit_path, execute_unit(), 0644, false},
      {std::string("etc/systemd/system/multi-user.target.wants/") + k_execute_unit_name, "/" + unit_path, 0, true},
  };
}

void install_guest_files(const std::string &root, const std::vector<GuestFile> &files) {
  for (const auto &f : files) {
    const fs::path path = fs::path(root) / f.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw Error("cannot create " + path.parent_path().string() + " in the guest root: " + ec.message());
    }
    fs::remove(path, ec);
    if (f.symlink) {
      if (::symlink(f.content.c_str(), path.c_str()) != 0) {
        throw Error("cannot create " + path.string() + ": " + std::strerror(errno));
      }
    } else {
      write_file_atomic(path.string(), f.content, f.mode);
      ::chmod(path.c_str(), f.mode);
    }
  }
}

} // namespace bcvk
