#include "bcvk/host/bootc_layout.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstring>
#include <regex>

#include "bcvk/util/error.hpp"
#include "bcvk/util/handle.hpp"

namespace bcvk {
namespace {

// UKIs are tens of MiB; anything far larger is not one.
constexpr std::size_t k_max_uki_bytes = std::size_t{2} << 30;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += out.empty() ? "" : ", ";
    out += i;
  }
  return out;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The kernel version ends up in the state file, JSON output and messages.
bool is_kernel_version(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '+' || c == '~' ||
                  c == '-';
         });
}

// Kernel files must be real files of the image: followed only while links stay inside it.
bool is_boot_file(const RootedTree& root, const std::string& path) {
  return root.kind_of(path, LinkPolicy::beneath) == TreeEntry::Kind::file;
}

std::uint32_t le32(std::string_view b, std::size_t off) {
  if (off + 4 > b.size()) {
    throw Error("truncated PE file");
  }
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

std::uint16_t le16(std::string_view b, std::size_t off) {
  if (off + 2 > b.size()) {
    throw Error("truncated PE file");
  }
  std::uint16_t v = 0;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}

// Where a PE file's headers and section table must lie: far more than any real one needs.
constexpr std::uint64_t k_max_pe_header_bytes = 1 << 20;

// Copies `section` of the file `in` to a new file at `path` (created exclusively, mode 0644).
void copy_range_to_new_file(int in, const PeSection& section, const std::string& path) {
  Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out) {
    throw Error("cannot create " + path + ": " + std::strerror(errno));
  }
  std::string chunk(1 << 20, '\0');
  for (std::size_t done = 0; done < section.size;) {
    const std::size_t want = std::min(chunk.size(), section.size - done);
    const ssize_t n = ::pread(in, chunk.data(), want, static_cast<off_t>(section.offset + done));
    if (n <= 0) {
      throw Error("cannot read section " + section.name + " of the unified kernel image: " +
                  (n == 0 ? std::string("it ends early") : std::string(std::strerror(errno))));
    }
    write_all(out.get(), std::string_view(chunk.data(), static_cast<std::size_t>(n)), path);
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(out.get(), 0644); // whatever the umask: QEMU's user reads it
}

} // namespace

BootArtifacts find_boot_artifacts(const RootedTree& root, const std::string& image) {
  std::vector<BootArtifacts> pairs;
  std::vector<BootArtifacts> ukis;
  std::vector<std::string> partial;
  for (const auto& entry : root.list("usr/lib/modules", LinkPolicy::beneath)) {
    const std::string kver = entry.name;
    if (!is_kernel_version(kver)) {
      continue; // not a kernel's directory; its name is never shown or stored
    }
    const std::string dir = "/usr/lib/modules/" + kver;
    if (root.kind_of(dir, LinkPolicy::beneath) != TreeEntry::Kind::directory) {
      continue;
    }
    const bool has_kernel = is_boot_file(root, dir + "/vmlinuz");
    const bool has_initrd = is_boot_file(root, dir + "/initramfs.img");
    if (has_kernel && has_initrd) {
      pairs.push_back({kver, dir + "/vmlinuz", dir + "/initramfs.img", ""});
    } else if (has_kernel != has_initrd) {
      partial.push_back(dir + (has_kernel ? "/vmlinuz" : "/initramfs.img") + " (its " +
                        (has_kernel ? "initramfs.img" : "vmlinuz") + " is missing)");
    }
    for (const auto& f : root.list(dir, LinkPolicy::beneath)) {
      if (ends_with(f.name, ".efi") && is_kernel_version(f.name) && is_boot_file(root, dir + "/" + f.name)) {
        ukis.push_back({kver, "", "", dir + "/" + f.name});
      }
    }
  }
  for (const auto& f : root.list("boot/EFI/Linux", LinkPolicy::beneath)) {
    if (ends_with(f.name, ".efi") && is_kernel_version(f.name) && is_boot_file(root, "/boot/EFI/Linux/" + f.name)) {
      ukis.push_back({f.name.substr(0, f.name.size() - 4), "", "", "/boot/EFI/Linux/" + f.name});
    }
  }
  if (pairs.size() == 1) {
    return pairs.front();
  }
  if (pairs.size() > 1) {
    std::vector<std::string> found;
    for (const auto& p : pairs) {
      found.push_back(p.kernel);
    }
    throw Error("image " + image + " has " + std::to_string(pairs.size()) + " kernels (" + join(found) +
                "): a bootc image must ship exactly one under /usr/lib/modules/<kver>/");
  }
  if (ukis.size() == 1) {
    return ukis.front();
  }
  if (ukis.size() > 1) {
    std::vector<std::string> found;
    for (const auto& u : ukis) {
      found.push_back(u.uki);
    }
    throw Error("image " + image + " has " + std::to_string(ukis.size()) + " unified kernel images (" + join(found) +
                "): a bootc image must ship exactly one");
  }
  throw Error("image " + image +
              " has no kernel: expected /usr/lib/modules/<kver>/vmlinuz with initramfs.img, "
              "or a UKI (*.efi)" +
              (partial.empty() ? std::string(" — is it a bootc image?") : "; found only " + join(partial)));
}

