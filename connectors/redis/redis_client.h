// connectors/redis/redis_client.h
//
// A small blocking Redis client over hiredis, for the Redis connectors and
// their tests: one connection, commands as argument vectors or written
// straight into a pipeline (Commands), pipelines whose replies may be read
// later (Send, Receive), and replies parsed into plain structs, so that no
// other file includes hiredis. Every error message names the server: "redis 127.0.0.1:6390:
// Connection refused". After an I/O error the connection is closed;
// Connect() again (the connectors do so with a backoff).
//
// Threading: one instance per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
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

// A pipeline of commands, written in Redis's protocol (RESP) as it is
// built, one argument at a time: no string per argument, and one buffer
// reused from batch to batch.
class Commands {
 public:
  // Starts a command of `argc` arguments; the next `argc` Arg() calls fill it.
  void Begin(size_t argc);
  void Arg(std::string_view a);
  void Arg(int64_t n);
  void Add(std::initializer_list<std::string_view> args);
  void Add(const Command& c);

  // Commands added (the last one possibly still missing arguments).
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // False while the last command lacks arguments.
  bool complete() const { return missing_ == 0; }
  // Where the pipeline stands; Rewind() drops what was added since, so a
  // caller whose arguments fail midway (a missing field) leaves no half command.
  struct Mark {
    size_t bytes, count, missing;
  };
  Mark mark() const { return {out_.size(), count_, missing_}; }
  void Rewind(Mark m);
  void clear();
  const std::string& data() const { return out_; }

 private:
  std::string out_;
  size_t count_ = 0, missing_ = 0;
};

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
  bool Pipeline(const Commands& commands, std::vector<Reply>* replies, std::string* error);

  // Sends the commands without waiting for their replies, so that the
  // caller works while Redis runs them; Receive() reads the replies later,
  // in order. Run() and Pipeline() refuse (std::logic_error) while replies
  // are outstanding: they would read the wrong ones.
  bool Send(const Commands& commands, std::string* error);
  // Reads the replies of the next `n` commands sent into `replies`, resized
  // to n. The Reply objects already there are parsed into, keeping their
  // strings' and arrays' storage: a caller passing the same vector for
  // replies of the same shape (a batch of stream entries) allocates nothing.
  bool Receive(size_t n, std::vector<Reply>* replies, std::string* error);
  // Commands sent whose replies were not read yet (0 after a disconnect).
  size_t outstanding() const { return outstanding_; }

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
  size_t outstanding_ = 0;
  Commands scratch_;  // Run's and Pipeline's commands
  std::vector<Reply> run_replies_;
};

}  // namespace gale::connectors::redis
