#include "thrift/client.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

#include "core/common/logging.h"

namespace gale::rpc {
namespace {

// Thrift prints every failed connect to stderr itself; callers report
// failures their own way, so its messages go to the debug log instead.
// (This is process-wide, set once when this library is loaded.)
const bool kQuietThrift = [] {
  apache::thrift::GlobalOutput.setOutputFunction(
      [](const char* msg) { GALE_LOG(kDebug) << "thrift: " << msg; });
  return true;
}();

}  // namespace

using apache::thrift::TException;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransportException;

Result<HostPort> ParseHostPort(const std::string& text) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("'" + text + "' is not host:port (IPv6 is [addr]:port)");
    }
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument("'" + text + "' is not host:port");
    }
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
    return Status::InvalidArgument("'" + text + "' has no valid port (1-65535)");
  }
  hp.port = static_cast<int>(p);
  return hp;
}

struct NimbusConnection::Impl {
  std::shared_ptr<TSocket> socket;
  std::shared_ptr<TFramedTransport> transport;
  std::unique_ptr<thrift::NimbusClient> client;
};

NimbusConnection::NimbusConnection(std::unique_ptr<Impl> impl, HostPort address)
    : impl_(std::move(impl)), address_(std::move(address)) {}

NimbusConnection::~NimbusConnection() {
  try {
    if (impl_->transport && impl_->transport->isOpen()) impl_->transport->close();
  } catch (const TException&) {
  }
}

Result<std::unique_ptr<NimbusConnection>> NimbusConnection::Connect(
    const HostPort& nimbus, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->socket = std::make_shared<TSocket>(nimbus.host, nimbus.port);
  const int ms = static_cast<int>(timeout.count());
  impl->socket->setConnTimeout(ms);
  impl->socket->setRecvTimeout(ms);
  impl->socket->setSendTimeout(ms);
  impl->transport = std::make_shared<TFramedTransport>(impl->socket);
  auto protocol = std::make_shared<TBinaryProtocol>(impl->transport);
  impl->client = std::make_unique<thrift::NimbusClient>(protocol);
  try {
    impl->transport->open();
  } catch (const TException& e) {
    return Status::Unavailable("cannot reach nimbus at " + nimbus.ToString() + ": " + e.what());
  }
  return std::unique_ptr<NimbusConnection>(new NimbusConnection(std::move(impl), nimbus));
}

Status NimbusConnection::Call(const std::function<void(thrift::NimbusClient&)>& call) {
  if (!impl_->transport->isOpen()) {
    return Status::Unavailable("connection to nimbus at " + address_.ToString() + " is closed");
  }
  try {
    call(*impl_->client);
    return Status::Ok();
  } catch (const thrift::AlreadyAliveException& e) {
    return Status::AlreadyExists(e.msg);
  } catch (const thrift::NotAliveException& e) {
    return Status::NotFound(e.msg);
  } catch (const thrift::PluginNotFoundException& e) {
    return Status::NotFound(e.msg);
  } catch (const thrift::InvalidTopologyException& e) {
    return Status::InvalidArgument(e.msg);
  } catch (const thrift::UploadException& e) {
    return Status::InvalidArgument(e.msg);
  } catch (const thrift::IllegalStateException& e) {
    return Status::FailedPrecondition(e.msg);
  } catch (const TTransportException& e) {
    try {
      impl_->transport->close();
    } catch (const TException&) {
    }
    return Status::Unavailable("lost nimbus at " + address_.ToString() + ": " + e.what());
  } catch (const TException& e) {
    return Status::Internal("nimbus at " + address_.ToString() + " failed the call: " + e.what());
  }
}

}  // namespace gale::rpc
