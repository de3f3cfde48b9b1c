#include "bcvk/vm/layer_diff.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {
namespace {

// The image spec's reserved names: a deleted entry NAME is the empty file .wh.NAME, and a directory
// whose lower contents are hidden holds .wh..wh..opq.
constexpr std::string_view k_whiteout_prefix = ".wh.";
constexpr std::string_view k_opaque_marker = ".wh..wh..opq";

// overlayfs's own bookkeeping in the upper layer (trusted.overlay.*): never part of an image.
constexpr std::string_view k_overlay_xattrs = "trusted.overlay.";

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string in_dir(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

bool is_below(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
}

// overlayfs marks a deleted lower entry with a 0/0 character device (all of them may share one
// inode: it is checked before hard links are).
bool is_whiteout(const UpperNode& node) {
  return node.kind == NodeKind::char_device && node.rdev_major == 0 && node.rdev_minor == 0;
}

// The xattrs an image carries: file capabilities, ACLs and the user namespace. SELinux labels
// belong to the system the image is installed on, IMA/EVM signatures to the file as the vendor
// built it; user.overlay.* is what a rootless overlay keeps its own bookkeeping in.
// A name an image's tar can carry as it is: libarchive percent-encodes bytes outside '!'..'~' and
// '%' and '=' in SCHILY.xattr names, and nothing that unpacks layers decodes them.
bool is_representable_xattr(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c <= '~' && c != '%' && c != '='; });
}

bool is_kept_xattr(const std::string& name) {
  return name == "security.capability" || name == "system.posix_acl_access" || name == "system.posix_acl_default" ||
         (name.starts_with("user.") && !name.starts_with("user.overlay."));
}

Error not_diffable(const UpperNode& node, const std::string& how) {
  return Error("the guest's change to /" + printable(node.path) + " is recorded as " + how +
               ", which an image layer cannot carry: the VM's overlay was not mounted for commits (made by an "
               "older bcvk); rebuild the change in a VM made by this bcvk");
}

// True for a directory overlayfs marks opaque (the lower one's contents hidden). Throws for the
// records that make the upper layer no plain diff.
bool check_overlay_records(const UpperNode& node) {
  bool opaque = false;
  for (const auto& [name, value] : node.xattrs) {
    if (!name.starts_with(k_overlay_xattrs)) {
      continue;
    }
    const std::string key = name.substr(k_overlay_xattrs.size());
    if (key == "redirect") {
      throw not_diffable(node, "a redirect (a renamed directory that points back into the image)");
    }
    if (key == "metacopy") {
      throw not_diffable(node, "metadata alone (metacopy: the data stays in the image)");
    }
    if (key == "whiteout" || key == "whiteouts" || (key == "opaque" && value == "x")) {
      throw not_diffable(node, "an xattr whiteout (for nested overlays)");
    }
    if (key == "opaque" && value == "y" && node.kind == NodeKind::directory) {
      opaque = true;
    }
  }
  return opaque;
}

LayerEntry entry_for(const UpperNode& node, EntryKind kind) {
  LayerEntry entry;
  entry.path = node.path;
  entry.kind = kind;
  entry.mode = node.mode & 07777;
  entry.uid = node.uid;
  entry.gid = node.gid;
  entry.mtime_sec = node.mtime_sec;
  entry.mtime_nsec = node.mtime_nsec;
  entry.link_target = node.link_target;
  for (const auto& xattr : node.xattrs) {
    if (is_kept_xattr(xattr.first) && is_representable_xattr(xattr.first)) {
      entry.xattrs.push_back(xattr);
    }
  }
  if (kind == EntryKind::regular) {
    entry.size = node.size;
    entry.inode = node.inode;
  }
  if (kind == EntryKind::char_device || kind == EntryKind::block_device) {
    entry.rdev_major = node.rdev_major;
    entry.rdev_minor = node.rdev_minor;
  }
  return entry;
}

// An empty marker file of the spec (a whiteout or an opaque marker), with the time of what it marks.
LayerEntry marker(const std::string& path, EntryKind kind, const UpperNode& node) {
  LayerEntry entry;
  entry.path = path;
  entry.kind = kind;
  entry.mtime_sec = node.mtime_sec;
  entry.mtime_nsec = node.mtime_nsec;
  return entry;
}

EntryKind kind_of(NodeKind kind) {
  switch (kind) {
  case NodeKind::directory:
    return EntryKind::directory;
  case NodeKind::symlink:
    return EntryKind::symlink;
  case NodeKind::char_device:
    return EntryKind::char_device;
  case NodeKind::block_device:
    return EntryKind::block_device;
  case NodeKind::fifo:
    return EntryKind::fifo;
  case NodeKind::regular:
  case NodeKind::socket:
    break;
  }
  return EntryKind::regular;
}

