// connectors/redis/redis_client.h
//
// A small synchronous Redis client over hiredis, for the Redis connectors
// and their tests: one connection, commands as argument vectors, pipelines,
// and replies copied into plain structs, so that no other file includes
// hiredis. Every error message names the server: "redis 127.0.0.1:6390:
// Connection refused". After an I/O error the connection is closed;
// Connect() again (the connectors do so with a backoff).
//
// Threading: one instance per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace gale::connectors::redis {

struct Reply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<Reply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

using Command = std::vector<std::string>;

class RedisClient {
 public:
  RedisClient(std::string host, int port, std::string password = "",
              std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects (and AUTHs when a password is set). False with `error`.
  bool Connect(std::string* error);
  bool connected() const { return ctx_ != nullptr; }
  void Disconnect();

  // Runs one command. False on an I/O error (then disconnected) with
  // `error`; a Redis error reply is a successful call returning kError.
  bool Run(const Command& command, Reply* reply, std::string* error);
  // Sends all commands, then reads all replies, in order.
  bool Pipeline(const std::vector<Command>& commands, std::vector<Reply>* replies,
                std::string* error);

  // Sets the socket timeout for the next calls (a blocking XREADGROUP
  // needs one longer than its BLOCK).
  void SetTimeout(std::chrono::milliseconds timeout);

  // "redis host:port"
  const std::string& where() const { return where_; }

 private:
  std::string IoError();

  std::string host_;
  int port_;
  std::string password_;
  std::chrono::milliseconds timeout_;
  std::string where_;
  redisContext* ctx_ = nullptr;
  std::string out_;  // the pipeline being sent, in Redis's protocol
};

}  // namespace gale::connectors::redis
