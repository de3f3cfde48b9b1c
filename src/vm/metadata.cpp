#include <libxml/xpathInternals.h>

#include "bcvk/vm/domain_xml.hpp"
#include "bcvk/util/xml.hpp"

namespace bcvk {
namespace {

bool is_bcvk_element(const xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         std::string_view(reinterpret_cast<const char*>(n->ns->href)) == k_metadata_ns &&
         name == reinterpret_cast<const char*>(n->name);
}

const xmlNode* bcvk_child(const xmlNode* parent, std::string_view name) {
  for (const xmlNode* n = parent->children; n != nullptr; n = n->next) {
    if (is_bcvk_element(n, name)) {
      return n;
    }
  }
  return nullptr;
}

std::string child_text(const xmlNode* parent, std::string_view name) {
  const xmlNode* n = bcvk_child(parent, name);
  return n != nullptr ? xml::text_of(n) : std::string();
}

} // namespace

std::optional<InstanceMetadata> parse_instance_metadata(const std::string& domain_xml) {
  xml::Doc doc = xml::parse(domain_xml, "domain XML");
  xml::XPathContext ctx(xmlXPathNewContext(doc.get()));
  xmlXPathRegisterNs(ctx.get(), reinterpret_cast<const xmlChar*>("b"), reinterpret_cast<const xmlChar*>(k_metadata_ns));
  xml::XPathObject found(
      xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>("/domain/metadata/b:instance"), ctx.get()));
  if (!found || found.get()->nodesetval == nullptr || found.get()->nodesetval->nodeNr == 0) {
    return std::nullopt;
  }
  const xmlNode* inst = found.get()->nodesetval->nodeTab[0];
  InstanceMetadata meta;
  meta.image = child_text(inst, "image");
  meta.image_id = child_text(inst, "image-id");
  meta.image_digest = child_text(inst, "image-digest");
  meta.image_repo_digest = child_text(inst, "image-repo-digest");
  meta.arch = child_text(inst, "arch");
  meta.created = child_text(inst, "created");
  meta.instance_dir = child_text(inst, "instance-dir");
  if (const xmlNode* flags = bcvk_child(inst, "flags"); flags != nullptr) {
    meta.auto_remove = xml::attr_of(flags, "rm").value_or("no") == "yes";
    meta.detached = xml::attr_of(flags, "detach").value_or("no") == "yes";
  }
  if (const xmlNode* labels = bcvk_child(inst, "labels"); labels != nullptr) {
    for (const xmlNode* n = labels->children; n != nullptr; n = n->next) {
      if (is_bcvk_element(n, "label")) {
        meta.labels.push_back({xml::attr_of(n, "key").value_or(""), xml::text_of(n)});
      }
    }
  }
  if (const xmlNode* mounts = bcvk_child(inst, "mounts"); mounts != nullptr) {
    for (const xmlNode* n = mounts->children; n != nullptr; n = n->next) {
      if (is_bcvk_element(n, "mount")) {
        meta.mounts.push_back({xml::attr_of(n, "source").value_or(""), xml::attr_of(n, "tag").value_or(""),
                               xml::attr_of(n, "readonly").value_or("no") == "yes"});
      }
    }
  }
  return meta;
}

} // namespace bcvk
