#pragma once
// Small file helpers that never follow a link where they create something.
#include <string>
#include <string_view>

#include "bcvk/util/handle.hpp"

namespace bcvk {

// Whether absolute, normalised `path` is `dir` itself or lies below it ("/a/bc" is not below "/a/b").
bool is_at_or_below(std::string_view path, std::string_view dir);

// Creates directory `path` with `mode` if missing (an existing one must be a real directory, not a
// link); the mode is applied only to a directory created here.
void make_private_dir(const std::string& path, unsigned mode);

// Makes `path` an empty regular file: created with `mode`, or an existing regular file emptied
// (never through a link: a link or anything else there is an Error).
void create_empty_file(const std::string& path, unsigned mode);

// An exclusive flock on the file `path` (created 0600 if missing, never through a link), held
// for the object's lifetime; waits for other holders.
class ExclusiveFileLock {
public:
  explicit ExclusiveFileLock(const std::string& path);

private:
  Fd m_fd;
};

// Whether anything (a dangling link included) is at `path`.
bool exists_nofollow(const std::string& path);

// Flushes the file or directory at `path` to disk (never through a link).
void sync_path(const std::string& path);

// Writes `data` to `path` atomically (an exclusive temporary file + rename, never through a link)
// with the given mode.
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0600);
std::string read_text_file(const std::string& path);

// The last `max_bytes` of a regular file (never through a link), or "" when it is missing.
std::string read_file_tail(const std::string& path, std::size_t max_bytes);

} // namespace bcvk
