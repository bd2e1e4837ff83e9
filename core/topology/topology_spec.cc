#include "core/topology/topology_spec.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace gale::topology {

namespace {

constexpr std::pair<GroupingType, const char*> kGroupingNames[] = {
    {GroupingType::kShuffle, "SHUFFLE"},
    {GroupingType::kFields, "FIELDS"},
    {GroupingType::kAll, "ALL"},
    {GroupingType::kGlobal, "GLOBAL"},
    {GroupingType::kNone, "NONE"},
    {GroupingType::kDirect, "DIRECT"},
    {GroupingType::kLocalOrShuffle, "LOCAL_OR_SHUFFLE"},
    {GroupingType::kPartialKey, "PARTIAL_KEY"},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optimal string alignment distance: Levenshtein plus adjacent
// transpositions, the commonest typo ("prallelism").
size_t EditDistance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

const char* GroupingTypeName(GroupingType type) {
  for (const auto& [t, name] : kGroupingNames) {
    if (t == type) return name;
  }
  return "?";
}

std::optional<GroupingType> ParseGroupingType(std::string_view name) {
  // Any case is accepted (Flux users write `fields` as often as `FIELDS`),
  // but only the spelling with underscores.
  std::string lower = Lower(name);
  for (const auto& [t, n] : kGroupingNames) {
    if (Lower(n) == lower) return t;
  }
  return std::nullopt;
}

std::string AllGroupingTypeNames() {
  std::string out;
  for (const auto& [t, name] : kGroupingNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = Lower(word);
  // Short words allow one edit, longer ones a few more: "wrd" -> "word" is
  // likely, "id" -> "to" is not.
  const size_t allowed = w.size() <= 3 ? 1 : w.size() <= 7 ? 2 : 3;
  std::string best;
  size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    const std::string lc = Lower(c);
    size_t d = EditDistance(w, lc);
    if (d < best_distance && d < std::max(lc.size(), w.size())) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace gale::topology
