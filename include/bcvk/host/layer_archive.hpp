#pragma once
// Writing an image layer: the entries of vm/layer_diff.hpp as an uncompressed pax tar (libarchive),
// its SHA-256 taken while it is written.
#include <cstdint>
#include <string>
#include <vector>

#include "bcvk/util/handle.hpp"
#include "bcvk/util/signals.hpp"
#include "bcvk/vm/committed_image.hpp"
#include "bcvk/vm/layer_diff.hpp"

namespace bcvk {

// Writes `entries` to `out`, reading each regular file's content from the tree open as `upper`
// (the same file the scan saw: its inode and size are checked, no link is followed). Throws Error
// naming the entry that cannot be written; a termination signal caught by `signals` ends it
// (Interrupted). The result names the tar: for an uncompressed layer, its digest is also its diff ID.
BlobRef write_layer(const std::vector<LayerEntry>& entries, const Fd& upper, const Fd& out, SignalCatcher& signals);

} // namespace bcvk
