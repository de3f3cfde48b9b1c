#include "bcvk/vm/sshd_config.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

// sshd_config nests Includes; a loop of them would never end.
constexpr int k_max_include_depth = 16;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Keyword and arguments of one line: white space or one '=' separates them; "quoted words" stay whole.
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::string current;
  bool quoted = false;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (std::isspace(static_cast<unsigned char>(c)) != 0 || (c == '=' && words.empty()))) {
      if (in_word) {
        words.push_back(current);
        current.clear();
        in_word = false;
      }
    } else {
      current += c;
      in_word = true;
    }
  }
  if (in_word) {
    words.push_back(current);
  }
  return words;
}

std::optional<SshdSetting> find_in(const std::string& keyword, const ConfigFile& file, const IncludeExpander& expand,
                                   int depth) {
  if (depth > k_max_include_depth) {
    throw Error("sshd configuration " + file.path + ": Include nested deeper than " +
                std::to_string(k_max_include_depth) + " levels (a loop?)");
  }
  std::istringstream lines(file.text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    const auto words = words_of(line.substr(first));
    if (words.empty()) {
      continue;
    }
    const std::string key = lower(words[0]);
    if (key == "match") {
      return std::nullopt; // the rest of this file applies only to some connections
    }
    if (key == "include") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i].empty()) {
          continue; // Include "" names nothing
        }
        const std::string pattern = words[i].front() == '/' ? words[i] : "/etc/ssh/" + words[i];
        for (const auto& included : expand(pattern)) {
          if (auto found = find_in(keyword, included, expand, depth + 1)) {
            return found;
          }
        }
      }
      continue;
    }
    if (key == lower(keyword) && words.size() > 1) {
      return SshdSetting{lower(words[1]), file.path};
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<SshdSetting> sshd_setting(const std::string& keyword, const ConfigFile& main_config,
                                        const IncludeExpander& expand) {
  return find_in(keyword, main_config, expand, 0);
}

bool forbids_root_key_login(const std::string& value) {
  return value == "no" || value == "forced-commands-only";
}

} // namespace bcvk
