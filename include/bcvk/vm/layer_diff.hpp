#pragma once
// What a kept VM's overlay upper layer means as an image layer (`ephemeral commit`). Pure: the
// upper is described as nodes (host/upper_scan.hpp reads them), and out come the entries of one
// OCI layer, as the image spec's changeset rules define them: what the guest added or changed,
// whiteouts for what it deleted, opaque markers for directories it replaced, hard links kept.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bcvk {

enum class NodeKind { directory, regular, symlink, char_device, block_device, fifo, socket };

// One entry of the upper layer as lstat and the xattr calls saw it.
struct UpperNode {
  std::string path; // relative to the upper's root, no leading '/': "etc/hostname"
  NodeKind kind = NodeKind::regular;
  unsigned mode = 0; // permission bits with set-uid, set-gid and sticky (07777)
  unsigned uid = 0;
  unsigned gid = 0;
  std::int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  std::uint64_t inode = 0;
  std::uint64_t nlink = 1;
  std::uint64_t size = 0;
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  std::string link_target; // a symlink's
  std::vector<std::pair<std::string, std::string>> xattrs;
  // What the image has at the same path, when that is a directory (a parent overlayfs copied up
  // to hold a change below it, or one the guest changed).
  struct LowerDirectory {
    unsigned mode = 0;
    unsigned uid = 0;
    unsigned gid = 0;
  };
  std::optional<LowerDirectory> lower_directory;
};

enum class EntryKind { directory, regular, symlink, hardlink, char_device, block_device, fifo, whiteout, opaque };

// One entry of the layer. For `regular`, the content is the upper's file at `path`; `hardlink`
// and `symlink` name their target in `link_target` (a hard link's is another entry's path).
// `whiteout` and `opaque` are the spec's empty marker files (.wh.NAME, DIR/.wh..wh..opq).
struct LayerEntry {
  std::string path;
  EntryKind kind = EntryKind::regular;
  unsigned mode = 0;
  unsigned uid = 0;
  unsigned gid = 0;
  std::int64_t mtime_sec = 0;
  long mtime_nsec = 0;
  std::uint64_t size = 0;  // of a regular file's content
  std::uint64_t inode = 0; // of a regular file's content in the upper: checked when it is read
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  std::string link_target;
  std::vector<std::pair<std::string, std::string>> xattrs; // the ones an image carries
};

// Paths a commit leaves out: each pattern (fnmatch, '/' matched only by '/') excludes the entry it
// matches and everything below it.
class ExclusionList {
public:
  void add(std::string pattern, std::string reason);
  // Everything below `dir` but the directories (which packages make for what they will write).
  void add_files_below(std::string dir, std::string reason);
  // A path bcvk placed: left out, and the directories above it that hold nothing else are too
  // (bcvk made the ones the image lacks).
  void add_placed(const std::string& path);
  // The reason the entry `path` (a directory or not) is left out, or nullptr when it is kept.
  const std::string* reason_for(const std::string& path, bool directory = false) const;
  // True for a directory above a path bcvk placed.
  bool holds_placed(const std::string& path) const;

private:
  std::vector<std::pair<std::string, std::string>> m_patterns;
  std::vector<std::pair<std::string, std::string>> m_files_below;
  std::vector<std::string> m_placed_parents;
};

// What every guest writes for itself and no image may carry: machine identity and secrets
// (machine-id, random seed, credential secret, SSH host keys, network secrets and leases, shell
// histories, core dumps), records of this machine's life (the journal, cloud-init's state, timer
// stamps; the files below /var/log and /var/cache, not their directories) and scratch space
// (/tmp, /var/tmp, /run), plus bcvk's own etc/bcvk.
ExclusionList machine_state_exclusions();

// The above plus every path of `placed` (what bcvk put into this VM's root, as recorded).
ExclusionList commit_exclusions(const std::vector<std::string>& placed);

struct LayerPlan {
  std::vector<LayerEntry> entries;
  std::vector<std::string> warnings; // one line each
  std::vector<std::string> left_out; // excluded paths found in the upper, in walk order
  bool changes_var = false;          // the guest changed something below /var
};

// The layer for `nodes` (in walk order: a directory before what it holds). Throws Error, naming the
// path, for what no layer can express: an upper recorded with overlayfs redirects or metacopy, a
// guest file whose name a layer reserves (.wh.*), an xattr-style whiteout.
LayerPlan plan_layer(const std::vector<UpperNode>& nodes, const ExclusionList& exclusions);

// A readable listing of `plan` for golden files and logs: one line per entry.
std::string describe_layer(const LayerPlan& plan);

} // namespace bcvk
