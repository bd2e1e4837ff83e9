#include "connectors/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <new>
#include <stdexcept>

namespace gale::connectors::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis's reader builds replies through these functions: here straight
// into Reply structs, each element in its place in its parent's vector,
// instead of hiredis's own objects (a calloc and a string copy per element)
// copied again into Reply. A reply's root is the caller's (Receive() hands
// it over as the reader's privdata), and a node parsed into keeps its
// storage: a string is assigned into the capacity it has, an array resized
// over the elements it had.
Reply* Place(const redisReadTask* task) {
  if (task->parent == nullptr) return static_cast<Reply*>(task->privdata);
  auto* parent = static_cast<Reply*>(task->parent->obj);
  return &parent->elements[static_cast<size_t>(task->idx)];
}

void* CreateString(const redisReadTask* task, char* str, size_t len) {
  Reply* r = Place(task);
  if (r == nullptr) return nullptr;
  r->type = task->type == REDIS_REPLY_ERROR    ? Reply::Type::kError
            : task->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                               : Reply::Type::kString;
  try {
    r->str.assign(str, len);
  } catch (const std::bad_alloc&) {
    return nullptr;  // no exception through hiredis's C: it fails the read as out of memory
  }
  r->integer = 0;
  if (!r->elements.empty()) r->elements.clear();
  return r;
}

void* CreateArray(const redisReadTask* task, int elements) {
  Reply* r = Place(task);
  if (r == nullptr) return nullptr;
  r->type = Reply::Type::kArray;
  r->str.clear();
  r->integer = 0;
  try {
    r->elements.resize(static_cast<size_t>(elements));  // children are built in place
  } catch (const std::bad_alloc&) {
    return nullptr;  // an absurd length: the read fails as out of memory
  } catch (const std::length_error&) { return nullptr; }
  return r;
}

void* CreateInteger(const redisReadTask* task, long long value) {
  Reply* r = Place(task);
  if (r == nullptr) return nullptr;
  r->type = Reply::Type::kInteger;
  r->integer = value;
  r->str.clear();
  if (!r->elements.empty()) r->elements.clear();
  return r;
}

void* CreateNil(const redisReadTask* task) {
  Reply* r = Place(task);
  if (r == nullptr) return nullptr;
  r->type = Reply::Type::kNil;
  r->integer = 0;
  r->str.clear();
  if (!r->elements.empty()) r->elements.clear();
  return r;
}

// Every reply belongs to a caller's vector: nothing to free.
void FreeReply(void*) {}

redisReplyObjectFunctions kReplyFunctions = {CreateString, CreateArray, CreateInteger, CreateNil,
                                             FreeReply};

// `n` in decimal, written into `buf`.
std::string_view Decimal(int64_t n, char (&buf)[24]) {
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  return {buf, static_cast<size_t>(end - buf)};
}

void AppendDecimal(std::string* out, int64_t n) {
  char buf[24];
  *out += Decimal(n, buf);
}

}  // namespace

RedisClient::RedisClient(std::string host, int port, std::string password,
                         std::chrono::milliseconds timeout)
    : host_(std::move(host)),
      port_(port),
      password_(std::move(password)),
      timeout_(timeout),
      where_("redis " + host_ + ":" + std::to_string(port_)) {}

RedisClient::~RedisClient() { Disconnect(); }

void RedisClient::Disconnect() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  outstanding_ = 0;
}

std::string RedisClient::IoError() {
  std::string message = where_ + ": ";
  if (ctx_ && ctx_->err) {
    message += ctx_->errstr;
  } else {
    message += "connection lost";
  }
  if (message.back() == '\n') message.pop_back();
  Disconnect();
  return message;
}

bool RedisClient::Connect(std::string* error) {
  Disconnect();
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, ToTimeval(timeout_));
  if (!ctx_) {
    *error = where_ + ": cannot allocate a connection";
    return false;
  }
  if (ctx_->err) {
    *error = IoError();
    return false;
  }
  redisSetTimeout(ctx_, ToTimeval(timeout_));
  redisEnableKeepAlive(ctx_);
  ctx_->reader->fn = &kReplyFunctions;
  if (!password_.empty()) {
    Reply r;
    if (!Run({"AUTH", password_}, &r, error)) return false;
    if (r.is_error()) {
      *error = where_ + ": AUTH failed: " + r.str;
      Disconnect();
      return false;
    }
  }
  return true;
}

