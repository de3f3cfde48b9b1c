#pragma once
// Small, safe helpers over libxml2: owned documents, escaped text, XPath lookups, schema checks.
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <optional>
#include <string>
#include <string_view>

#include "bcvk/util/handle.hpp"

namespace bcvk::xml {

// libxml2's own release functions serve as the deleters.
using Doc = Handle<xmlDoc, xmlFreeDoc>;
using XPathObject = Handle<xmlXPathObject, xmlXPathFreeObject>;
using XPathContext = Handle<xmlXPathContext, xmlXPathFreeContext>;

// Parses `text`; throws Error naming `what` on malformed input. Blank text nodes are dropped so
// that serialisation re-indents consistently.
Doc parse(std::string_view text, std::string_view what);

// Serialises the root element, indented, without an XML declaration.
std::string to_string(const xmlDoc* doc);

// The first direct child element called `name`, or nullptr.
xmlNode* child(xmlNode* parent, std::string_view name);

// Replaces the node's content with `text`, escaped as needed.
void set_text(xmlNode* node, std::string_view text);

// Sets an attribute; the value is escaped on output.
void set_attr(xmlNode* node, const char* name, std::string_view value);

// Appends a child element (with optional escaped text) and returns it.
xmlNode* add(xmlNode* parent, const char* name, std::optional<std::string_view> text = std::nullopt);

// Removes `node` from its document and frees it.
void remove(xmlNode* node);

// The text of a node (its concatenated content).
std::string text_of(const xmlNode* node);

// The value of an attribute, or nullopt when absent.
std::optional<std::string> attr_of(const xmlNode* node, const char* name);

// A RelaxNG schema loaded once, for validating many documents.
class RelaxNgSchema {
public:
  // Throws Error when the schema cannot be loaded.
  explicit RelaxNgSchema(const std::string& schema_path);
  // The validator's messages, empty when the document is valid.
  std::string errors(const xmlDoc* doc) const;

private:
  static void free_schema(xmlRelaxNG* schema);
  Handle<xmlRelaxNG, free_schema> m_schema;
};

// Validates `doc` against the RelaxNG schema at `schema_path`; returns the validator's messages,
// empty when the document is valid. Throws Error when the schema itself cannot be loaded.
std::string relaxng_errors(const xmlDoc* doc, const std::string& schema_path);

} // namespace bcvk::xml
