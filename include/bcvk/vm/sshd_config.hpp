#pragma once
// Reading an image's sshd configuration the way sshd does, to tell before boot whether bcvk's key
// can log in as root. Pure: the files come through a callback.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bcvk {

struct ConfigFile {
  std::string path; // absolute, inside the image
  std::string text;
};

// The files an Include pattern names (a relative one is below /etc/ssh), sorted as sshd sorts them.
using IncludeExpander = std::function<std::vector<ConfigFile>(const std::string& absolute_pattern)>;

struct SshdSetting {
  std::string value; // lower-cased
  std::string file;  // where it was set
};

// The effective value of `keyword` (case-insensitive) outside any Match block: sshd keeps the first
// value it reads, and reads an Include's files in place. nullopt when nothing sets it.
std::optional<SshdSetting> sshd_setting(const std::string& keyword, const ConfigFile& main_config,
                                        const IncludeExpander& expand);

// True when PermitRootLogin `value` keeps a plain key login as root out ("no",
// "forced-commands-only").
bool forbids_root_key_login(const std::string& value);

} // namespace bcvk