// A directory the upper holds only to hold something below it, which goes when nothing below it is
// kept: one overlayfs copied up (the image's, with the image's mode and owner), or one bcvk made
// for what it placed. One with xattrs an image carries (an ACL, a user.* attribute) stays.
bool is_scaffolding(const UpperNode& node, bool opaque, const ExclusionList& exclusions) {
  if (node.kind != NodeKind::directory || opaque ||
      std::any_of(node.xattrs.begin(), node.xattrs.end(), [](const auto& x) { return is_kept_xattr(x.first); })) {
    return false;
  }
  const bool copied_up = node.lower_directory && node.lower_directory->mode == (node.mode & 07777) &&
                         node.lower_directory->uid == node.uid && node.lower_directory->gid == node.gid;
  return copied_up || (!node.lower_directory && exclusions.holds_placed(node.path));
}

// Inodes of left-out files that have other names: a kept name would carry their content.
std::map<std::uint64_t, std::string> left_out_inodes(const std::vector<UpperNode>& nodes,
                                                     const ExclusionList& exclusions) {
  std::map<std::uint64_t, std::string> out;
  for (const auto& node : nodes) {
    if (node.kind != NodeKind::directory && node.nlink > 1 && !is_whiteout(node) &&
        exclusions.reason_for(node.path) != nullptr) {
      out.try_emplace(node.inode, node.path);
    }
  }
  return out;
}

} // namespace

void ExclusionList::add(std::string pattern, std::string reason) {
  m_patterns.emplace_back(std::move(pattern), std::move(reason));
}

void ExclusionList::add_files_below(std::string dir, std::string reason) {
  m_files_below.emplace_back(std::move(dir), std::move(reason));
}

const std::string* ExclusionList::reason_for(const std::string& path, bool directory) const {
  if (!directory) {
    for (const auto& [dir, reason] : m_files_below) {
      if (is_below(path, dir)) {
        return &reason;
      }
    }
  }
  // The entry itself, then each directory above it.
  for (std::string at = path; !at.empty(); at = parent_of(at)) {
    for (const auto& [pattern, reason] : m_patterns) {
      if (::fnmatch(pattern.c_str(), at.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) {
        return &reason;
      }
    }
  }
  return nullptr;
}

bool ExclusionList::holds_placed(const std::string& path) const {
  return std::binary_search(m_placed_parents.begin(), m_placed_parents.end(), path);
}

void ExclusionList::add_placed(const std::string& path) {
  // Matched literally: a recorded path is a name, never a pattern.
  std::string literal;
  for (const char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') {
      literal += '\\';
    }
    literal += c;
  }
  add(literal, "placed by bcvk");
  for (std::string dir = parent_of(path); !dir.empty(); dir = parent_of(dir)) {
    m_placed_parents.insert(std::upper_bound(m_placed_parents.begin(), m_placed_parents.end(), dir), dir);
  }
  m_placed_parents.erase(std::unique(m_placed_parents.begin(), m_placed_parents.end()), m_placed_parents.end());
}

ExclusionList machine_state_exclusions() {
  ExclusionList list;
  const std::string identity = "the machine's identity or secrets";
  for (const char* path :
       {"etc/machine-id", "var/lib/dbus/machine-id", "var/lib/systemd/random-seed", "var/lib/systemd/credential.secret",
        "etc/ssh/ssh_host_*", "var/lib/NetworkManager", "var/lib/dhcp", "var/lib/dhclient", "var/lib/systemd/coredump",
        "etc/.updated", "var/.updated"}) {
    list.add(path, identity);
  }
  // Root's and users' shell and tool histories, wherever bootc images put home directories.
  for (const char* home : {"root", "var/roothome", "home/*", "var/home/*"}) {
    for (const char* history : {".bash_history", ".zsh_history", ".python_history", ".lesshst", ".viminfo"}) {
      list.add(std::string(home) + "/" + history, "a shell or tool history");
    }
  }
  const std::string records = "a record of this machine's life, not of the image";
  for (const char* path : {"var/log/journal", "var/lib/cloud", "var/lib/systemd/timers"}) {
    list.add(path, records);
  }
  for (const char* path : {"var/log", "var/cache"}) {
    list.add_files_below(path, records);
  }
  for (const char* path : {"tmp", "var/tmp", "run"}) {
    list.add(path, "scratch or runtime space");
  }
  list.add("etc/bcvk", "bcvk's own files");
  return list;
}

ExclusionList commit_exclusions(const std::vector<std::string>& placed) {
  ExclusionList list = machine_state_exclusions();
  for (const auto& path : placed) {
    list.add_placed(path);
  }
  return list;
}

