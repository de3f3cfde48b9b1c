#pragma once
// tail -F for the files libvirt's virtlogd writes (console, journal, --execute output): virtlogd
// rotates a file once it reaches its size limit (FILE becomes FILE.0, FILE.0 becomes FILE.1, ...,
// and a new FILE starts), so following one path by byte offset would lose or repeat data.
#include <string>
#include <sys/types.h>

#include <optional>

#include "bcvk/util/handle.hpp"
#include "bcvk/util/terminal_text.hpp"

namespace bcvk {

// How many rotated generations virtlogd keeps (its max_backups default); older ones are gone.
inline constexpr int k_max_rotated_generations = 3;

class FileFollower {
public:
  FileFollower(std::string path, int out_fd, GuestOutput output = GuestOutput::raw)
      : m_path(std::move(path)), m_out(out_fd) {
    if (output == GuestOutput::filtered) {
      m_filter.emplace();
    }
  }
  // Copies what was appended since the last call to `out_fd`: the rest of the file being
  // followed, then, when it was rotated away, each newer generation in order. The first call
  // starts at the oldest generation that exists.
  void pump();
  // The end of the output: what the filter still holds (a sequence cut short) is written, shown
  // as '?'. Only when nothing more will be pumped.
  void finish();

private:
  // Copies from m_in to m_out until the end; false when writing failed.
  bool drain();
  // Writes all of `data` to m_out, waiting while a pipe is full; false when writing failed.
  bool write_out(std::string_view data);
  // Opens `path` and remembers it as the file being followed; false when it does not exist.
  bool follow(const std::string& path);

  std::string m_path;
  int m_out;
  std::optional<TerminalFilter> m_filter;
  Fd m_in;
  dev_t m_dev = 0;
  ino_t m_ino = 0;
};

} // namespace bcvk
