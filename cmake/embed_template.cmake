# Turns a text file into a C++ source defining one string, so the binary carries its own template.
file(READ ${INPUT} CONTENT)
set(DELIM "bcvk_tmpl")
file(WRITE ${OUTPUT} "// Generated from ${INPUT}; edit the template, not this file.\n"
                     "#include <string_view>\n"
                     "namespace bcvk {\n"
                     "extern const std::string_view k_domain_template;\n"
                     "const std::string_view k_domain_template = R\"${DELIM}(${CONTENT})${DELIM}\";\n"
                     "}\n")