LayerPlan plan_layer(const std::vector<UpperNode>& nodes, const ExclusionList& exclusions) {
  LayerPlan plan;
  std::vector<bool> prunable;                      // per entry: a copied-up parent that stays only for what it holds
  std::map<std::uint64_t, std::string> first_name; // inode -> the path that carries a hard-linked file
  std::vector<std::string> sockets;
  const auto left_out_links = left_out_inodes(nodes, exclusions);
  for (const auto& node : nodes) {
    if (exclusions.reason_for(node.path, node.kind == NodeKind::directory) != nullptr) {
      plan.left_out.push_back(node.path);
      continue;
    }
    const std::string name = name_of(node.path);
    if (name.starts_with(k_whiteout_prefix)) {
      throw Error("the guest made /" + printable(node.path) + ", a name image layers reserve for deletions (" +
                  std::string(k_whiteout_prefix) + "*): rename or remove it in the VM, then commit");
    }
    const bool opaque = check_overlay_records(node);
    for (const auto& [xattr, value] : node.xattrs) {
      if (is_kept_xattr(xattr) && !is_representable_xattr(xattr)) {
        plan.warnings.push_back("left out the extended attribute '" + printable(xattr) + "' of /" +
                                printable(node.path) + ": an image layer cannot carry its name as it is");
      }
    }
    if (is_whiteout(node)) {
      plan.entries.push_back(
          marker(in_dir(parent_of(node.path), std::string(k_whiteout_prefix) + name), EntryKind::whiteout, node));
      prunable.push_back(false);
      continue;
    }
    if (node.kind == NodeKind::socket) {
      sockets.push_back(node.path);
      continue;
    }
    if (node.kind != NodeKind::directory && node.nlink > 1) {
      const auto [it, first] = first_name.try_emplace(node.inode, node.path);
      if (const auto excluded = left_out_links.find(node.inode); first && excluded != left_out_links.end()) {
        plan.warnings.push_back("/" + printable(node.path) + " is another name of /" + printable(excluded->second) +
                                ", which a commit leaves out: its content goes into the layer under this name");
      }
      if (!first) {
        LayerEntry link = entry_for(node, EntryKind::hardlink);
        link.link_target = it->second;
        plan.entries.push_back(std::move(link));
        prunable.push_back(false);
        continue;
      }
    }
    plan.entries.push_back(entry_for(node, kind_of(node.kind)));
    prunable.push_back(is_scaffolding(node, opaque, exclusions));
    if (opaque) {
      plan.entries.push_back(marker(in_dir(node.path, k_opaque_marker), EntryKind::opaque, node));
      prunable.push_back(false);
    }
  }
  // Copied-up parents that hold nothing the layer keeps go (their children were all left out).
  std::set<std::string> holding;
  std::vector<LayerEntry> kept;
  for (std::size_t i = plan.entries.size(); i-- > 0;) {
    const LayerEntry& entry = plan.entries[i];
    if (prunable[i] && !holding.contains(entry.path)) {
      continue;
    }
    holding.insert(parent_of(entry.path));
    if (entry.path == "var" || is_below(entry.path, "var")) {
      plan.changes_var = plan.changes_var || !prunable[i];
    }
    kept.push_back(entry);
  }
  plan.entries.assign(kept.rbegin(), kept.rend());
  for (const auto& socket : sockets) {
    plan.warnings.push_back("left out /" + printable(socket) +
                            ": a socket, which an image layer cannot hold (whatever made it makes it again)");
  }
  if (plan.changes_var) {
    plan.warnings.push_back("the guest changed /var: bootc applies an image's /var only when it installs a system, "
                            "never when it updates one");
  }
  return plan;
}

std::string describe_layer(const LayerPlan& plan) {
  std::ostringstream out;
  const auto owner = [](const LayerEntry& e) {
    std::ostringstream o;
    o << std::oct << e.mode << std::dec << " " << e.uid << ":" << e.gid;
    return o.str();
  };
  for (const auto& e : plan.entries) {
    switch (e.kind) {
    case EntryKind::directory:
      out << "dir      " << owner(e) << " " << printable(e.path);
      break;
    case EntryKind::regular:
      out << "file     " << owner(e) << " " << printable(e.path) << " (" << e.size << " bytes)";
      break;
    case EntryKind::symlink:
      out << "symlink  " << owner(e) << " " << printable(e.path) << " -> " << printable(e.link_target);
      break;
    case EntryKind::hardlink:
      out << "hardlink " << owner(e) << " " << printable(e.path) << " => " << printable(e.link_target);
      break;
    case EntryKind::char_device:
    case EntryKind::block_device:
      out << (e.kind == EntryKind::char_device ? "chardev  " : "blockdev ") << owner(e) << " " << printable(e.path)
          << " (" << e.rdev_major << "," << e.rdev_minor << ")";
      break;
    case EntryKind::fifo:
      out << "fifo     " << owner(e) << " " << printable(e.path);
      break;
    case EntryKind::whiteout:
      out << "whiteout " << printable(e.path);
      break;
    case EntryKind::opaque:
      out << "opaque   " << printable(e.path);
      break;
    }
    for (const auto& [name, value] : e.xattrs) {
      out << " xattr:" << printable(name);
    }
    out << "\n";
  }
  for (const auto& path : plan.left_out) {
    out << "left out " << printable(path) << "\n";
  }
  for (const auto& warning : plan.warnings) {
    out << "warning  " << warning << "\n";
  }
  return out.str();
}

} // namespace bcvk
