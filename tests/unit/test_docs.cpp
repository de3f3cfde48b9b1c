// The documentation holds together: the README stays short and leads to every page in docs/, and
// every relative link in the project's markdown (README, ARCHITECTURE.md, docs/, man/) reaches an
// existing file and, with a #fragment, a heading in it.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const fs::path k_source = BCVK_SOURCE_DIR;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> markdown_files() {
  std::vector<fs::path> files{k_source / "README.md", k_source / "ARCHITECTURE.md"};
  for (const char* dir : {"docs", "man"}) {
    for (const auto& entry : fs::directory_iterator(k_source / dir)) {
      if (entry.path().extension() == ".md") {
        files.push_back(entry.path());
      }
    }
  }
  return files;
}

// The anchors a markdown renderer gives the file's headings: lower case, punctuation dropped,
// spaces turned into dashes (outside code blocks).
std::set<std::string> anchors_of(const std::string& text) {
  std::set<std::string> anchors;
  std::istringstream lines(text);
  bool in_code = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) {
      in_code = !in_code;
    }
    if (in_code || line.empty() || line[0] != '#') {
      continue;
    }
    const auto start = line.find_first_not_of("# ");
    const std::string title = start == std::string::npos ? "" : line.substr(start);
    std::string anchor;
    for (const char c : title) {
      const auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) != 0 || c == '-' || c == '_') {
        anchor += static_cast<char>(std::tolower(u));
      } else if (c == ' ') {
        anchor += '-';
      }
    }
    anchors.insert(anchor);
  }
  return anchors;
}

struct Link {
  std::string target; // as written
  fs::path file;      // where it points, resolved
  std::string fragment;
};

// `text` without its fenced code blocks and inline code spans, where "](x)" is no link.
std::string prose_of(const std::string& text) {
  std::string prose;
  std::istringstream lines(text);
  bool in_code = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) {
      in_code = !in_code;
      continue;
    }
    if (!in_code) {
      prose += std::regex_replace(line, std::regex("`[^`]*`"), "") + "\n";
    }
  }
  return prose;
}

// The relative links of a markdown text ([text](target)); web and mail links are not checked here.
std::vector<Link> relative_links(const fs::path& file, const std::string& markdown) {
  std::vector<Link> links;
  const std::string text = prose_of(markdown);
  static const std::regex link(R"(\]\(([^)\s]+)\))");
  for (std::sregex_iterator it(text.begin(), text.end(), link), end; it != end; ++it) {
    const std::string target = (*it)[1];
    if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 || target.rfind("mailto:", 0) == 0) {
      continue;
    }
    const auto hash = target.find('#');
    const std::string path = target.substr(0, hash);
    links.push_back({target, path.empty() ? file : (file.parent_path() / path).lexically_normal(),
                     hash == std::string::npos ? "" : target.substr(hash + 1)});
  }
  return links;
}

} // namespace

TEST(Docs, TheReadmeIsWhatANewcomerReadsInFiveMinutes) {
  const std::string readme = slurp(k_source / "README.md");
  EXPECT_LT(readme.size(), 10U * 1024) << "move detail into docs/ and link it";
  EXPECT_NE(readme.find("scripts/quickstart"), std::string::npos);
  EXPECT_NE(readme.find("scripts/test"), std::string::npos);
}

TEST(Docs, EveryPageInDocsIsReachableFromTheReadme) {
  std::set<fs::path> linked;
  for (const auto& link : relative_links(k_source / "README.md", slurp(k_source / "README.md"))) {
    linked.insert(link.file);
  }
  for (const auto& entry : fs::directory_iterator(k_source / "docs")) {
    EXPECT_TRUE(linked.contains(entry.path().lexically_normal())) << entry.path() << " is not linked from README.md";
  }
  EXPECT_TRUE(linked.contains((k_source / "ARCHITECTURE.md").lexically_normal()));
  EXPECT_TRUE(linked.contains((k_source / "man" / "bcvk.8.md").lexically_normal()));
}

TEST(Docs, EveryRelativeLinkReachesAFileAndItsHeading) {
  std::size_t checked = 0;
  for (const auto& file : markdown_files()) {
    for (const auto& link : relative_links(file, slurp(file))) {
      ++checked;
      ASSERT_TRUE(fs::exists(link.file)) << file << ": " << link.target << " does not exist";
      if (!link.fragment.empty()) {
        EXPECT_TRUE(anchors_of(slurp(link.file)).contains(link.fragment))
            << file << ": " << link.target << " names no heading of " << link.file;
      }
    }
  }
  EXPECT_GT(checked, 20U) << "the links were found at all";
}

TEST(Docs, TheLinkCheckerFindsBrokenLinksAndAnchors) {
  const auto links = relative_links(k_source / "README.md", "[a](docs/nope.md) [b](https://x.org/) [c](#local-part)");
  ASSERT_EQ(links.size(), 2U);
  EXPECT_FALSE(fs::exists(links[0].file));
  EXPECT_EQ(links[1].file, k_source / "README.md");
  EXPECT_EQ(links[1].fragment, "local-part");
  EXPECT_TRUE(relative_links(k_source / "README.md", "```\n[a](nope.md)\n```\n`[b](nope.md)`\n").empty())
      << "code is not a link";
  EXPECT_EQ(anchors_of("# Title\n## Local part (v2)\n```\n# not a heading\n```\n"),
            (std::set<std::string>{"title", "local-part-v2"}));
}
