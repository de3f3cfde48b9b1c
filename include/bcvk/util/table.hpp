#pragma once
// Plain text tables with aligned columns, for `ps` and `images list`.
#include <string>
#include <vector>

namespace bcvk {

class Table {
public:
  explicit Table(std::vector<std::string> header) : m_rows{std::move(header)} {}
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  // Columns separated by at least two spaces; the last column is not padded.
  std::string render() const;

private:
  std::vector<std::vector<std::string>> m_rows;
};

} // namespace bcvk
