// core/http/http.h
//
// HTTP for Gale's daemons, without the socket: the request and response a
// handler sees, target parsing, and a blocking GET client. The servers and
// the client are on Boost.Beast, which stays inside core/http/*.cc
// (server.h serves, Get() below fetches).
//
// Threading: the functions are reentrant.
#pragma once

#include "core/common/result.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace gale::http {

struct HttpRequest {
  std::string method;          // "GET", "POST", ...
  std::string target;          // path and query, as sent ("/api/v1/topology/x?window=600")
  std::string host;            // the Host header
  std::string origin;          // the Origin header, "" when absent
  std::string sec_fetch_site;  // the Sec-Fetch-Site header, "" when absent
  std::string authorization;   // the Authorization header, "" when absent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further headers ("X-Log-Size", ...).
  std::vector<std::pair<std::string, std::string>> headers;
  // The value of header `name` (case-sensitive), or "".
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

// Percent-decodes a path segment or query value ('+' as a space in queries).
// Malformed escapes are errors.
Result<std::string> UrlDecode(const std::string& text, bool query);
// Splits "/a/b?x=1&y=2" into path segments ("a", "b", decoded) and query
// pairs (decoded).
struct ParsedTarget {
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;
  // The value of `key`, or `fallback`.
  std::string Query(const std::string& key, const std::string& fallback) const;
};
Result<ParsedTarget> ParseTarget(const std::string& target);
// A blocking GET of http://host:port<target>: connect, send, read the whole
// answer, each bounded by `timeout`. The answer's status and body (any
// status); an error only when no answer came. Bodies over `max_body` bytes
// are an error.
Result<HttpResponse> Get(const std::string& host, int port, const std::string& target,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         size_t max_body = 64 << 20);

}  // namespace gale::http
