#include "connectors/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace gale::connectors::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default: out.type = Reply::Type::kNil;
  }
  return out;
}

void Argv(const Command& c, std::vector<const char*>* argv, std::vector<size_t>* lens) {
  argv->clear();
  lens->clear();
  for (const auto& a : c) {
    argv->push_back(a.data());
    lens->push_back(a.size());
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
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& c : commands) {
    Argv(c, &argv, &lens);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      *error = IoError();
      return false;
    }
  }
  replies->reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      *error = IoError();
      replies->clear();
      return false;
    }
    auto* r = static_cast<redisReply*>(raw);
    replies->push_back(Convert(r));
    freeReplyObject(r);
  }
  return true;
}

}  // namespace gale::connectors::redis
