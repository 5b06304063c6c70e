// Internal: the provisioning store's numbered migrations (portable SQL: TEXT, BIGINT, INTEGER
// 0/1 for booleans). A migration is never edited once released: a change is a new number.
#ifndef SIPFRONT_SRC_CONTROL_STORE_SCHEMA_H_
#define SIPFRONT_SRC_CONTROL_STORE_SCHEMA_H_

#include <iterator>
#include <span>
#include <string_view>

namespace sipfront::control::schema {

struct Migration {
  int version;
  std::span<const std::string_view> statements;  // run in order, one statement each
};

// Version 1: accounts, domains, credential lists, credentials and their HA1s, IP ACLs and
// addresses, mappings, and the meta row that holds the revision.
inline constexpr std::string_view kV1[] = {
    "CREATE TABLE meta (id INTEGER PRIMARY KEY, revision BIGINT NOT NULL)",
    "INSERT INTO meta (id, revision) VALUES (1, 0)",
    "CREATE TABLE accounts ("
    " sid TEXT PRIMARY KEY,"
    " friendly_name TEXT NOT NULL,"
    " auth_token_sha256 TEXT NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL)",
    "CREATE TABLE domains ("
    " sid TEXT PRIMARY KEY,"
    " account_sid TEXT NOT NULL REFERENCES accounts (sid),"
    " domain_name TEXT NOT NULL UNIQUE,"
    " friendly_name TEXT NOT NULL,"
    " voice_url TEXT NOT NULL,"
    " voice_method TEXT NOT NULL,"
    " voice_fallback_url TEXT NOT NULL,"
    " voice_fallback_method TEXT NOT NULL,"
    " voice_status_callback_url TEXT NOT NULL,"
    " voice_status_callback_method TEXT NOT NULL,"
    " sip_registration INTEGER NOT NULL,"
    " secure INTEGER NOT NULL,"
    " emergency_calling_enabled INTEGER NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL)",
    "CREATE INDEX domains_by_account ON domains (account_sid, date_created, sid)",
    "CREATE TABLE credential_lists ("
    " sid TEXT PRIMARY KEY,"
    " account_sid TEXT NOT NULL REFERENCES accounts (sid),"
    " friendly_name TEXT NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL)",
    "CREATE INDEX credential_lists_by_account ON credential_lists"
    " (account_sid, date_created, sid)",
    "CREATE TABLE credentials ("
    " sid TEXT PRIMARY KEY,"
    " account_sid TEXT NOT NULL,"
    " credential_list_sid TEXT NOT NULL REFERENCES credential_lists (sid) ON DELETE CASCADE,"
    " username TEXT NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL,"
    " UNIQUE (credential_list_sid, username))",
    "CREATE INDEX credentials_by_list ON credentials (credential_list_sid, date_created, sid)",
    "CREATE TABLE credential_ha1 ("
    " credential_sid TEXT NOT NULL REFERENCES credentials (sid) ON DELETE CASCADE,"
    " realm TEXT NOT NULL,"
    " ha1_md5 TEXT NOT NULL,"
    " ha1_sha256 TEXT NOT NULL,"
    " PRIMARY KEY (credential_sid, realm))",
    "CREATE TABLE ip_access_control_lists ("
    " sid TEXT PRIMARY KEY,"
    " account_sid TEXT NOT NULL REFERENCES accounts (sid),"
    " friendly_name TEXT NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL)",
    "CREATE INDEX ip_access_control_lists_by_account ON ip_access_control_lists"
    " (account_sid, date_created, sid)",
    "CREATE TABLE ip_addresses ("
    " sid TEXT PRIMARY KEY,"
    " account_sid TEXT NOT NULL,"
    " ip_access_control_list_sid TEXT NOT NULL"
    "  REFERENCES ip_access_control_lists (sid) ON DELETE CASCADE,"
    " friendly_name TEXT NOT NULL,"
    " ip_address TEXT NOT NULL,"
    " cidr_prefix_length INTEGER NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL,"
    " UNIQUE (ip_access_control_list_sid, ip_address, cidr_prefix_length))",
    "CREATE INDEX ip_addresses_by_acl ON ip_addresses"
    " (ip_access_control_list_sid, date_created, sid)",
    // list_sid names a credential list or an ACL (kind says which), so it has no foreign key:
    // the store deletes a list's mappings itself. seq is the revision that created the
    // mapping: the creation order LoadRuntime resolves duplicate usernames by.
    "CREATE TABLE mappings ("
    " domain_sid TEXT NOT NULL REFERENCES domains (sid) ON DELETE CASCADE,"
    " kind INTEGER NOT NULL,"
    " list_sid TEXT NOT NULL,"
    " account_sid TEXT NOT NULL,"
    " seq BIGINT NOT NULL,"
    " date_created BIGINT NOT NULL,"
    " date_updated BIGINT NOT NULL,"
    " PRIMARY KEY (domain_sid, kind, list_sid))",
    "CREATE INDEX mappings_by_list ON mappings (list_sid)",
};

// Version 2: domains.content_revision, the store revision of the last write that changed
// what the workers check for the domain (store.cc's touch rules); existing domains start at
// the current revision.
inline constexpr std::string_view kV2[] = {
    "ALTER TABLE domains ADD COLUMN content_revision BIGINT NOT NULL DEFAULT 0",
    "UPDATE domains SET content_revision = (SELECT revision FROM meta WHERE id = 1)",
};

inline constexpr Migration kMigrations[] = {
    {1, kV1},
    {2, kV2},
};

inline constexpr int kLatestVersion = std::end(kMigrations)[-1].version;

}  // namespace sipfront::control::schema

#endif  // SIPFRONT_SRC_CONTROL_STORE_SCHEMA_H_
