#include "bcvk/bootc_layout.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "bcvk/error.hpp"

namespace fs = std::filesystem;

namespace bcvk {
namespace {

std::vector<fs::path> list_dir(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += out.empty() ? "" : ", ";
    out += i;
  }
  return out;
}

// The image's path as the user would see it inside the image (without the mount prefix).
std::string in_image(const fs::path& root, const fs::path& p) {
  return "/" + fs::relative(p, root).string();
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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    throw Error("cannot write " + path);
  }
}

} // namespace

BootArtifacts find_boot_artifacts(const std::string& root_dir, const std::string& image) {
  const fs::path root(root_dir);
  std::vector<BootArtifacts> pairs;
  std::vector<BootArtifacts> ukis;
  std::vector<std::string> partial;
  for (const auto& dir : list_dir(root / "usr/lib/modules")) {
    const std::string kver = dir.filename().string();
    const bool has_kernel = is_file(dir / "vmlinuz");
    const bool has_initrd = is_file(dir / "initramfs.img");
    if (has_kernel && has_initrd) {
      pairs.push_back({kver, (dir / "vmlinuz").string(), (dir / "initramfs.img").string(), ""});
    } else if (has_kernel != has_initrd) {
      partial.push_back(in_image(root, dir / (has_kernel ? "vmlinuz" : "initramfs.img")) + " (its " +
                        (has_kernel ? "initramfs.img" : "vmlinuz") + " is missing)");
    }
    for (const auto& f : list_dir(dir)) {
      if (f.extension() == ".efi" && is_file(f)) {
        ukis.push_back({kver, "", "", f.string()});
      }
    }
  }
  for (const auto& f : list_dir(root / "boot/EFI/Linux")) {
    if (f.extension() == ".efi" && is_file(f)) {
      ukis.push_back({f.stem().string(), "", "", f.string()});
    }
  }
  if (pairs.size() == 1) {
    return pairs.front();
  }
  if (pairs.size() > 1) {
    std::vector<std::string> found;
    for (const auto& p : pairs) {
      found.push_back(in_image(root, p.kernel));
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
      found.push_back(in_image(root, u.uki));
    }
    throw Error("image " + image + " has " + std::to_string(ukis.size()) + " unified kernel images (" + join(found) +
                "): a bootc image must ship exactly one");
  }
  throw Error("image " + image +
              " has no kernel: expected /usr/lib/modules/<kver>/vmlinuz with initramfs.img, "
              "or a UKI (*.efi)" +
              (partial.empty() ? std::string(" — is it a bootc image?") : "; found only " + join(partial)));
}

std::optional<int> guest_systemd_version(const std::string& root_dir) {
  const fs::path root(root_dir);
  static const std::regex k_pattern(R"(libsystemd-shared-(\d+)[^/]*\.so)");
  std::vector<fs::path> dirs{root / "usr/lib/systemd"};
  for (const auto& d : list_dir(root / "usr/lib")) {
    dirs.push_back(d / "systemd");
  }
  dirs.push_back(root / "usr/lib64/systemd");
  for (const auto& dir : dirs) {
    for (const auto& f : list_dir(dir)) {
      std::smatch m;
      const std::string name = f.filename().string();
      if (std::regex_match(name, m, k_pattern)) {
        return std::stoi(m[1].str());
      }
    }
  }
  return std::nullopt;
}

std::vector<PeSection> parse_pe_sections(std::string_view bytes) {
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
    if (raw_offset + size > bytes.size()) {
      throw Error("PE section " + name + " extends past the end of the file");
    }
    out.push_back({name, raw_offset, size});
  }
  return out;
}

void extract_uki(const std::string& uki, const std::string& kernel_out, const std::string& initrd_out) {
  const std::string bytes = read_file(uki);
  const auto sections = parse_pe_sections(bytes);
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
  write_file(kernel_out, std::string_view(bytes).substr(linux_section.offset, linux_section.size));
  write_file(initrd_out, std::string_view(bytes).substr(initrd_section.offset, initrd_section.size));
}

} // namespace bcvk
