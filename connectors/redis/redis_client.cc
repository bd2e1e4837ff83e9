#include "connectors/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <sys/time.h>

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
// copied again into Reply. Only a root reply is ever handed to FreeReply.
Reply* Place(const redisReadTask* task) {
  if (task->parent == nullptr) return new Reply();
  auto* parent = static_cast<Reply*>(task->parent->obj);
  return &parent->elements[static_cast<size_t>(task->idx)];
}

void* CreateString(const redisReadTask* task, char* str, size_t len) {
  Reply* r = Place(task);
  r->type = task->type == REDIS_REPLY_ERROR    ? Reply::Type::kError
            : task->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                               : Reply::Type::kString;
  r->str.assign(str, len);
  return r;
}

void* CreateArray(const redisReadTask* task, int elements) {
  Reply* r = Place(task);
  r->type = Reply::Type::kArray;
  r->elements.resize(static_cast<size_t>(elements));  // children are built in place
  return r;
}

void* CreateInteger(const redisReadTask* task, long long value) {
  Reply* r = Place(task);
  r->type = Reply::Type::kInteger;
  r->integer = value;
  return r;
}

void* CreateNil(const redisReadTask* task) {
  Reply* r = Place(task);
  r->type = Reply::Type::kNil;
  return r;
}

void FreeReply(void* reply) { delete static_cast<Reply*>(reply); }

redisReplyObjectFunctions kReplyFunctions = {CreateString, CreateArray, CreateInteger, CreateNil,
                                             FreeReply};

// Appends `c` to `out` in Redis's protocol (RESP): *argc, then $len and each
// argument, as redisFormatCommandArgv would, without its allocations.
void AppendResp(const Command& c, std::string* out) {
  *out += '*';
  *out += std::to_string(c.size());
  *out += "\r\n";
  for (const auto& a : c) {
    *out += '$';
    *out += std::to_string(a.size());
    *out += "\r\n";
    *out += a;
    *out += "\r\n";
  }
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

bool RedisClient::Run(const Command& command, Reply* reply, std::string* error) {
  std::vector<Reply> replies;
  if (!Pipeline({command}, &replies, error)) return false;
  *reply = std::move(replies.front());
  return true;
}

bool RedisClient::Pipeline(const std::vector<Command>& commands, std::vector<Reply>* replies,
                           std::string* error) {
  replies->clear();
  if (!ctx_) {
    *error = where_ + ": not connected";
    return false;
  }
  // The whole pipeline in one buffer, handed to hiredis in one append.
  out_.clear();
  for (const auto& c : commands) AppendResp(c, &out_);
  if (redisAppendFormattedCommand(ctx_, out_.data(), out_.size()) != REDIS_OK) {
    *error = IoError();
    return false;
  }
  if (out_.capacity() > (1u << 20)) std::string().swap(out_);  // keep no giant buffer
  replies->reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      *error = IoError();
      replies->clear();
      return false;
    }
    std::unique_ptr<Reply> r(static_cast<Reply*>(raw));
    replies->push_back(std::move(*r));
  }
  return true;
}

}  // namespace gale::connectors::redis
