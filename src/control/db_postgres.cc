// The PostgreSQL driver: one libpq connection, every statement through PQexecParams with text
// parameters (the server infers their types from the statement).
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"

#include "db_driver.h"
#include "store_util.h"
#include <libpq-fe.h>

namespace sipfront::control::db {
namespace {

// `?` -> `$n`, outside quoted literals and identifiers (the store's SQL has no other `?`).
std::string Translate(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      }
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += Cat("$", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

class PostgresDb final : public Db {
 public:
  explicit PostgresDb(PGconn* conn) : conn_(conn) {
    PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  }
  ~PostgresDb() override { PQfinish(conn_); }
  PostgresDb(const PostgresDb&) = delete;
  PostgresDb& operator=(const PostgresDb&) = delete;

  [[nodiscard]] Dialect dialect() const override { return Dialect::kPostgres; }

  absl::StatusOr<Rows> Query(std::string_view sql, std::span<const Param> params) override {
    Rows rows;
    SIPFRONT_RETURN_IF_ERROR(Run(sql, params, &rows, nullptr));
    return rows;
  }

  absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Param> params) override {
    int64_t changed = 0;
    SIPFRONT_RETURN_IF_ERROR(Run(sql, params, nullptr, &changed));
    return changed;
  }

  absl::Status Begin(TxnMode mode) override {
    if (PQstatus(conn_) != CONNECTION_OK) {
      // The server went away since the last transaction: reconnect once.
      PQreset(conn_);
      if (PQstatus(conn_) != CONNECTION_OK) {
        return absl::UnavailableError(Cat("postgresql: connection lost: ", PQerrorMessage(conn_)));
      }
      PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
    }
    // READ COMMITTED for writes: the store serialises writers on the meta row and locks the
    // parent row, and each statement then sees every commit before it. Reads that span
    // several statements need one snapshot.
    return Run(
        mode == TxnMode::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {},
        nullptr, nullptr);
  }
  absl::Status Commit() override { return Run("COMMIT", {}, nullptr, nullptr); }
  void Rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      (void)Run("ROLLBACK", {}, nullptr, nullptr);
    }
  }

 private:
  absl::Status Error(PGresult* res) {
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const std::string_view sqlstate = state != nullptr ? state : "";
    std::string what = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) {
      what.pop_back();
    }
    if (sqlstate == "23505") {
      return absl::AlreadyExistsError(Cat("postgresql: ", what));
    }
    // Connection exceptions (08), serialization failures and deadlocks (40), lock timeouts
    // (55P03), the server shutting down (57P01..57P03): the caller may run the write again.
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") ||
        sqlstate.starts_with("40") || sqlstate == "55P03" || sqlstate.starts_with("57P")) {
      return absl::UnavailableError(Cat("postgresql: ", what));
    }
    return absl::InternalError(Cat("postgresql: ", what));
  }

  absl::Status Run(std::string_view sql, std::span<const Param> params, Rows* rows,
                   int64_t* changed) {
    const std::string text = Translate(sql);
    std::vector<std::string> owned(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      switch (p.type) {
        case Param::Type::kText:
          owned[i] = std::string(p.text);
          values[i] = owned[i].c_str();
          break;
        case Param::Type::kInt:
          owned[i] = Cat(p.integer);
          values[i] = owned[i].c_str();
          break;
        case Param::Type::kNull:
          values[i] = nullptr;
          break;
      }
      lengths[i] = static_cast<int>(owned[i].size());
    }
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), lengths.data(), nullptr, 0);
    struct Clear {
      PGresult* r;
      ~Clear() { PQclear(r); }
    } clear{res};
    const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Error(res);
    }
    if (changed != nullptr) {
      const char* n = PQcmdTuples(res);
      int64_t v = 0;
      *changed = (n != nullptr && absl::SimpleAtoi(n, &v)) ? v : 0;
    }
    if (rows != nullptr && st == PGRES_TUPLES_OK) {
      const int nrows = PQntuples(res);
      const int ncols = PQnfields(res);
      rows->reserve(static_cast<std::size_t>(nrows));
      for (int r = 0; r < nrows; ++r) {
        Row row(static_cast<std::size_t>(ncols));
        for (int c = 0; c < ncols; ++c) {
          if (!PQgetisnull(res, r, c)) {
            row[static_cast<std::size_t>(c)].emplace(
                PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c)));
          }
        }
        rows->push_back(std::move(row));
      }
    }
    return absl::OkStatus();
  }

  PGconn* conn_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> OpenPostgres(std::string_view conninfo) {
  const std::string info(conninfo);
  PGconn* conn = PQconnectdb(info.c_str());
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
      msg.pop_back();
    }
    PQfinish(conn);
    // The conninfo may hold a password: name only what failed.
    return absl::UnavailableError(Cat("postgresql: cannot connect: ", msg));
  }
  return std::unique_ptr<Db>(std::make_unique<PostgresDb>(conn));
}

}  // namespace sipfront::control::db
