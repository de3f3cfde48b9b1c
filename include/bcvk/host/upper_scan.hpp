#pragma once
// Reading a stopped VM's overlay upper layer as nodes for vm/layer_diff.hpp: every entry with its
// metadata and xattrs, through descriptors (a link is read as a link, never followed).
#include <vector>

#include "bcvk/util/handle.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/util/rooted_fs.hpp"
#include "bcvk/vm/layer_diff.hpp"

namespace bcvk {

// The entries below the directory open as `upper`, in walk order (a directory, then what it holds,
// names sorted). `image` is the overlay's lower layer: it tells which directories the image has
// (UpperNode::lower_directory). Throws Error naming the path for what cannot be read, and for a
// tree deeper than an image could hold. A termination signal caught by `signals` ends it
// (Interrupted).
std::vector<UpperNode> scan_upper(const Fd& upper, const RootedTree& image, SignalCatcher& signals);

} // namespace bcvk
