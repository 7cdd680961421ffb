#include "core/text/conversation.h"

#include "core/error.h"

namespace vltune::text {

namespace {

Role parse_role(const std::string& tag, const std::string& where) {
  if (tag == "system") return Role::system;
  if (tag == "user" || tag == "human") return Role::user;
  if (tag == "assistant" || tag == "gpt") return Role::assistant;
  throw FormatError(where + ": role \"" + tag +
                    "\" is not supported (expected system, user or assistant; human and gpt also read)");
}

Message parse_message(const io::Json& m, const std::string& where) {
  if (!m.is_object()) throw FormatError(where + ": a message should be an object, got " + m.dump());
  // openai style {"role", "content"} or sharegpt style {"from", "value"}.
  const bool sharegpt = !m.contains("role") && m.contains("from");
  const char* role_key = sharegpt ? "from" : "role";
  const char* content_key = sharegpt ? "value" : "content";
  Message out;
  out.role = parse_role(io::get_required<std::string>(m, role_key, where), where);
  out.content = io::get_required<std::string>(m, content_key, where);
  return out;
}

ImageSize parse_image(const io::Json& v, const std::string& where, const ImageSizeResolver& resolve) {
  if (v.is_string()) {
    if (!resolve)
      throw FormatError(where + ": image \"" + v.get<std::string>() +
                        "\" is a path; give its size as {\"width\": W, \"height\": H} instead");
    return resolve(v.get<std::string>());
  }
  if (!v.is_object())
    throw FormatError(where + ": an image should be {\"width\": W, \"height\": H} or a path, got " +
                      v.dump());
  ImageSize size{io::get_required<int64_t>(v, "width", where),
                 io::get_required<int64_t>(v, "height", where)};
  if (size.width <= 0 || size.height <= 0)
    throw FormatError(where + ": image size " + std::to_string(size.width) + "x" +
                      std::to_string(size.height) + " is not positive");
  return size;
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
  }
  return "?";
}

size_t count_markers(std::string_view text, std::string_view marker) {
  if (marker.empty()) return 0;
  size_t n = 0;
  for (size_t at = text.find(marker); at != std::string_view::npos;
       at = text.find(marker, at + marker.size()))
    ++n;
  return n;
}

Conversation parse_conversation_json(const io::Json& value, const std::string& label,
                                     const ImageSizeResolver& resolve_path) {
  Conversation out;
  out.label = label;
  const io::Json* messages = &value;
  if (value.is_object()) {
    if (value.contains("messages")) messages = &value["messages"];
    else if (value.contains("conversations")) messages = &value["conversations"];
    else throw FormatError(label + ": expected a \"messages\" (or \"conversations\") list");
    out.system = io::get_or<std::string>(value, "system", "", label);
    if (auto it = value.find("images"); it != value.end() && !it->is_null()) {
      if (!it->is_array()) throw FormatError(label + ": \"images\" should be a list, got " + it->dump());
      for (size_t i = 0; i < it->size(); ++i)
        out.images.push_back(
            parse_image((*it)[i], label + ": images[" + std::to_string(i) + "]", resolve_path));
    }
  }
  if (!messages->is_array())
    throw FormatError(label + ": the messages should be a list, got " + messages->dump());
  for (size_t i = 0; i < messages->size(); ++i) {
    Message m = parse_message((*messages)[i], label + ": message " + std::to_string(i));
    if (i == 0 && m.role == Role::system) {
      out.system = std::move(m.content);  // LLaMA-Factory's converter takes a leading system turn out
      continue;
    }
    out.messages.push_back(std::move(m));
  }
  return out;
}

}  // namespace vltune::text
