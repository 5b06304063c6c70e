#include "sipfront/core/worker.h"

#include <cstring>
#include <unordered_map>

#include <pthread.h>
#include <sched.h>

#include "sipfront/base/check.h"
#include "sipfront/base/clock.h"
#include "sipfront/net/stun.h"
#include "sipfront/registrar/journal.h"
#include "sipfront/sip/headers.h"
#include "sipfront/sip/message.h"
#include "sipfront/sip/response_writer.h"

namespace sipfront::core {
namespace {

// What travels through the rings between workers.
enum class Record : uint8_t {
  kApply,            // a REGISTER admitted by another worker for a shard this worker owns
  kReply,            // an answer for a connection this worker holds
  kDropFlow,         // a connection closed: remove the bindings of one AOR registered over it
  kKeepaliveAnswer,  // a response to a keepalive OPTIONS for a shard this worker owns
};

// Branch prefix of keepalive OPTIONS: "z9hG4bK-ka.<shard>.<binding>.<random>".
constexpr std::string_view kKeepaliveBranch = "z9hG4bK-ka.";

// Parses "<shard>.<binding>." after the prefix.
bool ParseKeepaliveBranch(std::string_view branch, uint32_t& shard, uint32_t& binding) {
  branch.remove_prefix(kKeepaliveBranch.size());
  uint32_t* out[2] = {&shard, &binding};
  for (uint32_t* v : out) {
    *v = 0;
    std::size_t i = 0;
    while (i < branch.size() && i < 10 && branch[i] >= '0' && branch[i] <= '9') {
      *v = *v * 10 + static_cast<uint32_t>(branch[i] - '0');
      ++i;
    }
    if (i == 0 || i >= branch.size() || branch[i] != '.') {
      return false;
    }
    branch.remove_prefix(i + 1);
  }
  return true;
}

// Where an answer goes: a UDP source, or a connection held by worker `origin`.
struct Target {
  net::Endpoint peer;
  net::ConnRef conn;  // invalid: UDP
  uint8_t engine = 0;
  uint8_t origin = 0;
  registrar::Transport transport = registrar::Transport::kUdp;
};

Target Udp(const net::Endpoint& peer) {
  Target t;
  t.peer = peer;
  return t;
}

// Ring record header; the payload (datagram, answer, or FlowAor) follows.
struct ForwardHeader {
  Target target;
  uint32_t length = 0;
  Record kind = Record::kApply;
};

// An AOR registered over a connection (bind_to_connection).
struct FlowAor {
  uint64_t hash;
  uint16_t domain;
  uint8_t user_len;
  char user[registrar::kMaxUserLength];
};

// How long an idle worker sleeps in Poll(): short enough for the one-second expiry tick.
constexpr int kIdleWaitMs = 250;

// Answers waiting for their journal records to be written.
constexpr std::size_t kMaxHeld = 4096;

// AORs remembered per connection for bind_to_connection (a device registers one or two).
constexpr std::size_t kMaxFlowAors = 16;

// An answer waiting until the journal has written `seq` records.
struct Held {
  net::TxBuffer* tx;
  std::size_t len;
  Target target;
  uint64_t seq;
};

// Adapts the worker's lambdas to the stream engine's callback interface.
template <class Data, class Closed>
class LambdaHandler final : public net::StreamHandler {
 public:
  LambdaHandler(Data data, Closed closed) : data_(std::move(data)), closed_(std::move(closed)) {}
  std::size_t OnData(const net::ConnInfo& c, PaddedView in) override { return data_(c, in); }
  void OnClosed(const net::ConnInfo& c) override { closed_(c); }

