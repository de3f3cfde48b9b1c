#include "bcvk/host/layer_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "bcvk/util/digest.hpp"
#include "bcvk/util/error.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

using Archive = Handle<archive, archive_write_free>;
using ArchiveEntry = Handle<archive_entry, archive_entry_free>;

// Where libarchive's output goes: the file, and the digest on the way.
struct Sink {
  int fd = -1;
  Sha256* digest = nullptr;
  std::uint64_t written = 0;
  int error = 0;
};

la_ssize_t write_out(archive*, void* data, const void* buffer, size_t length) {
  auto* sink = static_cast<Sink*>(data);
  const auto* bytes = static_cast<const char*>(buffer);
  for (size_t done = 0; done < length;) {
    const ssize_t n = ::write(sink->fd, bytes + done, length - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      sink->error = errno;
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  try {
    sink->digest->update(bytes, length);
  } catch (const Error&) {
    sink->error = EIO; // nothing may leave through libarchive's C frames
    return -1;
  }
  sink->written += length;
  return static_cast<la_ssize_t>(length);
}

Error archive_error(archive* a, const Sink& sink, const std::string& path) {
  const std::string why = sink.error != 0 ? std::strerror(sink.error) : archive_error_string(a);
  return Error("cannot write /" + printable(path) + " into the layer: " + why);
}

// The regular file the scan saw, opened inside the upper without following any link.
Fd open_content(const Fd& upper, const LayerEntry& entry) {
  Fd fd = open_below(upper.get(), entry.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, LinkPolicy::none);
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    throw Error("cannot open /" + printable(entry.path) + " of the VM's changes: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode) || st.st_ino != entry.inode || static_cast<std::uint64_t>(st.st_size) != entry.size) {
    throw Error("/" + printable(entry.path) + " changed while the VM's changes were read: is the VM running?");
  }
  return fd;
}

void copy_content(archive* a, const Sink& sink, const Fd& file, const LayerEntry& entry, SignalCatcher& signals) {
  std::array<char, 1 << 16> buffer{};
  std::uint64_t left = entry.size;
  for (unsigned chunk = 1; left > 0; ++chunk) {
    if (chunk % 64 == 0) {
      signals.checkpoint(); // every 4 MiB: a Ctrl-C does not wait for a large file to end
    }
    const ssize_t n = ::read(file.get(), buffer.data(), std::min<std::uint64_t>(buffer.size(), left));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw Error("cannot read /" + printable(entry.path) +
                  " of the VM's changes: " + (n < 0 ? std::strerror(errno) : "it became shorter"));
    }
    if (archive_write_data(a, buffer.data(), static_cast<size_t>(n)) != n) {
      throw archive_error(a, sink, entry.path);
    }
    left -= static_cast<std::uint64_t>(n);
  }
}

unsigned file_type(EntryKind kind) {
  switch (kind) {
  case EntryKind::directory:
    return AE_IFDIR;
  case EntryKind::symlink:
    return AE_IFLNK;
  case EntryKind::char_device:
    return AE_IFCHR;
  case EntryKind::block_device:
    return AE_IFBLK;
  case EntryKind::fifo:
    return AE_IFIFO;
  case EntryKind::regular:
  case EntryKind::hardlink:
  case EntryKind::whiteout:
  case EntryKind::opaque:
    break;
  }
  return AE_IFREG;
}

ArchiveEntry header_for(const LayerEntry& e) {
  ArchiveEntry entry(archive_entry_new());
  if (!entry) {
    throw Error("out of memory for a layer entry");
  }
  archive_entry_set_pathname(entry.get(), e.path.c_str());
  archive_entry_set_filetype(entry.get(), file_type(e.kind));
  archive_entry_set_perm(entry.get(), e.mode);
  archive_entry_set_uid(entry.get(), e.uid);
  archive_entry_set_gid(entry.get(), e.gid);
  archive_entry_set_mtime(entry.get(), e.mtime_sec, e.mtime_nsec);
  archive_entry_set_size(entry.get(), e.kind == EntryKind::regular ? static_cast<la_int64_t>(e.size) : 0);
  if (e.kind == EntryKind::symlink) {
    archive_entry_set_symlink(entry.get(), e.link_target.c_str());
  }
  if (e.kind == EntryKind::hardlink) {
    archive_entry_set_hardlink(entry.get(), e.link_target.c_str());
  }
  if (e.kind == EntryKind::char_device || e.kind == EntryKind::block_device) {
    archive_entry_set_rdevmajor(entry.get(), e.rdev_major);
    archive_entry_set_rdevminor(entry.get(), e.rdev_minor);
  }
  for (const auto& [name, value] : e.xattrs) {
    archive_entry_xattr_add_entry(entry.get(), name.c_str(), value.data(), value.size());
  }
  return entry;
}

} // namespace

BlobRef write_layer(const std::vector<LayerEntry>& entries, const Fd& upper, const Fd& out, SignalCatcher& signals) {
  Sha256 digest;
  Sink sink{out.get(), &digest, 0, 0};
  Archive a(archive_write_new());
  // pax, with an extended header for every entry: names and link targets of any length, times to
  // the nanosecond, numeric owners past 2^21, and xattrs as SCHILY.xattr records (what
  // containers-storage and Go's archive/tar read). Names are the guest's bytes, stored as they
  // are: Linux names need not be text in any character set, and bcvk has no locale to convert from.
  if (!a || archive_write_set_format_pax(a.get()) != ARCHIVE_OK ||
      archive_write_set_options(a.get(), "xattrheader=SCHILY,hdrcharset=BINARY") != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open2(a.get(), &sink, nullptr, write_out, nullptr, nullptr) != ARCHIVE_OK) {
    throw Error(std::string("cannot start the layer archive: ") + (a ? archive_error_string(a.get()) : "no memory"));
  }
  for (const auto& e : entries) {
    signals.checkpoint(); // a Ctrl-C ends a long write here
    const ArchiveEntry header = header_for(e);
    // Opened before the header is written: a file that changed is refused before it is half-written.
    const Fd content = e.kind == EntryKind::regular ? open_content(upper, e) : Fd();
    if (archive_write_header(a.get(), header.get()) != ARCHIVE_OK) {
      throw archive_error(a.get(), sink, e.path);
    }
    if (content) {
      copy_content(a.get(), sink, content, e, signals);
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    throw archive_error(a.get(), sink, "(end of the layer)");
  }
  return {digest.finish(), sink.written};
}

} // namespace bcvk
