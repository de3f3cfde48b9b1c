#include "bcvk/util/xml.hpp"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlsave.h>

#include <cstdarg>
#include <cstdio>

#include "bcvk/util/error.hpp"

namespace bcvk::xml {
namespace {

const xmlChar* x(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

void free_save_buffer(xmlBuffer* buf) {
  xmlBufferFree(buf);
}
using Buffer = Handle<xmlBuffer, free_save_buffer>;
void free_rng_parser(xmlRelaxNGParserCtxt* c) {
  xmlRelaxNGFreeParserCtxt(c);
}
void free_rng_valid(xmlRelaxNGValidCtxt* c) {
  xmlRelaxNGFreeValidCtxt(c);
}
void free_xml_string(xmlChar* s) {
  xmlFree(s);
}
using XmlString = Handle<xmlChar, free_xml_string>;

// Collects libxml2's printf-style diagnostics into a string.
void collect(void* ctx, const char* fmt, ...) {
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  static_cast<std::string*>(ctx)->append(buf);
}

} // namespace

Doc parse(std::string_view text, std::string_view what) {
  Doc doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, "UTF-8",
                        XML_PARSE_NOBLANKS | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) {
    const xmlError* err = xmlGetLastError();
    throw Error("cannot parse " + std::string(what) + ": " +
                (err != nullptr && err->message != nullptr ? std::string(err->message) : "malformed XML"));
  }
  return doc;
}

std::string to_string(const xmlDoc* doc) {
  Buffer buf(xmlBufferCreate());
  {
    // Closing the context flushes it into the buffer: it ends before the buffer is read.
    const Handle<xmlSaveCtxt, xmlSaveClose> save(
        xmlSaveToBuffer(buf.get(), "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL));
    if (!save) {
      throw Error("cannot serialise XML");
    }
    xmlSaveTree(save.get(), xmlDocGetRootElement(const_cast<xmlDoc*>(doc)));
  }
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                  static_cast<std::size_t>(xmlBufferLength(buf.get())));
  if (out.empty() || out.back() != '\n') {
    out.push_back('\n');
  }
  return out;
}

xmlNode* child(xmlNode* parent, std::string_view name) {
  for (xmlNode* n = parent->children; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE && name == reinterpret_cast<const char*>(n->name)) {
      return n;
    }
  }
  return nullptr;
}

void set_text(xmlNode* node, std::string_view text) {
  while (node->children != nullptr) {
    remove(node->children);
  }
  // xmlNodeAddContentLen takes the text literally (unlike xmlNodeSetContent, which parses entities).
  xmlNodeAddContentLen(node, reinterpret_cast<const xmlChar*>(text.data()), static_cast<int>(text.size()));
}

void set_attr(xmlNode* node, const char* name, std::string_view value) {
  xmlSetProp(node, x(name), x(std::string(value).c_str()));
}

xmlNode* add(xmlNode* parent, const char* name, std::optional<std::string_view> text) {
  xmlNode* node = xmlNewChild(parent, parent->ns != nullptr && parent->ns->prefix != nullptr ? parent->ns : nullptr,
                              x(name), nullptr);
  if (text) {
    set_text(node, *text);
  }
  return node;
}

void remove(xmlNode* node) {
  xmlUnlinkNode(node);
  xmlFreeNode(node);
}

std::string text_of(const xmlNode* node) {
  XmlString content(xmlNodeGetContent(node));
  return content ? std::string(reinterpret_cast<const char*>(content.get())) : std::string();
}

std::optional<std::string> attr_of(const xmlNode* node, const char* name) {
  XmlString value(xmlGetProp(node, x(name)));
  if (!value) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(value.get()));
}

void RelaxNgSchema::free_schema(xmlRelaxNG* schema) {
  xmlRelaxNGFree(schema);
}

RelaxNgSchema::RelaxNgSchema(const std::string& schema_path) {
  Handle<xmlRelaxNGParserCtxt, free_rng_parser> parser(xmlRelaxNGNewParserCtxt(schema_path.c_str()));
  std::string schema_messages;
  xmlRelaxNGSetParserErrors(parser.get(), collect, collect, &schema_messages);
  m_schema.reset(xmlRelaxNGParse(parser.get()));
  if (!m_schema) {
    throw Error("cannot load RelaxNG schema " + schema_path + ": " + schema_messages);
  }
}

std::string RelaxNgSchema::errors(const xmlDoc* doc) const {
  Handle<xmlRelaxNGValidCtxt, free_rng_valid> valid(xmlRelaxNGNewValidCtxt(m_schema.get()));
  std::string messages;
  xmlRelaxNGSetValidErrors(valid.get(), collect, collect, &messages);
  const int rc = xmlRelaxNGValidateDoc(valid.get(), const_cast<xmlDoc*>(doc));
  if (rc != 0 && messages.empty()) {
    messages = "document does not match the schema";
  }
  return messages;
}

std::string relaxng_errors(const xmlDoc* doc, const std::string& schema_path) {
  return RelaxNgSchema(schema_path).errors(doc);
}

} // namespace bcvk::xml
