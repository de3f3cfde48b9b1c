#include "bcvk/host/file_follower.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace bcvk {
namespace {

// The file's generations from oldest to newest: FILE.2, FILE.1, FILE.0, FILE.
std::vector<std::string> generations(const std::string& path) {
  std::vector<std::string> out;
  for (int i = k_max_rotated_generations - 1; i >= 0; --i) {
    out.push_back(path + "." + std::to_string(i));
  }
  out.push_back(path);
  return out;
}

} // namespace

bool FileFollower::follow(const std::string& path) {
  Fd in(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!in || ::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  m_in = std::move(in);
  m_dev = st.st_dev;
  m_ino = st.st_ino;
  return true;
}

bool FileFollower::write_out(std::string_view data) {
  for (std::size_t off = 0; off < data.size();) {
    const ssize_t w = ::write(m_out, data.data() + off, data.size() - off);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
      pollfd out{m_out, POLLOUT, 0};
      ::poll(&out, 1, 100); // a full pipe to a slow reader: wait, never drop what was read
      continue;
    }
    if (w <= 0) {
      return false;
    }
    off += static_cast<std::size_t>(w);
  }
  return true;
}

bool FileFollower::drain() {
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(m_in.get(), buf, sizeof buf);
    if (n <= 0) {
      return true;
    }
    const std::string_view read(buf, static_cast<std::size_t>(n));
    if (!write_out(m_filter ? m_filter->feed(read) : read)) {
      return false;
    }
  }
}

void FileFollower::finish() {
  if (m_filter) {
    write_out(m_filter->finish());
  }
}

void FileFollower::pump() {
  if (!m_in) {
    // From the oldest generation there is: what was written before the first call counts too.
    bool found = false;
    for (const auto& name : generations(m_path)) {
      if ((found = follow(name))) {
        break;
      }
    }
    if (!found) {
      return; // not written yet
    }
  }
  // Finish the file being followed, wherever it was renamed to, then go on with each newer
  // generation until the current one; rotations while this runs are picked up by the loop.
  for (int guard = 0; guard < 64; ++guard) {
    if (!drain()) {
      return;
    }
    const auto names = generations(m_path);
    std::size_t at = names.size();
    for (std::size_t i = 0; i < names.size(); ++i) {
      struct stat st {};
      if (::stat(names[i].c_str(), &st) == 0 && st.st_dev == m_dev && st.st_ino == m_ino) {
        at = i;
        break;
      }
    }
    if (at == names.size() - 1) {
      return; // still the current file: everything so far is copied
    }
    struct stat held {};
    if (at == names.size() && ::fstat(m_in.get(), &held) == 0 && held.st_nlink > 0) {
      continue; // renamed while the names were looked at: look again
    }
    // Rotated away: virtlogd renames a file only once it is done writing to it, so what reached it
    // after the read above is read now, before moving on.
    if (!drain()) {
      return;
    }
    // The next newer generation that exists comes next (all of them when ours was deleted).
    bool moved = false;
    for (std::size_t next = at == names.size() ? 0 : at + 1; next < names.size() && !moved; ++next) {
      moved = follow(names[next]);
    }
    if (!moved) {
      return;
    }
  }
}

} // namespace bcvk
