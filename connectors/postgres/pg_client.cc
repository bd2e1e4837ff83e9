#include "connectors/postgres/pg_client.h"

#include <libpq-fe.h>

namespace gale::connectors::postgres {
namespace {

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."): one line reads better in a log and in `gale info`.
std::string Trim(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// host:port/dbname from the conninfo (defaults as libpq applies them).
std::string Where(const std::string& conninfo) {
  std::string host = "localhost", port = "5432", db;
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  if (opts) {
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
      if (!o->val || !*o->val) continue;
      const std::string k = o->keyword;
      if (k == "host" || (k == "hostaddr" && host == "localhost")) host = o->val;
      if (k == "port") port = o->val;
      if (k == "dbname") db = o->val;
      if (k == "user" && db.empty()) db = o->val;
    }
    PQconninfoFree(opts);
  }
  return "postgres " + host + ":" + port + (db.empty() ? "" : "/" + db);
}

}  // namespace

PgClient::PgClient(std::string conninfo)
    : conninfo_(std::move(conninfo)), where_(Where(conninfo_)) {}

PgClient::~PgClient() { Disconnect(); }

bool PgClient::CheckConninfo(const std::string& conninfo, std::string* error) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts) PQconninfoFree(opts);
  if (err) {
    *error = Trim(err);
    PQfreemem(err);
    return false;
  }
  return opts != nullptr;
}

void PgClient::Disconnect() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

bool PgClient::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

bool PgClient::Connect(std::string* error) {
  Disconnect();
  conn_ = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    *error = where_ + ": " + Trim(PQerrorMessage(conn_));
    Disconnect();
    return false;
  }
  return true;
}

PgResult PgClient::Exec(const std::string& sql, const std::vector<Param>& params) {
  PgResult out;
  if (!conn_) {
    out.connection_lost = true;
    out.message = where_ + ": not connected";
    return out;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    out.ok = true;
    const char* n = PQcmdTuples(r);
    out.affected = n && *n ? std::stoll(n) : 0;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<Param> row;
      for (int j = 0; j < PQnfields(r); ++j) {
        row.push_back(PQgetisnull(r, i, j) ? Param() : Param(PQgetvalue(r, i, j)));
      }
      out.rows.push_back(std::move(row));
    }
  } else {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    out.sqlstate = state ? state : "";
    out.message = primary ? primary : Trim(PQerrorMessage(conn_));
    out.connection_lost = PQstatus(conn_) != CONNECTION_OK;
    // The server's word for a lost connection ("57P01 terminating connection
    // due to administrator command") comes with the connection still up.
    if (out.sqlstate.rfind("57P", 0) == 0 || out.sqlstate.rfind("08", 0) == 0) {
      out.connection_lost = true;
    }
  }
  if (r) PQclear(r);
  return out;
}

}  // namespace gale::connectors::postgres
