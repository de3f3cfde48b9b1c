#include "bcvk/vm/initramfs_choice.hpp"

#include "bcvk/util/error.hpp"
#include "bcvk/vm/names.hpp"

namespace bcvk {

InitramfsChoice parse_initramfs_choice(const std::string& text) {
  if (text == "image") {
    return InitramfsChoice::image;
  }
  if (text == "minimal") {
    return InitramfsChoice::minimal;
  }
  throw UsageError("--initramfs: unsupported value '" + printable(text) + "': use image or minimal");
}

std::string to_string(InitramfsChoice choice) {
  return choice == InitramfsChoice::minimal ? "minimal" : "image";
}

InitramfsChoice recorded_initramfs_choice(const std::string& recorded) {
  return recorded == "minimal" ? InitramfsChoice::minimal : InitramfsChoice::image;
}

} // namespace bcvk
