// nimbus/ui/rest_api.h
//
// What gale-ui answers, without the socket: Storm UI's REST API under
// /api/v1/ (same paths and JSON field names where the meaning is the same),
// Prometheus's text format under /metrics, and the web pages' files. Every
// answer is computed from nimbus's Thrift API at the time of the request;
// the UI keeps no state of its own, so any number of them can run.
//
// Errors are JSON with a 4xx/5xx status: 400 for a malformed id, window or
// body, 404 for an unknown topology or component, 403 for a POST from
// another origin, 409 for an action the topology's state forbids, 503 when
// nimbus cannot be reached. REST.md documents every endpoint.
//
// Threading: Handle() may be called from several threads at once.
#pragma once

#include "core/common/result.h"
#include "core/http/http.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gale::rpc {
struct HostPort;
}

namespace gale::ui {

using http::HttpRequest;
using http::HttpResponse;

struct UiOptions {
  // Where the pages' files are (index.html, app.js, ...).
  std::string www_dir;
  // The Host header values the UI answers to ("127.0.0.1:8080",
  // "localhost:8080", ...); a POST whose Origin is not http://<one of them>
  // is refused, so another site cannot drive the cluster from a browser.
  std::vector<std::string> own_hosts;
  // Shown by cluster/configuration and nimbus/summary.
  std::string nimbus_host;
  int nimbus_port = 0;
  std::string ui_host;
  int ui_port = 0;
  // Nimbus runs with authentication (gale.auth.mode tls or token): the UI
  // reads with its own identity, and a POST needs `Authorization: Bearer
  // USER:TOKEN`, which the UI passes on to nimbus (authenticate), so nimbus
  // checks that user's role and ownership (README.md, "Authentication").
  bool auth_required = false;
};

class NimbusPool;

class RestApi {
 public:
  // `nimbus`: one address, or the seeds of an HA cluster (it follows the
  // leader).
  RestApi(const std::vector<rpc::HostPort>& nimbus, UiOptions options);
  ~RestApi();

  HttpResponse Handle(const HttpRequest& request);

 private:
  std::unique_ptr<NimbusPool> nimbus_;
  UiOptions options_;
};

// ---- pieces, exposed for the unit tests ----

// Storm's "1d 2h 3m 4s" (leading zero units left out: "3m 4s").
std::string PrettyUptime(int64_t secs);
// A Prometheus label value with \, " and newline escaped.
std::string PromLabelValue(const std::string& value);

}  // namespace gale::ui
