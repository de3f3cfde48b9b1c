#pragma once
// Which initramfs a VM boots through (--initramfs). Pure.
#include <string>

namespace bcvk {

enum class InitramfsChoice {
  // The image's own initramfs, with bcvk's virtiofs add-on appended.
  image,
  // bcvk's minimal initramfs: the image's virtio/virtiofs modules and bcvk's static init.
  minimal,
};

// "image" or "minimal"; anything else is a UsageError naming the option and the values.
InitramfsChoice parse_initramfs_choice(const std::string& text);
// How the choice is written in state.json and shown ("image", "minimal").
std::string to_string(InitramfsChoice choice);
// The choice recorded for an instance: an instance kept by an older bcvk records none ("").
InitramfsChoice recorded_initramfs_choice(const std::string& recorded);

} // namespace bcvk
