#include "thrift/client.h"

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSSLSocket.h>
#include <thrift/transport/TSocket.h>
#include <thrift/transport/TTransportException.h>

#include "core/common/logging.h"
#include "core/common/strings.h"
#include "thrift/auth.h"

#include <csignal>
#include <mutex>

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

// One SSL context per process and settings (loading the files once).
Result<std::shared_ptr<apache::thrift::transport::TSSLSocketFactory>> SslFactory(
    const ClientAuth& auth) {
  using apache::thrift::transport::TSSLSocketFactory;
  static std::mutex mu;
  static std::string cached_for;
  static std::shared_ptr<TSSLSocketFactory> cached;
  const std::string key = auth.ca + "\n" + auth.cert + "\n" + auth.key;
  std::lock_guard lock(mu);
  if (cached && cached_for == key) return cached;
  std::string step = "the CA '" + auth.ca + "' (gale.tls.ca)";
  try {
    auto f = std::make_shared<TSSLSocketFactory>();
    f->authenticate(true);  // verify nimbus's certificate against the CA
    f->loadTrustedCertificates(auth.ca.c_str());
    // ... and that it was made for the host we connect to (its DNS or IP
    // subjectAltNames, or its CN).
    f->access(std::make_shared<apache::thrift::transport::DefaultClientAccessManager>());
    if (!auth.cert.empty() && auth.mode == AuthMode::kTls) {
      step = "the certificate '" + auth.cert + "' (gale.tls.cert)";
      f->loadCertificate(auth.cert.c_str());
      step = "the key '" + auth.key + "' (gale.tls.key)";
      f->loadPrivateKey(auth.key.c_str());
    }
    cached = f;
    cached_for = key;
    return f;
  } catch (const apache::thrift::TException& e) {
    return Status::InvalidArgument("cannot load " + step + ": " + e.what());
  }
}

// What a transport error most likely means, given how we connected.
std::string Hint(AuthMode mode, const std::string& what) {
  if (mode == AuthMode::kNone) {
    if (what.find("No more data") != std::string::npos ||
        what.find("reset by peer") != std::string::npos) {
      return " (nimbus closed the connection: if it requires TLS, set gale.auth.mode and the "
             "gale.tls.* keys as the cluster does, e.g. `gale --auth FILE`)";
    }
    return "";
  }
  if (what.find("SSL_") != std::string::npos || what.find("No more data") != std::string::npos ||
      what.find("reset by peer") != std::string::npos) {
    return " (the TLS handshake failed: is nimbus serving TLS with this cluster's CA, and is "
           "this certificate valid and signed by it?)";
  }
  return "";
}

}  // namespace

using apache::thrift::TException;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::transport::TFramedTransport;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransportException;

namespace {
constexpr std::string_view kNotLeader = "not the leader nimbus";
}  // namespace

Result<std::unique_ptr<NimbusConnection>> NimbusConnection::ConnectLeader(
    const std::vector<HostPort>& seeds, std::chrono::milliseconds timeout) {
  std::vector<std::string> tried;
  for (const HostPort& seed : seeds) {
    auto conn = Connect(seed, timeout);
    if (!conn.ok()) {
      // One nimbus: its own error says it best.
      if (seeds.size() == 1) return conn.status();
      tried.push_back(conn.status().message());
      continue;
    }
    thrift::NimbusSummary leader;
    Status s = (*conn)->Call([&](thrift::NimbusClient& c) { c.getLeader(leader); });
    // A nimbus that leads, one that does not know about leaders (host
    // unset), or one older than getLeader (an application error other than
    // "not the leader": a single nimbus) is the one to talk to.
    if (s.code() == StatusCode::kInternal) return conn;
    if (!s.ok()) {
      tried.push_back(seed.ToString() + ": " + s.message());
      continue;
    }
    if (leader.answering || leader.host.empty()) return conn;
    // The leader this seed names, if it says so itself (a seed cut off
    // from ZooKeeper may name a nimbus that no longer leads).
    HostPort at{leader.host, leader.port};
    auto there = Connect(at, timeout);
    thrift::NimbusSummary itself;
    if (there.ok()) {
      s = (*there)->Call([&](thrift::NimbusClient& c) { c.getLeader(itself); });
      if (s.ok() && itself.answering) return there;
    }
    tried.push_back(
        seed.ToString() + " names leader " + at.ToString() + ", which " +
        (there.ok() ? (s.ok() ? "does not lead" : s.message()) : there.status().message()));
  }
  return Status::Unavailable("no leader nimbus among " + ToString(seeds) + ": " +
                             Join(tried, "; "));
}

