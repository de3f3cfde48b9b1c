#pragma once
// What a guest started with --bind-storage-ro sees of the host's container storage: the stores
// image lookup reads (podman's overlay image and layer stores), never the rest of the graph root
// (containers and their writable layers, volumes, secrets, podman's database, roots that podman or
// bcvk has mounted).
#include <set>
#include <string>
#include <vector>

namespace bcvk {

// The layer IDs named by `podman image inspect --format '{{.GraphDriver.Name}}
// {{.GraphDriver.Data.UpperDir}} {{.GraphDriver.Data.LowerDir}}'` lines (one per image): the IDs of
// directories GRAPH_ROOT/overlay/ID/diff with a 64-digit hexadecimal ID. Any other path (a layer
// of an additional image store elsewhere) is not this storage's and is left out. Throws Error for
// any other driver than overlay (pure).
std::set<std::string> image_layer_ids_of(const std::string& graph_root, const std::string& inspect_lines);

// The entries of the graph root that the view shares, relative to it (pure): overlay-images/ and
// overlay-layers/ (the stores' metadata and locks), overlay/l/ (the short-name links layers use)
// and overlay/ID/ for each layer of an image; overlay/ itself is an empty directory of the view.
std::vector<std::string> storage_view_entries(const std::set<std::string>& layer_ids);

// Mounts the view at the empty directory `target` (in a directory only root can enter): a small
// read-only tmpfs holding one read-only, nosuid, nodev bind mount (without submounts) of each entry.
// An entry that is gone by now (its image was just removed) is left out. Released as one read-only
// mount tree (release_mounts_below).
void mount_storage_view(const std::string& graph_root, const std::set<std::string>& layer_ids,
                        const std::string& target);

} // namespace bcvk
