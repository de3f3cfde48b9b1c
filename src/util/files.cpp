#include "bcvk/util/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"
#include "bcvk/util/rooted_fs.hpp"

namespace bcvk {

bool is_at_or_below(std::string_view path, std::string_view dir) {
  if (dir.empty()) {
    return false; // no directory names nothing, rather than everything
  }
  if (dir.size() > 1 && dir.back() == '/') {
    dir.remove_suffix(1);
  }
  if (!path.starts_with(dir)) {
    return false;
  }
  return path.size() == dir.size() || dir == "/" || path[dir.size()] == '/';
}

void make_private_dir(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) {
    ::chmod(path.c_str(), static_cast<mode_t>(mode)); // the umask must not widen or narrow it
    return;
  }
  struct stat st {};
  if (errno != EEXIST || ::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error("cannot create directory " + path + ": " +
                (errno == EEXIST ? "something else is there" : std::strerror(errno)));
  }
}

void create_empty_file(const std::string& path, unsigned mode) {
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                     static_cast<mode_t>(mode)));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    throw Error("cannot create " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error("cannot create " + path + ": something else is there");
  }
}

ExclusiveFileLock::ExclusiveFileLock(const std::string& path)
    : m_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) {
  if (!m_fd || ::flock(m_fd.get(), LOCK_EX) != 0) {
    throw Error("cannot lock " + path + ": " + std::strerror(errno));
  }
}

bool exists_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void sync_path(const std::string& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    throw Error("cannot flush " + path + " to disk: " + std::strerror(errno));
  }
}

void write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  const auto slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  Fd dir(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    throw Error("cannot write " + path + ": " + std::strerror(errno));
  }
  replace_file_at(dir.get(), path.substr(slash + 1), data, mode, path);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    throw Error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_file_tail(const std::string& path, std::size_t max_bytes) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return "";
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  std::string out(size - start, '\0');
  const ssize_t n = ::pread(fd.get(), out.data(), out.size(), static_cast<off_t>(start));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

} // namespace bcvk
