// connectors/postgres/pg_client.h
//
// A small synchronous PostgreSQL client over libpq, for PostgresSink and its
// tests: one connection, statements with text parameters, results copied
// into plain structs, so that no other file includes libpq. Error messages
// name the server: "postgres 127.0.0.1:5433/gale: connection refused ...".
//
// Threading: one instance per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct pg_conn;

namespace gale::connectors::postgres {

using Param = std::optional<std::string>;  // nullopt: NULL

struct PgResult {
  bool ok = false;
  bool connection_lost = false;  // the statement failed because the connection did
  std::string sqlstate;          // e.g. "22P02" (invalid text representation)
  std::string message;           // the server's primary message, or libpq's
  int64_t affected = 0;          // rows inserted/updated
  std::vector<std::vector<Param>> rows;
};

class PgClient {
 public:
  explicit PgClient(std::string conninfo);
  ~PgClient();
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;

  // Whether libpq can parse `conninfo`; false with libpq's reason.
  static bool CheckConninfo(const std::string& conninfo, std::string* error);

  // Connects (closing any previous connection). False with `error`.
  bool Connect(std::string* error);
  bool connected() const;
  void Disconnect();

  // Runs one statement in autocommit mode: when it returns ok, its effects
  // are committed. Parameters are sent as text, typed by the server.
  PgResult Exec(const std::string& sql, const std::vector<Param>& params = {});

  // "postgres host:port/dbname", from the conninfo as libpq parsed it.
  const std::string& where() const { return where_; }

 private:
  std::string conninfo_;
  std::string where_;
  pg_conn* conn_ = nullptr;
};

}  // namespace gale::connectors::postgres
