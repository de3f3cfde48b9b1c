// Every verb has a man page, and each page's OPTIONS section names exactly the options the command
// line declares: an option added without documentation, or documented after it went, fails here.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "bcvk/cli/cli.hpp"

using namespace bcvk;
namespace fs = std::filesystem;

namespace {

const fs::path k_man_dir = fs::path(BCVK_SOURCE_DIR) / "man";

struct Verb {
  std::string page; // bcvk-ephemeral-run
  const CLI::App* app;
};

// The commands a user can run (hidden ones, such as the supervisor, have no page).
void collect_verbs(const CLI::App* app, const std::string& page, std::vector<Verb>& out) {
  const auto subs = app->get_subcommands([](const CLI::App*) { return true; });
  if (subs.empty()) {
    out.push_back({page, app});
  }
  for (const CLI::App* sub : subs) {
    if (!sub->get_group().empty()) {
      collect_verbs(sub, page + "-" + sub->get_name(), out);
    }
  }
}

std::set<std::string> declared_options(const CLI::App* app) {
  std::set<std::string> names;
  for (const CLI::Option* option : app->get_options()) {
    if (option == app->get_help_ptr() || !option->nonpositional()) {
      continue;
    }
    for (const auto& s : option->get_snames()) {
      names.insert("-" + s);
    }
    for (const auto& l : option->get_lnames()) {
      names.insert("--" + l);
    }
  }
  return names;
}

std::string read_page(const std::string& page) {
  std::ifstream in(k_man_dir / (page + ".8.md"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string section(const std::string& text, const std::string& title) {
  const std::string heading = "\n# " + title + "\n";
  const auto start = text.find(heading);
  if (start == std::string::npos) {
    return "";
  }
  const auto end = text.find("\n# ", start + heading.size());
  return text.substr(start + heading.size(),
                     end == std::string::npos ? std::string::npos : end - start - heading.size());
}

// The options a page documents: the bold words starting with '-' in each definition term of its
// OPTIONS section (a paragraph whose first line starts with bold text), plus every option of a page it takes over with
// "All options of **bcvk-...**(8)". A term must be followed by its ": " definition.
std::set<std::string> documented_options(const std::string& page, int depth = 0) {
  const std::string options = section(read_page(page), "OPTIONS");
  std::set<std::string> names;
  std::vector<std::string> lines;
  std::istringstream in(options);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  static const std::regex bold(R"(\*\*([^*]+)\*\*)");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("**") || (i > 0 && !lines[i - 1].empty())) {
      continue; // a term is a paragraph's first line; bold text inside a paragraph is prose
    }
    EXPECT_TRUE(i + 1 < lines.size() && lines[i + 1].starts_with(": "))
        << page << ": the term '" << lines[i] << "' has no ': ' definition on the next line";
    for (std::sregex_iterator it(lines[i].begin(), lines[i].end(), bold), end; it != end; ++it) {
      std::istringstream words(std::regex_replace((*it)[1].str(), std::regex(","), " "));
      for (std::string word; words >> word;) {
        if (word.starts_with("-")) {
          names.insert(word);
        }
      }
    }
  }
  static const std::regex includes(R"(All options of \*\*(bcvk-[a-z-]+)\*\*\(8\))");
  for (std::sregex_iterator it(options.begin(), options.end(), includes), end; it != end; ++it) {
    EXPECT_LT(depth, 3) << page << " takes over options in a loop";
    if (depth >= 3) {
      break;
    }
    const auto more = documented_options((*it)[1].str(), depth + 1);
    names.insert(more.begin(), more.end());
  }
  return names;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : " ") + n;
  }
  return out.empty() ? "(none)" : out;
}

class ManPages : public ::testing::Test {
protected:
  void SetUp() override { declare_cli(m_app, m_ctx); }
  CLI::App m_app;
  Context m_ctx;
};

} // namespace

TEST_F(ManPages, EveryVerbHasAPageWhoseOptionsMatchTheCommandLine) {
  std::vector<Verb> verbs;
  collect_verbs(&m_app, "bcvk", verbs);
  ASSERT_GE(verbs.size(), 10U);
  for (const auto& verb : verbs) {
    SCOPED_TRACE(verb.page);
    ASSERT_TRUE(fs::exists(k_man_dir / (verb.page + ".8.md"))) << "no page man/" << verb.page << ".8.md";
    const auto declared = declared_options(verb.app);
    const auto documented = documented_options(verb.page);
    std::set<std::string> undocumented, stale;
    std::set_difference(declared.begin(), declared.end(), documented.begin(), documented.end(),
                        std::inserter(undocumented, undocumented.end()));
    std::set_difference(documented.begin(), documented.end(), declared.begin(), declared.end(),
                        std::inserter(stale, stale.end()));
    EXPECT_TRUE(undocumented.empty()) << "options missing from the page: " << joined(undocumented);
    EXPECT_TRUE(stale.empty()) << "options the command does not have: " << joined(stale);
  }
}

TEST_F(ManPages, TheMainPageDocumentsTheGlobalOptionsAndEveryPageIsNamedInIt) {
  EXPECT_EQ(joined(documented_options("bcvk")), joined(declared_options(&m_app)));
  const std::string main_page = read_page("bcvk");
  for (const auto& entry : fs::directory_iterator(k_man_dir)) {
    const std::string page = entry.path().filename().string();
    if (page != "bcvk.8.md") {
      EXPECT_NE(main_page.find("**" + page.substr(0, page.size() - 5) + "**(8)"), std::string::npos) << page;
    }
  }
}

TEST_F(ManPages, EveryPageHasATitleBlockAndTheUsualSections) {
  for (const auto& entry : fs::directory_iterator(k_man_dir)) {
    const std::string file = entry.path().filename().string();
    SCOPED_TRACE(file);
    const std::string page = file.substr(0, file.size() - 5); // without .8.md
    const std::string text = read_page(page);
    EXPECT_TRUE(text.starts_with("% " + page + " 8\n")) << "go-md2man takes the title from the first line";
    for (const char* title : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO"}) {
      EXPECT_FALSE(section(text, title).empty()) << "no " << title << " section";
    }
    EXPECT_TRUE(section(text, "NAME").find(page + " — ") != std::string::npos);
  }
}
