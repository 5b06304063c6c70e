// Internal: the small SQL driver interface the provisioning store is written against once,
// with a SQLite (db_sqlite.cc) and a PostgreSQL (db_postgres.cc) implementation.
//
// Statements use `?` placeholders (the PostgreSQL driver rewrites them to $1..$n) and portable
// SQL. Values come back as text (NULL as nullopt): integers are parsed by the caller.
//
// Errors: a unique-constraint violation is AlreadyExists, a busy or lost connection
// Unavailable, anything else Internal; messages carry the database's own text.
//
// Threading: one Db is one connection, used by one thread at a time.
#ifndef SIPFRONT_SRC_CONTROL_DB_DRIVER_H_
#define SIPFRONT_SRC_CONTROL_DB_DRIVER_H_

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipfront/base/status.h"

namespace sipfront::control::db {

// A positional parameter: text, a 64-bit integer or NULL. Text is a view: the caller keeps it
// alive for the call.
struct Param {
  enum class Type : uint8_t { kText, kInt, kNull };
  Type type = Type::kNull;
  std::string_view text;
  int64_t integer = 0;

  Param() = default;
  Param(std::nullptr_t) {}                                   // NOLINT(google-explicit-constructor)
  Param(std::string_view s) : type(Type::kText), text(s) {}  // NOLINT
  Param(const std::string& s) : type(Type::kText), text(s) {}  // NOLINT
  Param(const char* s) : type(Type::kText), text(s) {}         // NOLINT
  template <std::integral I>
  Param(I v) : type(Type::kInt), integer(static_cast<int64_t>(v)) {}  // NOLINT
};

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

enum class Dialect : uint8_t { kSqlite, kPostgres };

enum class TxnMode : uint8_t {
  kRead,   // a consistent snapshot for several reads
  kWrite,  // SQLite: BEGIN IMMEDIATE (the write lock up front); PostgreSQL: BEGIN
};

class Db {
 public:
  virtual ~Db() = default;

  [[nodiscard]] virtual Dialect dialect() const = 0;

  // Runs one statement and returns its rows (none for statements without results).
  virtual absl::StatusOr<Rows> Query(std::string_view sql, std::span<const Param> params) = 0;
  // Runs one statement and returns the number of rows it changed.
  virtual absl::StatusOr<int64_t> Exec(std::string_view sql, std::span<const Param> params) = 0;

  virtual absl::Status Begin(TxnMode mode) = 0;
  virtual absl::Status Commit() = 0;
  // Never fails from the caller's point of view: a failed rollback leaves the connection to
  // be reset by the next Begin.
  virtual void Rollback() = 0;

  absl::StatusOr<Rows> Query(std::string_view sql, std::initializer_list<Param> params = {}) {
    return Query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  absl::StatusOr<int64_t> Exec(std::string_view sql, std::initializer_list<Param> params = {}) {
    return Exec(sql, std::span<const Param>(params.begin(), params.size()));
  }
};

// `path`: a file name; the file is created when missing. WAL mode, foreign keys on, a busy
// timeout of `busy_timeout_ms`.
absl::StatusOr<std::unique_ptr<Db>> OpenSqlite(std::string_view path, int busy_timeout_ms);
// `conninfo`: a libpq URL or key=value string.
absl::StatusOr<std::unique_ptr<Db>> OpenPostgres(std::string_view conninfo);

}  // namespace sipfront::control::db

#endif  // SIPFRONT_SRC_CONTROL_DB_DRIVER_H_