 private:
  Data data_;
  Closed closed_;
};

template <class Data, class Closed>
std::unique_ptr<net::StreamHandler> MakeHandler(Data data, Closed closed) {
  return std::make_unique<LambdaHandler<Data, Closed>>(std::move(data), std::move(closed));
}

}  // namespace

struct WorkerGroup::Worker {
  uint32_t index = 0;
  net::BackendPtr backend;
  std::unique_ptr<registrar::Registrar> registrar;
  std::vector<uint32_t> owned;  // shard numbers this worker owns
  std::atomic<bool> sleeping{false};
  WorkerCounters counters;
  JournalWriter* journal = nullptr;
  std::unique_ptr<JournalSink> sink;
  std::vector<std::unique_ptr<net::StreamEngine>> streams;
  // bind_to_connection: AORs registered over each open connection, by (engine << 32 | slot).
  std::unordered_map<uint64_t, std::vector<FlowAor>> flows;
  std::unique_ptr<Held[]> held;  // ring of kMaxHeld
  std::size_t held_head = 0;
  std::size_t held_count = 0;
  // Scratch, allocated once.
  sip::Message msg;
  sip::RegisterFields reg;
  uint32_t last_expiry = 0;
  std::vector<uint32_t> keepalive_cursor;  // per owned shard: next binding slot to visit
  std::vector<uint64_t> keepalive_credit;  // per owned shard: slots * seconds not yet visited
  uint64_t rng = 0x9e3779b97f4a7c15ull;    // xorshift state for Retry-After draws
};

WorkerGroup::WorkerGroup(const WorkerGroupOptions& options, registrar::RegistrarContext ctx,
                         std::vector<net::BackendPtr> backends,
                         std::vector<std::unique_ptr<JournalWriter>> journals,
                         std::vector<std::unique_ptr<registrar::BindingTable>> tables)
    : options_(options), ctx_(ctx), tables_(std::move(tables)), journals_(std::move(journals)) {
  SIPFRONT_CHECK(journals_.empty() || journals_.size() == options.workers);
  SIPFRONT_CHECK(options.workers >= 1 && backends.size() == options.workers);
  SIPFRONT_CHECK(options.shards >= 1 && (options.shards & (options.shards - 1)) == 0);
  ctx_.shard_mask = options.shards - 1;
  SIPFRONT_CHECK(tables_.empty() || tables_.size() == options.shards);
  for (uint32_t s = static_cast<uint32_t>(tables_.size()); s < options.shards; ++s) {
    tables_.push_back(std::make_unique<registrar::BindingTable>(options.table));
  }
  for (uint32_t i = 0; i < options.workers; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->rng ^= (uint64_t{i} + 1) * 0xbf58476d1ce4e5b9ull ^ MonoMillis();
    w->backend = std::move(backends[i]);
    w->registrar = std::make_unique<registrar::Registrar>(ctx_);
    if (!journals_.empty()) {
      w->journal = journals_[i].get();
      w->sink = std::make_unique<JournalSink>(w->journal, ctx_.names);
      w->registrar->set_sink(w->sink.get());
      w->held = std::make_unique<Held[]>(kMaxHeld);
    }
    for (uint32_t s = i; s < options.shards; s += options.workers) {
      w->owned.push_back(s);
    }
    workers_.push_back(std::move(w));
  }
  rings_.resize(static_cast<std::size_t>(options.workers) * options.workers);
  for (uint32_t from = 0; from < options.workers; ++from) {
    for (uint32_t to = 0; to < options.workers; ++to) {
      if (from != to) {
        rings_[from * options.workers + to] = std::make_unique<SpscRing>(options.ring_bytes);
      }
    }
  }
}

WorkerGroup::~WorkerGroup() {
  Stop();
  Join();
}

void WorkerGroup::Start() {
  for (auto& w : workers_) {
    Worker* worker = w.get();
    threads_.emplace_back([this, worker] { Run(*worker); });
    if (worker->index < options_.cpus.size()) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(options_.cpus[worker->index], &set);
      pthread_setaffinity_np(threads_.back().native_handle(), sizeof(set), &set);
    }
  }
}

void WorkerGroup::Stop() {
  stop_.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    w->backend->Wake();
  }
}

void WorkerGroup::Join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
}

void WorkerGroup::AddStreams(uint32_t worker,
                             std::vector<std::unique_ptr<net::StreamEngine>> engines) {
  SIPFRONT_CHECK(threads_.empty() && worker < workers_.size());
  for (auto& e : engines) {
    workers_[worker]->streams.push_back(std::move(e));
  }
  SIPFRONT_CHECK(workers_[worker]->streams.size() <= 255);
}

std::vector<const net::StreamEngine*> WorkerGroup::streams(uint32_t worker) const {
  std::vector<const net::StreamEngine*> out;
  for (const auto& e : workers_[worker]->streams) {
    out.push_back(e.get());
  }
  return out;
}

