#include "core/http/http.h"

#include <sstream>

namespace gale::http {

Result<std::string> UrlDecode(const std::string& text, bool query) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && query) {
      out += ' ';
    } else if (c == '%') {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0) {
        return Status::InvalidArgument("malformed percent escape in '" + text + "'");
      }
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ParsedTarget::Query(const std::string& key, const std::string& fallback) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return fallback;
}

Result<ParsedTarget> ParseTarget(const std::string& target) {
  if (target.empty() || target[0] != '/') {
    return Status::InvalidArgument("the request target must start with '/'");
  }
  ParsedTarget t;
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      GALE_ASSIGN_OR_RETURN(std::string seg, UrlDecode(path.substr(start, end - start), false));
      t.segments.push_back(std::move(seg));
    }
    start = end + 1;
  }
  if (q != std::string::npos) {
    std::stringstream in(target.substr(q + 1));
    std::string pair;
    while (std::getline(in, pair, '&')) {
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      GALE_ASSIGN_OR_RETURN(std::string k, UrlDecode(pair.substr(0, eq), true));
      std::string v;
      if (eq != std::string::npos) {
        GALE_ASSIGN_OR_RETURN(v, UrlDecode(pair.substr(eq + 1), true));
      }
      t.query.emplace_back(std::move(k), std::move(v));
    }
  }
  return t;
}

}  // namespace gale::http
