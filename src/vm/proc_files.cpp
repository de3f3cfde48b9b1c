#include "bcvk/vm/proc_files.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace bcvk {

namespace {

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end == text.data()) {
    return std::nullopt;
  }
  return v;
}

std::string_view trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\n");
  return s.substr(first, last - first + 1);
}

// The value after "key:" on its own line.
std::optional<std::string_view> field(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto eol = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      return trimmed(line.substr(key.size() + 1));
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::optional<std::uint64_t> status_number(std::string_view status, std::string_view key) {
  const auto value = field(status, key);
  if (!value) {
    return std::nullopt;
  }
  const auto space = value->find(' ');
  const std::string_view digits = value->substr(0, space);
  const auto n = all_digits(digits) ? number(digits) : std::nullopt;
  if (!n || space == std::string_view::npos) {
    return n;
  }
  if (trimmed(value->substr(space)) != "kB" || *n > std::numeric_limits<std::uint64_t>::max() / 1024) {
    return std::nullopt;
  }
  return *n * 1024;
}

bool status_ids_are_root(std::string_view status) {
  for (const std::string_view key : {"Uid", "Gid"}) {
    const auto ids = field(status, key);
    if (!ids) {
      return false;
    }
    unsigned count = 0;
    std::size_t pos = 0;
    while (pos < ids->size()) {
      const auto start = ids->find_first_not_of(" \t", pos);
      if (start == std::string_view::npos) {
        break;
      }
      const auto end = std::min(ids->find_first_of(" \t", start), ids->size());
      if (ids->substr(start, end - start) != "0") {
        return false;
      }
      ++count;
      pos = end;
    }
    if (count != 4) {
      return false;
    }
  }
  return true;
}

std::optional<IoCounters> parse_proc_io(std::string_view io) {
  const auto read = field(io, "rchar");
  const auto written = field(io, "wchar");
  if (!read || !written || !all_digits(*read) || !all_digits(*written)) {
    return std::nullopt;
  }
  const auto r = number(*read);
  const auto w = number(*written);
  if (!r || !w) {
    return std::nullopt;
  }
  return IoCounters{*r, *w};
}

std::vector<int> parse_pid_list(std::string_view text) {
  std::vector<int> pids;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find_first_not_of(" \n", pos);
    if (start == std::string_view::npos) {
      break;
    }
    const auto end = std::min(text.find_first_of(" \n", start), text.size());
    const std::string_view word = text.substr(start, end - start);
    int pid = 0;
    const auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), pid);
    if (ec == std::errc() && p == word.data() + word.size() && pid > 0) {
      pids.push_back(pid);
    }
    pos = end;
  }
  return pids;
}

std::string libvirt_short_name(int id, std::string_view name) {
  return std::to_string(id) + "-" + std::string(name.substr(0, 20));
}

bool is_virtiofsd_pid_file(std::string_view file, std::string_view short_name) {
  const std::string_view prefix = "-fs";
  const std::string_view suffix = "-fs.pid";
  if (file.size() <= short_name.size() + prefix.size() + suffix.size() ||
      file.substr(0, short_name.size()) != short_name) {
    return false;
  }
  std::string_view rest = file.substr(short_name.size());
  if (rest.substr(0, prefix.size()) != prefix || rest.substr(rest.size() - suffix.size()) != suffix) {
    return false;
  }
  return all_digits(rest.substr(prefix.size(), rest.size() - prefix.size() - suffix.size()));
}

} // namespace bcvk
