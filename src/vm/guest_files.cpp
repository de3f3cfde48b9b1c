#include "bcvk/vm/guest_files.hpp"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "bcvk/util/error.hpp"

namespace bcvk {

std::string shell_quote(const std::string& text) {
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

std::string execute_script(const std::vector<std::string>& commands) {
  std::string s = "#!/bin/sh\n"
                  "# Written by bcvk for --execute: runs each command in order, stops at the first failure,\n"
                  "# and reports the exit status to the host.\n"
                  "exec </dev/null >/dev/virtio-ports/" +
                  std::string(k_execute_stdout_port) + " 2>/dev/virtio-ports/" + k_execute_stderr_port + "\n";
  // Marked before the first command: a kept VM started again boots without running them anew.
  // (echo, not ':': a failed redirection of a special built-in would end the script.)
  s += "echo ran 2>/dev/null >" + std::string(k_execute_done_path) + "\n";
  s += "if [ -r " + std::string(k_execute_env_path) + " ]; then . " + k_execute_env_path + "; fi\n";
  s += "cd /root 2>/dev/null || cd /\n"
       "status=0\n";
  for (const auto& command : commands) {
    s += "if [ \"$status\" -eq 0 ]; then /bin/sh -c " + shell_quote(command) + "; status=$?; fi\n";
  }
  s += "echo \"$status\" >/dev/virtio-ports/" + std::string(k_execute_status_port) + "\n";
  return s;
}

std::string execute_env_file(const std::vector<KeyValue>& env) {
  std::string s = "# Written by bcvk: the -e variables for --execute.\n";
  for (const auto& kv : env) {
    s += "export " + kv.key + "=" + shell_quote(kv.value) + "\n";
  }
  return s;
}

std::string manager_env_file(const std::vector<KeyValue>& env) {
  // systemd unquotes each double-quoted word and undoes C escapes in it.
  std::string s = "# Written by bcvk: the -e variables for every service.\n[Manager]\nDefaultEnvironment=";
  for (std::size_t i = 0; i < env.size(); ++i) {
    s += i == 0 ? "\"" : " \"";
    for (const char c : env[i].key + "=" + env[i].value) {
      if (c == '\\' || c == '"') {
        s += '\\';
      }
      s += c;
    }
    s += '"';
  }
  return s + "\n";
}

std::vector<GuestFile> env_files(const std::vector<KeyValue>& env) {
  if (env.empty()) {
    return {};
  }
  return {{std::string(k_execute_env_path).substr(1), execute_env_file(env), 0600, false},
          {std::string(k_manager_env_path).substr(1), manager_env_file(env), 0600, false}};
}

std::string execute_unit() {
  return "# Written by bcvk for --execute.\n"
         "[Unit]\n"
         "Description=bcvk --execute commands\n"
         "After=multi-user.target\n"
         "ConditionPathExists=!" +
         std::string(k_execute_done_path) +
         "\n"
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

std::vector<GuestFile> execute_files(const std::vector<std::string>& commands) {
  const std::string unit_path = std::string("etc/systemd/system/") + k_execute_unit_name;
  return {
      {std::string(k_execute_script_path).substr(1), execute_script(commands), 0700, false},
      {unit_path, execute_unit(), 0644, false},
      {std::string("etc/systemd/system/multi-user.target.wants/") + k_execute_unit_name, "/" + unit_path, 0, true},
  };
}

std::string systemd_escape_path(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') {
    trimmed.pop_back();
  }
  std::size_t start = 0;
  while (start < trimmed.size() && trimmed[start] == '/') {
    ++start;
  }
  trimmed = trimmed.substr(start);
  if (trimmed.empty()) {
    return "-";
  }
  std::string out;
  for (std::size_t i = 0; i < trimmed.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(trimmed[i]);
    const bool plain = std::isalnum(c) != 0 || c == ':' || c == '_' || (c == '.' && i > 0);
    if (c == '/') {
      out += '-';
    } else if (plain) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string guest_mount_point(const BindSpec& bind) {
  return bind.guest_path.empty() ? "/run/virtiofs-mnt-" + bind.name : bind.guest_path;
}

std::string mount_tag(const std::string& name) {
  return "mnt-" + name;
}

GuestFile virtiofs_mount_unit(const std::string& tag, const std::string& where, bool read_only) {
  const std::string unit = systemd_escape_path(where) + ".mount";
  std::string text = "# Written by bcvk for a --bind/--ro-bind share.\n"
                     "[Unit]\n"
                     "Description=bcvk share " +
                     tag + " at " + where +
                     "\n"
                     "Before=local-fs.target\n"
                     "\n"
                     "[Mount]\n"
                     "What=" +
                     tag + "\nWhere=" + where + "\nType=virtiofs\nOptions=" + (read_only ? "ro" : "rw") +
                     "\nDirectoryMode=0755\n"
                     "\n"
                     "[Install]\n"
                     "WantedBy=local-fs.target\n";
  return {"etc/systemd/system/" + unit, text, 0644, false};
}

GuestFile swap_unit(const std::string& serial) {
  const std::string device = "/dev/disk/by-id/virtio-" + serial;
  const std::string unit = systemd_escape_path(device) + ".swap";
  std::string text = "# Written by bcvk for --add-swap.\n"
                     "[Swap]\n"
                     "What=" +
                     device +
                     "\n"
                     "\n"
                     "[Install]\n"
                     "WantedBy=swap.target\n";
  return {"etc/systemd/system/" + unit, text, 0644, false};
}

GuestFile journal_unit() {
  const std::string port = "/dev/virtio-ports/" + std::string(k_journal_port);
  // The port's link is udev's, made once the virtio console driver announced the port: a guest
  // booted through bcvk's minimal initramfs starts this before udev ran at all, so it waits for
  // the link (for a while: a VM started without the port runs no stream). "$$" is systemd's "$".
  return {"etc/systemd/system/bcvk-journal.service",
          "# Written by bcvk: the guest journal, streamed to the host while the VM runs.\n"
          "[Unit]\n"
          "Description=Stream the journal to the bcvk host\n"
          "DefaultDependencies=no\n"
          "After=systemd-journald.socket\n"
          "\n"
          "[Service]\n"
          "ExecStart=/bin/sh -c 'i=0; until [ -e " +
              port +
              " ]; do i=$$((i + 1)); [ $$i -le 600 ] || exit 0; sleep 0.1 2>/dev/null || sleep 1; done; "
              "exec journalctl --boot --follow --output=short-precise --no-pager >" +
              port +
              "'\n"
              "Restart=on-failure\n"
              "\n"
              "[Install]\n"
              "WantedBy=sysinit.target\n",
          0644, false};
}

bool is_unit_name(const std::string& name) {
  static const char* const k_types[] = {".service", ".socket", ".device", ".mount", ".automount", ".swap",
                                        ".target",  ".path",   ".timer",  ".slice", ".scope"};
  if (name.empty() || name.size() > 255 || name.front() == '.' || name.front() == '-') {
    return false;
  }
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != ':' && c != '_' && c != '.' && c != '@' && c != '\\' && c != '-') {
      return false;
    }
  }
  for (const char* type : k_types) {
    const std::string suffix = type;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> install_targets(const std::string& unit_text) {
  std::vector<std::pair<std::string, std::string>> out;
  bool in_install = false;
  std::size_t pos = 0;
  while (pos <= unit_text.size()) {
    const auto nl = unit_text.find('\n', pos);
    std::string line = unit_text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? unit_text.size() + 1 : nl + 1;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') {
      continue;
    }
    line = line.substr(first);
    if (line.front() == '[') {
      in_install = line.rfind("[Install]", 0) == 0;
      continue;
    }
    const auto eq = line.find('=');
    if (!in_install || eq == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, eq);
    key.erase(key.find_last_not_of(" \t") + 1);
    const char* kind = key == "WantedBy" ? "wants" : key == "RequiredBy" ? "requires" : nullptr;
    if (kind == nullptr) {
      continue;
    }
    std::istringstream values(line.substr(eq + 1));
    std::string target;
    while (values >> target) {
      out.emplace_back(target, kind);
    }
  }
  return out;
}

std::vector<GuestFile> enable_links(const std::string& unit_name, const std::string& unit_text) {
  std::vector<GuestFile> links;
  for (const auto& [target, kind] : install_targets(unit_text)) {
    if (!is_unit_name(target) || !is_unit_name(unit_name)) {
      throw Error("unit " + unit_name + " cannot be enabled for '" + target + "': not a unit name");
    }
    links.push_back(
        {"etc/systemd/system/" + target + "." + kind + "/" + unit_name, "/etc/systemd/system/" + unit_name, 0, true});
  }
  return links;
}

std::vector<GuestFile> host_key_files(const std::string& private_key, const std::string& public_key_line) {
  return {{"etc/ssh/ssh_host_ed25519_key", private_key, 0600, false},
          {"etc/ssh/ssh_host_ed25519_key.pub", public_key_line, 0644, false}};
}

} // namespace bcvk
