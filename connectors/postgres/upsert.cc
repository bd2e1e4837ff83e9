#include "connectors/postgres/upsert.h"

#include <algorithm>
#include <cstdio>

namespace gale::connectors::postgres {
namespace {

std::string QuotePart(const std::string& part) {
  std::string out = "\"";
  for (char c : part) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return QuotePart(name);
  return QuotePart(name.substr(0, dot)) + "." + QuotePart(name.substr(dot + 1));
}

std::string BuildInsert(const UpsertSpec& spec, size_t rows) {
  std::string sql = "INSERT INTO " + QuoteIdentifier(spec.table) + " (";
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    sql += (i ? ", " : "") + QuoteIdentifier(spec.columns[i]);
  }
  sql += ") VALUES ";
  size_t param = 1;
  for (size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      sql += (i ? ", $" : "$") + std::to_string(param++);
    }
    sql += ")";
  }
  if (spec.conflict.empty()) return sql;
  sql += " ON CONFLICT (";
  for (size_t i = 0; i < spec.conflict.size(); ++i) {
    sql += (i ? ", " : "") + QuoteIdentifier(spec.conflict[i]);
  }
  sql += ")";
  std::vector<std::string> rest;
  for (const auto& c : spec.columns) {
    if (std::find(spec.conflict.begin(), spec.conflict.end(), c) == spec.conflict.end()) {
      rest.push_back(c);
    }
  }
  if (!spec.update || rest.empty()) return sql + " DO NOTHING";
  sql += " DO UPDATE SET ";
  for (size_t i = 0; i < rest.size(); ++i) {
    const std::string q = QuoteIdentifier(rest[i]);
    sql += (i ? ", " : "") + q + " = EXCLUDED." + q;
  }
  return sql;
}

size_t MaxRows(size_t columns) { return columns == 0 ? 1 : std::max<size_t>(1, 65535 / columns); }

bool IsRecordError(const std::string& sqlstate) {
  return sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("23", 0) == 0 || sqlstate == "42804";
}

std::string RecordJson(const std::vector<std::string>& columns,
                       const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += JsonString(columns[i]) + ": ";
    out += i < values.size() && values[i] ? JsonString(*values[i]) : "null";
  }
  return out + "}";
}

int FailureCounter::Failed(const std::string& record) {
  if (counts_.size() >= capacity_ && !counts_.count(record)) counts_.clear();
  return ++counts_[record];
}

}  // namespace gale::connectors::postgres
