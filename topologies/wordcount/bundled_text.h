#pragma once

#include <string_view>

namespace wordcount {
// The public-domain text of data/sentences.txt, compiled in.
std::string_view BundledText();
}  // namespace wordcount
