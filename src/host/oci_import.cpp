#include "bcvk/host/oci_import.hpp"

#include <sstream>

#include <spdlog/spdlog.h>

#include "bcvk/util/error.hpp"

namespace bcvk {
namespace {

// skopeo's message: the last line of its errors that is not one of containers-storage's notes.
std::string skopeo_error(const ProcessResult& r) {
  std::istringstream lines(r.err);
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.find("level=info") == std::string::npos &&
        line.find("level=debug") == std::string::npos) {
      last = line;
    }
  }
  return last.empty() ? "exit status " + std::to_string(r.status) : last;
}

ProcessResult skopeo(const std::vector<std::string>& args, ProcessRunner& runner) {
  std::vector<std::string> argv{"skopeo"};
  argv.insert(argv.end(), args.begin(), args.end());
  spdlog::debug("running {}", quote_command(argv));
  auto r = runner.run(argv);
  if (r.status == 127) {
    throw Error("skopeo is not installed: bcvk needs it to store committed images (install the skopeo package)");
  }
  return r;
}

} // namespace

StoredImage read_stored_image(const std::string& image_id, ProcessRunner& runner) {
  // By ID: the image the VM was made from, whatever its names point at now.
  const std::string ref = "containers-storage:" + image_id;
  StoredImage image;
  for (auto [flags, out] : {std::pair{std::vector<std::string>{"inspect", "--raw"}, &image.manifest},
                            std::pair{std::vector<std::string>{"inspect", "--config", "--raw"}, &image.config}}) {
    flags.push_back(ref);
    const auto r = skopeo(flags, runner);
    if (r.status != 0) {
      throw Error("cannot read image " + image_id.substr(0, 12) + " from local storage: " + skopeo_error(r));
    }
    *out = r.out;
  }
  return image;
}

void import_oci_layout(const std::string& layout_dir, const std::string& name, ImageFormat format,
                       ProcessRunner& runner) {
  const auto r = skopeo({"copy", "--quiet", "--format", format == ImageFormat::docker ? "v2s2" : "oci",
                         "oci:" + layout_dir, "containers-storage:" + name},
                        runner);
  if (r.status != 0) {
    throw Error("cannot store the committed image as " + name + ": " + skopeo_error(r));
  }
}

} // namespace bcvk
