// The Redis backend: three hashes per namespace,
//   gale:state:<ns>:c   committed entries
//   gale:state:<ns>:p   prepared changes: '\1' + value, or '\0' (deletion)
//   gale:state:<ns>:m   txids: committed, prepared
// Prepare and Commit are MULTI/EXEC transactions, so Redis applies each
// whole or not at all. Durable as far as the server is (its appendonly
// setting). One connection per store, reconnected on the next call after
// an error.
#include "core/state/state_store.h"

#include <hiredis/hiredis.h>

#include <sys/time.h>

#include <vector>

namespace gale::state {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisStore final : public StateStore {
 public:
  RedisStore(std::string host, int port, std::string ns, std::string password)
      : host_(std::move(host)), port_(port), password_(std::move(password)) {
    const std::string base = "gale:state:" + ns;
    c_ = base + ":c";
    p_ = base + ":p";
    m_ = base + ":m";
  }
  ~RedisStore() override {
    if (ctx_) redisFree(ctx_);
  }

  Status Connect() {
    if (ctx_ && !ctx_->err) return Status::Ok();
    if (ctx_) redisFree(ctx_);
    timeval timeout{5, 0};
    ctx_ = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (!ctx_ || ctx_->err) {
      std::string why = ctx_ ? ctx_->errstr : "cannot allocate a connection";
      if (ctx_) redisFree(ctx_);
      ctx_ = nullptr;
      return Status::Unavailable(Describe() + ": " + why);
    }
    redisSetTimeout(ctx_, timeout);
    if (!password_.empty()) {
      auto r = Run({"AUTH", password_});
      if (!r.ok()) return r.status();
    }
    return Status::Ok();
  }

  Result<Committed> Load() override {
    GALE_RETURN_IF_ERROR(Connect());
    Committed out;
    GALE_ASSIGN_OR_RETURN(Reply all, Run({"HGETALL", c_}));
    for (size_t i = 0; i + 1 < all->elements; i += 2) {
      out.entries.emplace(Str(all->element[i]), Str(all->element[i + 1]));
    }
    GALE_RETURN_IF_ERROR(ReadTxids(&out.txid, &out.prepared_txid));
    return out;
  }

  Status Prepare(int64_t txid, const Changes& changes) override {
    GALE_RETURN_IF_ERROR(Connect());
    std::vector<std::vector<std::string>> commands = {{"MULTI"}, {"DEL", p_}};
    if (!changes.empty()) {
      std::vector<std::string> hset = {"HSET", p_};
      for (const auto& [k, v] : changes) {
        hset.push_back(k);
        hset.push_back(v ? std::string(1, '\1') + *v : std::string(1, '\0'));
      }
      commands.push_back(std::move(hset));
    }
    commands.push_back({"HSET", m_, "prepared", std::to_string(txid)});
    commands.push_back({"EXEC"});
    return Pipeline(commands, "prepare");
  }

  Status Commit(int64_t txid) override {
    GALE_RETURN_IF_ERROR(Connect());
    int64_t committed = kNoTxid, prepared = kNoTxid;
    GALE_RETURN_IF_ERROR(ReadTxids(&committed, &prepared));
    if (committed == txid && prepared == kNoTxid) return Status::Ok();
    if (prepared != txid) {
      return Status::FailedPrecondition(Describe() + ": commit of txid " + std::to_string(txid) +
                                        ", but the prepared txid is " + std::to_string(prepared));
    }
    GALE_ASSIGN_OR_RETURN(Reply changes, Run({"HGETALL", p_}));
    std::vector<std::string> hset = {"HSET", c_}, hdel = {"HDEL", c_};
    for (size_t i = 0; i + 1 < changes->elements; i += 2) {
      const std::string value = Str(changes->element[i + 1]);
      if (!value.empty() && value[0] == '\1') {
        hset.push_back(Str(changes->element[i]));
        hset.push_back(value.substr(1));
      } else {
        hdel.push_back(Str(changes->element[i]));
      }
    }
    std::vector<std::vector<std::string>> commands = {{"MULTI"}};
    if (hset.size() > 2) commands.push_back(std::move(hset));
    if (hdel.size() > 2) commands.push_back(std::move(hdel));
    commands.push_back({"DEL", p_});
    commands.push_back({"HDEL", m_, "prepared"});
    commands.push_back({"HSET", m_, "committed", std::to_string(txid)});
    commands.push_back({"EXEC"});
    return Pipeline(commands, "commit");
  }

  Status Rollback() override {
    GALE_RETURN_IF_ERROR(Connect());
    return Pipeline({{"MULTI"}, {"DEL", p_}, {"HDEL", m_, "prepared"}, {"EXEC"}}, "rollback");
  }

  Status Clear() override {
    GALE_RETURN_IF_ERROR(Connect());
    return Pipeline({{"DEL", c_, p_, m_}}, "clear");
  }

  std::string Describe() const override { return "redis " + host_ + ":" + std::to_string(port_); }

 private:
  static std::string Str(const redisReply* r) {
    return r && r->str ? std::string(r->str, r->len) : std::string();
  }

  Status ReadTxids(int64_t* committed, int64_t* prepared) {
    GALE_ASSIGN_OR_RETURN(Reply r, Run({"HMGET", m_, "committed", "prepared"}));
    auto txid = [](const redisReply* e) {
      return e && e->type == REDIS_REPLY_STRING ? std::stoll(std::string(e->str, e->len)) : kNoTxid;
    };
    *committed = r->elements > 0 ? txid(r->element[0]) : kNoTxid;
    *prepared = r->elements > 1 ? txid(r->element[1]) : kNoTxid;
    return Status::Ok();
  }

  void Append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
  }

  Result<Reply> Take(const char* what) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      Status s = Status::Unavailable(Describe() + ": " + what + ": " +
                                     (ctx_->errstr[0] ? ctx_->errstr : "connection lost"));
      redisFree(ctx_);
      ctx_ = nullptr;
      return s;
    }
    Reply r(static_cast<redisReply*>(raw));
    if (r->type == REDIS_REPLY_ERROR) {
      return Status::Unavailable(Describe() + ": " + what + ": " + Str(r.get()));
    }
    return r;
  }

  Result<Reply> Run(const std::vector<std::string>& args) {
    Append(args);
    return Take(args[0].c_str());
  }

  // Sends every command, then reads every reply: one round trip.
  Status Pipeline(const std::vector<std::vector<std::string>>& commands, const char* what) {
    for (const auto& c : commands) Append(c);
    Status first;
    for (size_t i = 0; i < commands.size(); ++i) {
      auto r = Take(what);
      if (!r.ok()) {
        if (!ctx_) return r.status();  // the connection is gone: no more replies
        if (first.ok()) first = r.status();
        continue;
      }
      // EXEC answers nil when the transaction was discarded.
      if (commands[i][0] == "EXEC" && (*r)->type == REDIS_REPLY_NIL && first.ok()) {
        first = Status::Unavailable(Describe() + ": " + what + ": transaction discarded");
      }
    }
    return first;
  }

  std::string host_;
  int port_;
  std::string password_;
  std::string c_, p_, m_;
  redisContext* ctx_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<StateStore>> OpenRedisStore(const std::string& host, int port,
                                                   const std::string& ns,
                                                   const std::string& password) {
  auto store = std::make_unique<RedisStore>(host, port, ns, password);
  GALE_RETURN_IF_ERROR(store->Connect());
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace gale::state