std::optional<int> guest_systemd_version(const RootedTree& root) {
  static const std::regex k_pattern(R"(libsystemd-shared-(\d+)[^/]*\.so)");
  std::vector<std::string> dirs{"usr/lib/systemd"};
  for (const auto& d : root.list("usr/lib", LinkPolicy::confined)) {
    dirs.push_back("usr/lib/" + d.name + "/systemd");
  }
  dirs.push_back("usr/lib64/systemd");
  for (const auto& dir : dirs) {
    for (const auto& f : root.list(dir, LinkPolicy::confined)) {
      std::smatch m;
      if (std::regex_match(f.name, m, k_pattern)) {
        return m[1].length() <= 6 ? std::optional<int>(std::stoi(m[1].str())) : std::nullopt;
      }
    }
  }
  return std::nullopt;
}

std::vector<PeSection> parse_pe_sections(std::string_view bytes, std::uint64_t file_size) {
  if (bytes.size() < 64 || bytes[0] != 'M' || bytes[1] != 'Z') {
    throw Error("not a PE file (no MZ header)");
  }
  const std::size_t pe = le32(bytes, 0x3c);
  if (pe + 24 > bytes.size() || bytes.substr(pe, 4) != std::string_view("PE\0\0", 4)) {
    throw Error("not a PE file (no PE signature)");
  }
  const std::size_t count = le16(bytes, pe + 6);
  const std::size_t optional_size = le16(bytes, pe + 20);
  const std::size_t table = pe + 24 + optional_size;
  std::vector<PeSection> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t entry = table + i * 40;
    if (entry + 40 > bytes.size()) {
      throw Error("truncated PE section table");
    }
    std::string name(bytes.substr(entry, 8));
    name.resize(std::strlen(name.c_str()));
    const std::size_t virtual_size = le32(bytes, entry + 8);
    const std::size_t raw_size = le32(bytes, entry + 16);
    const std::size_t raw_offset = le32(bytes, entry + 20);
    // Raw data is padded to the file alignment; the virtual size is the payload's true length.
    const std::size_t size = virtual_size != 0 ? std::min(virtual_size, raw_size) : raw_size;
    if (raw_offset + size > file_size) {
      throw Error("PE section " + name + " extends past the end of the file");
    }
    out.push_back({name, raw_offset, size});
  }
  return out;
}

void extract_uki(const RootedTree& root, const std::string& uki, const std::string& kernel_out,
                 const std::string& initrd_out) {
  // Only the headers are read into memory; the sections (a kernel, an initramfs of hundreds of
  // MiB) are copied from the file in chunks.
  const Fd fd = root.open_regular(uki, LinkPolicy::beneath, k_max_uki_bytes);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    throw Error("cannot examine unified kernel image " + uki + ": " + std::strerror(errno));
  }
  std::string head(std::min<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), k_max_pe_header_bytes), '\0');
  const ssize_t got = ::pread(fd.get(), head.data(), head.size(), 0);
  if (got < 0) {
    throw Error("cannot read unified kernel image " + uki + ": " + std::strerror(errno));
  }
  head.resize(static_cast<std::size_t>(got));
  const auto sections = parse_pe_sections(head, static_cast<std::uint64_t>(st.st_size));
  const auto find = [&](const char* name) -> const PeSection& {
    for (const auto& s : sections) {
      if (s.name == name) {
        return s;
      }
    }
    throw Error("unified kernel image " + uki + " has no " + name + " section");
  };
  const auto& linux_section = find(".linux");
  const auto& initrd_section = find(".initrd");
  copy_range_to_new_file(fd.get(), linux_section, kernel_out);
  copy_range_to_new_file(fd.get(), initrd_section, initrd_out);
}

} // namespace bcvk