void RedisClient::SetTimeout(std::chrono::milliseconds timeout) {
  if (ctx_) redisSetTimeout(ctx_, ToTimeval(timeout));
}

void Commands::Begin(size_t argc) {
  if (missing_ != 0) throw std::logic_error("Commands::Begin: the last command lacks arguments");
  // Redis answers nothing to an empty command: its reply would be waited for until the timeout.
  if (argc == 0) throw std::logic_error("Commands::Begin: a command has at least one argument");
  out_ += '*';
  AppendDecimal(&out_, static_cast<int64_t>(argc));
  out_ += "\r\n";
  missing_ = argc;
  ++count_;
}

void Commands::Arg(std::string_view a) {
  if (missing_ == 0) throw std::logic_error("Commands::Arg: more arguments than Begin said");
  out_ += '$';
  AppendDecimal(&out_, static_cast<int64_t>(a.size()));
  out_ += "\r\n";
  out_ += a;
  out_ += "\r\n";
  --missing_;
}

void Commands::Arg(int64_t n) {
  char buf[24];
  Arg(Decimal(n, buf));
}

void Commands::Add(std::initializer_list<std::string_view> args) {
  Begin(args.size());
  for (std::string_view a : args) Arg(a);
}

void Commands::Add(const Command& c) {
  Begin(c.size());
  for (const auto& a : c) Arg(a);
}

void Commands::Rewind(Mark m) {
  out_.resize(m.bytes);
  count_ = m.count;
  missing_ = m.missing;
}

void Commands::clear() {
  if (out_.capacity() > (1u << 20)) {
    std::string().swap(out_);  // keep no giant buffer
  } else {
    out_.clear();
  }
  count_ = 0;
  missing_ = 0;
}

bool RedisClient::Run(const Command& command, Reply* reply, std::string* error) {
  scratch_.clear();
  scratch_.Add(command);
  if (!Pipeline(scratch_, &run_replies_, error)) return false;
  *reply = std::move(run_replies_.front());
  return true;
}

bool RedisClient::Pipeline(const std::vector<Command>& commands, std::vector<Reply>* replies,
                           std::string* error) {
  scratch_.clear();
  for (const auto& c : commands) scratch_.Add(c);
  return Pipeline(scratch_, replies, error);
}

bool RedisClient::Pipeline(const Commands& commands, std::vector<Reply>* replies,
                           std::string* error) {
  if (outstanding_ != 0) {
    throw std::logic_error("RedisClient::Pipeline: the replies of " + std::to_string(outstanding_) +
                           " commands sent were not read");
  }
  if (!Send(commands, error)) {
    replies->clear();
    return false;
  }
  return Receive(commands.size(), replies, error);
}

bool RedisClient::Send(const Commands& commands, std::string* error) {
  if (!ctx_) {
    *error = where_ + ": not connected";
    return false;
  }
  if (!commands.complete()) throw std::logic_error("RedisClient::Send: a command lacks arguments");
  if (commands.empty()) return true;
  // Written straight from the pipeline's buffer (hiredis's own output
  // buffer stays empty), with MSG_NOSIGNAL: a server gone is EPIPE here, not
  // a SIGPIPE killing whatever process the client runs in.
  const char* p = commands.data().data();
  size_t left = commands.data().size();
  while (left > 0) {
    const ssize_t n = ::send(ctx_->fd, p, left, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      left -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      *error = where_ + ": " + (n < 0 ? std::strerror(errno) : "connection lost");
      Disconnect();
      return false;
    }
  }
  outstanding_ += commands.size();
  return true;
}

bool RedisClient::Receive(size_t n, std::vector<Reply>* replies, std::string* error) {
  if (n > outstanding_) {
    throw std::logic_error("RedisClient::Receive: " + std::to_string(n) + " replies wanted, " +
                           std::to_string(outstanding_) + " outstanding");
  }
  replies->resize(n);
  for (size_t i = 0; i < n; ++i) {
    ctx_->reader->privdata = &(*replies)[i];  // the root Place() hands to the reader
    void* raw = nullptr;
    const int rc = redisGetReply(ctx_, &raw);
    if (ctx_) ctx_->reader->privdata = nullptr;
    if (rc != REDIS_OK || raw == nullptr) {
      *error = IoError();
      replies->clear();
      return false;
    }
    --outstanding_;
  }
  return true;
}

}  // namespace gale::connectors::redis
