#pragma once
// The built-in conversation templates' data (chat_formats.cpp), behind get_template().

#include <vector>

#include "core/text/chat_template.h"

namespace vltune::text {

// Every built-in template, sorted by name.
const std::vector<ConversationTemplate>& builtin_templates();

}  // namespace vltune::text