uint32_t WorkerGroup::workers() const { return options_.workers; }
const WorkerCounters& WorkerGroup::counters(uint32_t worker) const {
  return workers_[worker]->counters;
}
const net::Backend& WorkerGroup::backend(uint32_t worker) const {
  return *workers_[worker]->backend;
}
const registrar::BindingTable& WorkerGroup::shard(uint32_t s) const { return *tables_[s]; }
std::vector<registrar::BindingTable*> WorkerGroup::tables() {
  std::vector<registrar::BindingTable*> out;
  for (auto& t : tables_) {
    out.push_back(t.get());
  }
  return out;
}
JournalWriter* WorkerGroup::journal(uint32_t worker) const {
  return journals_.empty() ? nullptr : journals_[worker].get();
}
uint32_t WorkerGroup::shards() const { return options_.shards; }
const registrar::RegistrarContext& WorkerGroup::context() const { return ctx_; }

void WorkerGroup::Run(Worker& w) {
  net::Backend& be = *w.backend;
  WorkerCounters& c = w.counters;
  const uint32_t n_workers = options_.workers;
  net::RxPacket packets[net::kMaxBurst];
  uint32_t mono_now = MonoSeconds();
  uint64_t wall_now = WallSeconds();
  uint64_t now_ns = 0;  // CLOCK_REALTIME, once per batch (compared with kernel receive stamps)
  const uint64_t max_delay_ns = uint64_t{options_.storm_max_delay_ms} * 1000000u;
  // A Retry-After drawn from the configured window, so shed devices come back spread out.
  auto retry_after = [&] {
    w.rng ^= w.rng << 13;
    w.rng ^= w.rng >> 7;
    w.rng ^= w.rng << 17;
    const uint32_t span = options_.retry_after_max - options_.retry_after_min + 1;
    return options_.retry_after_min + static_cast<uint32_t>(w.rng % span);
  };

  // One transmit buffer kept aside when a response turned out not to be needed (the request
  // was handed to another worker), so acquiring before knowing costs nothing.
  net::TxBuffer* spare = nullptr;
  auto acquire = [&]() -> net::TxBuffer* {
    net::TxBuffer* tx = spare != nullptr ? spare : be.AcquireTx();
    spare = nullptr;
    if (tx == nullptr) {
      ++c.tx_dropped;
    }
    return tx;
  };
  auto put_back = [&](net::TxBuffer* tx) {
    if (spare == nullptr) {
      spare = tx;
    } else {
      be.ReleaseTx(tx);
    }
  };
  // Bytes for a connection: queued on it here, or handed to the worker holding it.
  auto deliver = [&](const Target& t, const char* data, std::size_t len) {
    if (t.origin == w.index) {
      if (w.streams[t.engine]->Send(t.conn, data, len)) {
        ++c.tx;
      } else {
        ++c.stream_dropped;  // the connection closed meanwhile
      }
      return;
    }
    SpscRing& ring = *rings_[w.index * n_workers + t.origin];
    char* slot = ring.Reserve(sizeof(ForwardHeader) + len);
    if (slot == nullptr) {
      ++c.stream_dropped;
      return;
    }
    ForwardHeader h{t, static_cast<uint32_t>(len), Record::kReply};
    std::memcpy(slot, &h, sizeof(h));
    std::memcpy(slot + sizeof(h), data, len);
    ++c.replies_out;
  };
  // Sends `len` bytes already written into `tx` (0: nothing fit, counted, not sent).
  auto send = [&](net::TxBuffer* tx, std::size_t len, const Target& to) {
    if (len == 0) {
      ++c.tx_dropped;
      put_back(tx);
      return;
    }
    if (to.conn.valid()) {
      deliver(to, tx->data, len);
      put_back(tx);
      return;
    }
    be.QueueTx(tx, len, to.peer);
    ++c.tx;
  };
  auto inbound_pending = [&] {
    for (uint32_t from = 0; from < n_workers; ++from) {
      if (from != w.index && rings_[from * n_workers + w.index]->HasPublished()) {
        return true;
      }
    }
    return false;
  };

  // Applies an admitted REGISTER on the shard this worker owns and answers it.
  auto apply = [&](uint32_t shard, const Target& to) {
    net::TxBuffer* tx = acquire();
    if (tx == nullptr) {
      return;
    }
    registrar::Outcome outcome;
    const std::size_t len =
        w.registrar->Apply(*tables_[shard], w.msg, w.reg, to.peer, mono_now, wall_now, tx->data,
                           tx->capacity, outcome, to.transport);
    ++c.outcomes[static_cast<std::size_t>(outcome)];
    // An answer reporting bindings leaves only once the journal records of every change it may
    // reflect have reached the kernel (journal_writer.h).
    if (w.journal != nullptr && len != 0 && w.journal->appended() > w.journal->durable()) {
      if (w.held_count == kMaxHeld) {
        ++c.held_full;
        put_back(tx);
        return;
      }
      w.held[(w.held_head + w.held_count) % kMaxHeld] = Held{tx, len, to, w.journal->appended()};
      ++w.held_count;
      ++c.held;
      return;
    }
    send(tx, len, to);
  };
  // Sends the held answers whose records are written.
  auto release_held = [&] {
    if (w.held_count == 0) {
      return;
    }
    const uint64_t durable = w.journal->durable();
    while (w.held_count != 0 && w.held[w.held_head].seq <= durable) {
      const Held& h = w.held[w.held_head];
      if (h.target.conn.valid()) {
        deliver(h.target, h.tx->data, h.len);
        be.ReleaseTx(h.tx);
      } else {
        be.QueueTx(h.tx, h.len, h.target.peer);
        ++c.tx;
      }
      w.held_head = (w.held_head + 1) % kMaxHeld;
      --w.held_count;
    }
  };
  // Removes the bindings of `aor` registered over the closed flow of `t`, on the shard owner.
  auto drop_flow = [&](const FlowAor& aor, const Target& t) {
    const registrar::AorKey key{aor.domain, std::string_view(aor.user, aor.user_len), aor.hash};
    const uint32_t shard = static_cast<uint32_t>(aor.hash) & ctx_.shard_mask;
    c.flow_bindings_dropped += w.registrar->DropFlow(*tables_[shard], key, t.transport, t.peer);
  };
  // bind_to_connection: remembers that `t`'s connection registered the REGISTER's AOR.
  auto remember_flow = [&](const Target& t) {
    const registrar::DomainInfo* d = ctx_.provisioned->Load()->domains.Find(w.reg.request_uri.host);
    FlowAor f{};
    registrar::AorKey key;
    if (d == nullptr || !w.registrar->AorOf(w.reg, d->id, f.user, key)) {
      return;
    }
    std::vector<FlowAor>& list = w.flows[(uint64_t{t.engine} << 32) | t.conn.index];
    for (const FlowAor& e : list) {
      if (e.hash == key.hash && e.domain == key.domain &&
          std::string_view(e.user, e.user_len) == key.user) {
        return;
      }
    }
    if (list.size() < kMaxFlowAors) {
      f.hash = key.hash;
      f.domain = key.domain;
      f.user_len = static_cast<uint8_t>(key.user.size());
      if (key.user.data() != f.user) {
        std::memcpy(f.user, key.user.data(), key.user.size());
      }
      list.push_back(f);
    }
  };

  // NAT keepalives: this second's share of every owned shard's binding slots.
  char local_text[net::kMaxEndpointString];
  const std::size_t local_len = net::FormatEndpoint(be.local(), local_text);
  const std::string_view local(local_text, local_len);
  w.keepalive_cursor.assign(w.owned.size(), 0);
  w.keepalive_credit.assign(w.owned.size(), 0);
  auto keepalive_tick = [&] {
    const uint32_t interval = options_.keepalive_interval_s;
    for (std::size_t k = 0; k < w.owned.size(); ++k) {
      const uint32_t s = w.owned[k];
      registrar::BindingTable& t = *tables_[s];
      const uint32_t slots = t.BindingSlots();
      uint32_t& cursor = w.keepalive_cursor[k];
      // slots / interval per second, the remainder carried: each slot once per interval.
      uint64_t& credit = w.keepalive_credit[k];
      credit += slots;
      uint64_t quota = credit / interval;
      credit %= interval;
      for (; quota != 0; --quota) {
        if (cursor >= slots) {
          cursor = 0;
        }
        const uint32_t b = cursor++;
        if (!t.Live(b) || !t.BehindNat(b) || t.SourceTransport(b) != registrar::Transport::kUdp) {
          continue;
        }
        const uint8_t misses = t.KeepaliveMisses(b);
        if (options_.keepalive_max_missed != 0 && misses >= options_.keepalive_max_missed) {
          if (w.sink != nullptr && !w.sink->Reserve(registrar::kMaxJournalRecord)) {
            continue;  // the journal is busy: next round
          }
          if (w.sink != nullptr) {
            w.sink->OnExpire(t, b);
          }
          const uint32_t aor = t.AorOfBinding(b);
          t.BeginWrite();
          t.Remove(b);
          t.RemoveAorIfEmpty(aor);
          t.EndWrite();
          ++c.keepalive_expired;
          continue;
        }
        net::TxBuffer* tx = acquire();
        if (tx == nullptr) {
          return;  // out of buffers: the rest waits for the next round
        }
        const net::Endpoint to = t.SourceOf(b);
        std::size_t len = 4;
        if (options_.keepalive == KeepaliveKind::kCrlf) {
          std::memcpy(tx->data, "\r\n\r\n", 4);
        } else {
          char peer_text[net::kMaxEndpointString];
          const std::string_view peer(peer_text, net::FormatEndpoint(to, peer_text));
          w.rng ^= w.rng << 13;
          w.rng ^= w.rng >> 7;
          w.rng ^= w.rng << 17;
          sip::ResponseWriter x(tx->data, tx->capacity);
          x.Append("OPTIONS sip:");
          x.Append(peer);
          x.Append(" SIP/2.0\r\nVia: SIP/2.0/UDP ");
          x.Append(local);
          x.Append(";branch=");
          x.Append(kKeepaliveBranch);
          x.AppendUint(s);
          x.Append(".");
          x.AppendUint(b);
          x.Append(".");
          x.AppendUint(static_cast<uint32_t>(w.rng));
          x.Append("\r\nMax-Forwards: 70\r\nFrom: <sip:keepalive@");
          x.Append(local);
          x.Append(">;tag=ka");
          x.AppendUint(w.index);
          x.Append("\r\nTo: <sip:");
          x.Append(peer);
          x.Append(">\r\nCall-ID: ka-");
          x.AppendUint(static_cast<uint32_t>(w.rng >> 32));
          x.Append("-");
          x.AppendUint(b);
          x.Append("\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
          len = x.Finish();
          t.SetKeepaliveMisses(b, misses == 255 ? misses : static_cast<uint8_t>(misses + 1));
        }
        send(tx, len, Udp(to));
        ++c.keepalives_sent;
      }
    }
  };
  // A device answered a keepalive OPTIONS: its binding is alive.
  auto keepalive_answered = [&](uint32_t shard, uint32_t b, const net::Endpoint& from) {
    registrar::BindingTable& t = *tables_[shard];
    if (t.Live(b) && t.SourceOf(b) == from) {
      t.SetKeepaliveMisses(b, 0);
      ++c.keepalive_answers;
    }
  };

  // A well-formed message (tokenized into w.msg from `bytes`), from UDP or a connection.
  auto process = [&](PaddedView bytes, const Target& t, uint64_t rx_ns) {
    const sip::Message& msg = w.msg;
    if (msg.kind == sip::MessageKind::kResponse) {
      // Answers to keepalive OPTIONS go to the worker owning the binding's shard.
      const sip::Header* via = msg.Find(sip::HeaderId::kVia);
      sip::Via v;
      uint32_t shard = 0;
      uint32_t b = 0;
      if (via != nullptr && !t.conn.valid() && sip::ParseVia(via->value, v).ok() &&
          v.branch.starts_with(kKeepaliveBranch) && ParseKeepaliveBranch(v.branch, shard, b) &&
          shard <= ctx_.shard_mask) {
        const uint32_t owner = shard % n_workers;
        if (owner == w.index) {
          keepalive_answered(shard, b, t.peer);
          return;
        }
        SpscRing& ring = *rings_[w.index * n_workers + owner];
        char* slot = ring.Reserve(sizeof(ForwardHeader) + 8);
        if (slot != nullptr) {
          ForwardHeader h{t, 8, Record::kKeepaliveAnswer};
          std::memcpy(slot, &h, sizeof(h));
          std::memcpy(slot + sizeof(h), &shard, 4);
          std::memcpy(slot + sizeof(h) + 4, &b, 4);
        }
        return;
      }
      ++c.responses_ignored;
      return;
    }
    if (msg.method == sip::Method::kAck) {
      return;  // no response to ACK (RFC 3261 §17.2.1)
    }
    auto simple = [&](uint16_t status, std::string_view reason, std::string_view extra) {
      net::TxBuffer* tx = acquire();
      if (tx == nullptr) {
        return;
      }
      send(tx, w.registrar->Simple(msg, t.peer, status, reason, extra, tx->data, tx->capacity), t);
    };
    // Malformed requests get 400 naming the problem. A REGISTER's own fields are parsed once,
    // by ParseRegister; ValidateMessage then checks only the rest.
    const bool is_register = msg.method == sip::Method::kRegister;
    // The storm guard: this worker is behind (the datagram waited too long in the kernel), so
    // answer cheaply and tell the device when to come back rather than queue it.
    if (is_register && max_delay_ns != 0 && rx_ns != 0 && now_ns > rx_ns &&
        now_ns - rx_ns > max_delay_ns) {
      char extra[32] = "Retry-After: ";
      sip::ResponseWriter x(extra + 13, sizeof(extra) - 13);
      x.AppendUint(retry_after());
      x.Append("\r\n");
      ++c.outcomes[static_cast<std::size_t>(registrar::Outcome::kOverloaded)];
      simple(503, "Service Unavailable", std::string_view(extra, 13 + x.size()));
      return;
    }
    sip::ParseStatus st = sip::CheckRequest(msg);
    if (st.ok() && is_register) {
      st = sip::ParseRegister(msg, w.reg);
    }
    if (st.ok()) {
      st = sip::ValidateMessage(msg, is_register ? &w.reg : nullptr);
    }
    if (!st.ok()) {
      ++c.parse_errors[static_cast<std::size_t>(st.error)];
      const sip::ErrorResponse r = sip::ErrorResponseFor(st.error);
      simple(r.status_code, r.reason_phrase, {});
      return;
    }
    switch (msg.method) {
      case sip::Method::kRegister:
        break;
      case sip::Method::kOptions:
        ++c.options;
        simple(200, "OK", "Allow: REGISTER, OPTIONS\r\nAccept: application/sdp\r\n");
        return;
      case sip::Method::kCancel:
        simple(481, "Call/Transaction Does Not Exist", {});
        return;
      default: {
        // Calls come later; a domain's calls IP ACL already applies (seed 003 IP allow-lists).
        sip::Uri ruri;
        if (msg.method == sip::Method::kInvite && sip::ParseUri(msg.request_uri, ruri).ok()) {
          const registrar::Provisioned& prov = *ctx_.provisioned->Load();
          const registrar::DomainInfo* d = prov.domains.Find(ruri.host);
          if (d != nullptr && !registrar::Provisioned::Allowed(*d, t.peer, /*calls=*/true)) {
            ++c.calls_not_allowed;
            simple(403, "Source Address Not Allowed", {});
            return;
          }
        }
        ++c.not_implemented;
        simple(501, "Not Implemented", "Allow: REGISTER, OPTIONS\r\n");
        return;
      }
    }
    net::TxBuffer* tx = acquire();
    if (tx == nullptr) {
      return;
    }
    const registrar::AdmitResult a =
        w.registrar->Admit(msg, w.reg, t.peer, wall_now, tx->data, tx->capacity);
    if (!a.apply) {
      ++c.outcomes[static_cast<std::size_t>(a.outcome)];
      send(tx, a.response, t);
      return;
    }
    if (t.conn.valid() && options_.bind_to_connection) {
      remember_flow(t);
    }
    const uint32_t owner = a.shard % n_workers;
    if (owner == w.index) {
      put_back(tx);  // Apply takes it again
      apply(a.shard, t);
      return;
    }
    SpscRing& ring = *rings_[w.index * n_workers + owner];
    char* slot = ring.Reserve(sizeof(ForwardHeader) + bytes.size());
    if (slot == nullptr) {
      // The owner is behind: shed load with 503 rather than queueing without bound.
      ++c.ring_full;
      send(tx,
           w.registrar->Simple(msg, t.peer, 503, "Service Unavailable", "Retry-After: 5\r\n",
                               tx->data, tx->capacity),
           t);
      return;
    }
    put_back(tx);
    ForwardHeader h{t, static_cast<uint32_t>(bytes.size()), Record::kApply};
    std::memcpy(slot, &h, sizeof(h));
    std::memcpy(slot + sizeof(h), bytes.data(), bytes.size());
    ++c.forwarded_out;
  };

  auto handle = [&](const net::RxPacket& pkt) {
    ++c.rx;
    if (pkt.truncated) {
      ++c.rx_truncated;
      return;
    }
    // RFC 5626 §4.4.2: STUN Binding keepalives share the SIP port.
    if (net::LooksLikeStun(pkt.data.view())) {
      net::TxBuffer* tx = acquire();
      if (tx == nullptr) {
        return;
      }
      const std::size_t len =
          net::WriteStunBindingResponse(pkt.data.view(), pkt.peer, tx->data, tx->capacity);
      if (len == 0) {
        ++c.stun_ignored;
        put_back(tx);
        return;
      }
      ++c.stun_keepalives;
      send(tx, len, Udp(pkt.peer));
      return;
    }
    const sip::ParseError e = sip::Tokenize(pkt.data, sip::Framing::kDatagram, w.msg);
    if (e == sip::ParseError::kKeepalive) {
      ++c.keepalives;
      return;
    }
    if (e != sip::ParseError::kOk) {
      ++c.parse_errors[static_cast<std::size_t>(e)];
      const sip::ErrorResponse r = sip::ErrorResponseFor(e);
      net::TxBuffer* tx = acquire();
      if (tx == nullptr) {
        return;
      }
      const std::size_t len = sip::WriteErrorResponse(pkt.data.view(), r.status_code,
                                                      r.reason_phrase, tx->data, tx->capacity);
      if (len == 0) {
        put_back(tx);  // a malformed response, or no Via: nothing to answer
        return;
      }
      send(tx, len, Udp(pkt.peer));
      return;
    }
    process(pkt.data, Udp(pkt.peer), pkt.rx_ns);
  };

  // Stream side: one handler per engine, framing one message per call.
  std::vector<std::unique_ptr<net::StreamHandler>> handlers;
  for (std::size_t e = 0; e < w.streams.size(); ++e) {
    const auto engine = static_cast<uint8_t>(e);
    auto on_data = [&, engine](const net::ConnInfo& ci, PaddedView in) -> std::size_t {
      const sip::ParseError err =
          sip::Tokenize(in, sip::Framing::kStream, w.msg, options_.max_message_bytes);
      if (err == sip::ParseError::kIncomplete) {
        return 0;
      }
      const Target t{ci.peer, ci.ref, engine, static_cast<uint8_t>(w.index),
                     ci.tls ? registrar::Transport::kTls : registrar::Transport::kTcp};
      if (err == sip::ParseError::kKeepalive) {
        ++c.keepalives;
        if (w.msg.size >= 4) {  // "\r\n\r\n" ping: "\r\n" pong (RFC 5626 §4.4.1)
          ++c.pongs;
          deliver(t, "\r\n", 2);
        }
        return w.msg.size;
      }
      ++c.rx;
      if (err != sip::ParseError::kOk) {
        // The stream cannot be re-synchronised after a framing or syntax error: answer when
        // there is a Via to answer to, then close.
        ++c.parse_errors[static_cast<std::size_t>(err)];
        if (err == sip::ParseError::kMessageTooLarge) {
          ++c.stream_oversize;
        }
        const sip::ErrorResponse r = sip::ErrorResponseFor(err);
        net::TxBuffer* tx = acquire();
        if (tx != nullptr) {
          const std::size_t len = sip::WriteErrorResponse(in.view().substr(0, 8192), r.status_code,
                                                          r.reason_phrase, tx->data, tx->capacity);
          if (len != 0) {
            send(tx, len, t);
          } else {
            put_back(tx);
          }
        }
        return net::kCloseConnection;
      }
      const uint32_t used = w.msg.size;
      process(in.Prefix(used), t, 0);
      return used;
    };
    auto on_closed = [&, engine](const net::ConnInfo& ci) {
      if (w.flows.empty()) {
        return;
      }
      auto it = w.flows.find((uint64_t{engine} << 32) | ci.ref.index);
      if (it == w.flows.end()) {
        return;
      }
      const Target t{ci.peer, ci.ref, engine, static_cast<uint8_t>(w.index),
                     ci.tls ? registrar::Transport::kTls : registrar::Transport::kTcp};
      for (const FlowAor& f : it->second) {
        const uint32_t owner = (static_cast<uint32_t>(f.hash) & ctx_.shard_mask) % n_workers;
        if (owner == w.index) {
          drop_flow(f, t);
          continue;
        }
        SpscRing& ring = *rings_[w.index * n_workers + owner];
        char* slot = ring.Reserve(sizeof(ForwardHeader) + sizeof(FlowAor));
        if (slot == nullptr) {
          ++c.ring_full;  // the bindings then expire in their own time
          continue;
        }
        ForwardHeader fh{t, sizeof(FlowAor), Record::kDropFlow};
        std::memcpy(slot, &fh, sizeof(fh));
        std::memcpy(slot + sizeof(fh), &f, sizeof(f));
      }
      w.flows.erase(it);
    };
    handlers.push_back(MakeHandler(on_data, on_closed));
  }

  // Records other workers sent: REGISTERs for shards this worker owns, answers for its
  // connections, closed flows.
  auto drain = [&] {
    for (uint32_t from = 0; from < n_workers; ++from) {
      if (from == w.index) {
        continue;
      }
      SpscRing& ring = *rings_[from * n_workers + w.index];
      bool popped = false;
      for (PaddedView rec = ring.Front(); rec.data() != nullptr; rec = ring.Front()) {
        ForwardHeader h{};
        std::memcpy(&h, rec.data(), sizeof(h));
        const PaddedView payload(rec.data() + sizeof(h), h.length, rec.capacity() - sizeof(h));
        switch (h.kind) {
          case Record::kApply: {
            ++c.forwarded_in;
            if (sip::Tokenize(payload, sip::Framing::kDatagram, w.msg) == sip::ParseError::kOk &&
                sip::ParseRegister(w.msg, w.reg).ok()) {
              const registrar::DomainInfo* d =
                  ctx_.provisioned->Load()->domains.Find(w.reg.request_uri.host);
              char user[registrar::kMaxUserLength];
              registrar::AorKey key;
              if (d != nullptr && w.registrar->AorOf(w.reg, d->id, user, key)) {
                apply(static_cast<uint32_t>(key.hash) & ctx_.shard_mask, h.target);
              }
            }
            break;
          }
          case Record::kReply:
            deliver(h.target, payload.data(), payload.size());
            break;
          case Record::kKeepaliveAnswer: {
            uint32_t shard = 0;
            uint32_t b = 0;
            std::memcpy(&shard, payload.data(), 4);
            std::memcpy(&b, payload.data() + 4, 4);
            keepalive_answered(shard, b, h.target.peer);
            break;
          }
          case Record::kDropFlow: {
            FlowAor f;
            std::memcpy(&f, payload.data(), sizeof(f));
            drop_flow(f, h.target);
            break;
          }
        }
        ring.Pop();
        popped = true;
      }
      if (popped) {
        ring.Release();
      }
    }
  };

  while (!stop_.load(std::memory_order_acquire)) {
    // A quiescent point: nothing read from the provisioned snapshot before here is held, so a
    // snapshot replaced over the API can be freed once every worker has passed one.
    ctx_.provisioned->Quiescent(w.index);
    // Sleep only when no other worker has published work for us (Dekker-style handshake with
    // the producers' commit-then-check in the publish step below).
    w.sleeping.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const int timeout = inbound_pending() ? 0 : kIdleWaitMs;
    const std::size_t n = be.Poll(packets, net::kMaxBurst, timeout);
    w.sleeping.store(false, std::memory_order_relaxed);
    mono_now = MonoSeconds();
    wall_now = WallSeconds();
    if (max_delay_ns != 0) {
      timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      now_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
    }
    if (w.sink != nullptr) {
      w.sink->SetClock(mono_now, wall_now);
    }

    for (std::size_t i = 0; i < n; ++i) {
      handle(packets[i]);
    }
    for (std::size_t e = 0; e < w.streams.size(); ++e) {
      w.streams[e]->Poll(*handlers[e]);
    }
    drain();
    if (mono_now != w.last_expiry) {
      w.last_expiry = mono_now;
      for (uint32_t s : w.owned) {
        registrar::BindingTable& t = *tables_[s];
        c.expired += t.Expire(mono_now, [&](uint32_t b) {
          if (w.sink != nullptr) {
            w.sink->OnExpire(t, b);
          }
        });
      }
      for (std::size_t e = 0; e < w.streams.size(); ++e) {
        w.streams[e]->Tick(*handlers[e]);
      }
      if (options_.keepalive != KeepaliveKind::kOff) {
        keepalive_tick();
      }
    }
    if (w.journal != nullptr) {
      w.journal->Flush();
      release_held();
    }
    for (auto& e : w.streams) {
      e->Flush();
    }
    // Publish hand-offs in one release store per ring, waking owners that sleep.
    for (uint32_t to = 0; to < n_workers; ++to) {
      if (to != w.index && rings_[w.index * n_workers + to]->Commit()) {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (workers_[to]->sleeping.load(std::memory_order_relaxed)) {
          workers_[to]->backend->Wake();
        }
      }
    }
  }
  // Stopping: answer what can be answered (the journal's owner closes it after Join()).
  if (w.journal != nullptr) {
    for (int i = 0; i < 100 && w.held_count != 0; ++i) {
      w.journal->Flush();
      release_held();
      if (w.held_count != 0) {
        be.Poll(packets, 1, 10);
      }
    }
  }
  for (std::size_t e = 0; e < w.streams.size(); ++e) {
    w.streams[e]->Flush();
    w.streams[e]->Shutdown(*handlers[e]);
  }
  be.Flush();
  ctx_.provisioned->Offline(w.index);
}

}  // namespace sipfront::core
