// The source tree's folders are layers, and includes only ever point down (see ARCHITECTURE.md):
// a file may include headers of its own layer and of the layers listed for it here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::set<std::string>>& allowed_below() {
  static const std::map<std::string, std::set<std::string>> layers{
      {"util", {}},
      {"guest_init", {}},
      {"vm", {"guest_init", "util"}},
      {"host", {"vm", "guest_init", "util"}},
      {"ssh", {"host", "vm", "util"}},
      {"instance", {"ssh", "host", "vm", "util"}},
      {"verbs", {"instance", "ssh", "host", "vm", "util"}},
      {"cli", {"verbs", "vm", "util"}},
  };
  return layers;
}

// The layer of a file: the folder right below src/ or include/bcvk/; main.cpp sits on top.
std::string layer_of(const fs::path& root, const fs::path& file) {
  const fs::path rel = fs::relative(file, root);
  auto it = rel.begin();
  if (*it == "include") {
    std::advance(it, 2);
  } else {
    ++it;
  }
  return std::next(it) == rel.end() ? "main" : it->string();
}

std::vector<std::string> violations() {
  const fs::path root = BCVK_SOURCE_DIR;
  const std::regex include_re(R"re(^\s*#\s*include\s+"bcvk/([a-z_]+)/[^"]+")re");
  std::vector<std::string> found;
  for (const fs::path& top : {root / "src", root / "include" / "bcvk"}) {
    for (const auto& entry : fs::recursive_directory_iterator(top)) {
      if (!entry.is_regular_file()) {
        continue;
      }
      const std::string layer = layer_of(root, entry.path());
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch m;
        if (!std::regex_search(line, m, include_re)) {
          continue;
        }
        const std::string target = m[1];
        const bool ok = target == layer || (layer == "main" && target == "cli") ||
                        (allowed_below().contains(layer) && allowed_below().at(layer).contains(target));
        if (!ok) {
          found.push_back(fs::relative(entry.path(), root).string() + ":" + std::to_string(number) + " (" + layer +
                          ") includes " + target);
        }
      }
    }
  }
  return found;
}

} // namespace

TEST(Layers, EveryFileLivesInAKnownLayer) {
  const fs::path root = BCVK_SOURCE_DIR;
  for (const fs::path& top : {root / "src", root / "include" / "bcvk"}) {
    for (const auto& entry : fs::recursive_directory_iterator(top)) {
      if (entry.is_regular_file()) {
        const std::string layer = layer_of(root, entry.path());
        EXPECT_TRUE(layer == "main" || allowed_below().contains(layer)) << entry.path() << " is in no layer";
      }
    }
  }
}

TEST(Layers, IncludesOnlyPointDown) {
  const auto found = violations();
  std::string report;
  for (const auto& v : found) {
    report += v + "\n";
  }
  EXPECT_TRUE(found.empty()) << report;
}