struct NimbusConnection::Impl {
  std::shared_ptr<apache::thrift::transport::TSSLSocketFactory> ssl;  // outlives the socket
  AuthMode mode = AuthMode::kNone;
  bool closed = false;  // a TSSLSocket is not isOpen() until its handshake
  std::shared_ptr<TSocket> socket;
  std::shared_ptr<TFramedTransport> transport;
  std::unique_ptr<thrift::NimbusClient> client;
};

NimbusConnection::NimbusConnection(std::unique_ptr<Impl> impl, HostPort address)
    : impl_(std::move(impl)), address_(std::move(address)) {}

NimbusConnection::~NimbusConnection() {
  try {
    if (impl_->transport && impl_->transport->isOpen()) impl_->transport->close();
  } catch (const TException&) {}
}

Result<std::unique_ptr<NimbusConnection>> NimbusConnection::Connect(
    const HostPort& nimbus, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  GALE_ASSIGN_OR_RETURN(const ClientAuth auth, CurrentClientAuth());
  impl->mode = auth.mode;
  if (auth.mode == AuthMode::kNone) {
    impl->socket = std::make_shared<TSocket>(nimbus.host, nimbus.port);
  } else {
    GALE_ASSIGN_OR_RETURN(impl->ssl, SslFactory(auth));
    // OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer that
    // hung up would kill this process with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    impl->socket = impl->ssl->createSocket(nimbus.host, nimbus.port);
  }
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
  std::unique_ptr<NimbusConnection> conn(new NimbusConnection(std::move(impl), nimbus));
  if (auth.mode != AuthMode::kNone) {
    // Token form: authenticate as the user. Certificate form: "" asks nimbus
    // to check the certificate's identity now, so that a refused
    // certificate, an unknown CA or a failed handshake shows here.
    const bool token = !auth.token.empty() && !auth.user.empty();
    Status s = conn->Call([&](thrift::NimbusClient& c) {
      c.authenticate(token ? auth.user : "", token ? auth.token : "");
    });
    if (!s.ok()) return Status(s.code(), s.message());
  }
  return conn;
}

Status NimbusConnection::Call(const std::function<void(thrift::NimbusClient&)>& call) {
  if (impl_->closed) {
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
  } catch (const thrift::AuthorizationException& e) {
    return Status::FailedPrecondition("nimbus refused: " + e.msg);
  } catch (const TTransportException& e) {
    impl_->closed = true;
    try {
      impl_->transport->close();
    } catch (const TException&) {}
    return Status::Unavailable("lost nimbus at " + address_.ToString() + ": " + e.what() +
                               Hint(impl_->mode, e.what()));
  } catch (const TException& e) {
    const std::string what = e.what();
    if (what.rfind(kNotLeader, 0) == 0) {
      // A follower (or a leader that just stepped down): find the leader.
      impl_->closed = true;
      try {
        impl_->transport->close();
      } catch (const TException&) {}
      return Status::Unavailable("nimbus at " + address_.ToString() + ": " + what);
    }
    return Status::Internal("nimbus at " + address_.ToString() + " failed the call: " + what);
  }
}

}  // namespace gale::rpc
