#pragma once
// What `podman pull` says while it runs, read as it comes: the layers and bytes it has copied (its
// progress bars, when it writes to a terminal; one line per layer otherwise), its last message, and
// its error; and what bcvk tells the user about it. Pure: bytes in, text out. Everything podman
// prints may quote the registry, so everything kept is made safe for a terminal first.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bcvk/util/terminal_text.hpp"
#include "bcvk/vm/pull_options.hpp"

namespace bcvk {

struct PulledBlob {
  std::string id; // as podman shows it (a short digest)
  std::uint64_t copied = 0;
  std::uint64_t total = 0; // 0: not known (podman prints no sizes without a terminal)
  bool finished = false;
  bool skipped = false; // already in local storage: nothing to copy
};

class PullReport {
public:
  // More of podman's output (stdout and stderr in one stream, or stderr alone).
  void feed(std::string_view bytes);
  // The end of the stream: a last line without its line end is read too.
  void finish();

  const std::vector<PulledBlob>& blobs() const { return m_blobs; }
  // podman's last line that is not about one blob ("Writing manifest to image destination").
  const std::string& last_message() const { return m_last_message; }
  // podman's "Error: ..." line without "Error: ", or its last warning when there is none.
  const std::string& error() const { return m_error; }
  std::uint64_t copied_bytes() const;
  std::uint64_t total_bytes() const; // of the blobs whose size is known

private:
  void take_text(const std::string& text);
  void take_line(const std::string& line);
  PulledBlob* blob(const std::string& id); // null past the most blobs counted

  TerminalFilter m_filter{Charset::utf8};
  std::string m_line;
  std::vector<PulledBlob> m_blobs;
  std::map<std::string, std::size_t> m_index; // blob id -> position in m_blobs
  std::string m_last_message;
  std::string m_error;
};

// The status line while pulling: "pulling IMAGE: 2/5 layers, 81.8 MiB of 144.7 MiB (12 s)".
std::string pull_status(const std::string& image, const PullReport& report, std::chrono::seconds elapsed);

// The one line that says why a pull failed and what to do: asks for a login (unauthorized), names
// certs.d and --tls-verify=false (a certificate not trusted), says the image or tag is not there,
// the registry is unreachable, or the disk is full; podman's own words otherwise. `podman_error`
// is what the report found (already safe). `storage_root`: where podman keeps images.
std::string pull_failure_message(const std::string& image, const std::string& podman_error,
                                 const RegistryAccess& access, const std::string& storage_root);

// The size podman's progress bar shows ("81.8MiB", "440.0b", "1.2GiB") in bytes, nullopt when it
// is not one.
std::optional<std::uint64_t> parse_bar_size(std::string_view text);

} // namespace bcvk
