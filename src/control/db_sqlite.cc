// The SQLite driver: one sqlite3 connection, prepared statements cached by their SQL text.
#include <string>
#include <unordered_map>

#include <sqlite3.h>

#include "db_driver.h"
#include "store_util.h"

namespace sipfront::control::db {
namespace {

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  ~SqliteDb() override {
    for (auto& [sql, stmt] : stmts_) {
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db_);
  }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  [[nodiscard]] Dialect dialect() const override { return Dialect::kSqlite; }

  absl::StatusOr<Rows> Query(std::string_view sql, std::span<const Param> params) override {
    Rows rows;
    SIPFRONT_RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Param> params) override {
    SIPFRONT_RETURN_IF_ERROR(Run(sql, params, nullptr));
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  absl::Status Begin(TxnMode mode) override {
    return Simple(mode == TxnMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  absl::Status Commit() override { return Simple("COMMIT"); }
  void Rollback() override {
    if (!sqlite3_get_autocommit(db_)) {
      (void)Simple("ROLLBACK");
    }
  }

  absl::Status Simple(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      absl::Status s = Error(rc, err != nullptr ? err : sqlite3_errmsg(db_));
      sqlite3_free(err);
      return s;
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status Error(int rc, std::string_view what) {
    const int primary = rc & 0xff;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return absl::AlreadyExistsError(Cat("sqlite: ", what));
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      return absl::UnavailableError(Cat("sqlite: database is busy: ", what));
    }
    return absl::InternalError(Cat("sqlite: ", what));
  }

  absl::Status Run(std::string_view sql, std::span<const Param> params, Rows* rows) {
    sqlite3_stmt* stmt = nullptr;
    auto it = stmts_.find(std::string(sql));
    if (it != stmts_.end()) {
      stmt = it->second;
    } else {
      const int rc =
          sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
      if (rc != SQLITE_OK) {
        return Error(rc, Cat(sqlite3_errmsg(db_), " in: ", sql));
      }
      stmts_.emplace(std::string(sql), stmt);
    }
    // Reset on every way out, so the statement never holds a read lock between calls.
    struct Resetter {
      sqlite3_stmt* s;
      ~Resetter() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } resetter{stmt};
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return absl::InternalError(Cat("sqlite: ", params.size(), " parameters for ", sql));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const Param& p = params[i];
      int rc = SQLITE_OK;
      switch (p.type) {
        case Param::Type::kText:
          rc = sqlite3_bind_text(stmt, idx, p.text.data(), static_cast<int>(p.text.size()),
                                 SQLITE_STATIC);
          break;
        case Param::Type::kInt:
          rc = sqlite3_bind_int64(stmt, idx, p.integer);
          break;
        case Param::Type::kNull:
          rc = sqlite3_bind_null(stmt, idx);
          break;
      }
      if (rc != SQLITE_OK) {
        return Error(rc, sqlite3_errmsg(db_));
      }
    }
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) {
        return absl::OkStatus();
      }
      if (rc != SQLITE_ROW) {
        return Error(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
      }
      if (rows == nullptr) {
        continue;
      }
      const int n = sqlite3_column_count(stmt);
      Row row(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(stmt, c) != SQLITE_NULL) {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row[static_cast<std::size_t>(c)].emplace(
              text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
        }
      }
      rows->push_back(std::move(row));
    }
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> OpenSqlite(std::string_view path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const std::string file(path);
  const int rc = sqlite3_open_v2(
      file.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return absl::UnavailableError(Cat("sqlite: cannot open ", file, ": ", msg));
  }
  auto db = std::make_unique<SqliteDb>(raw);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // WAL: readers (the loader) never block the writer (the REST server) and the other way
  // round; synchronous=NORMAL is durable across a process crash in WAL mode and only loses
  // the last commits on power loss.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    absl::Status s = db->Simple(pragma);
    if (!s.ok()) {
      return absl::UnavailableError(Cat("sqlite: cannot set up ", file, ": ", s.message()));
    }
  }
  return std::unique_ptr<Db>(std::move(db));
}

}  // namespace sipfront::control::db
